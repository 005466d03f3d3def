"""Every Linear team (a full sync: teams missing from a run are deleted, per track_deletes)."""

from nango_tui.sdk import NangoSync

from models import LinearTeam

QUERY = """
query Teams($after: String) {
  teams(first: 50, after: $after) {
    nodes { id key name createdAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def fetch_data(nango: NangoSync) -> None:
    after = None
    while True:
        response = await nango.post("/graphql", json={"query": QUERY, "variables": {"after": after}})
        teams = response.json()["data"]["teams"]
        await nango.batch_save(
            [LinearTeam(id=t["id"], key=t["key"], name=t["name"], created_at=t["createdAt"]) for t in teams["nodes"]],
            "LinearTeam",
        )
        if not teams["pageInfo"]["hasNextPage"]:
            break
        after = teams["pageInfo"]["endCursor"]
