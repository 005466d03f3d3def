"""Imitations of five APIs that Nango's public templates call, one per pagination shape.

Each is a real HTTP server on 127.0.0.1 (`FakeServer`) with fixed data, shaped like the real API:

- HubSpot CRM v3: `GET /crm/v3/objects/contacts?limit&after&properties` (cursor in the query,
  `paging.next.after`, records under `results`); `POST /crm/v3/objects/contacts` {properties};
  `GET /account-info/v3/details`. Bearer token.
- Notion: `POST /v1/search` {filter, start_cursor, page_size} (cursor in the body,
  `next_cursor`/`has_more`). Bearer token and a `Notion-Version` header.
- Zendesk: `GET /api/v2/incremental/tickets?start_time` (incremental export: absolute
  `next_page` URL in the body, `end_of_stream`, `end_time`; deleted tickets have status
  "deleted"; one ticket changes between pages and comes twice). Bearer token.
- GitHub: `GET /repos/acme/widgets/issues?per_page&page` (Link header rel="next"; one issue
  shows on two pages, as when issues move while paging). Bearer token.
- Jira Cloud: `GET /ex/jira/{cloudId}/rest/api/3/search?jql&startAt&maxResults` (offset,
  records under `issues`, `total`). Bearer token.
"""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from .base import FakeServer, Request, Response

TOKEN = "ported-token-7c1d9e"
CLOUD_ID = "cloud-1234"


def _unauthorized(req: Request) -> Response | None:
    if req.bearer() != TOKEN:
        return Response(401, {"message": "Authentication credentials were missing or incorrect"})
    return None


# -- HubSpot ---------------------------------------------------------------------------------------

_HS_CONTACTS = [
    {
        "id": str(100 + i),
        "properties": {
            "firstname": f"First{i}",
            "lastname": f"Last{i}",
            "email": f"p{i}@example.com",
            "createdate": f"2024-01-{i + 1:02d}T10:00:00.000Z",
            "lastmodifieddate": f"2024-02-{i + 1:02d}T10:00:00.000Z",
            "hs_lead_score": 10 * i,
        },
        "createdAt": f"2024-01-{i + 1:02d}T10:00:00.000Z",
        "updatedAt": f"2024-02-{i + 1:02d}T10:00:00.000Z",
        "archived": False,
    }
    for i in range(7)
]


class HubSpot:
    def __init__(self) -> None:
        self.created: list[dict] = []

    def __call__(self, req: Request) -> Response:
        denied = _unauthorized(req)
        if denied:
            return denied
        if req.method == "GET" and req.path == "/crm/v3/objects/contacts":
            limit = min(int(req.param("limit") or 10), 100)
            start = int(req.param("after") or 0)
            page = _HS_CONTACTS[start : start + limit]
            body: dict = {"results": page}
            if start + limit < len(_HS_CONTACTS):
                body["paging"] = {
                    "next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}
                }
            return Response(200, body)
        if req.method == "POST" and req.path == "/crm/v3/objects/contacts":
            if "application/json" not in req.headers.get("content-type", ""):
                return Response(415, {"status": "error", "message": "Unsupported Media Type"})
            data = req.json()
            props = (data or {}).get("properties") or {}
            if not props.get("email"):
                return Response(
                    400,
                    {
                        "status": "error",
                        "message": "Property values were not valid",
                        "category": "VALIDATION_ERROR",
                    },
                )
            contact = {
                "id": str(900 + len(self.created)),
                "properties": {**props, "createdate": "2024-06-01T12:00:00.000Z"},
                "createdAt": "2024-06-01T12:00:00.000Z",
                "updatedAt": "2024-06-01T12:00:00.000Z",
                "archived": False,
            }
            self.created.append(contact)
            return Response(201, contact)
        if req.method == "GET" and req.path == "/account-info/v3/details":
            return Response(
                200,
                {
                    "portalId": 4242,
                    "timeZone": "Europe/Paris",
                    "accountType": "STANDARD",
                    "companyCurrency": "EUR",
                },
            )
        return Response(404, {"status": "error", "message": "resource not found"})


# -- Notion ----------------------------------------------------------------------------------------

_NOTION_DBS = [
    {
        "object": "database",
        "id": f"db-{i}",
        "title": [{"plain_text": f"Database {i}"}],
        "url": f"https://www.notion.so/db{i}",
        "created_time": "2024-03-01T00:00:00.000Z",
        "last_edited_time": f"2024-03-{i + 2:02d}T00:00:00.000Z",
        "archived": False,
    }
    for i in range(5)
]


def notion(req: Request) -> Response:
    denied = _unauthorized(req)
    if denied:
        return denied
    if req.headers.get("notion-version") != "2022-06-28":
        return Response(
            400,
            {
                "object": "error",
                "code": "missing_version",
                "message": "Notion-Version header failed validation",
            },
        )
    if req.method == "POST" and req.path == "/v1/search":
        body = req.json() or {}
        if req.query:
            return Response(
                400, {"object": "error", "code": "validation_error", "message": "unexpected query parameters"}
            )
        size = int(body.get("page_size") or 100)
        start = int((body.get("start_cursor") or "c0")[1:])
        page = _NOTION_DBS[start : start + size]
        more = start + size < len(_NOTION_DBS)
        return Response(
            200,
            {
                "object": "list",
                "results": page,
                "has_more": more,
                "next_cursor": f"c{start + size}" if more else None,
            },
        )
    return Response(404, {"object": "error", "code": "object_not_found", "message": "not found"})


