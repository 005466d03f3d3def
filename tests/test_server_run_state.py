"""What a deployed sync keeps between its runs, on a real server (SQLite and PostgreSQL):
checkpoints, `delete_records_from_previous_executions` (applied only when the run ends well),
`get_records_by_ids` reading the records cache, and no `.nango/runs` files in the server's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from nango_tui.runtime.context import RunContext
from nango_tui.sdk import NangoSync
from nango_tui.sdk.errors import SdkUsageError
from tests.support.runtime_ctx import make_ctx
from tests.support.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

NANGO_YAML = """\
integrations:
    kept:
        syncs:
            pages:
                runs: every day
                sync_type: full
                output: Item
                endpoint: GET /pages
models:
    Item:
        id: string
        n: number
"""

PAGES = """\
import json
import os

from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    meta = await nango.get_metadata()
    secret_names = sorted(k for k in os.environ if "SECRET" in k or "ENCRYPTION" in k)
    await nango.log("secret names: " + json.dumps(secret_names))
    checkpoint = await nango.get_checkpoint()
    await nango.log("checkpoint at start: " + json.dumps(checkpoint))
    if meta.get("lookup"):
        found = await nango.get_records_by_ids(meta["lookup"], "Item")
        await nango.log("looked up: " + json.dumps(sorted(found)))
    await nango.batch_save([{"id": i, "n": 1} for i in meta.get("ids", [])], "Item")
    await nango.save_checkpoint({"runs": (checkpoint or {}).get("runs", 0) + 1})
    if meta.get("delete_previous"):
        result = await nango.delete_records_from_previous_executions("Item")
        await nango.log("deleted keys: " + json.dumps(result["deleted_keys"]))
    if meta.get("fail"):
        raise RuntimeError("failed on purpose")
"""

HEADERS = {"Provider-Config-Key": "kept"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, backend_url):
    base = tmp_path_factory.mktemp("runstate")
    key = "zXkN2vW1lqfS1p0kQm8tZ3h9bV7cY4aR6uE5oJ2iT0w="  # a Fernet key given as the operator would
    proc = ServerProcess(base / "data", database=backend_url, env={"NANGO_TUI_ENCRYPTION_KEY": key}).start()
    root = base / "proj"
    (root / "kept" / "syncs").mkdir(parents=True)
    (root / "nango.yaml").write_text(NANGO_YAML)
    (root / "kept" / "syncs" / "pages.py").write_text(PAGES)
    result = proc.cli("deploy", "dev", "--dir", str(root), "--auto-confirm")
    assert result.returncode == 0, result.stderr
    yield proc
    proc.stop()


def connect(server, connection_id: str, **metadata) -> None:
    body = {
        "provider_config_key": "kept",
        "connection_id": connection_id,
        "provider": "kept",
        "connection_config": {"base_url": "http://127.0.0.1:9"},
        "metadata": metadata,
    }
    assert server.post("/connections", json=body).status_code == 200


def runs_of(server, connection_id: str) -> list[dict]:
    return server.get(f"/sync/runs?sync=pages&provider_config_key=kept&connection_id={connection_id}").json()[
        "runs"
    ]


def wait_runs(server, connection_id: str, count: int) -> list[dict]:
    def done():
        runs = runs_of(server, connection_id)
        finished = [r for r in runs if r["status"] != "RUNNING"]
        return runs if len(finished) >= count and runs[0]["status"] != "RUNNING" else None

    return server.wait_for(done, what=f"{count} finished run(s) of pages on {connection_id}")


def run_again(server, connection_id: str, mode: str = "incremental", **metadata) -> dict:
    """Set the connection's metadata, trigger a run, and return it once it has ended."""
    before = len(runs_of(server, connection_id))
    connect(server, connection_id, **metadata)
    r = server.post(
        "/sync/trigger",
        json={
            "syncs": ["pages"],
            "provider_config_key": "kept",
            "connection_id": connection_id,
            "sync_mode": mode,
        },
    )
    assert r.status_code == 200, r.text
    return wait_runs(server, connection_id, before + 1)[0]


def checkpoint(server, connection_id: str):
    body = server.get(
        f"/sync/status?syncs=pages&provider_config_key=kept&connection_id={connection_id}"
    ).json()
    return body["syncs"][0]["checkpoint"]


def live_ids(server, connection_id: str, flt: str = "added,updated") -> list[str]:
    records = server.get(
        f"/records?model=Item&filter={flt}&limit=100", headers={**HEADERS, "Connection-Id": connection_id}
    ).json()["records"]
    return sorted(r["id"] for r in records)


