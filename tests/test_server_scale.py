"""Many processes on one PostgreSQL (issue 14): faults that must lose nothing.

- kill -9 of a worker in the middle of a 50,000-record sync: another worker finishes it, every
  record once, last_sync_date moves once;
- one sync triggered 50 times from two API processes at once: no two runs overlap in time;
- PostgreSQL restarted during a run: the API answers 503 while it is down and recovers by itself,
  the run goes on and succeeds;
- a deploy while a run is in flight: the run finishes on its version, the next one takes the new;
- an older schema refuses to start; `nango-tui migrate` brings it up; one worker id per process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from cryptography.fernet import Fernet

from tests.support import warm_cli
from tests.support.server_process import ServerProcess
from tests.support.server_project import acme_headers, connection_body, write_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # real processes on a shared machine

SHARED_KEY = Fernet.generate_key().decode()  # every process of one database needs the same key
FAST_JANITOR = {
    "NANGO_TUI_HEARTBEAT_SECONDS": "0.5",
    "NANGO_TUI_WORKER_TIMEOUT": "4",
    "NANGO_TUI_ENCRYPTION_KEY": SHARED_KEY,
}


def start(base, name, database, kind="serve", **kw) -> ServerProcess:
    env = {**FAST_JANITOR, **kw.pop("env", {})}
    data = base / ("data" if kind == "serve" else f"data-{name}")
    return ServerProcess(data, database=database, worker_id=name, kind=kind, env=env, **kw).start(timeout=60)


def deploy_paused(server: ServerProcess, project, **metadata) -> int:
    """Deploy acme with `items` not auto-started, add connection c1; the sync's id (PAUSED)."""
    assert server.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
    server.sql("UPDATE scripts SET auto_start = false")
    assert server.post("/connections", json=connection_body("c1", **metadata)).status_code == 200
    ((sync_id, state),) = server.sql("SELECT id, state FROM syncs")
    assert state == "PAUSED"
    return sync_id


def start_now(server: ServerProcess, sync_id: int) -> None:
    """Make the sync due now: the tick of whichever process comes first claims it."""
    server.sql(
        "UPDATE syncs SET state = 'STARTED', next_run_at = '2000-01-01T00:00:00.000000Z' WHERE id = :i",
        i=sync_id,
    )


def all_records(server: ServerProcess, connection="c1") -> list[dict]:
    out, cursor = [], None
    while True:
        q = "/records?model=Item&limit=10000" + (f"&cursor={cursor}" if cursor else "")
        body = server.get(q, headers=acme_headers(connection)).json()
        out.extend(body["records"])
        cursor = body["next_cursor"]
        if not cursor:
            return out


def kill9(proc: ServerProcess) -> None:
    """SIGKILL the process itself (not its group): its run's child must notice on its own."""
    assert proc.proc is not None
    os.kill(proc.proc.pid, signal.SIGKILL)
    proc.proc.wait()


def test_kill9_of_a_worker_mid_sync_another_finishes_it(tmp_path, postgres):
    database = postgres.new_database()
    api = start(tmp_path, "api", database)
    sync_id = deploy_paused(api, write_project(tmp_path / "proj"), count=50_000, batch=1000, delay=0.25)
    api.stop()  # only worker A is alive when the sync becomes due: A runs it
    a = start(tmp_path, "wa", database, kind="worker")
    b = None
    try:
        start_now(a, sync_id)
        a.wait_for(
            lambda: a.sql("SELECT executor_id FROM sync_runs WHERE status = 'RUNNING'") == [("wa",)],
            what="worker A to start the run",
        )
        b = start(tmp_path, "wb", database, kind="worker")
        a.wait_for(lambda: a.sql("SELECT count(*) FROM records")[0][0] >= 5000, what="A's first batches")
        kill9(a)
        killed_at = time.monotonic()
        saved = a.sql("SELECT count(*) FROM records")[0][0]
        assert 0 < saved < 50_000
        assert a.sql("SELECT last_sync_date FROM syncs") == [(None,)]

        def finished():
            return b.sql("SELECT id, started_at, executor_id FROM sync_runs WHERE status = 'SUCCESS'")

        ((run_id, started_at, executor),) = b.wait_for(finished, timeout=180, what="B to finish the run")
        takeover = time.monotonic() - killed_at
        assert executor == "wb"
        runs = b.sql("SELECT executor_id, status, error FROM sync_runs ORDER BY id")
        assert runs[0][:2] == ("wa", "ERROR") and "stopped beating" in runs[0][2]
        assert [r[:2] for r in runs[1:]] == [("wb", "SUCCESS")]
        assert b.sql("SELECT count(*), count(DISTINCT external_id) FROM records") == [(50_000, 50_000)]
        assert b.sql("SELECT count(*) FROM records WHERE deleted_at IS NOT NULL") == [(0,)]
        assert b.sql("SELECT last_sync_date FROM syncs") == [(started_at,)]  # moved once, to that run
        assert b.sql("SELECT executor_id FROM workers") == [("wb",)]  # A's row handed over and removed
        api = start(tmp_path, "api", database)
        records = all_records(api)
        assert len(records) == 50_000 and len({r["id"] for r in records}) == 50_000
        print(f"takeover + rerun of 50,000 records: {takeover:.1f}s")
    finally:
        for proc in (a, b, api):
            if proc is not None:
                proc.stop()


