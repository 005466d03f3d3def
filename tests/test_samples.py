"""sample-integrations/: every script replays offline, compiles clean, and its mocks are current."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.fake_providers import salesforce
from tests.fake_providers.samples import TOKENS, all_providers, connections_yaml
from tests.support.paths import REPO, SAMPLES

NANGO_TUI = [sys.executable, "-m", "nango_tui"]
# every sample script: (integration, name, kind, demo connection)
SCRIPTS = [
    ("salesforce", "contacts", "sync"),
    ("salesforce", "fetch-fields", "action"),
    ("github", "issues", "sync"),
    ("github", "create-issue", "action"),
    ("linear", "issues", "sync"),
    ("linear", "teams", "sync"),
]


DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there
NO_ROUTE_ENV = {
    "HTTP_PROXY": DEAD_PROXY,
    "HTTPS_PROXY": DEAD_PROXY,
    "ALL_PROXY": DEAD_PROXY,
    "NO_PROXY": "",
    "no_proxy": "",
}


def _network_cut(force_fallback: bool = False) -> tuple[list[str], dict[str, str]]:
    """A command prefix and environment that leave a process no network at all.

    `unshare -rn` (a fresh network namespace: not even loopback is up) where it works; else
    every proxy pointing at a closed local port, so any request that escapes fails loudly.
    """
    if (
        not force_fallback
        and shutil.which("unshare")
        and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
    ):
        return ["unshare", "-rn"], {}
    return [], dict(NO_ROUTE_ENV)


def _run_offline(
    args: list[str], cwd: Path = REPO, force_fallback: bool = False
) -> subprocess.CompletedProcess:
    prefix, extra = _network_cut(force_fallback)
    env = {**os.environ, **extra, "NO_COLOR": "1"}
    return subprocess.run(
        [*prefix, *NANGO_TUI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _mocks(integration: str, name: str) -> dict:
    return json.loads((SAMPLES / integration / "mocks" / f"{name}.json").read_text())


@pytest.fixture
def samples_copy(tmp_path: Path) -> Path:
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns(".nango", "__pycache__"))
    return target


@pytest.mark.parametrize("force_fallback", [False, True], ids=["unshare-or-fallback", "fallback"])
def test_the_network_is_really_cut(force_fallback):
    prefix, extra = _network_cut(force_fallback)
    code = "import httpx\ntry:\n    httpx.get('https://api.github.com', timeout=3)\nexcept httpx.HTTPError:\n    print('no network')"
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        env={**os.environ, **extra},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == "no network", done.stderr


@pytest.mark.parametrize("integration, name, kind", SCRIPTS)
def test_every_sample_replays_offline_with_its_demo_connection(integration, name, kind):
    mocks = _mocks(integration, name)
    args = [
        "dryrun",
        name,
        f"{integration}-demo",
        "--integration-id",
        integration,
        "--dir",
        str(SAMPLES),
        "--json",
    ]
    if kind == "action":
        args += ["--input", json.dumps(mocks["inputs"]["input"])]
    done = _run_offline(args)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events[0]["type"] == "start" and events[0]["replay"] is True
    assert events[-1]["type"] == "done" and events[-1]["status"] == "ok"
    assert events[-1]["requests"] == len(mocks["exchanges"]) > 0
    saved: dict[str, list] = {}
    for event in events:
        if event["type"] == "batch":
            saved.setdefault(event["model"], []).extend(event["records"])
    assert saved == mocks["expected"]["records"]
    if kind == "action":
        [result] = [e for e in events if e["type"] == "result"]
        assert result["output"] == mocks["expected"]["output"]
    else:
        assert sum(len(r) for r in saved.values()) >= 2


@pytest.mark.parametrize("force_fallback", [False, True], ids=["unshare-or-fallback", "fallback"])
def test_nango_tui_test_passes_on_the_samples_offline(force_fallback):
    done = _run_offline(["test", "--dir", str(SAMPLES)], force_fallback=force_fallback)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == len(SCRIPTS)
    assert "PASS salesforce/contacts (sync)  24 records" in done.stdout
    assert lines[-1].startswith(f"{len(SCRIPTS)} passed")


def test_compile_is_clean_and_models_py_is_current(samples_copy):
    done = subprocess.run(
        [*NANGO_TUI, "compile", "--dir", str(samples_copy), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []
    # compile regenerates models.py: the committed one must be what it writes
    assert (samples_copy / "models.py").read_text() == (SAMPLES / "models.py").read_text()
    validate = subprocess.run(
        [*NANGO_TUI, "validate", "--dir", str(SAMPLES), "--json"], capture_output=True, text=True, timeout=60
    )
    assert validate.returncode == 0 and json.loads(validate.stdout) == []


def test_samples_use_what_the_issue_asks_for():
    from nango_tui.config import load_project

    project = load_project(SAMPLES).project
    assert project is not None
    contacts = project.integrations["salesforce"].syncs["contacts"]
    assert (contacts.runs_seconds, contacts.output, contacts.sync_type) == (1800, ["Contact"], "incremental")
    create = project.integrations["github"].actions["create-issue"]
    assert (create.input, create.output) == ("GithubCreateIssue", ["GithubIssue"])
    issue = project.models["LinearIssue"]
    assert issue.extends == ("LinearEntity",) and issue.field("estimate").optional
    sources = {p.relative_to(SAMPLES).as_posix(): p.read_text() for p in SAMPLES.glob("*/*/*.py")}
    assert "nango.last_sync_date" in sources["salesforce/syncs/contacts.py"]
    assert (
        "nango.paginate(" in sources["salesforce/syncs/contacts.py"]
        and "nango.paginate(" in sources["github/syncs/issues.py"]
    )
    assert "ActionError" in sources["salesforce/actions/fetch-fields.py"]


def test_connections_yaml_holds_no_secret():
    data = yaml.safe_load((SAMPLES / "connections.yaml").read_text())
    conns = data["environments"]["dev"]["connections"]
    demos = {k: v for k, v in conns.items() if k.endswith("-demo")}
    assert set(demos) == {"salesforce-demo", "github-demo", "linear-demo"}
    assert all(v["replay"] is True and "credentials" not in v for v in demos.values())
    for conn_id, conn in conns.items():
        for key, value in (conn.get("credentials") or {}).items():
            if key != "type":
                assert re.fullmatch(r"\$\{[A-Z_]+\}", value), (
                    f"{conn_id}: {key} must come from the environment"
                )
    assert ".env" in (SAMPLES / ".gitignore").read_text().split()


def test_no_token_or_local_address_in_the_saved_responses():
    for path in SAMPLES.glob("*/mocks/*.json"):
        text = path.read_text()
        for token in TOKENS.values():
            assert token not in text, path
        assert "127.0.0.1" not in text and "authorization" not in text.lower(), path


def test_mocks_are_reproducible_from_the_imitations(samples_copy):
    """Re-recording into a copy gives exactly the committed mocks (the imitations are deterministic)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "record_sample_mocks.py"), "--dir", str(samples_copy)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("recorded ") == len(SCRIPTS)
    for integration, name, _ in SCRIPTS:
        rel = Path(integration) / "mocks" / f"{name}.json"
        assert json.loads((samples_copy / rel).read_text()) == json.loads((SAMPLES / rel).read_text()), rel


