"""Issue 11 point 6: on-events scripts and webhook handlers: generate, compile, dryrun (--webhook)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nango_tui.cli import main as cli_main
from nango_tui.dryrun import DryrunRequest, DryrunSetupError, start_dryrun
from tests.support.http_server import LocalServer

YAML = """\
integrations:
  demo:
    syncs:
      contacts:
        runs: every hour
        endpoint: GET /contacts
        output: Contact
        webhook-subscriptions:
          - contact.creation
          - contact.deletion
    actions:
      ping:
        endpoint: GET /ping
    on-events:
      post-connection-creation:
        - setup-webhooks
      validate-connection:
        - check-credentials
models:
  Contact:
    id: string
    name: string
"""


@pytest.fixture
def server():
    with LocalServer() as local:
        local.route("GET", "/me", {"id": "u1", "scopes": ["read"]})
        yield local


@pytest.fixture
def root(tmp_path: Path, server) -> Path:
    (tmp_path / "nango.yaml").write_text(YAML)
    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      local:\n        integration: demo\n"
        f"        provider: demo\n        base_url: {server.url}\n        credentials: {{type: API_KEY, api_key: k}}\n"
    )
    assert cli_main(["generate", "--dir", str(tmp_path)]) == 0
    return tmp_path


async def run(root: Path, name: str, **options) -> list[dict]:
    async def go():
        handle = await start_dryrun(DryrunRequest(root, name, "local", **options))
        return [e async for e in handle.events()]

    return await asyncio.wait_for(go(), 60)


def test_generate_scaffolds_on_events_and_the_webhook_handler_and_compile_is_clean(root: Path, capsys):
    on_event = (root / "demo/on-events/setup-webhooks.py").read_text()
    assert "async def on_event(nango: NangoAction) -> None:" in on_event
    assert "runs after a connection is created" in on_event
    assert (root / "demo/on-events/check-credentials.py").is_file()
    sync = (root / "demo/syncs/contacts.py").read_text()
    assert "async def on_webhook(nango: NangoSync, payload: dict) -> None:" in sync
    capsys.readouterr()
    assert cli_main(["compile", "--dir", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_compile_checks_their_entry_points(root: Path, capsys):
    (root / "demo/on-events/setup-webhooks.py").write_text("def on_event(nango):\n    return None\n")
    (root / "demo/syncs/contacts.py").write_text("async def fetch_data(nango):\n    return None\n")
    capsys.readouterr()
    assert cli_main(["compile", "--dir", str(root), "--json"]) == 1
    found = {(d["file"], d["code"], d["severity"]) for d in json.loads(capsys.readouterr().out)}
    assert ("demo/on-events/setup-webhooks.py", "entry_not_async", "error") in found
    assert ("demo/syncs/contacts.py", "missing_webhook_handler", "warning") in found


def test_an_on_event_script_dry_runs(root: Path):
    (root / "demo/on-events/check-credentials.py").write_text(
        "async def on_event(nango):\n"
        "    me = (await nango.get('/me')).data\n"
        "    if 'read' not in me['scopes']:\n"
        "        raise nango.ActionError({'message': 'missing scope'})\n"
        "    await nango.log('credentials ok for', me['id'])\n"
    )
    events = asyncio.run(run(root, "check-credentials"))
    assert events[-1]["status"] == "ok", [e for e in events if e["type"] == "error"]
    assert any(e["type"] == "log" and e["message"] == "credentials ok for u1" for e in events)
    (root / "demo/on-events/setup-webhooks.py").write_text(
        "async def on_event(nango):\n    raise ValueError('x')\n"
    )
    events = asyncio.run(run(root, "setup-webhooks"))
    [error] = [e for e in events if e["type"] == "error"]
    assert error["location"] == {"file": "demo/on-events/setup-webhooks.py", "line": 2}


def test_a_webhook_handler_runs_with_its_payload(root: Path, tmp_path: Path, capsys):
    (root / "demo/syncs/contacts.py").write_text(
        "async def fetch_data(nango):\n    raise AssertionError('not this one')\n\n\n"
        "async def on_webhook(nango, payload):\n"
        "    if payload['type'] == 'contact.creation':\n"
        "        await nango.batch_save([{'id': payload['id'], 'name': payload['name']}], 'Contact')\n"
        "    else:\n"
        "        await nango.batch_delete([{'id': payload['id']}], 'Contact')\n"
    )
    events = asyncio.run(
        run(root, "contacts", webhook={"type": "contact.creation", "id": "c9", "name": "Ada"})
    )
    assert events[-1]["status"] == "ok", [e for e in events if e["type"] == "error"]
    assert [r for e in events if e["type"] == "batch" for r in e["records"]] == [{"id": "c9", "name": "Ada"}]
    payload = tmp_path / "payload.json"
    payload.write_text('{"type": "contact.deletion", "id": "c9"}')
    capsys.readouterr()
    code = cli_main(["dryrun", "contacts", "local", "--dir", str(root), "--webhook", f"@{payload}", "--json"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 0 and [e["op"] for e in lines if e["type"] == "batch"] == ["delete"]


def test_webhook_on_something_else_is_a_clear_setup_error(root: Path):
    with pytest.raises(DryrunSetupError, match="--webhook is for a sync"):
        asyncio.run(run(root, "ping", webhook={"a": 1}))