# -- Zendesk ---------------------------------------------------------------------------------------


def _ticket(i: int, status: str = "open", subject: str | None = None, updated: str | None = None) -> dict:
    return {
        "id": i,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{i}.json",
        "subject": subject or f"Ticket {i}",
        "status": status,
        "priority": "normal" if i % 2 else None,
        "requester_id": 5000 + i,
        "tags": ["vip"] if i == 2 else [],
        "created_at": f"2024-04-0{i}T08:00:00Z",
        "updated_at": updated or f"2024-04-0{i}T09:00:00Z",
    }


# three pages of the incremental export; ticket 2 changes and comes again on the last page
_ZD_PAGES = [
    [_ticket(1), _ticket(2)],
    [_ticket(3), _ticket(4, status="deleted")],
    [_ticket(2, status="solved", subject="Ticket 2 (solved)", updated="2024-04-09T09:00:00Z"), _ticket(5)],
]


def zendesk(req: Request) -> Response:
    denied = _unauthorized(req)
    if denied:
        return denied
    if req.method == "GET" and req.path == "/api/v2/incremental/tickets":
        if req.param("start_time") is None:
            return Response(400, {"error": "InvalidValue", "description": "start_time is required"})
        page = int(req.param("page") or 0)
        tickets = copy.deepcopy(_ZD_PAGES[page]) if page < len(_ZD_PAGES) else []
        last = page >= len(_ZD_PAGES) - 1
        next_page = f"{req.base_url}/api/v2/incremental/tickets?" + urlencode(
            {"start_time": req.param("start_time"), "page": page + 1}
        )
        return Response(
            200,
            {
                "tickets": tickets,
                "count": len(tickets),
                "end_of_stream": last,
                "end_time": 1712650000 + page,
                "next_page": None if last else next_page,
            },
        )
    return Response(404, {"error": "RecordNotFound", "description": "Not found"})


# -- GitHub ----------------------------------------------------------------------------------------

_GH_ISSUES = [
    {
        "id": 7000 + n,
        "number": n,
        "title": f"Issue {n}",
        "state": "open" if n % 3 else "closed",
        "user": {"login": "octocat"},
        "labels": [{"name": "bug"}] if n % 2 else [],
        "comments": n,
        "created_at": f"2024-05-{n:02d}T10:00:00Z",
        "updated_at": f"2024-05-{n:02d}T11:00:00Z",
    }
    for n in range(1, 8)
]


class GitHub:
    """Issues 1..7, 3 a page; issue 3 is also the first of page 2 (it moved while paging)."""

    def __init__(self) -> None:
        self.issues = copy.deepcopy(_GH_ISSUES)

    def __call__(self, req: Request) -> Response:
        denied = _unauthorized(req)
        if denied:
            return denied
        if req.method == "GET" and req.path == "/repos/acme/widgets/issues":
            per_page = int(req.param("per_page") or 30)
            page = int(req.param("page") or 1)
            start = (page - 1) * per_page - (1 if page > 1 else 0)
            chunk = self.issues[start : start + per_page]
            headers = {}
            if start + per_page < len(self.issues):
                query = urlencode(
                    {"per_page": per_page, "page": page + 1, "state": req.param("state") or "open"}
                )
                headers["Link"] = f'<{req.base_url}/repos/acme/widgets/issues?{query}>; rel="next"'
            return Response(200, chunk, headers)
        return Response(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})


# -- Jira ------------------------------------------------------------------------------------------

_JIRA_ISSUES = [
    {
        "id": str(10000 + i),
        "key": f"ACME-{i}",
        "self": f"https://api.atlassian.com/ex/jira/{CLOUD_ID}/rest/api/3/issue/{10000 + i}",
        "fields": {
            "summary": f"Do thing {i}",
            "status": {"name": "To Do" if i % 2 else "Done"},
            "issuetype": {"name": "Task"},
            "project": {"key": "ACME"},
            "created": f"2024-06-{i:02d}T08:00:00.000+0000",
            "updated": f"2024-06-{i:02d}T09:30:00.000+0000",
            "storyPoints": i * 1.5 if i % 2 else i,
        },
    }
    for i in range(1, 9)
]


def jira(req: Request) -> Response:
    denied = _unauthorized(req)
    if denied:
        return denied
    if req.method == "GET" and req.path == f"/ex/jira/{CLOUD_ID}/rest/api/3/search":
        jql = req.param("jql") or ""
        if "project in" not in jql:
            return Response(400, {"errorMessages": ["The JQL query is missing a project"], "errors": {}})
        start = int(req.param("startAt") or 0)
        size = min(int(req.param("maxResults") or 50), 50)
        page = _JIRA_ISSUES[start : start + size]
        return Response(
            200, {"startAt": start, "maxResults": size, "total": len(_JIRA_ISSUES), "issues": page}
        )
    return Response(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]})


def start_all() -> dict[str, FakeServer]:
    """One started server per provider, by provider name."""
    return {
        "hubspot": FakeServer(HubSpot(), name="hubspot"),
        "notion": FakeServer(notion, name="notion"),
        "zendesk": FakeServer(zendesk, name="zendesk"),
        "github": FakeServer(GitHub(), name="github"),
        "jira": FakeServer(jira, name="jira"),
    }