def test_one_sync_triggered_50_times_from_two_processes_never_overlaps(tmp_path, postgres):
    database = postgres.new_database()
    one = start(tmp_path, "p1", database)
    two = start(tmp_path, "p2", database, port=None)
    try:
        deploy_paused(one, write_project(tmp_path / "proj"), count=600, batch=100, delay=0.05)
        body = {"provider_config_key": "acme", "connection_id": "c1", "syncs": ["items"]}
        answers: list[int] = []

        def fire(server):
            for _ in range(50):
                answers.append(server.post("/sync/trigger", json=body).status_code)
                time.sleep(0.05)

        threads = [threading.Thread(target=fire, args=(s,)) for s in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [200] * 100
        one.wait_for(
            lambda: (
                one.sql("SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'") == [(0,)]
                and one.sql(
                    "SELECT count(*) FROM dbos.workflow_status WHERE status IN ('ENQUEUED','PENDING')"
                )
                == [(0,)]
            ),
            what="every queued run to end",
        )
        runs = one.sql(
            "SELECT started_at, finished_at, status, executor_id FROM sync_runs ORDER BY started_at"
        )
        assert len(runs) >= 2 and {r[2] for r in runs} == {"SUCCESS"}
        for earlier, later in zip(runs, runs[1:], strict=False):
            assert earlier[1] <= later[0], f"runs overlap: {earlier} and {later}"
        assert one.sql("SELECT count(*) FROM records") == [(600,)]
    finally:
        one.stop()
        two.stop()


def test_postgres_restart_during_a_run_503_then_recovers(tmp_path, postgres):
    database = postgres.new_database()
    api = start(tmp_path, "api", database)
    worker = start(tmp_path, "w1", database, kind="worker")
    try:
        sync_id = deploy_paused(api, write_project(tmp_path / "proj"), count=3000, batch=100, delay=0.2)
        start_now(api, sync_id)
        api.wait_for(lambda: api.sql("SELECT count(*) FROM records")[0][0] >= 300, what="the first batches")
        statuses: list[int] = []
        done = threading.Event()

        def probe():
            while not done.is_set():
                try:
                    statuses.append(
                        api.get("/records?model=Item&limit=1", headers=acme_headers()).status_code
                    )
                except Exception:
                    statuses.append(-1)
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        postgres.restart(down_seconds=4)
        time.sleep(1)
        recovered = api.wait_for(
            lambda: api.get("/records?model=Item&limit=1", headers=acme_headers()).status_code == 200,
            timeout=30,
            what="the API to answer again",
        )
        done.set()
        prober.join()
        assert recovered and 503 in statuses and -1 not in statuses and 500 not in statuses
        assert set(statuses) <= {200, 503}
        api.wait_for(
            lambda: api.sql("SELECT status FROM sync_runs") in ([("SUCCESS",)],),
            timeout=120,
            what="the run to go on and succeed",
        )
        assert api.sql("SELECT count(*), count(DISTINCT external_id) FROM records") == [(3000, 3000)]
        # and the next run works without any manual step
        r = api.post(
            "/sync/trigger", json={"provider_config_key": "acme", "connection_id": "c1", "syncs": ["items"]}
        )
        assert r.status_code == 200
        api.wait_for(
            lambda: api.sql("SELECT count(*) FROM sync_runs WHERE status = 'SUCCESS'") == [(2,)],
            timeout=120,
            what="a second run after the restart",
        )
        listed = api.get("/workers").json()
        assert sorted(w["id"] for w in listed["workers"]) == ["api", "w1"]  # both still beating
        assert all(w["last_beat_seconds_ago"] < 4 for w in listed["workers"])
        assert listed["workflows"] == {"enqueued": 0, "pending": 0}
    finally:
        api.stop()
        worker.stop()


NEW_VERSION = 'Item(id=f"i{k}", n=k + shift + 1_000_000)'


def test_deploy_while_a_run_is_in_flight(tmp_path, postgres):
    database = postgres.new_database()
    api = start(tmp_path, "api", database)
    worker = start(tmp_path, "w1", database, kind="worker")
    try:
        project = write_project(tmp_path / "proj")
        sync_id = deploy_paused(api, project, count=1000, batch=100, delay=0.4)
        start_now(api, sync_id)
        api.wait_for(lambda: api.sql("SELECT count(*) FROM records")[0][0] >= 100, what="the run to start")
        script = project / "acme" / "syncs" / "items.py"
        script.write_text(script.read_text().replace('Item(id=f"i{k}", n=k + shift)', NEW_VERSION))
        assert api.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
        scripts = api.sql("SELECT id, version, active FROM scripts WHERE name = 'items' ORDER BY id")
        (v1, _, old_active), (v2, _, new_active) = scripts
        assert (old_active, new_active) == (False, True)
        api.wait_for(
            lambda: api.sql("SELECT status FROM sync_runs") == [("SUCCESS",)], timeout=120, what="run 1"
        )
        assert api.sql("SELECT script_id FROM sync_runs") == [(v1,)]
        values = {json.loads(j)["n"] for (j,) in api.sql("SELECT json FROM records")}
        assert max(values) < 1_000_000  # all of run 1 on the old version
        r = api.post(
            "/sync/trigger", json={"provider_config_key": "acme", "connection_id": "c1", "syncs": ["items"]}
        )
        assert r.status_code == 200
        api.wait_for(
            lambda: api.sql("SELECT count(*) FROM sync_runs WHERE status = 'SUCCESS'") == [(2,)],
            timeout=120,
            what="run 2",
        )
        assert api.sql("SELECT script_id FROM sync_runs ORDER BY id") == [(v1,), (v2,)]
        values = {json.loads(j)["n"] for (j,) in api.sql("SELECT json FROM records")}
        assert min(values) >= 1_000_000  # the next run took the new version
    finally:
        api.stop()
        worker.stop()


def nango(*args: str, key: str | None = SHARED_KEY) -> subprocess.CompletedProcess:
    env = {**os.environ, "NANGO_TUI_ENCRYPTION_KEY": key or ""}
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_older_schema_refuses_to_start_until_migrate(tmp_path, postgres):
    database = postgres.new_database()
    from nango_tui.server import db

    engine = db.create(database)
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")  # a database left by the previous version
    engine.dispose()
    refused = nango("worker", "--database", database, "--data", str(tmp_path / "w"))
    assert refused.returncode == 1
    assert "revision 0001" in refused.stderr and "nango-tui migrate" in refused.stderr
    assert "Traceback" not in refused.stderr
    migrated = nango("migrate", "--database", database)
    assert migrated.returncode == 0 and "from revision 0001 to 0002" in migrated.stdout
    again = nango("migrate", "--database", database)
    assert again.returncode == 0 and "already at revision 0002" in again.stdout
    import sqlalchemy as sa

    with db.create(database).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    newer = nango("worker", "--database", database, "--data", str(tmp_path / "w"))
    assert newer.returncode == 1 and "newer than this nango-tui" in newer.stderr


def test_worker_ids_are_unique_and_bad_databases_are_clear(tmp_path, postgres):
    database = postgres.new_database()
    first = start(tmp_path, "same", database, kind="worker")
    try:
        clash = nango("worker", "--database", database, "--id", "same", "--data", str(tmp_path / "other"))
        assert clash.returncode == 1 and "worker id 'same' is in use" in clash.stderr
        other_key = nango("worker", "--database", database, "--data", str(tmp_path / "k"), key=None)
        assert other_key.returncode == 1 and "same NANGO_TUI_ENCRYPTION_KEY" in other_key.stderr
        kill9(first)  # restarted at once on the same machine with its id (systemd Restart=always)
        first.start(timeout=60)
    finally:
        first.stop()
    sqlite = nango("worker", "--database", f"sqlite:///{tmp_path / 'x.db'}")
    assert sqlite.returncode == 1 and "needs a shared database" in sqlite.stderr
    down = nango("worker", "--database", "postgresql://nobody:secret@127.0.0.1:9/x", "--data", str(tmp_path))
    assert down.returncode == 1 and "cannot open the database" in down.stderr
    assert "secret" not in down.stderr and "Traceback" not in down.stderr


def test_oauth2_refresh_once_across_processes(tmp_path, postgres, local_server):
    """Two API processes asked for one expiring connection at once: one refresh (the token is single-use)."""
    from datetime import UTC, datetime, timedelta

    calls: list[str] = []

    def token(req):
        calls.append(req.body.decode())
        time.sleep(0.5)  # a slow provider widens the race
        return {"access_token": f"fresh-{len(calls)}", "refresh_token": "r2", "expires_in": 3600}

    local_server.route("POST", "/token", token)
    database = postgres.new_database()
    one = start(tmp_path, "p1", database)
    two = start(tmp_path, "p2", database, port=None)
    try:
        soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
        body = connection_body("oa1")
        body["credentials"] = {
            "type": "OAUTH2",
            "access_token": "old",
            "refresh_token": "r1",
            "expires_at": soon,
        }
        body["connection_config"] = {"token_url": local_server.url + "/token"}
        assert one.post("/connections", json=body).status_code == 200  # no scripts deployed: no sync
        tokens: list[str] = []

        def ask(server):
            got = server.get("/connections/oa1?provider_config_key=acme").json()
            tokens.append(got["credentials"]["access_token"])

        threads = [threading.Thread(target=ask, args=(s,)) for s in (one, two) * 5]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) == 1 and tokens == ["fresh-1"] * 10
    finally:
        one.stop()
        two.stop()


