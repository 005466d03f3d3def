"""`init`: a new folder with a working example; refusals; --force never overwrites."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nango_tui import check, dryrun
from nango_tui.codegen import InitError, generate, init_project
from nango_tui.config import load_project
from nango_tui.runtime.connections import list_connections
from tests.support import warm_cli
from tests.support.http_server import Reply, Request
from tests.support.models_module import load_models_module

REPO = Path(__file__).resolve().parent.parent
EXPECTED = [
    ".gitignore",
    "README.md",
    "connections.yaml",
    "github/actions/create-issue.py",
    "github/mocks/issues.json",
    "github/syncs/issues.py",
    "models.py",
    "nango.yaml",
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_init_writes_the_example(tmp_path):
    root = tmp_path / "new"
    report = init_project(root)
    assert report.diagnostics == [] and report.skipped == []
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == sorted(
        [*EXPECTED, ".nango/schema.json"]
    )
    (tmp_path / "reference").write_text("")  # what a plain open() gives under this umask
    expected_mode = stat.S_IMODE((tmp_path / "reference").stat().st_mode)
    for rel in ("nango.yaml", "models.py", "github/syncs/issues.py"):
        assert stat.S_IMODE((root / rel).stat().st_mode) == expected_mode, rel  # not the temp file's 0600
    gitignore = (root / ".gitignore").read_text().splitlines()
    assert {".nango/", ".env"} <= set(gitignore)
    # committed, as the samples do: it holds no secret (issue 15)
    assert "connections.yaml" not in gitignore
    samples_ignore = (Path(__file__).parent.parent / "sample-integrations" / ".gitignore").read_text()
    assert "connections.yaml" not in [line.strip() for line in samples_ignore.splitlines()]
    assert "${" in (root / "connections.yaml").read_text()  # tokens are references, not values


def test_the_example_is_clean_and_generate_leaves_it_alone(tmp_path):
    root = tmp_path / "new"
    init_project(root)
    loaded = load_project(root)
    assert loaded.diagnostics == [], [d.format() for d in loaded.diagnostics]
    report = generate(root)
    assert report.created == [] and not report.models_written and report.orphaned == []
    assert report.left_alone == ["github/actions/create-issue.py", "github/syncs/issues.py"]
    models = load_models_module(root / "models.py")
    assert set(models.MODELS) == {"GithubRepo", "GithubIssue", "GithubCreateIssue"}


def test_the_example_scripts_pass_the_checks(tmp_path):
    root = tmp_path / "new"
    init_project(root)
    result = check.compile_project(root, jobs=1)
    assert result.diagnostics == [], [d.format() for d in result.diagnostics]


def test_connections_example_holds_no_secret_and_loads(tmp_path):
    root = tmp_path / "new"
    init_project(root)
    text = (root / "connections.yaml").read_text()
    data = yaml.safe_load(text)
    connections = data["environments"]["dev"]["connections"]
    assert connections["my-github"]["credentials"] == {"type": "OAUTH2", "access_token": "${GITHUB_TOKEN}"}
    assert connections["github-demo"]["replay"] is True and "credentials" not in connections["github-demo"]
    listed = {c.id for c in list_connections(root, "dev")}
    assert {"github-demo", "my-github"} <= listed


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InitError, match="not empty"):
        init_project(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InitError, match="not a folder"):
        init_project(tmp_path / "afile")


def test_force_adds_what_is_missing_and_overwrites_nothing(tmp_path):
    mine = {
        "nango.yaml": "# my own config, not valid for the example\nintegrations: {}\n",
        "README.md": "my readme\n",
        "github/syncs/issues.py": "# my own issues sync\n",
        "models.py": "# my own models\n",
    }
    for rel, text in mine.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    report = init_project(tmp_path, force=True)
    for rel, text in mine.items():
        assert (tmp_path / rel).read_text() == text, rel
    assert sorted(report.skipped) == sorted(mine)
    assert {"connections.yaml", ".gitignore", "github/actions/create-issue.py"} <= set(report.created)
    assert not (tmp_path / "models.py.bak").exists()


def test_cli_init_default_folder_and_refusal(tmp_path):
    first = run_cli("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "nango-integrations/nango.yaml").is_file()
    assert "created   nango.yaml" in first.stdout and "dryrun issues github-demo" in first.stdout
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 1 and "not empty" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = run_cli("init", "nango-integrations", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and "kept      nango.yaml (exists: not overwritten)" in forced.stdout


# -- the example runs ------------------------------------------------------------------------


def _dryrun(request) -> list[dict]:
    async def collect():
        run = await dryrun.start_dryrun(request)
        return [event async for event in run.events()]

    return asyncio.run(collect())


def test_the_example_sync_runs_offline_on_the_demo_connection(tmp_path):
    root = tmp_path / "new"
    init_project(root)
    events = _dryrun(
        dryrun.DryrunRequest(
            root=root, name="issues", connection_id="github-demo", validation=True, timeout=30
        )
    )
    done = events[-1]
    assert done["type"] == "done" and done["status"] == "ok", events
    saved = [r for e in events if e["type"] == "batch" for r in e["records"]]
    expected = json.loads((root / "github/mocks/issues.json").read_text())["expected"]["records"][
        "GithubIssue"
    ]
    assert saved == expected  # the pull request in the saved page is left out


def test_the_example_passes_its_saved_test(tmp_path):
    root = tmp_path / "new"
    init_project(root)
    result = run_cli("test", "--dir", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS github/issues" in result.stdout


def _create_issue(request: Request) -> Reply:
    """GitHub's POST /repos/{owner}/{repo}/issues, enough for the example action."""
    body = request.json()
    issue = {
        "id": 77,
        "number": 7,
        "title": body["title"],
        "state": "open",
        "user": {"login": "me"},
        "labels": [{"name": n} for n in body.get("labels", [])],
        "html_url": "https://github.com/me/repo/issues/7",
        "created_at": "2024-06-01T00:00:00Z",
        "updated_at": "2024-06-01T00:00:00Z",
        "closed_at": None,
    }
    return Reply(201, issue)


def test_the_example_action_creates_an_issue_on_a_local_server(tmp_path, local_server):
    root = tmp_path / "new"
    init_project(root)
    local_server.route("POST", "/repos/me/repo/issues", _create_issue)
    data = yaml.safe_load((root / "connections.yaml").read_text())
    local = dict(data["environments"]["dev"]["connections"]["my-github"])
    local["base_url"] = local_server.url
    local["metadata"] = {"owner": "me", "repo": "repo"}
    data["environments"]["dev"]["connections"]["local-github"] = local
    (root / "connections.yaml").write_text(yaml.safe_dump(data))
    secret = "ghp_supersecret_token_123"
    (root / ".env").write_text(f"GITHUB_TOKEN={secret}\n")  # the way the README says
    request = dryrun.DryrunRequest(
        root=root,
        name="create-issue",
        connection_id="local-github",
        input={"title": "Hello", "labels": ["bug"]},
        validation=True,
        timeout=30,
    )
    events = _dryrun(request)
    assert events[-1]["status"] == "ok", events
    (result,) = [e for e in events if e["type"] == "result"]
    assert result["output"]["number"] == 7 and result["output"]["labels"] == ["bug"]
    (sent,) = local_server.calls("POST", "/repos/me/repo/issues")
    assert sent.json() == {"title": "Hello", "labels": ["bug"]}
    assert sent.headers["authorization"] == f"Bearer {secret}"
    assert secret not in json.dumps(events)