# -- live runs against the imitations: incremental syncs and the action's error ---------------------


def _live(root: Path, name: str, integration: str, **options) -> list[dict]:
    from nango_tui.dryrun import DryrunRequest, start_dryrun

    async def main() -> list[dict]:
        run = await start_dryrun(
            DryrunRequest(
                root=root,
                name=name,
                connection_id=f"{integration}-demo",
                integration=integration,
                replay=False,
                timeout=60,
                **options,
            )
        )
        return [event async for event in run.events()]

    return asyncio.run(main())


def _records(events: list[dict]) -> list[dict]:
    return [r for e in events if e["type"] == "batch" for r in e["records"]]


def test_incremental_syncs_ask_only_for_what_changed_since_last_sync_date(samples_copy):
    since = datetime(2024, 3, 20, 15, 0, tzinfo=UTC)
    with all_providers() as servers:
        (samples_copy / "connections.yaml").write_text(connections_yaml(servers))
        contacts = _records(_live(samples_copy, "contacts", "salesforce", last_sync_date=since))
        issues = _records(_live(samples_copy, "issues", "github", last_sync_date=since))
        linear_issues = _records(_live(samples_copy, "issues", "linear", last_sync_date=since))
        github_asked = [r.target for r in servers["github"].requests if r.method == "GET"]
    assert [c["last_name"] for c in contacts] == ["Sammet", "Wirth", "Wilson"]
    assert all(c["last_modified_date"] > "2024-03-20T15:00:00" for c in contacts)
    assert sorted(i["number"] for i in issues) == [13, 17, 22, 24, 26]  # 25 is a pull request
    assert all("since=2024-03-20T15%3A00%3A00Z" in path for path in github_asked)
    assert [i["title"] for i in linear_issues] == [
        "Retry failed invoice syncs",
        "Timezone bug in reports",
        "Pricing page layout",
        "CSV export times out",
        "Webhook signature check",
        "Usage metrics endpoint",
    ]
    assert all(i["updated_at"] > "2024-03-20T15:00:00" for i in linear_issues)


def test_fetch_fields_turns_an_unknown_id_into_an_action_error(samples_copy):
    with all_providers() as servers:
        (samples_copy / "connections.yaml").write_text(connections_yaml(servers))
        events = _live(samples_copy, "fetch-fields", "salesforce", input={"id": "003000000000000AAA"})
        found = _live(
            samples_copy, "fetch-fields", "salesforce", input={"id": salesforce.contacts()[4]["Id"]}
        )
    [error] = [e for e in events if e["type"] == "error"]
    assert error["kind"] == "action_error"
    assert error["payload"] == {
        "message": "no Salesforce contact has the id '003000000000000AAA'",
        "id": "003000000000000AAA",
    }
    assert events[-1]["status"] == "failed"
    [result] = [e for e in found if e["type"] == "result"]
    values = {f["name"]: f.get("value") for f in result["output"]["fields"]}
    assert values["LastName"] == "Dijkstra" and values["Email"] is None


def test_test_imports_neither_pydantic_nor_the_config_loader_in_its_own_process(samples_copy):
    """`nango-tui test` reads the scripts from dryrun's cached table: with it current, the parent
    needs no pydantic (the replays' children have it). An eager import of the loader once cost
    the command ~0.2-0.6 s of CPU (issue 18)."""
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from nango_tui.dryrun.regress import run_command\n"
        f"code = run_command(Path({str(samples_copy)!r}), [], as_json=True)\n"
        "print(code, 'pydantic' in sys.modules, 'nango_tui.config.loader' in sys.modules)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
        for _ in range(2)  # the first writes the script table's cache
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[1].stdout.strip().splitlines()[-1] == "0 False False", runs[1].stdout + runs[1].stderr