def test_serve_processes_of_one_database_share_a_port_with_reuse_port(tmp_path, postgres):
    """`serve --reuse-port`: two API processes of one database listen on one port (each with its
    own worker id); either one alone keeps answering on it; a third without the flag is refused."""
    database = postgres.new_database()
    one = start(tmp_path, "api1", database, args=["--reuse-port"])
    two = start(tmp_path, "api2", database, port=one.port, args=["--reuse-port"])
    try:
        two.wait_for(lambda: "nango-tui serve: listening on" in two.log_path.read_text(), what="api2")
        deploy_paused(one, write_project(tmp_path / "proj"))
        assert {"api1", "api2"} <= {w["id"] for w in one.get("/workers").json()["workers"]}
        third = warm_cli.run(
            [sys.executable, "-m", "nango_tui", "serve", "--database", database, "--id", "api3"]
            + ["--data", str(tmp_path / "data3"), "--port", str(one.port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **FAST_JANITOR},
        )
        assert third.returncode == 1 and "in use" in third.stderr

        def pages_answer() -> bool:  # new connections each time: the kernel picks a process for each
            return all(
                one.get("/records?model=Item", headers=acme_headers()).json()
                == {"records": [], "next_cursor": None}
                for _ in range(20)
            )

        assert pages_answer()
        one.stop()
        assert pages_answer()  # all on api2
        one.start(timeout=60)  # returns when the port answers, which `two` does: wait for `one`'s own line
        one.wait_for(
            lambda: one.log_path.read_text().count("nango-tui serve: listening on") == 2, what="api1 again"
        )
        two.stop()
        assert pages_answer()  # all on api1, restarted on the shared port
    finally:
        one.stop()
        two.stop()
