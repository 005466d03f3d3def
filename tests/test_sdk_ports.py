"""Issue 11 "Done when": Python ports of Nango templates, five providers with five pagination
shapes and two actions (one without input), against imitations on 127.0.0.1.

Each port generates, compiles clean, dry-runs with Nango's record semantics, is recorded with
--save-responses and then passes `nango-tui test` (replayed with the network unused).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from nango_tui.cli import main as cli_main
from nango_tui.dryrun import DryrunRequest, start_dryrun
from nango_tui.dryrun.regress import run_tests
from tests.fake_providers.ported import CLOUD_ID, TOKEN, start_all

PORTS = Path(__file__).parent / "ports"
SCRIPTS = [
    ("hubspot", "contacts", None),
    ("hubspot", "create-contact", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}),
    ("hubspot", "fetch-account-information", None),
    ("notion", "databases", None),
    ("zendesk", "tickets", None),
    ("github", "issues", None),
    ("jira", "issues", None),
]


@pytest.fixture(scope="module")
def servers():
    started = start_all()
    yield started
    for server in started.values():
        server.stop()


def _connections(servers) -> str:
    lines = ["environments:", "  dev:", "    connections:"]
    for name, server in servers.items():
        lines += [
            f"      {name}-conn:",
            f"        integration: {name}",
            f"        provider: {name}",
            f"        base_url: {server.url}",
            f"        credentials: {{type: OAUTH2, access_token: {TOKEN}}}",
        ]
        if name == "jira":
            lines += [
                f"        connection_config: {{cloudId: {CLOUD_ID}}}",
                "        metadata: {project_keys: [ACME]}",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory, servers) -> Path:
    root = tmp_path_factory.mktemp("ports") / "integrations"
    shutil.copytree(PORTS, root)
    (root / "connections.yaml").write_text(_connections(servers))
    return root


async def _run(root: Path, integration: str, name: str, given, **options) -> list[dict]:
    async def go():
        handle = await start_dryrun(
            DryrunRequest(root, name, f"{integration}-conn", integration=integration, input=given, **options)
        )
        return [e async for e in handle.events()]

    return await asyncio.wait_for(go(), 120)


def _records(events: list[dict], op: str = "save") -> list[dict]:
    return [r for e in events if e["type"] == "batch" and e["op"] == op for r in e["records"]]


def test_1_generate_and_compile_clean(project: Path, capsys):
    scripts = {p: p.read_text() for p in project.rglob("*.py")}
    assert cli_main(["generate", "--dir", str(project)]) == 0
    assert all(p.read_text() == text for p, text in scripts.items())  # no script touched
    capsys.readouterr()
    assert cli_main(["compile", "--dir", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("integration, name, given", SCRIPTS, ids=[f"{i}/{n}" for i, n, _ in SCRIPTS])
def test_2_each_port_runs_and_is_recorded(project: Path, integration, name, given):
    events = asyncio.run(_run(project, integration, name, given, save_responses=True))
    done = events[-1]
    problems = [e for e in events if e["type"] == "error" or (e["type"] == "log" and e["level"] == "error")]
    assert done["status"] == "ok", problems
    assert (project / integration / "mocks" / f"{name}.json").is_file()
    assert TOKEN not in json.dumps(events)


def test_3_record_semantics_are_nangos(project: Path):
    contacts = _records(asyncio.run(_run(project, "hubspot", "contacts", None)))
    assert [c["id"] for c in contacts] == [str(100 + i) for i in range(7)]
    assert contacts[3]["lead_score"] == 30 and json.dumps(contacts[3]).count("30.0") == 0  # 30, not 30.0
    # zendesk: ticket 2 comes again later (the later batch wins), ticket 4 is deleted
    events = asyncio.run(_run(project, "zendesk", "tickets", None))
    saved = _records(events)
    assert [t["id"] for t in saved] == ["1", "2", "3", "2", "5"]
    assert _records(events, "delete") == [{"id": "4"}]
    mocks = json.loads((project / "zendesk/mocks/tickets.json").read_text())
    kept = {t["id"]: t for t in mocks["expected"]["records"]["Ticket"]}
    assert sorted(kept) == ["1", "2", "3", "5"] and kept["2"]["status"] == "solved"
    # github: issue 3 shows on two pages: emitted twice, one record kept
    issues = _records(asyncio.run(_run(project, "github", "issues", None)))
    assert [i["number"] for i in issues] == [1, 2, 3, 3, 4, 5, 6, 7]
    mocks = json.loads((project / "github/mocks/issues.json").read_text())
    assert len(mocks["expected"]["records"]["GithubIssue"]) == 7
    # jira: number fields keep their JSON values (1.5 and 2, not 2.0)
    jira = _records(asyncio.run(_run(project, "jira", "issues", None)))
    assert [i["story_points"] for i in jira][:2] == [1.5, 2]


def test_4_actions_with_and_without_input(project: Path):
    events = asyncio.run(_run(project, "hubspot", "fetch-account-information", None))
    assert [e["output"] for e in events if e["type"] == "result"] == [
        {"id": "4242", "time_zone": "Europe/Paris", "currency": "EUR"}
    ]
    events = asyncio.run(
        _run(project, "hubspot", "create-contact", {"first_name": "A", "last_name": "B", "email": ""})
    )
    [error] = [e for e in events if e["type"] == "error"]
    assert error["kind"] == "http" and error["payload"]["status"] == 400


def test_5_nango_tui_test_passes_on_every_recording(project: Path):
    results = asyncio.run(run_tests(project))
    assert len(results) == len(SCRIPTS)
    assert all(r.passed for r in results), [(r.label, r.problem, r.diff) for r in results if not r.passed]


def test_6_track_deletes_reports_what_the_previous_run_had(project: Path):
    first = asyncio.run(_run(project, "hubspot", "contacts", None))
    assert first[-1]["status"] == "ok"
    from tests.fake_providers import ported

    removed = ported._HS_CONTACTS.pop(5)
    try:
        events = asyncio.run(_run(project, "hubspot", "contacts", None))
    finally:
        ported._HS_CONTACTS.insert(5, removed)
    assert _records(events, "delete") == [{"id": "105"}]
    assert any("track_deletes" in e["message"] for e in events if e["type"] == "log")
