"""An imitation of Linear's GraphQL API (`POST /graphql`) for teams, users and issues.

- `issues(first, after, filter: {updatedAt|createdAt: {gt, gte, lt, lte}, team: {key: {eq}}},
  orderBy: createdAt|updatedAt)` -> IssueConnection {nodes, edges {node, cursor}, pageInfo
  {hasNextPage, endCursor, hasPreviousPage, startCursor}}; `first` defaults to 50, at most 250;
  the cursor is the last node's id, as Linear's opaque cursors are.
- `issue(id)` (id or identifier such as ENG-3): not found is Linear's "Entity not found" error
  with `data: null`; `teams`, `users`, `viewer`.
- Auth: `Authorization: <api key>` or `Authorization: Bearer <oauth token>`; a wrong one is
  Linear's AUTHENTICATION_ERROR (HTTP 400). Query errors: HTTP 400 with `errors[].locations`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .base import FakeServer, Request, Response, serve_forever
from .graphql import GraphQLError, Schema, execute, parse

TOKEN = "lin_api_fake_linear_token"
_NS = uuid.UUID("6f1c1a52-0000-4000-8000-000000000001")


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


TEAMS = [
    {"id": _id("team", "ENG"), "key": "ENG", "name": "Engineering", "createdAt": "2023-09-01T09:00:00.000Z"},
    {"id": _id("team", "DES"), "key": "DES", "name": "Design", "createdAt": "2023-09-02T09:00:00.000Z"},
]
USERS = [
    {
        "id": _id("user", n),
        "name": n,
        "displayName": n.split()[0].lower(),
        "email": f"{n.split()[0].lower()}@acme.example",
        "active": True,
    }
    for n in ("Maya Chen", "Tomás Ruiz", "Priya Natarajan", "Jonas Berg")
]
_STATES = {
    "backlog": {"id": _id("state", "backlog"), "name": "Backlog", "type": "backlog", "color": "#bec2c8"},
    "todo": {"id": _id("state", "todo"), "name": "Todo", "type": "unstarted", "color": "#e2e2e2"},
    "progress": {
        "id": _id("state", "progress"),
        "name": "In Progress",
        "type": "started",
        "color": "#f2c94c",
    },
    "done": {"id": _id("state", "done"), "name": "Done", "type": "completed", "color": "#5e6ad2"},
}
_PRIORITY = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
# (team, title, has description, priority, estimate, state, assignee index or None, created, updated)
_ISSUES = [
    (
        "ENG",
        "Set up the billing webhook",
        True,
        2,
        3,
        "done",
        0,
        "2024-02-01T10:00:00",
        "2024-02-09T15:30:00",
    ),
    (
        "ENG",
        "Retry failed invoice syncs",
        True,
        1,
        5,
        "progress",
        1,
        "2024-02-02T09:12:00",
        "2024-03-21T11:00:00",
    ),
    (
        "DES",
        "New onboarding illustrations",
        False,
        3,
        None,
        "todo",
        2,
        "2024-02-03T14:00:00",
        "2024-02-03T14:00:00",
    ),
    (
        "ENG",
        "Rate limit the public API",
        True,
        2,
        8,
        "backlog",
        None,
        "2024-02-05T08:30:00",
        "2024-02-20T10:10:00",
    ),
    ("ENG", "Flaky login e2e test", False, 3, 1, "done", 3, "2024-02-06T16:45:00", "2024-02-07T09:00:00"),
    (
        "DES",
        "Dark mode colour tokens",
        True,
        2,
        3,
        "progress",
        2,
        "2024-02-08T11:00:00",
        "2024-03-18T17:20:00",
    ),
    (
        "ENG",
        "Migrate cron jobs to the scheduler",
        True,
        4,
        5,
        "backlog",
        None,
        "2024-02-09T13:30:00",
        "2024-02-09T13:30:00",
    ),
    (
        "ENG",
        "Audit log for admin actions",
        True,
        2,
        8,
        "todo",
        0,
        "2024-02-12T10:00:00",
        "2024-03-02T08:45:00",
    ),
    ("ENG", "Upgrade PostgreSQL to 16", False, 3, 3, "done", 1, "2024-02-13T09:00:00", "2024-02-29T18:00:00"),
    (
        "DES",
        "Empty states for the dashboard",
        True,
        0,
        None,
        "backlog",
        None,
        "2024-02-14T15:00:00",
        "2024-02-14T15:00:00",
    ),
    ("ENG", "CSV export times out", True, 1, 2, "progress", 3, "2024-02-16T08:00:00", "2024-03-27T12:30:00"),
    (
        "ENG",
        "Remove the legacy v1 endpoints",
        False,
        4,
        5,
        "backlog",
        None,
        "2024-02-19T12:00:00",
        "2024-03-01T09:00:00",
    ),
    ("ENG", "SSO with Okta", True, 2, 8, "todo", 0, "2024-02-20T10:30:00", "2024-03-11T14:00:00"),
    ("DES", "Icon set refresh", False, 3, 3, "done", 2, "2024-02-22T09:45:00", "2024-03-06T16:00:00"),
    ("ENG", "Memory leak in the worker", True, 1, 3, "done", 1, "2024-02-23T07:50:00", "2024-02-26T10:00:00"),
    (
        "ENG",
        "Add request ids to logs",
        False,
        3,
        1,
        "todo",
        None,
        "2024-02-26T11:15:00",
        "2024-02-26T11:15:00",
    ),
    ("ENG", "Paginate the audit log", True, 3, 2, "backlog", 3, "2024-02-28T13:00:00", "2024-03-14T10:30:00"),
    ("DES", "Pricing page layout", True, 2, 5, "progress", 2, "2024-03-01T10:00:00", "2024-03-25T15:45:00"),
    ("ENG", "Timezone bug in reports", True, 2, 2, "todo", 0, "2024-03-04T09:20:00", "2024-03-22T09:00:00"),
    (
        "ENG",
        "Speed up the test suite",
        False,
        4,
        3,
        "backlog",
        None,
        "2024-03-06T14:40:00",
        "2024-03-06T14:40:00",
    ),
    (
        "ENG",
        "Webhook signature check",
        True,
        1,
        2,
        "progress",
        1,
        "2024-03-08T08:10:00",
        "2024-03-29T17:00:00",
    ),
    (
        "DES",
        "Accessibility pass on forms",
        True,
        2,
        3,
        "todo",
        None,
        "2024-03-11T11:30:00",
        "2024-03-19T13:00:00",
    ),
    (
        "ENG",
        "Archive old workspaces",
        False,
        4,
        None,
        "backlog",
        None,
        "2024-03-13T16:00:00",
        "2024-03-13T16:00:00",
    ),
    ("ENG", "Usage metrics endpoint", True, 3, 5, "todo", 3, "2024-03-15T10:45:00", "2024-03-30T08:15:00"),
]


def issues() -> list[dict[str, Any]]:
    """The fixed data set, in creation order."""
    counters: dict[str, int] = {}
    out = []
    for team_key, title, described, priority, estimate, state, assignee, created, updated in _ISSUES:
        counters[team_key] = counters.get(team_key, 0) + 1
        identifier = f"{team_key}-{counters[team_key]}"
        out.append(
            {
                "id": _id("issue", identifier),
                "identifier": identifier,
                "number": counters[team_key],
                "title": title,
                "description": f"Context and acceptance criteria for: {title.lower()}."
                if described
                else None,
                "priority": priority,
                "priorityLabel": _PRIORITY[priority],
                "estimate": estimate,
                "createdAt": created + ".000Z",
                "updatedAt": updated + ".000Z",
                "completedAt": updated + ".000Z" if state == "done" else None,
                "url": f"https://linear.app/acme/issue/{identifier.lower()}",
                "state": _STATES[state],
                "assignee": USERS[assignee] if assignee is not None else None,
                "team": next(t for t in TEAMS if t["key"] == team_key),
            }
        )
    return out


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _matches(issue: dict[str, Any], flt: dict[str, Any]) -> bool:
    for field in ("updatedAt", "createdAt"):
        for op, bound in (flt.get(field) or {}).items():
            if bound is None:  # an unset variable: no bound
                continue
            value, limit = _time(issue[field]), _time(str(bound))
            ok = {
                "gt": value > limit,
                "gte": value >= limit,
                "lt": value < limit,
                "lte": value <= limit,
                "eq": value == limit,
            }.get(op)
            if ok is None:
                raise GraphQLError(
                    f'Field "{op}" is not defined by type "DateComparator".', code="BAD_USER_INPUT"
                )
            if not ok:
                return False
    if key := ((flt.get("team") or {}).get("key") or {}).get("eq"):
        if issue["team"]["key"] != key:
            return False
    return True


def _connection(
    rows: list[dict[str, Any]], args: dict[str, Any], type_name: str
) -> tuple[dict[str, Any], str]:
    first = args.get("first") or 50
    if not isinstance(first, int) or first < 1 or first > 250:
        raise GraphQLError(
            "Argument Validation Error: first must not be greater than 250 and positive.",
            code="INVALID_INPUT",
        )
    start = 0
    if after := args.get("after"):
        ids = [r["id"] for r in rows]
        if after not in ids:
            raise GraphQLError(
                "Argument Validation Error: after is not a valid cursor.", code="INVALID_INPUT"
            )
        start = ids.index(after) + 1
    page = rows[start : start + first]
    info = {
        "hasNextPage": start + first < len(rows),
        "hasPreviousPage": start > 0,
        "startCursor": page[0]["id"] if page else None,
        "endCursor": page[-1]["id"] if page else None,
    }
    return {
        "nodes": page,
        "edges": [{"node": r, "cursor": r["id"]} for r in page],
        "pageInfo": info,
    }, type_name


def _query_issues(_parent: Any, args: dict[str, Any]) -> tuple[Any, str]:
    rows = [i for i in issues() if _matches(i, args.get("filter") or {})]
    order = args.get("orderBy") or "createdAt"
    if order not in ("createdAt", "updatedAt"):
        raise GraphQLError(
            f'Value "{order}" does not exist in "PaginationOrderBy" enum.', code="BAD_USER_INPUT"
        )
    rows.sort(key=lambda r: (r[order], r["id"]))
    return _connection(rows, args, "IssueConnection")


def _query_issue(_parent: Any, args: dict[str, Any]) -> tuple[Any, str]:
    wanted = args.get("id")
    found = next((i for i in issues() if wanted in (i["id"], i["identifier"])), None)
    if found is None:
        raise GraphQLError("Entity not found: Issue", code="INVALID_INPUT")
    return found, "Issue"


def _connection_type(node: str) -> dict[str, Any]:
    return {"nodes": node, "edges": node + "Edge", "pageInfo": "PageInfo"}


SCHEMA: Schema = {
    "Query": {
        "issues": _query_issues,
        "issue": _query_issue,
        "teams": lambda _p, a: _connection(TEAMS, a, "TeamConnection"),
        "users": lambda _p, a: _connection(USERS, a, "UserConnection"),
        "viewer": lambda _p, _a: (USERS[0], "User"),
    },
    "IssueConnection": _connection_type("Issue"),
    "TeamConnection": _connection_type("Team"),
    "UserConnection": _connection_type("User"),
    "IssueEdge": {"node": "Issue", "cursor": "scalar"},
    "TeamEdge": {"node": "Team", "cursor": "scalar"},
    "UserEdge": {"node": "User", "cursor": "scalar"},
    "PageInfo": {k: "scalar" for k in ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")},
    "Issue": {
        **{
            k: "scalar"
            for k in (
                "id",
                "identifier",
                "number",
                "title",
                "description",
                "priority",
                "priorityLabel",
                "estimate",
                "createdAt",
                "updatedAt",
                "completedAt",
                "url",
            )
        },
        "state": "WorkflowState",
        "assignee": "User",
        "team": "Team",
    },
    "WorkflowState": {k: "scalar" for k in ("id", "name", "type", "color")},
    "User": {k: "scalar" for k in ("id", "name", "displayName", "email", "active")},
    "Team": {k: "scalar" for k in ("id", "key", "name", "createdAt")},
}


class LinearApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token

    def __call__(self, req: Request) -> Response:
        if req.path != "/graphql":
            return Response(404, {"errors": [{"message": "Not found"}]})
        if req.bearer() != self.token:
            return Response(
                400,
                {
                    "errors": [
                        {
                            "message": "Authentication required, not authenticated",
                            "extensions": {
                                "type": "authentication error",
                                "code": "AUTHENTICATION_ERROR",
                                "userPresentableMessage": "You need to authenticate to access this operation.",
                            },
                        }
                    ]
                },
            )
        if req.method != "POST":
            return Response(
                400, {"errors": [{"message": "GET query missing.", "extensions": {"code": "BAD_REQUEST"}}]}
            )
        try:
            payload = req.json()
            query, variables = payload["query"], dict(payload.get("variables") or {})
        except (ValueError, KeyError, TypeError):
            return Response(
                400,
                {
                    "errors": [
                        {
                            "message": "POST body missing, invalid Content-Type, or JSON object has no keys.",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
            )
        try:
            op = parse(query)
            if op.kind != "query":
                raise GraphQLError(f"This imitation answers queries only, not {op.kind}s.")
        except GraphQLError as exc:
            return Response(400, {"errors": [exc.as_json()]})
        try:
            return Response(200, {"data": execute(SCHEMA, "Query", op, variables)})
        except GraphQLError as exc:
            status = 400 if exc.code in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT") else 200
            return Response(status, {"errors": [exc.as_json()], "data": None})


def start_linear(port: int = 0, *, token: str = TOKEN) -> FakeServer:
    """A started imitation of api.linear.app on 127.0.0.1."""
    return FakeServer(LinearApi(token), port, name="linear")


if __name__ == "__main__":
    serve_forever("linear", lambda port: start_linear(port), TOKEN)
