"""An imitation of the GitHub REST API's issues endpoints for one repository.

- `GET /repos/{owner}/{repo}/issues?state=open|closed|all&since=ISO&sort=created|updated|comments
  &direction=asc|desc&labels=a,b&per_page=N&page=N`: a JSON list (pull requests included, with a
  `pull_request` key, as GitHub does), `Link` header with rel="next"/"last"/"first"/"prev";
  per_page defaults to 30, at most 100; `since` keeps issues updated at or after it.
- `GET /repos/{owner}/{repo}/issues/{number}`.
- `POST /repos/{owner}/{repo}/issues` {title, body?, labels?, assignees?}: 201 with the issue and
  a `Location` header; no title: 422 "Validation Failed" with `missing_field`.
- Errors as GitHub: `{"message", "documentation_url"}`; 401 "Requires authentication" / "Bad
  credentials"; 404 "Not Found" for another repository.
Created issues get fixed timestamps (NOW) so that recordings are deterministic.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .base import FakeServer, Request, Response, serve_forever

TOKEN = "fake-github-token"
OWNER, REPO = "acme", "widgets"
NOW = "2024-06-01T12:00:00Z"
DOCS = "https://docs.github.com/rest"

_USERS = {
    "octocat": 583231,
    "hubot": 1111,
    "monalisa": 2222,
    "defunkt": 2,
}
_LABELS = {
    "bug": ("d73a4a", 101),
    "enhancement": ("a2eeef", 102),
    "documentation": ("0075ca", 103),
    "good first issue": ("7057ff", 104),
}
# (title, author, labels, assignee, state, created, updated, comments, is pull request)
_ISSUES = [
    (
        "Widget spins forever on empty input",
        "monalisa",
        ["bug"],
        "octocat",
        "open",
        "2024-01-02T10:00:00Z",
        "2024-01-04T09:00:00Z",
        3,
        False,
    ),
    (
        "Add dark mode to the dashboard",
        "hubot",
        ["enhancement"],
        None,
        "open",
        "2024-01-05T08:30:00Z",
        "2024-02-10T11:20:00Z",
        7,
        False,
    ),
    (
        "Document the retry settings",
        "octocat",
        ["documentation"],
        "octocat",
        "closed",
        "2024-01-06T12:00:00Z",
        "2024-01-20T16:00:00Z",
        1,
        False,
    ),
    (
        "Crash when the config file is missing",
        "defunkt",
        ["bug"],
        "monalisa",
        "open",
        "2024-01-09T14:45:00Z",
        "2024-03-02T08:00:00Z",
        5,
        False,
    ),
    (
        "Typo in README install step",
        "hubot",
        ["documentation", "good first issue"],
        None,
        "closed",
        "2024-01-11T09:10:00Z",
        "2024-01-12T10:00:00Z",
        0,
        False,
    ),
    (
        "Support proxies from the environment",
        "monalisa",
        ["enhancement"],
        "defunkt",
        "open",
        "2024-01-15T17:00:00Z",
        "2024-02-21T13:13:00Z",
        2,
        False,
    ),
    (
        "Speed up widget rendering",
        "octocat",
        [],
        None,
        "open",
        "2024-01-18T11:00:00Z",
        "2024-01-25T12:00:00Z",
        0,
        True,
    ),
    (
        "Flaky test: test_spin_timeout",
        "defunkt",
        ["bug"],
        "hubot",
        "closed",
        "2024-01-22T15:30:00Z",
        "2024-02-01T09:45:00Z",
        4,
        False,
    ),
    (
        "Export widgets as CSV",
        "monalisa",
        ["enhancement"],
        None,
        "open",
        "2024-01-26T10:20:00Z",
        "2024-03-15T10:00:00Z",
        9,
        False,
    ),
    (
        "Error message says 'undefined'",
        "hubot",
        ["bug", "good first issue"],
        "octocat",
        "open",
        "2024-01-30T08:00:00Z",
        "2024-02-02T08:30:00Z",
        1,
        False,
    ),
    (
        "Bump httpx to 0.27",
        "octocat",
        [],
        None,
        "closed",
        "2024-02-01T07:00:00Z",
        "2024-02-01T09:00:00Z",
        0,
        True,
    ),
    (
        "Keyboard shortcuts cheat sheet",
        "defunkt",
        ["documentation"],
        None,
        "open",
        "2024-02-04T19:00:00Z",
        "2024-02-04T19:00:00Z",
        0,
        False,
    ),
    (
        "Widgets lose their colour after restart",
        "monalisa",
        ["bug"],
        "monalisa",
        "open",
        "2024-02-07T13:00:00Z",
        "2024-03-20T15:00:00Z",
        6,
        False,
    ),
    (
        "Allow more than 100 widgets per page",
        "hubot",
        ["enhancement"],
        "defunkt",
        "closed",
        "2024-02-09T09:30:00Z",
        "2024-02-28T17:00:00Z",
        2,
        False,
    ),
    (
        "Timezone shown as UTC in the footer",
        "octocat",
        ["bug"],
        None,
        "open",
        "2024-02-13T16:40:00Z",
        "2024-02-14T08:00:00Z",
        1,
        False,
    ),
    (
        "Translate the UI to French",
        "defunkt",
        ["enhancement", "good first issue"],
        None,
        "open",
        "2024-02-16T11:11:00Z",
        "2024-03-05T12:00:00Z",
        3,
        False,
    ),
    (
        "Deleting a widget leaves an orphan row",
        "monalisa",
        ["bug"],
        "hubot",
        "open",
        "2024-02-19T10:00:00Z",
        "2024-03-25T09:00:00Z",
        8,
        False,
    ),
    (
        "Explain widget permissions",
        "hubot",
        ["documentation"],
        "octocat",
        "closed",
        "2024-02-22T14:00:00Z",
        "2024-03-01T10:00:00Z",
        2,
        False,
    ),
    (
        "Search ignores accents",
        "octocat",
        ["bug"],
        None,
        "open",
        "2024-02-26T09:00:00Z",
        "2024-03-10T14:30:00Z",
        4,
        False,
    ),
    (
        "Add a health endpoint",
        "defunkt",
        ["enhancement"],
        "defunkt",
        "open",
        "2024-03-01T08:15:00Z",
        "2024-03-01T08:15:00Z",
        0,
        False,
    ),
    (
        "Sort widgets by last use",
        "monalisa",
        ["enhancement"],
        None,
        "open",
        "2024-03-04T12:00:00Z",
        "2024-03-18T12:00:00Z",
        1,
        False,
    ),
    (
        "Login page flickers on Safari",
        "hubot",
        ["bug"],
        "monalisa",
        "open",
        "2024-03-08T10:30:00Z",
        "2024-03-28T16:45:00Z",
        5,
        False,
    ),
    (
        "Changelog for 2.0",
        "octocat",
        ["documentation"],
        "octocat",
        "open",
        "2024-03-12T15:00:00Z",
        "2024-03-12T15:00:00Z",
        0,
        False,
    ),
    (
        "Widget names longer than 64 characters are cut",
        "defunkt",
        ["bug", "good first issue"],
        None,
        "open",
        "2024-03-16T09:45:00Z",
        "2024-03-27T11:00:00Z",
        2,
        False,
    ),
    (
        "Rewrite the importer",
        "monalisa",
        [],
        "hubot",
        "open",
        "2024-03-20T13:20:00Z",
        "2024-03-29T10:00:00Z",
        0,
        True,
    ),
    (
        "Widgets API returns 500 on unicode names",
        "hubot",
        ["bug"],
        "defunkt",
        "open",
        "2024-03-24T08:05:00Z",
        "2024-03-30T18:00:00Z",
        3,
        False,
    ),
]


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": _USERS[login], "type": "User", "html_url": f"https://github.com/{login}"}


def _label(name: str) -> dict[str, Any]:
    colour, label_id = _LABELS.get(name, ("ededed", 100 + len(name)))
    return {
        "id": label_id,
        "name": name,
        "color": colour,
        "default": name in ("bug", "enhancement", "documentation"),
    }


def _issue(
    number: int,
    title: str,
    body: str | None,
    author: str,
    labels: list[str],
    assignee: str | None,
    state: str,
    created: str,
    updated: str,
    comments: int,
    pull: bool,
) -> dict[str, Any]:
    api = f"https://api.github.com/repos/{OWNER}/{REPO}"
    issue: dict[str, Any] = {
        "url": f"{api}/issues/{number}",
        "html_url": f"https://github.com/{OWNER}/{REPO}/{'pull' if pull else 'issues'}/{number}",
        "id": 2000000000 + number,
        "node_id": f"I_kwDOAcme{number:05d}",
        "number": number,
        "title": title,
        "user": _user(author),
        "labels": [_label(name) for name in labels],
        "state": state,
        "locked": False,
        "assignee": _user(assignee) if assignee else None,
        "assignees": [_user(assignee)] if assignee else [],
        "comments": comments,
        "created_at": created,
        "updated_at": updated,
        "closed_at": updated if state == "closed" else None,
        "author_association": "MEMBER",
        "body": body,
    }
    if pull:
        issue["pull_request"] = {
            "url": f"{api}/pulls/{number}",
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
        }
    return issue


def issues() -> list[dict[str, Any]]:
    """The fixed data set (issues and pull requests), by number."""
    return [
        _issue(
            n,
            title,
            f"Reported by @{author}." if n % 4 else None,
            author,
            labels,
            assignee,
            state,
            created,
            updated,
            comments,
            pull,
        )
        for n, (title, author, labels, assignee, state, created, updated, comments, pull) in enumerate(
            _ISSUES, start=1
        )
    ]


def _error(status: int, message: str, **extra: Any) -> Response:
    return Response(status, {"message": message, **extra, "documentation_url": DOCS})


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class GitHubApi:
    """The request handler; holds the repository's issues (created ones included)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.issues = issues()

    def __call__(self, req: Request) -> Response:
        auth = req.headers.get("authorization", "")
        if not auth:
            return _error(401, "Requires authentication")
        token = auth.split(None, 1)[1].strip() if " " in auth else ""
        if not auth.lower().startswith(("bearer ", "token ")) or token != self.token:
            return _error(401, "Bad credentials")
        m = re.match(r"^/repos/([^/]+)/([^/]+)/issues(?:/(\d+))?/?$", req.path)
        if not m or (m[1], m[2]) != (OWNER, REPO):
            return _error(404, "Not Found")
        if m[3]:
            if req.method != "GET":
                return _error(404, "Not Found")
            found = next((i for i in self.issues if i["number"] == int(m[3])), None)
            return Response(200, found) if found else _error(404, "Not Found")
        if req.method == "GET":
            return self._list(req)
        if req.method == "POST":
            return self._create(req)
        return _error(404, "Not Found")

    def _list(self, req: Request) -> Response:
        state = req.param("state", "open")
        if state not in ("open", "closed", "all"):
            return _error(
                422, "Validation Failed", errors=[{"resource": "Issue", "field": "state", "code": "invalid"}]
            )
        rows = [i for i in self.issues if state == "all" or i["state"] == state]
        if since := req.param("since"):
            try:
                limit = _parse_time(since)
            except ValueError:
                return _error(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "Issue", "field": "since", "code": "invalid"}],
                )
            rows = [i for i in rows if _parse_time(i["updated_at"]) >= limit]
        if labels := req.param("labels"):
            wanted = {name.strip() for name in labels.split(",")}
            rows = [i for i in rows if wanted <= {label["name"] for label in i["labels"]}]
        sort = req.param("sort", "created")
        key = {"created": "created_at", "updated": "updated_at", "comments": "comments"}.get(
            sort or "created", "created_at"
        )
        rows.sort(key=lambda i: (i[key], i["number"]), reverse=req.param("direction", "desc") != "asc")
        try:
            per_page = min(100, max(1, int(req.param("per_page", "30") or 30)))
            page = max(1, int(req.param("page", "1") or 1))
        except ValueError:
            return _error(400, "Invalid per_page or page")
        last = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        return Response(200, chunk, {"Link": self._links(req, page, last)} if last > 1 else {})

    def _links(self, req: Request, page: int, last: int) -> str:
        def url(n: int) -> str:
            params = {k: v[-1] for k, v in req.query.items()}
            params["page"] = str(n)
            return f"<{req.base_url}{req.path}?{urlencode(params)}>"

        links = []
        if page > 1:
            links.append(f'{url(page - 1)}; rel="prev"')
        if page < last:
            links += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            links.append(f'{url(1)}; rel="first"')
        return ", ".join(links)

    def _create(self, req: Request) -> Response:
        try:
            data = req.json()
        except ValueError:
            return _error(400, "Problems parsing JSON")
        if not isinstance(data, dict) or not data.get("title"):
            return _error(
                422,
                "Validation Failed",
                errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
            )
        assignees = [a for a in data.get("assignees") or [] if a in _USERS]
        number = max(i["number"] for i in self.issues) + 1
        issue = _issue(
            number,
            str(data["title"]),
            data.get("body"),
            "octocat",
            list(data.get("labels") or []),
            assignees[0] if assignees else None,
            "open",
            NOW,
            NOW,
            0,
            False,
        )
        self.issues.append(copy.deepcopy(issue))
        return Response(201, issue, {"Location": issue["url"]})


def start_github(port: int = 0, *, token: str = TOKEN) -> FakeServer:
    """A started imitation of api.github.com on 127.0.0.1 (repository acme/widgets)."""
    return FakeServer(GitHubApi(token), port, name="github")


if __name__ == "__main__":
    serve_forever("github", lambda port: start_github(port), TOKEN)
