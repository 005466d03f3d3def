"""Issue 11 point 8: `nango-tui test` replays what was recorded whatever the connection's base URL,
with the metadata and connection config the run used, and compares errors without their host."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nango_tui.dryrun import DryrunRequest, start_dryrun
from nango_tui.dryrun.regress import run_tests, without_origins
from tests.support.http_server import LocalServer, Reply

YAML = """\
integrations:
  demo:
    syncs:
      contacts:
        runs: every hour
        endpoint: GET /contacts
        output: Contact
    actions:
      fail:
        endpoint: GET /fail
models:
  Contact:
    id: string
    region: string
    tenant: string
"""

SYNC = """\
async def fetch_data(nango):
    region = (await nango.get_metadata())["region"]
    tenant = (await nango.get_connection())["connection_config"]["tenant"]
    rows = (await nango.get("/contacts", params={"region": region})).data
    await nango.batch_save([{**row, "region": region, "tenant": tenant} for row in rows], "Contact")
"""

ACTION = """\
async def run_action(nango):
    await nango.get("/fail")
"""


def _connections(base_url: str, region: str, tenant: str) -> str:
    return (
        "environments:\n  dev:\n    connections:\n      local:\n        integration: demo\n"
        f"        provider: demo\n        base_url: {base_url}\n        credentials: {{type: API_KEY, api_key: k}}\n"
        f"        metadata: {{region: {region}}}\n        connection_config: {{tenant: {tenant}}}\n"
    )


@pytest.fixture
def server():
    with LocalServer() as local:
        local.route(
            "GET", "/api/v2/contacts", lambda r: [{"id": "1"}, {"id": "2"}] if r.arg("region") == "eu" else []
        )
        local.route("GET", "/api/v2/fail", Reply(500, {"error": "boom"}))
        yield local


@pytest.fixture
def root(tmp_path: Path, server) -> Path:
    (tmp_path / "nango.yaml").write_text(YAML)
    (tmp_path / "demo/syncs").mkdir(parents=True)
    (tmp_path / "demo/actions").mkdir(parents=True)
    (tmp_path / "demo/syncs/contacts.py").write_text(SYNC)
    (tmp_path / "demo/actions/fail.py").write_text(ACTION)
    (tmp_path / "connections.yaml").write_text(_connections(f"{server.url}/api/v2", "eu", "acme"))
    from nango_tui.cli import main

    assert main(["generate", "--dir", str(tmp_path)]) == 0
    return tmp_path


async def record(root: Path, name: str) -> list[dict]:
    handle = await start_dryrun(DryrunRequest(root, name, "local", save_responses=True))
    return [e async for e in handle.events()]


def test_a_recording_through_a_base_url_with_a_path_replays_elsewhere(root: Path):
    events = asyncio.run(record(root, "contacts"))
    assert events[-1]["status"] == "ok"
    mocks = json.loads((root / "demo/mocks/contacts.json").read_text())
    assert mocks["inputs"]["metadata"] == {"region": "eu"}
    assert mocks["inputs"]["connection_config"] == {"tenant": "acme"}
    assert mocks["inputs"]["base_url"].endswith("/api/v2")
    # the connection now points elsewhere, with other metadata and config: the replay is unchanged
    (root / "connections.yaml").write_text(_connections("http://127.0.0.1:9/other", "us", "other"))
    [result] = asyncio.run(run_tests(root, ["contacts"]))
    assert result.passed, (result.problem, result.diff)
    assert result.records == 2


def test_an_error_is_compared_by_kind_and_message_without_the_host(root: Path):
    events = asyncio.run(record(root, "fail"))
    assert events[-1]["status"] == "failed"
    mocks = json.loads((root / "demo/mocks/fail.json").read_text())
    assert "127.0.0.1" in mocks["expected"]["error"]["message"]
    (root / "connections.yaml").write_text(_connections("http://localhost:9/api/v2", "eu", "acme"))
    [result] = asyncio.run(run_tests(root, ["fail"]))
    assert result.passed, (result.problem, result.diff)


def test_without_origins():
    assert without_origins("GET http://127.0.0.1:5/a/b failed") == "GET /a/b failed"
    assert without_origins({"m": ["https://x.io/p"]}) == {"m": ["/p"]}
