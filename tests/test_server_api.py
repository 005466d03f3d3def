"""`nango-tui serve` as a real process: auth, environments, deploy, connections, runs, records, actions.

Every test runs twice: on SQLite (the default) and on PostgreSQL (`backend_url`, conftest.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import httpx
import pytest

from tests.support.paths import SAMPLES
from tests.support.server_process import ServerProcess
from tests.support.server_project import acme_headers, connection_body, write_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # real server processes; a loaded machine is slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, backend_url):
    base = tmp_path_factory.mktemp("server")
    proc = ServerProcess(base / "data", database=backend_url).start()
    proc.project = write_project(base / "proj")
    result = proc.cli("deploy", "dev", "--dir", str(proc.project), "--auto-confirm")
    assert result.returncode == 0, result.stderr
    assert proc.post("/connections", json=connection_body("c1", count=250, batch=100)).status_code == 200
    yield proc
    proc.stop()


def status(server, connection="c1", key="dev"):
    body = server.get(
        f"/sync/status?syncs=items&provider_config_key=acme&connection_id={connection}", key=key
    ).json()
    return body["syncs"][0]


def wait_success(server, connection="c1", runs=1):
    def done():
        listed = server.get(
            f"/sync/runs?sync=items&provider_config_key=acme&connection_id={connection}"
        ).json()["runs"]
        finished = [r for r in listed if r["status"] != "RUNNING"]
        return listed if len(finished) >= runs and listed[0]["status"] != "RUNNING" else None

    return server.wait_for(done, what=f"{runs} finished run(s) of items on {connection}")


def test_every_request_needs_an_environment_key(server):
    assert httpx.get(server.url + "/records?model=Item").status_code == 401
    r = httpx.get(server.url + "/records?model=Item", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_account"
    r = httpx.post(server.url + "/sync/deploy", headers={"Authorization": "Basic abc"}, json={})
    assert r.status_code == 401
    assert httpx.get(server.url + "/unknown/route").status_code == 401  # even unknown routes


def test_keys_and_files_are_private(server):
    assert stat.S_IMODE(os.stat(server.data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(server.data_dir / "encryption.key").st_mode) == 0o600
    stored = "\n".join(
        str(row) for table in ("connections", "environments") for row in server.sql(f"SELECT * FROM {table}")
    ).encode()
    assert b"sk-test-secret-value" not in stored  # credentials encrypted at rest
    assert server.keys["dev"].encode() not in stored
    if server.database is None:
        db_bytes = (server.data_dir / "nango.db").read_bytes()
        assert b"sk-test-secret-value" not in db_bytes
        assert server.keys["dev"].encode() not in db_bytes


def test_first_sync_runs_on_a_new_connection_and_serves_records(server):
    runs = wait_success(server)
    assert runs[0]["status"] == "SUCCESS" and runs[0]["result"] == {
        "Item": {"added": 250, "updated": 0, "deleted": 0}
    }
    assert runs[0]["type"] == "INITIAL"
    st = status(server)
    assert st["recordCount"] == {"Item": 250} and st["status"] == "SUCCESS"
    r = server.get("/records?model=Item&limit=100", headers=acme_headers())
    assert r.status_code == 200
    body = r.json()
    assert len(body["records"]) == 100 and body["next_cursor"]
    meta = body["records"][0]["_nango_metadata"]
    assert meta["last_action"] == "ADDED" and meta["deleted_at"] is None and meta["cursor"]
    # the trailing-slash spelling the Node client uses, and the nango.yaml endpoint of the sync
    assert (
        server.get("/records/?model=Item&limit=5", headers=acme_headers()).json()["records"]
        == body["records"][:5]
    )
    assert server.get("/items?limit=5", headers=acme_headers()).json()["records"] == body["records"][:5]
    assert server.get("/v1/items?limit=5", headers=acme_headers()).json()["records"] == body["records"][:5]


def test_queues_poll_less_when_idle_and_an_enqueue_wakes_them(tmp_path):
    """SQLite: after NANGO_TUI_QUEUE_IDLE_AFTER without work the queues poll every second (each poll
    is a claim transaction holding the GIL that pages need); a trigger makes them busy again and
    its run starts and finishes. (4 s idle: a loaded machine still reads the busy interval after the
    trigger's answer before the server could call itself idle again.)"""
    env = {"NANGO_TUI_QUEUE_IDLE_AFTER": "4", "NANGO_TUI_HEARTBEAT_SECONDS": "0.2"}
    with ServerProcess(tmp_path / "data", env=env) as server:

        def polls() -> dict[str, float] | None:
            with sqlite3.connect(server.data_dir / "dbos.sqlite") as conn:
                rows = conn.execute("SELECT name, polling_interval_sec FROM queues").fetchall()
            return dict(rows) if len(rows) == 2 else None

        assert (
            server.cli(
                "deploy", "dev", "--dir", str(write_project(tmp_path / "proj")), "--auto-confirm"
            ).returncode
            == 0
        )
        assert server.post("/connections", json=connection_body("c1", count=20, batch=10)).status_code == 200
        wait_success(server)
        server.wait_for(lambda: polls() == {"syncs": 1.0, "actions": 1.0}, what="idle queue polls")
        assert server.post(
            "/sync/trigger", json={"syncs": ["items"], "provider_config_key": "acme", "connection_id": "c1"}
        ).json() == {"success": True}
        assert polls() == {"syncs": 0.25, "actions": 0.25}
        wait_success(server, runs=2)
        server.wait_for(lambda: polls() == {"syncs": 1.0, "actions": 1.0}, what="idle again after the run")


def test_records_bad_queries_have_nangos_shape(server):
    h = acme_headers()
    for query, param in (
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=x", "limit"),
        ("", "model"),
        ("filter=nope", "filter"),
    ):
        sep = "&" if query else ""
        q = query if param == "model" else f"model=Item{sep}{query}"
        r = server.get(f"/records?{q}", headers=h)
        assert r.status_code == 400, (query, r.text)
        err = r.json()["error"]
        assert err["code"] == "invalid_query_params" and err["errors"][0]["path"] == [param]
    r = server.get("/records?model=Item&cursor=garbage", headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor_value"
    r = server.get("/records?model=Item", headers={"Connection-Id": "zz", "Provider-Config-Key": "acme"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_connection"
    r = server.get("/records?model=Item", headers={"Provider-Config-Key": "acme"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_connection_id"
    assert server.get("/records?model=NoSuchModel", headers=h).json() == {"records": [], "next_cursor": None}


def test_environments_are_separate(server):
    wait_success(server)
    r = server.get("/records?model=Item", key="prod", headers=acme_headers())
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_connection"
    assert server.get("/connections", key="prod").json() == {"connections": []}
    assert server.get("/integrations/acme", key="prod").status_code == 404
    assert server.get("/integrations/acme").json()["data"]["unique_key"] == "acme"


def test_connections_listed_and_fetched_with_credentials(server):
    listed = server.get("/connections").json()["connections"]
    assert [c["connection_id"] for c in listed] == ["c1"] and "credentials" not in listed[0]
    for path in ("/connections/c1?provider_config_key=acme", "/connection/c1?provider_config_key=acme"):
        full = server.get(path).json()
        assert full["credentials"]["apiKey"] == "sk-test-secret-value"
        assert full["connection_config"]["base_url"] == "http://127.0.0.1:9"
    assert server.get("/connections/zz?provider_config_key=acme").status_code == 404
    r = server.post("/connections", json={"connection_id": "x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_body"
    r = server.post("/connections", content=b"{not json")
    assert r.status_code == 400


def test_action_sync_async_and_action_error(server):
    h = acme_headers()
    r = server.post("/action/trigger", headers=h, json={"action_name": "echo", "input": {"id": "x", "n": 2}})
    assert r.status_code == 200 and r.json()["id"] == "x"
    r = server.post("/action/trigger", headers=h, json={"action_name": "fail", "input": {"id": "x"}})
    assert r.status_code == 500
    assert r.json() == {
        "error": {
            "message": "The action script failed with a runtime error",
            "code": "action_script_runtime_error",
            "payload": {"reason": "bad input", "id": "x"},
        }
    }
    r = server.post("/action/trigger", headers=h, json={"action_name": "nope"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = server.post(
        "/action/trigger",
        headers={"Connection-Id": "zz", "Provider-Config-Key": "acme"},
        json={"action_name": "echo"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_connection"
    r = server.post(
        "/action/trigger",
        headers={**h, "X-Async": "true"},
        json={"action_name": "echo", "input": {"id": "y", "n": 1}},
    )
    assert r.status_code == 202
    started = r.json()
    assert started["statusUrl"] == f"/action/{started['id']}"
    result = server.wait_for(
        lambda: (lambda x: x if x.status_code != 404 else None)(server.get(started["statusUrl"])),
        what="the async action",
    )
    assert result.status_code == 200 and result.json()["id"] == "y"
    # an action's nango.yaml endpoint runs it
    r = server.post("/fail", headers=h, json={"id": "q"})
    assert r.status_code == 500 and r.json()["error"]["payload"]["id"] == "q"


def test_trigger_pause_start_frequency(server):
    wait_success(server)
    before = len(server.get("/sync/runs?sync=items&provider_config_key=acme").json()["runs"])
    assert server.post(
        "/sync/trigger", json={"syncs": ["items"], "provider_config_key": "acme", "connection_id": "c1"}
    ).json() == {"success": True}
    wait_success(server, runs=before + 1)
    st = status(server)
    assert st["type"] == "INCREMENTAL" and st["latestResult"]["Item"]["added"] == 0
    assert server.post("/sync/pause", json={"syncs": ["items"], "provider_config_key": "acme"}).json() == {
        "success": True
    }
    assert status(server)["status"] == "PAUSED" and status(server)["nextScheduledSyncAt"] is None
    assert server.post("/sync/start", json={"syncs": ["items"], "provider_config_key": "acme"}).json() == {
        "success": True
    }
    assert status(server)["status"] != "PAUSED"
    r = server.request(
        "PUT",
        "/sync/update-connection-frequency",
        json={
            "sync_name": "items",
            "provider_config_key": "acme",
            "connection_id": "c1",
            "frequency": "every 2 hours",
        },
    )
    assert r.status_code == 200 and r.json() == {"frequency": "every 7200s"}
    r = server.request(
        "PUT",
        "/sync/update-connection-frequency",
        json={
            "sync_name": "items",
            "provider_config_key": "acme",
            "connection_id": "c1",
            "frequency": "every 5s",
        },
    )
    assert r.status_code == 400
    r = server.post("/sync/trigger", json={"syncs": ["nope"], "provider_config_key": "acme"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_sync"
    r = server.post(
        "/sync/trigger", json={"syncs": ["items"], "provider_config_key": "acme", "sync_mode": "sideways"}
    )
    assert r.status_code == 400


def test_full_refresh_with_track_deletes_deletes_what_is_gone(server):
    server.post("/connections", json=connection_body("c2", count=30, batch=10))
    wait_success(server, "c2")
    # the source now has 20 items: a full sync with track_deletes marks the 10 others deleted
    server.post("/connections", json=connection_body("c2", count=20, batch=10))
    before = len(server.get("/sync/runs?sync=items&provider_config_key=acme&connection_id=c2").json()["runs"])
    server.post(
        "/sync/trigger",
        json={
            "syncs": ["items"],
            "provider_config_key": "acme",
            "connection_id": "c2",
            "sync_mode": "full_refresh",
        },
    )
    runs = wait_success(server, "c2", runs=before + 1)
    assert runs[0]["result"]["Item"]["deleted"] == 10 and runs[0]["mode"] == "full_refresh"
    deleted = server.get("/records?model=Item&filter=deleted&limit=100", headers=acme_headers("c2")).json()[
        "records"
    ]
    assert sorted(r["id"] for r in deleted) == sorted(f"i{k}" for k in range(20, 30))
    assert all(r["_nango_metadata"]["last_action"] == "DELETED" for r in deleted)
    # full_refresh_and_clear_cache starts from nothing
    server.post(
        "/sync/trigger",
        json={
            "syncs": ["items"],
            "provider_config_key": "acme",
            "connection_id": "c2",
            "sync_mode": "full_refresh_and_clear_cache",
        },
    )
    runs = wait_success(server, "c2", runs=before + 2)
    assert runs[0]["result"]["Item"] == {"added": 20, "updated": 0, "deleted": 0}
    assert (
        server.get("/records?model=Item&filter=deleted", headers=acme_headers("c2")).json()["records"] == []
    )


def test_failed_run_keeps_saved_records_and_moves_nothing_else(server):
    server.post("/connections", json=connection_body("c3", count=300, batch=100, fail_after=200))
    runs = wait_success(server, "c3")
    assert runs[0]["status"] == "ERROR" and "failed on purpose" in runs[0]["error"]
    st = status(server, "c3")
    assert st["status"] == "ERROR" and st["type"] == "INITIAL"  # last_sync_date did not move
    assert st["recordCount"] == {"Item": 200}  # the batches saved before the failure stay
    assert "failed on purpose" in runs[0]["logs"] or runs[0]["error"]


def test_webhooks_signed_with_both_headers(server, local_server):
    import hashlib
    import hmac

    local_server.route("POST", "/hook", lambda req: {"ok": True})
    r = server.request("PATCH", "/environment", json={"webhook_url": local_server.url + "/hook"})
    assert r.status_code == 200 and r.json()["webhook_url"].endswith("/hook")
    server.post("/connections", json=connection_body("c4", count=5, batch=5))

    def hooks_of_c4():  # an earlier connection's scheduled run may post to the hook too
        return [
            q
            for q in local_server.requests
            if q.path == "/hook" and b'"connectionId":"c4"' in q.body.replace(b" ", b"")
        ]

    got = server.wait_for(hooks_of_c4, what="a webhook for c4")
    hook = got[0]
    body = json.loads(hook.body)
    assert body["from"] == "nango" and body["type"] == "sync" and body["connectionId"] == "c4"
    assert body["success"] is True and body["responseResults"] == {"added": 5, "updated": 0, "deleted": 0}
    assert body["syncType"] == "INITIAL" and body["model"] == "Item"
    key = server.keys["dev"].encode()
    assert hook.headers["x-nango-signature"] == hashlib.sha256(key + hook.body).hexdigest()
    assert hook.headers["x-nango-hmac-sha256"] == hmac.new(key, hook.body, hashlib.sha256).hexdigest()
    server.request("PATCH", "/environment", json={"webhook_url": None})


def test_sample_integrations_deploy_and_replay_offline(server):
    result = server.cli("deploy", "dev", "--dir", str(SAMPLES), "--integration", "github", "--auto-confirm")
    assert result.returncode == 0, result.stderr
    assert "issues@v1" in result.stdout and "GET /issues" in result.stdout
    body = {
        "provider_config_key": "github",
        "connection_id": "github-demo",
        "provider": "github",
        "metadata": {"owner": "acme", "repo": "widgets"},
        "replay": True,
    }
    assert server.post("/connections", json=body).status_code == 200

    def records():
        r = server.get(
            "/records?model=GithubIssue&limit=100",
            headers={"Connection-Id": "github-demo", "Provider-Config-Key": "github"},
        )
        return r.json()["records"] if r.status_code == 200 and r.json()["records"] else None

    got = server.wait_for(records, what="the github-demo records")
    assert len(got) > 5 and all("title" in r for r in got)