def test_checkpoints_persist_across_runs_and_a_failed_run_keeps_its_own(server):
    connect(server, "k1", ids=["a"])
    first = wait_runs(server, "k1", 1)[0]
    assert first["status"] == "SUCCESS", first
    assert "checkpoint at start: null" in first["logs"]
    assert checkpoint(server, "k1") == {"runs": 1}

    second = run_again(server, "k1", ids=["a"])
    assert second["status"] == "SUCCESS" and 'checkpoint at start: {"runs": 1}' in second["logs"]
    assert checkpoint(server, "k1") == {"runs": 2}

    # saved before the failure: kept, so the next run resumes there (Nango's saveCheckpoint)
    failed = run_again(server, "k1", ids=["a"], fail=True)
    assert failed["status"] == "ERROR" and checkpoint(server, "k1") == {"runs": 3}

    # a full refresh starts over: no checkpoint at its start
    fresh = run_again(server, "k1", mode="full_refresh", ids=["a"])
    assert fresh["status"] == "SUCCESS" and "checkpoint at start: null" in fresh["logs"]
    assert checkpoint(server, "k1") == {"runs": 1}


def test_delete_records_from_previous_executions_only_after_success(server):
    connect(server, "k2", ids=["a", "b", "c"])
    assert wait_runs(server, "k2", 1)[0]["status"] == "SUCCESS"
    assert live_ids(server, "k2") == ["a", "b", "c"]

    # c is gone at the source, but the run fails after asking: nothing is deleted
    failed = run_again(server, "k2", ids=["a", "b"], delete_previous=True, fail=True)
    assert failed["status"] == "ERROR" and failed["result"]["Item"]["deleted"] == 0
    assert live_ids(server, "k2") == ["a", "b", "c"] and live_ids(server, "k2", "deleted") == []

    # the same run ending well deletes c, and only c
    good = run_again(server, "k2", ids=["a", "b"], delete_previous=True)
    assert good["status"] == "SUCCESS" and good["result"]["Item"]["deleted"] == 1
    assert live_ids(server, "k2") == ["a", "b"] and live_ids(server, "k2", "deleted") == ["c"]

    # without the call, nothing the run did not see is deleted (no track_deletes on this sync)
    plain = run_again(server, "k2", ids=["a"])
    assert plain["status"] == "SUCCESS" and plain["result"]["Item"]["deleted"] == 0
    assert live_ids(server, "k2") == ["a", "b"]


def test_get_records_by_ids_reads_the_records_cache(server):
    connect(server, "k3", ids=["x", "y", "z"])
    assert wait_runs(server, "k3", 1)[0]["status"] == "SUCCESS"
    run_again(server, "k3", ids=["x", "y"], delete_previous=True)  # z is deleted
    looked = run_again(server, "k3", ids=["x"], lookup=["x", "z", "nope", "y"])
    assert looked["status"] == "SUCCESS"
    assert 'looked up: ["x", "y"]' in looked["logs"]  # deleted and unknown ids are absent


def test_deployed_runs_write_no_runs_files_and_see_only_their_own_key(server):
    connect(server, "k4", ids=["a", "b"])
    run = wait_runs(server, "k4", 1)[0]
    assert run["status"] == "SUCCESS"
    # a dev run's script finds its own environment's key (its way to this server), not prod's,
    # nor the key that encrypts the credentials
    assert 'secret names: ["NANGO_SECRET_KEY_DEV"]' in run["logs"]
    written = [p for p in Path(server.data_dir).rglob("*") if p.suffix == ".jsonl" or p.name == "latest.json"]
    assert written == []  # the runs and their records are in the database only


class Item(BaseModel):
    id: str


def _server_ctx(**options) -> tuple[RunContext, list]:
    ctx, events = make_ctx(None, server_run=True, models={"Item": Item}, outputs=["Item"], **options)
    return ctx, events


async def test_the_sdk_sends_checkpoints_and_refuses_an_oversized_one():
    ctx, events = _server_ctx(checkpoint={"page": 4})
    nango = NangoSync(ctx)
    assert await nango.get_checkpoint() == {"page": 4}  # the run starts where the last one got to
    await nango.save_checkpoint({"page": 5})
    await nango.clear_checkpoint()
    assert [e["checkpoint"] for e in events.of("checkpoint")] == [{"page": 5}, None]
    with pytest.raises(SdkUsageError, match="at most 64 KiB"):
        await nango.save_checkpoint({"blob": "x" * 70_000})
    assert len(events.of("checkpoint")) == 2 and await nango.get_checkpoint() is None
    assert await nango.delete_records_from_previous_executions("Item") == {"deleted_keys": []}
    assert events.of("delete_outdated") == [{"type": "delete_outdated", "model": "Item"}]


async def test_a_dryrun_sends_no_checkpoint_events():
    ctx, events = make_ctx(None)
    nango = NangoSync(ctx)
    await nango.save_checkpoint({"page": 1})
    assert events.of("checkpoint") == [] and json.dumps(await nango.get_checkpoint()) == '{"page": 1}'
