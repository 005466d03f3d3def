"""GitHub issues of one repository, incrementally: those updated since the last run.

The repository comes from the connection's metadata: {"owner": "acme", "repo": "widgets"}.
GitHub pages with a `Link` header (rel="next"); its issues list also holds pull requests,
which are left out here.
"""

from datetime import timezone

from nango_tui.sdk import NangoSync

from models import GithubIssue


async def fetch_data(nango: NangoSync) -> None:
    metadata = await nango.get_metadata()
    owner, repo = metadata.get("owner"), metadata.get("repo")
    if not owner or not repo:
        raise ValueError("the connection's metadata needs `owner` and `repo` (the repository to sync)")

    params = {"state": "all", "sort": "updated", "direction": "asc"}
    if nango.last_sync_date:
        params["since"] = nango.last_sync_date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    async for page in nango.paginate(
        f"/repos/{owner}/{repo}/issues",
        params=params,
        # small pages to show the Link header at work; GitHub allows up to 100 per page
        paginate={"type": "link", "link_rel_in_response_header": "next", "limit": 10, "limit_name_in_request": "per_page"},
    ):
        issues = [to_issue(item) for item in page if "pull_request" not in item]
        await nango.batch_save(issues, "GithubIssue")


def to_issue(item: dict) -> GithubIssue:
    return GithubIssue(
        id=str(item["id"]),
        number=item["number"],
        title=item["title"],
        state=item["state"],
        author=item["user"]["login"],
        labels=[label["name"] for label in item["labels"]],
        assignee=item["assignee"]["login"] if item["assignee"] else None,
        comments=item["comments"],
        body=item["body"],
        url=item["html_url"],
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        closed_at=item["closed_at"],
    )
