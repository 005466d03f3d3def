"""`init`: a new integrations folder holding a small working example (GitHub issues).

What it writes: nango.yaml, the two scripts (working code, not scaffolds), saved responses
for an offline demo connection, connections.yaml for the dev environment (tokens as
`${ENV_VAR}`), .gitignore, a README of next steps; then `generate` writes models.py and
.nango/schema.json. It refuses a folder that is not empty unless forced, and even then never
overwrites a file that exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nango_tui.config import Diagnostic, load_project
from nango_tui.config.names import PathOutsideFolder, inside_folder

from .generate import MODELS_FILE, create_new, generate

DEFAULT_FOLDER = "nango-integrations"


class InitError(Exception):
    """init cannot go on (a folder that is not empty, a path that is a file ...); the message says why."""


@dataclass
class InitReport:
    root: Path
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # existed already: left as they were
    diagnostics: list[Diagnostic] = field(default_factory=list)


NANGO_YAML = """\
# The integrations of this folder: syncs, actions and the models they use.
# After a change, `nango-tui generate` rewrites models.py and scaffolds new scripts.
integrations:
    github:
        syncs:
            issues:
                description: |
                    Fetches the issues of the repository named in the connection's metadata
                    (owner, repo), those updated since the last run; pull requests are left out
                runs: every hour
                sync_type: incremental
                output: GithubIssue
                input: GithubRepo
                endpoint: GET /issues
                scopes: repo
        actions:
            create-issue:
                description: Opens an issue in the repository named in the connection's metadata
                input: GithubCreateIssue
                output: GithubIssue
                endpoint: POST /issues
                scopes: repo

models:
    GithubRepo:
        owner: string
        repo: string
    GithubIssue:
        id: string
        number: integer
        title: string
        state: open | closed
        author: string | null
        labels: string[]
        url: string
        created_at: date
        updated_at: date
        closed_at: date | null
    GithubCreateIssue:
        title: string
        body?: string
        labels?: string[]
"""

SYNC_ISSUES = '''\
"""The issues of one GitHub repository, incrementally: those updated since the last run.

The repository comes from the connection's metadata, {"owner": ..., "repo": ...} (GithubRepo).
GitHub pages with a `Link` header (rel="next"); its issues list also holds pull requests,
which are left out.
"""

from datetime import timezone

from nango_tui.sdk import NangoSync

from models import GithubIssue, GithubRepo


async def fetch_data(nango: NangoSync) -> None:
    """Pages through the repository's issues, oldest change first, and saves them."""
    metadata = await nango.get_metadata() or {}
    if not metadata.get("owner") or not metadata.get("repo"):
        raise ValueError("the connection's metadata needs `owner` and `repo` (see connections.yaml)")
    repo = GithubRepo.model_validate(metadata)

    params = {"state": "all", "sort": "updated", "direction": "asc"}
    if nango.last_sync_date:
        params["since"] = nango.last_sync_date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    async for page in nango.paginate(
        f"/repos/{repo.owner}/{repo.repo}/issues",
        params=params,
        paginate={"type": "link", "link_rel_in_response_header": "next", "limit": 100, "limit_name_in_request": "per_page"},
    ):
        issues = [to_issue(item) for item in page if "pull_request" not in item]
        await nango.batch_save(issues, "GithubIssue")


def to_issue(item: dict) -> GithubIssue:
    """One issue of GitHub's API as a GithubIssue record."""
    return GithubIssue(
        id=str(item["id"]),
        number=item["number"],
        title=item["title"],
        state=item["state"],
        author=(item.get("user") or {}).get("login"),
        labels=[label["name"] for label in item.get("labels") or []],
        url=item["html_url"],
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        closed_at=item.get("closed_at"),
    )
'''

ACTION_CREATE_ISSUE = '''\
"""Opens an issue in the repository named in the connection's metadata and returns it."""

from nango_tui.sdk import ActionError, NangoAction

from models import GithubCreateIssue, GithubIssue, GithubRepo


