"""GitHub issues: the provider's default pagination (the Link header's rel="next")."""

from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    async for issues in nango.paginate(
        endpoint="/repos/acme/widgets/issues", params={"state": "all"}, paginate={"limit": 3}, retries=2
    ):
        await nango.batch_save(
            [
                {
                    "id": issue["id"],
                    "number": issue["number"],
                    "title": issue["title"],
                    "state": issue["state"],
                    "labels": [label["name"] for label in issue["labels"]],
                    "comments": issue["comments"],
                }
                for issue in issues
            ],
            "GithubIssue",
        )
