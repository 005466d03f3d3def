"""Linear issues, incrementally, through the GraphQL API.

GraphQL pages by cursor: each answer's `pageInfo` says whether there is a next page and gives
`endCursor`, which goes back in the next request's body as the `after` variable.
"""

from datetime import timezone

from nango_tui.sdk import NangoSync

from models import LinearIssue

QUERY = """
query Issues($after: String, $filter: IssueFilter) {
  issues(first: 10, after: $after, orderBy: updatedAt, filter: $filter) {
    nodes {
      id identifier title description priority estimate createdAt updatedAt url
      state { name }
      assignee { id }
      team { key }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def fetch_data(nango: NangoSync) -> None:
    issue_filter = {}
    if nango.last_sync_date:
        since = nango.last_sync_date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        issue_filter = {"updatedAt": {"gt": since}}

    after = None
    while True:
        response = await nango.post("/graphql", json={"query": QUERY, "variables": {"after": after, "filter": issue_filter}})
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"Linear answered: {body['errors'][0]['message']}")
        issues = body["data"]["issues"]
        await nango.batch_save([to_issue(node) for node in issues["nodes"]], "LinearIssue")
        if not issues["pageInfo"]["hasNextPage"]:
            break
        after = issues["pageInfo"]["endCursor"]


def to_issue(node: dict) -> LinearIssue:
    fields = {
        "id": node["id"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "identifier": node["identifier"],
        "title": node["title"],
        "description": node["description"],
        "priority": node["priority"],
        "state": node["state"]["name"],
        "assignee_id": node["assignee"]["id"] if node["assignee"] else None,
        "team_key": node["team"]["key"],
        "url": node["url"],
    }
    if node["estimate"] is not None:  # `estimate?` is optional: an unestimated issue leaves it out
        fields["estimate"] = node["estimate"]
    return LinearIssue(**fields)
