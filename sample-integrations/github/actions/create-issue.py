"""Open an issue in the connection's repository (metadata: {"owner", "repo"})."""

from nango_tui.sdk import ActionError, HttpError, NangoAction

from models import GithubCreateIssue, GithubIssue


async def run_action(nango: NangoAction, input: GithubCreateIssue) -> GithubIssue:
    metadata = await nango.get_metadata()
    owner, repo = metadata.get("owner"), metadata.get("repo")
    if not owner or not repo:
        raise ActionError({"message": "the connection's metadata needs `owner` and `repo`"})

    body = input.model_dump(exclude_none=True)
    try:
        response = await nango.post(f"/repos/{owner}/{repo}/issues", json=body)
    except HttpError as error:
        if error.status in (404, 410, 422):
            raise ActionError({"message": f"GitHub refused the issue ({error.status})", "details": error.body}) from None
        raise

    item = response.json()
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