async def run_action(nango: NangoAction, input: GithubCreateIssue) -> GithubIssue:
    """POSTs the issue; GitHub answers 201 with the issue it created."""
    metadata = await nango.get_metadata() or {}
    if not metadata.get("owner") or not metadata.get("repo"):
        raise ActionError({"message": "the connection's metadata needs `owner` and `repo` (see connections.yaml)"})
    repo = GithubRepo.model_validate(metadata)
    response = await nango.post(
        f"/repos/{repo.owner}/{repo.repo}/issues",
        json=input.model_dump(by_alias=True, exclude_unset=True),
    )
    if response.status_code != 201:
        raise ActionError({"message": "GitHub did not create the issue", "status": response.status_code, "body": response.text[:500]})
    item = response.json()
    return GithubIssue(
        id=str(item["id"]),
        number=item["number"],
        title=item["title"],
        state=item["state"],
        author=(item.get("user") or {}).get("login"),
        labels=[label["name"] for label in item.get("labels") or []],
        url=item["html_url"],
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        closed_at=item.get("closed_at"),
    )
'''

CONNECTIONS_YAML = """\
# Local connections for `nango-tui dryrun NAME CONNECTION_ID` (the dev environment).
# Any value may be ${ENV_VAR}: it is read from the environment or from .env. Keep tokens out of
# this file: it is meant to be committed (as the samples do); .gitignore keeps .env out of git.
environments:
    dev:
        connections:
            # Offline: no credentials; answers come from github/mocks/ (`replay: true`).
            github-demo:
                integration: github
                provider: github
                replay: true
                metadata:
                    owner: octocat
                    repo: hello-world
            # Your account: `export GITHUB_TOKEN=ghp_...` (a personal access token), then
            # `nango-tui dryrun issues my-github`.
            my-github:
                integration: github
                provider: github
                credentials:
                    type: OAUTH2
                    access_token: ${GITHUB_TOKEN}
                metadata:
                    owner: octocat
                    repo: Hello-World
"""

GITIGNORE = """\
# connections.yaml is committed: it holds no secret (tokens are ${VAR}s read from .env)
# local state of nango-tui (dryrun history, caches, schema.json)
.nango/
# your tokens
.env
# a hand-edited models.py that `generate` moved aside
models.py.bak
__pycache__/
"""

README = """\
# Integrations

Built with nango-tui: `nango.yaml` declares the syncs, actions and models; `models.py` is
generated from it; each sync and action is a Python script under `<integration>/syncs/` or
`<integration>/actions/`.

## Next steps

1. Look around: `nango-tui` opens the workbench on this folder.
2. Run the example offline: `nango-tui dryrun issues github-demo` replays the responses saved in
   `github/mocks/issues.json`; `nango-tui test` replays them and compares the records with the
   ones saved there.
3. Run it against GitHub: `export GITHUB_TOKEN=ghp_...` (a personal access token), set `owner`
   and `repo` of `my-github` in `connections.yaml`, then `nango-tui dryrun issues my-github`.
   `nango-tui dryrun create-issue my-github --input '{"title": "Hello"}'` opens an issue.
4. Add your own: declare a sync or action (and its models) in `nango.yaml`, run
   `nango-tui generate` (models.py, plus a scaffold for every script that has none; it never
   touches a script that exists), and fill in the scaffold. `nango-tui dev` re-checks everything
   on every save; `nango-tui compile` checks once.

`connections.yaml` holds the local connections per environment; tokens are `${ENV_VAR}`s,
read from the environment or from `.env`. Commit `connections.yaml`; `.env` stays out of git
(`.gitignore`).
"""


def _mock_issue(
    number: int, title: str, state: str, labels: list[str], created: str, updated: str, closed: str | None
) -> dict[str, Any]:
    return {
        "id": 1000 + number,
        "number": number,
        "title": title,
        "state": state,
        "user": {"login": "octocat"},
        "labels": [{"name": name} for name in labels],
        "html_url": f"https://github.com/octocat/hello-world/issues/{number}",
        "created_at": created,
        "updated_at": updated,
        "closed_at": closed,
    }


def _issues_mocks() -> str:
    issues = [
        _mock_issue(
            1,
            "Add a README",
            "closed",
            ["docs"],
            "2024-05-01T09:00:00Z",
            "2024-05-02T10:00:00Z",
            "2024-05-02T10:00:00Z",
        ),
        _mock_issue(
            2,
            "Crash when the title is empty",
            "open",
            ["bug"],
            "2024-05-03T11:30:00Z",
            "2024-05-04T08:15:00Z",
            None,
        ),
        _mock_issue(3, "Support dark mode", "open", [], "2024-05-05T16:45:00Z", "2024-05-05T16:45:00Z", None),
    ]
    pull_request = dict(
        _mock_issue(4, "Fix the crash", "open", [], "2024-05-06T12:00:00Z", "2024-05-06T12:00:00Z", None)
    )
    pull_request["pull_request"] = {"url": "https://api.github.com/repos/octocat/hello-world/pulls/4"}
    mocks = {
        "format": 1,
        "integration": "github",
        "script": "issues",
        "kind": "sync",
        "inputs": {
            "input": None,
            "metadata": {"owner": "octocat", "repo": "hello-world"},
            "last_sync_date": None,
        },
        "exchanges": [
            {
                "method": "GET",
                "url": "https://api.github.com/repos/octocat/hello-world/issues",
                "query": {"direction": "asc", "per_page": "100", "sort": "updated", "state": "all"},
                "request_body": None,
                "status": 200,
                "headers": {"content-type": "application/json; charset=utf-8"},
                "body": [*issues, pull_request],
            }
        ],
        "expected": {
            "records": {
                "GithubIssue": [
                    {
                        "id": str(i["id"]),
                        "number": i["number"],
                        "title": i["title"],
                        "state": i["state"],
                        "author": "octocat",
                        "labels": [label["name"] for label in i["labels"]],
                        "url": i["html_url"],
                        "created_at": i["created_at"],
                        "updated_at": i["updated_at"],
                        "closed_at": i["closed_at"],
                    }
                    for i in issues
                ]
            },
            "updated": {},
            "deleted": {},
        },
    }
    return json.dumps(mocks, indent=2) + "\n"


def example_files() -> dict[str, str]:
    """The files init writes before generating (path relative to the folder -> text)."""
    return {
        "nango.yaml": NANGO_YAML,
        "github/syncs/issues.py": SYNC_ISSUES,
        "github/actions/create-issue.py": ACTION_CREATE_ISSUE,
        "github/mocks/issues.json": _issues_mocks(),
        "connections.yaml": CONNECTIONS_YAML,
        ".gitignore": GITIGNORE,
        "README.md": README,
    }


def init_project(path: Path, force: bool = False) -> InitReport:
    """Create the example integrations folder at `path`; InitError when it cannot."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise InitError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise InitError(
            f"{root} is not empty; use --force to add the example's missing files (nothing that exists is overwritten)"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InitError(f"cannot create {root}: {exc.strerror or exc}") from exc
    report = InitReport(root=root)
    had_models = (root / MODELS_FILE).exists()
    try:
        for rel, text in example_files().items():
            target = inside_folder(root, rel)
            if target.exists() or target.is_symlink() or not create_new(target, text):
                report.skipped.append(rel)
            else:
                report.created.append(rel)
    except PathOutsideFolder as exc:
        raise InitError(str(exc)) from None
    except OSError as exc:
        raise InitError(f"cannot write into {root}: {exc.strerror or exc}") from exc
    if had_models:
        report.skipped.append(MODELS_FILE)
        # nothing generated, but an invalid nango.yaml that was there already is still an error
        report.diagnostics = load_project(root).diagnostics
        return report
    generated = generate(root)
    report.diagnostics = generated.diagnostics
    report.created += [p for p in generated.created if p not in report.created]
    if generated.schema_written:
        report.created.append(".nango/schema.json")
    return report
