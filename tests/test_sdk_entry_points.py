"""Issue 10 item 3 / issue 11 point 3 and 9: actions with and without input, unawaited SDK calls.

Real generate, compile and dryrun (child processes) against a server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nango_tui.cli import main as cli_main
from nango_tui.dryrun import DryrunRequest, start_dryrun
from tests.support.http_server import LocalServer

YAML = """\
integrations:
  demo:
    actions:
      ping:
        endpoint: GET /ping
        output: Pong
      echo:
        endpoint: POST /echo
        input: Said
        output: Pong
    syncs:
      things:
        runs: every hour
        endpoint: GET /things
        output: Thing
models:
  Pong:
    ok: boolean
  Said:
    text: string
  Thing:
    id: string
"""


@pytest.fixture
def server():
    with LocalServer() as local:
        local.route("GET", "/ping", {"ok": True})
        local.route("GET", "/things", [{"id": "1"}])
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


def test_the_scaffold_of_an_action_without_input_compiles_and_runs(root: Path, capsys):
    scaffold = (root / "demo/actions/ping.py").read_text()
    assert "async def run_action(nango: NangoAction)" in scaffold
    assert cli_main(["compile", "--dir", str(root), "--json"]) == 0
    capsys.readouterr()
    events = asyncio.run(run(root, "ping"))
    # the scaffold runs: it fails only with its own "not written yet" ActionError, not a TypeError
    [error] = [e for e in events if e["type"] == "error"]
    assert error["kind"] == "action_error" and "not written yet" in error["message"]


@pytest.mark.parametrize(
    "signature, given",
    [
        ("async def run_action(nango):\n    return {'ok': True}\n", None),
        ("async def run_action(nango, input):\n    return {'ok': input is None}\n", None),
        ("async def run_action(nango, input=None):\n    return {'ok': input is None}\n", None),
        ("async def run_action(nango, *rest):\n    return {'ok': rest == (None,)}\n", None),
        ("async def run_action(nango):\n    return {'ok': True}\n", {"text": "ignored"}),
    ],
)
def test_an_action_without_input_runs_whichever_way_it_is_written(root: Path, signature, given):
    (root / "demo/actions/ping.py").write_text(signature)
    assert cli_main(["compile", "--dir", str(root)]) == 0
    events = asyncio.run(run(root, "ping", input=given))
    assert events[-1]["status"] == "ok", [e for e in events if e["type"] in ("error", "log")]
    assert [e["output"] for e in events if e["type"] == "result"] == [{"ok": True}]


def test_an_action_with_input_may_ignore_it(root: Path):
    (root / "demo/actions/echo.py").write_text("async def run_action(nango):\n    return {'ok': True}\n")
    events = asyncio.run(run(root, "echo", input={"text": "hi"}))
    assert events[-1]["status"] == "ok"
    assert any("takes no input" in e["message"] for e in events if e["type"] == "log")
    (root / "demo/actions/echo.py").write_text(
        "async def run_action(nango, input):\n    return {'ok': input.text == 'hi'}\n"
    )
    events = asyncio.run(run(root, "echo", input={"text": "hi"}))
    assert [e["output"] for e in events if e["type"] == "result"] == [{"ok": True}]


def test_an_sdk_call_left_unawaited_fails_the_run_at_its_line(root: Path):
    (root / "demo/syncs/things.py").write_text(
        "async def fetch_data(nango):\n"
        "    response = await nango.get('/things')\n"
        "    nango.batch_save(response.data, 'Thing')\n"
    )
    events = asyncio.run(run(root, "things"))
    errors = [e for e in events if e["type"] == "error"]
    assert events[-1]["status"] == "failed"
    assert "`nango.batch_save(...)` was called without `await`" in errors[0]["message"]
    assert errors[0]["location"] == {"file": "demo/syncs/things.py", "line": 3}


def test_an_sdk_call_left_unawaited_in_a_helper_module_is_found_at_the_script_line(root: Path):
    # the call is made 3 frames below the script's line: the origin reaches it, as it did when
    # every coroutine of the run was tracked 8 frames deep
    (root / "helpers.py").write_text(
        "def save(nango, records):\n    return deeper(nango, records)\n\n"
        "def deeper(nango, records):\n    nango.batch_save(records, 'Thing')\n"
    )
    (root / "demo/syncs/things.py").write_text(
        "from helpers import save\n\n"
        "async def fetch_data(nango):\n"
        "    response = await nango.get('/things')\n"
        "    save(nango, response.data)\n"
    )
    events = asyncio.run(run(root, "things"))
    errors = [e for e in events if e["type"] == "error"]
    assert "`nango.batch_save(...)` was called without `await`" in errors[0]["message"]
    assert errors[0]["location"] == {"file": "demo/syncs/things.py", "line": 5}


def test_only_the_sdk_coroutines_carry_their_origin_during_a_run(root: Path):
    # Python's run-wide origin tracking cost ~1 us for each of the ~350 coroutines a page made
    # (httpx, asyncio, the runtime): only the SDK's coroutines are tracked now (sdk/origins.py)
    (root / "demo/syncs/things.py").write_text(
        "import sys\n\n"
        "async def mine():\n    return None\n\n"
        "async def fetch_data(nango):\n"
        "    own = mine()\n"
        "    call = nango.get_metadata()\n"
        "    await nango.log('origins', own.cr_origin is None, call.cr_origin is not None,"
        " sys.get_coroutine_origin_tracking_depth())\n"
        "    await own\n"
        "    await call\n"
    )
    events = asyncio.run(run(root, "things"))
    assert events[-1]["status"] == "ok", events
    assert any(e["type"] == "log" and e["message"] == "origins True True 0" for e in events), events


def test_nango_action_error_fails_with_its_payload(root: Path):
    (root / "demo/actions/ping.py").write_text(
        "async def run_action(nango):\n    raise nango.ActionError({'message': 'nope', 'code': 7})\n"
    )
    events = asyncio.run(run(root, "ping"))
    [error] = [e for e in events if e["type"] == "error"]
    assert error["kind"] == "action_error" and error["payload"] == {"message": "nope", "code": 7}
    assert json.dumps(error)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("    await nango.batchSave([], 'Thing')\n", "use `batch_save`"),
        ("    await nango.get('/things', paramz={'a': 1})\n", "did you mean `params`"),
        ("    await nango.batch_save([{'id': '1'}])\n", "missing 1 required positional argument: 'model'"),
        (
            "    async for page in nango.paginate('/things', paginate={'type': 'cursorr'}):\n        pass\n",
            "cursor, link or offset",
        ),
    ],
)
def test_a_wrong_sdk_call_is_one_error_at_the_script_line(root: Path, body: str, expected: str):
    (root / "demo/syncs/things.py").write_text("async def fetch_data(nango):\n" + body)
    events = asyncio.run(run(root, "things"))
    [error] = [e for e in events if e["type"] == "error"]
    assert expected in error["message"], error
    assert error["location"] == {"file": "demo/syncs/things.py", "line": 2}
    assert "nango_tui/sdk" not in (error.get("traceback") or "")
