"""Faults: kill -9 mid-sync then restart, two deploys at once, a second serve, bad deploy bodies.

The database-level ones run on SQLite and on PostgreSQL (`backend_url`, conftest.py)."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.support import warm_cli
from tests.support.server_process import ServerProcess, free_port
from tests.support.server_project import acme_headers, connection_body, write_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # real server processes; a loaded machine is slow


def db_row(server, sql, *args):
    """Rows of `sql` (with `?` placeholders) on the server's database, SQLite or PostgreSQL."""
    parts = sql.split("?")
    named = "".join(part + (f":p{i}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))
    return server.sql(named, **{f"p{i}": arg for i, arg in enumerate(args)})


def all_records(server, connection="c1"):
    out, cursor = [], None
    while True:
        q = "/records?model=Item&limit=1000" + (f"&cursor={cursor}" if cursor else "")
        body = server.get(q, headers=acme_headers(connection)).json()
        out.extend(body["records"])
        cursor = body["next_cursor"]
        if not cursor:
            return out


def test_kill9_mid_sync_then_restart_retries_exactly_once(tmp_path, fresh_backend_url):
    server = ServerProcess(tmp_path / "data", database=fresh_backend_url).start()
    try:
        project = write_project(tmp_path / "proj")
        assert server.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
        server.post("/connections", json=connection_body("c1", count=800, batch=100, delay=0.4))
        server.wait_for(
            lambda: db_row(server, "SELECT count(*) FROM records")[0][0] >= 200,
            what="the first batches saved",
        )
        assert db_row(server, "SELECT status FROM sync_runs") == [("RUNNING",)]
        server.kill9()
        saved_before = db_row(server, "SELECT count(*) FROM records")[0][0]
        assert 0 < saved_before < 800
        assert db_row(server, "SELECT last_sync_date FROM syncs") == [(None,)]  # not moved before success
        server.start()

        def succeeded():
            return db_row(server, "SELECT id FROM sync_runs WHERE status = 'SUCCESS'")

        server.wait_for(succeeded, timeout=90, what="the retried run to succeed")
        runs = db_row(server, "SELECT status, error FROM sync_runs ORDER BY id")
        assert runs[0] == ("ERROR", "the server stopped during the run") and runs[-1][0] == "SUCCESS"
        records = all_records(server)
        ids = [r["id"] for r in records]
        assert len(ids) == 800 and len(set(ids)) == 800  # every record exactly once
        assert [r for r in records if r["_nango_metadata"]["deleted_at"]] == []  # none falsely deleted
        ((last_sync_date, started_at),) = db_row(
            server,
            "SELECT s.last_sync_date, r.started_at FROM syncs s JOIN sync_runs r ON r.sync_id = s.id WHERE r.status = 'SUCCESS'",
        )
        assert last_sync_date == started_at  # the start of the successful run
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, backend_url):
    base = tmp_path_factory.mktemp("faults")
    server = ServerProcess(base / "data", database=backend_url).start()
    server.project = write_project(base / "proj")
    assert server.cli("deploy", "dev", "--dir", str(server.project), "--auto-confirm").returncode == 0
    yield server
    server.stop()


def test_second_deploy_while_one_holds_the_lock_is_refused(deployed):
    env_id = db_row(deployed, "SELECT id FROM environments WHERE name = 'dev'")[0][0]
    db_row(
        deployed,
        "INSERT INTO deploy_locks (environment_id, holder, expires_at) VALUES (?, 'other', '2999-01-01T00:00:00.000000Z')",
        env_id,
    )
    try:
        before = db_row(deployed, "SELECT count(*) FROM deployments")
        result = deployed.cli("deploy", "dev", "--dir", str(deployed.project), "--auto-confirm")
        assert result.returncode == 1 and "concurrent_deployment" in result.stderr
        assert db_row(deployed, "SELECT count(*) FROM deployments") == before
    finally:
        db_row(deployed, "DELETE FROM deploy_locks")


def test_deploys_at_the_same_time_never_both_write(deployed):
    import json
    from concurrent.futures import ThreadPoolExecutor

    from nango_tui.remote.deploy import DeployOptions
    from nango_tui.workflows import deploy_plan

    body = deploy_plan(DeployOptions(deployed.project, "dev")).body
    body["reconcile"] = True
    raw = json.dumps(body)
    before = db_row(deployed, "SELECT count(*) FROM deployments")[0][0]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: deployed.post("/sync/deploy", content=raw), range(4)))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {200, 409} and 200 in codes
    for a in answers:
        if a.status_code == 409:
            assert a.json()["error"]["code"] == "concurrent_deployment"
    ok = codes.count(200)
    assert db_row(deployed, "SELECT count(*) FROM deployments")[0][0] == before + ok
    versions = db_row(deployed, "SELECT version FROM scripts WHERE name = 'items' AND active = true")
    assert len(versions) == 1  # exactly one active version whatever the interleaving


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"flowConfigs": "nope"}, "flowConfigs"),
        ({"flowConfigs": [{"type": "sync"}]}, "syncName"),
        ({"flowConfigs": [], "unknown": 1}, "unknown"),
        (
            {
                "flowConfigs": [
                    {
                        "type": "sync",
                        "syncName": "../../x",
                        "providerConfigKey": "acme",
                        "runs": "every day",
                        "fileBody": {"py": ""},
                    }
                ]
            },
            "syncName",
        ),
        (
            {
                "flowConfigs": [
                    {
                        "type": "sync",
                        "syncName": "x",
                        "providerConfigKey": "acme",
                        "runs": "every day",
                        "sync_type": "incremental",
                        "track_deletes": True,
                        "fileBody": {"py": ""},
                    }
                ]
            },
            "track_deletes",
        ),
    ],
)
def test_malformed_deploy_bodies_change_nothing(deployed, body, fragment):
    before = (
        db_row(deployed, "SELECT count(*) FROM deployments"),
        db_row(deployed, "SELECT count(*) FROM scripts"),
    )
    for path in ("/sync/deploy/confirmation", "/sync/deploy"):
        r = deployed.post(path, json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "invalid_body" and fragment in r.text
    r = deployed.post("/sync/deploy", content=b"{broken")
    assert r.status_code == 400
    assert (
        db_row(deployed, "SELECT count(*) FROM deployments"),
        db_row(deployed, "SELECT count(*) FROM scripts"),
    ) == before


def test_another_environments_key_or_a_wrong_key_changes_nothing(deployed):
    """A dev connection's sync, reached with prod's key (404, Nango's shapes) or a wrong key (401):
    every write is refused and nothing about the sync moves."""
    assert deployed.post("/connections", json=connection_body("cx", count=5)).status_code == 200
    cx_runs = (
        "SELECT r.status FROM sync_runs r JOIN syncs s ON s.id = r.sync_id"
        " JOIN connections c ON c.id = s.connection_pk WHERE c.connection_id = 'cx'"
    )
    deployed.wait_for(  # the connection's first run (auto_start) ends before the state is read
        lambda: (rows := db_row(deployed, cx_runs)) and all(status != "RUNNING" for (status,) in rows),
        what="the first run of cx",
    )
    r = deployed.post(
        "/sync/pause", json={"syncs": ["items"], "provider_config_key": "acme", "connection_id": "cx"}
    )
    assert r.status_code == 200

    def snapshot():
        return (
            db_row(
                deployed,
                "SELECT s.state, s.frequency_ms, s.last_sync_date, s.checkpoint FROM syncs s"
                " JOIN connections c ON c.id = s.connection_pk WHERE c.connection_id = 'cx'",
            ),
            db_row(deployed, "SELECT count(*) FROM sync_runs"),
            db_row(deployed, "SELECT count(*) FROM action_runs"),
            db_row(deployed, "SELECT count(*), max(updated_at) FROM records"),
        )

    before = snapshot()
    target = {"syncs": ["items"], "provider_config_key": "acme", "connection_id": "cx"}
    writes = [
        ("POST", "/sync/start", {"json": target}),
        ("POST", "/sync/trigger", {"json": {**target, "sync_mode": "full_refresh_and_clear_cache"}}),
        ("POST", "/sync/pause", {"json": target}),
        (
            "PUT",
            "/sync/update-connection-frequency",
            {
                "json": {
                    "sync_name": "items",
                    "provider_config_key": "acme",
                    "connection_id": "cx",
                    "frequency": "every 2h",
                }
            },
        ),
        (
            "POST",
            "/action/trigger",
            {"json": {"action_name": "echo", "input": {"id": "1", "n": 1}}, "headers": acme_headers("cx")},
        ),
        ("GET", "/records?model=Item", {"headers": acme_headers("cx")}),
        ("GET", "/connection/cx?provider_config_key=acme", {}),
    ]
    for method, path, kw in writes:
        r = deployed.request(method, path, key="prod", **kw)
        assert r.status_code in (400, 404), (path, r.status_code, r.text)
        assert r.json()["error"]["code"] in ("unknown_connection", "unknown_sync", "not_found"), (
            path,
            r.text,
        )
        r = httpx.request(
            method,
            deployed.url + path,
            headers={"Authorization": "Bearer not-a-key", **kw.get("headers", {})},
            json=kw.get("json"),
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_account", (path, r.text)
    assert snapshot() == before


def test_bad_runs_in_a_deploy_is_refused_whole(deployed):
    from nango_tui.remote.deploy import DeployOptions
    from nango_tui.workflows import deploy_plan

    body = deploy_plan(DeployOptions(deployed.project, "dev")).body
    body["reconcile"] = True
    body["flowConfigs"][0]["runs"] = "every 5s"
    before = db_row(deployed, "SELECT count(*) FROM scripts")
    r = deployed.post("/sync/deploy", json=body)
    assert r.status_code == 400 and "runs" in r.json()["error"]["message"]
    assert db_row(deployed, "SELECT count(*) FROM scripts") == before  # all or nothing


def test_second_serve_on_the_same_data_and_a_busy_port(deployed, tmp_path):
    def run(*a):
        return warm_cli.run(
            [sys.executable, "-m", "nango_tui", "serve", *a], capture_output=True, text=True, timeout=60
        )

    same = ["--data", str(deployed.data_dir), "--port", str(free_port())]
    if deployed.database:  # on PostgreSQL many processes share a folder, each with its own worker id
        import socket

        same += ["--database", deployed.database, "--id", f"serve-{socket.gethostname()}-{deployed.port}"]
    result = run(*same)
    assert result.returncode == 1 and "already uses" in result.stderr and "Traceback" not in result.stderr
    result = run("--data", str(tmp_path / "other"), "--port", str(deployed.port))
    assert result.returncode == 1 and "in use" in result.stderr and "Traceback" not in result.stderr
    assert "--reuse-port" in result.stderr
    # --reuse-port is for serve processes of one PostgreSQL database; SQLite has one process a folder
    result = run("--data", str(tmp_path / "third"), "--port", str(free_port()), "--reuse-port")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--reuse-port shares the port among serve processes of one PostgreSQL" in result.stderr
    assert not (tmp_path / "third" / "nango.db").exists()


def test_keys_are_printed_once(tmp_path):
    server = ServerProcess(tmp_path / "data", env={"NANGO_SECRET_KEY_PROD": ""})
    server.start()
    server.stop()
    first = server.log_path.read_text()
    # a generated key is shown once; the user's own (NANGO_SECRET_KEY_DEV) is never echoed
    assert "environment prod: secret key" in first
    assert "environment dev: secret key from NANGO_SECRET_KEY_DEV" in first
    assert "test-dev-key-0001" not in first
    generated = first.split("environment prod: secret key ")[1].split()[0]
    server.start()
    server.stop()
    again = server.log_path.read_text()[len(first) :]
    assert "secret key" not in again
    # the generated key works, the environment variable's absence notwithstanding
    server.start()
    try:
        assert server.get("/environment", key=generated).json()["name"] == "prod"
    finally:
        server.stop()
