"""Jira issues: offset pagination (startAt/maxResults), the cloud id from the connection config."""

from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    connection = await nango.get_connection()
    cloud_id = connection["connection_config"]["cloudId"]
    metadata = await nango.get_metadata()
    projects = ", ".join(metadata.get("project_keys") or ["ACME"])
    jql = f"project in ({projects})"
    if nango.last_sync_date:
        jql += f" AND updated >= '{nango.last_sync_date.strftime('%Y-%m-%d %H:%M')}'"
    async for issues in nango.paginate(
        endpoint=f"/ex/jira/{cloud_id}/rest/api/3/search",
        params={"jql": jql, "fields": "summary,status,updated,storyPoints"},
        paginate={
            "type": "offset",
            "offset_name_in_request": "startAt",
            "limit_name_in_request": "maxResults",
            "limit": 3,
            "response_path": "issues",
        },
    ):
        await nango.batch_save(
            [
                {
                    "id": issue["id"],
                    "key": issue["key"],
                    "summary": issue["fields"]["summary"],
                    "status": issue["fields"]["status"]["name"],
                    "story_points": issue["fields"]["storyPoints"],
                    "updated": issue["fields"]["updated"],
                }
                for issue in issues
            ],
            "JiraIssue",
        )
