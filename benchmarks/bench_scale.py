"""Many workers on one PostgreSQL (issue 14). Prints its figures; run from the repository root:

    .venv/bin/python benchmarks/bench_scale.py schedule [--processes 1 2 4] [--connections 200] [--window 90]
    .venv/bin/python benchmarks/bench_scale.py records [--rows 10000000] [--clients 8] [--rates 200] [--servers 1 2]
    .venv/bin/python benchmarks/bench_scale.py takeover [--timeout 30]

1. schedule: C connections x 3 syncs, `runs: every 1min`, on 1, 2, 4 processes (one `serve` plus
   N-1 `worker`s, 4 runs at once each): runs per minute, lag of a run's start behind the moment it
   was due (p50/p99), records/s into the cache, over a window after a warm-up;
2. records: `GET /records`, page of 100, with ROWS records cached on PostgreSQL (one connection,
   filled by SQL), concurrent clients on keep-alive connections at random cursors (benchmarks/records_load.py:
   a closed loop, then an open loop at each rate): p50/p99;
3. takeover: `kill -9` of the worker running a sync; seconds until a live worker has started it
   again (heartbeat 2 s, NANGO_TUI_WORKER_TIMEOUT as given).

Each part starts its own throw-away PostgreSQL cluster (tests/support/postgres.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support import postgres as pg  # noqa: E402
from tests.support.server_process import ServerProcess, free_port  # noqa: E402
from tests.support.server_project import acme_headers, connection_body, write_project  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from records_load import process_cpu, run_load  # noqa: E402

KEY = "zXkN2vW1lqfS1p0kQm8tZ3h9bV7cY4aR6uE5oJ2iT0w="  # a fixed Fernet key shared by the processes

YAML = """\
integrations:
    bench:
        syncs:
{syncs}
models:
    Item:
        id: string
        n: number
"""
SYNC = """\
            {name}:
                runs: every 1min
                sync_type: incremental
                output: Item
                endpoint: GET /{name}
"""
SCRIPT = """\
import time

from nango_tui.sdk import NangoSync

from models import Item


async def fetch_data(nango: NangoSync) -> None:
    meta = await nango.get_metadata()
    stamp = int(time.time())
    await nango.batch_save([Item(id=f"i{k}", n=stamp + k) for k in range(int(meta.get("count", 20)))], "Item")
"""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of process `root` and its descendants, the waited-for dead
    included (a live process's counts hold its reaped children's): PostgreSQL, the servers, their
    zygotes and every run's child, all started by this script. Other users' load is not counted."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(kids.get(pid, []))
    return total


def env(extra: dict | None = None) -> dict:
    return {"NANGO_TUI_ENCRYPTION_KEY": KEY, **(extra or {})}


def bench_project(root: Path) -> Path:
    names = ["s1", "s2", "s3"]
    (root / "bench" / "syncs").mkdir(parents=True)
    (root / "nango.yaml").write_text(YAML.format(syncs="".join(SYNC.format(name=n) for n in names)))
    for n in names:
        (root / "bench" / "syncs" / f"{n}.py").write_text(SCRIPT)
    return root


def schedule(
    cluster: pg.PostgresCluster, tmp: Path, processes: int, connections: int, warmup: float, window: float
):
    database = cluster.new_database()
    base = tmp / f"sched{processes}"
    procs = [ServerProcess(base / "data", database=database, worker_id="api", env=env()).start(timeout=90)]
    try:
        for k in range(processes - 1):
            procs.append(
                ServerProcess(
                    base / f"w{k}", database=database, worker_id=f"w{k}", kind="worker", env=env()
                ).start(timeout=90)
            )
        api = procs[0]
        project = bench_project(base / "proj")
        assert api.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
        for c in range(connections):
            body = connection_body(f"c{c}", count=20)
            body["provider_config_key"] = body["provider"] = "bench"
            for _ in range(60):  # 503 engine_unavailable while the API's scheduler is still starting
                r = api.post("/connections", json=body)
                if r.status_code != 503:
                    break
                time.sleep(1)
            assert r.status_code == 200, (r.status_code, r.text[:500])
        t0 = time.time()
        time.sleep(warmup)
        start = time.time()
        cpu = tree_cpu(os.getpid())
        time.sleep(window)
        end = time.time()
        cpu = tree_cpu(os.getpid()) - cpu
        rows = api.sql(
            "SELECT r.started_at, r.result, w.created_at FROM sync_runs r"
            " JOIN dbos.workflow_status w ON w.workflow_uuid = r.workflow_id"
            " WHERE r.status = 'SUCCESS'"
        )
        from nango_tui.server import timeutil

        started = [
            (timeutil.parse(s).timestamp(), json.loads(res), created / 1000) for s, res, created in rows
        ]
        in_window = [r for r in started if start <= r[0] < end]
        lags = [r[0] - r[2] for r in in_window]
        saved = sum(sum(m.get("added", 0) + m.get("updated", 0) for m in r[1].values()) for r in in_window)
        errors = api.sql("SELECT count(*) FROM sync_runs WHERE status = 'ERROR'")[0][0]
        print(
            f"  {processes} process(es): {len(in_window) / window * 60:,.0f} runs/min"
            f" (due: {connections * 3:,}/min), lag p50 {pct(lags, 0.5):.1f} s, p99 {pct(lags, 0.99):.1f} s,"
            f" {saved / window:,.0f} records/s into the cache; {errors} failed runs"
            f" (window {window:.0f} s after {start - t0:.0f} s warm-up); CPU in the window {cpu:.0f} s"
            f" (PostgreSQL, servers and runs) = {cpu / max(1, len(in_window)) * 1000:.0f} ms a run,"
            f" load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    finally:
        for p in procs:
            p.stop()


def records(
    cluster: pg.PostgresCluster,
    tmp: Path,
    rows: int,
    clients: int,
    requests: int,
    rates: list[float],
    servers: list[int],
) -> None:
    from nango_tui.server.storage import records as recs

    database = cluster.new_database()
    server = ServerProcess(tmp / "rec" / "data", database=database, worker_id="api", env=env()).start(
        timeout=90
    )
    try:
        project = write_project(tmp / "rec" / "proj")
        assert server.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
        server.sql("UPDATE scripts SET auto_start = false")
        assert server.post("/connections", json=connection_body("big")).status_code == 200
        (pk,) = server.sql("SELECT id FROM connections WHERE connection_id = 'big'")[0]
        t = time.perf_counter()
        server.sql("ALTER TABLE records DROP CONSTRAINT records_pkey")
        server.sql("DROP INDEX ix_records_page")
        chunk = 1_000_000
        for lo in range(0, rows, chunk):
            hi = min(rows, lo + chunk)
            server.sql(
                "INSERT INTO records (connection_pk, model, external_id, id, json, data_hash, created_at,"
                " updated_at, sync_id, sync_job_id)"
                " SELECT :pk, 'Item', 'i' || g, md5('big' || g)::uuid::text,"
                " '{\"id\": \"i' || g || '\", \"n\": ' || g || '}', md5(g::text), ts, ts, 1, 1"
                " FROM (SELECT g, to_char(timestamp '2026-01-01' + g * interval '1 millisecond',"
                ' \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS ts FROM generate_series(:lo, :hi - 1) g) s',
                pk=pk,
                lo=lo,
                hi=hi,
            )
        server.sql("ALTER TABLE records ADD PRIMARY KEY (connection_pk, model, external_id)")
        server.sql("CREATE INDEX ix_records_page ON records (connection_pk, model, updated_at, id)")
        server.sql("ANALYZE records")
        fill = time.perf_counter() - t
        sample = server.sql("SELECT updated_at, id FROM records TABLESAMPLE SYSTEM (0.05) LIMIT 2000")
        cursors = [recs.encode_cursor(u, i) for u, i in sample]
        headers = {**server.headers(), **acme_headers("big")}
        print(f"  the cache filled by SQL in {fill:.0f} s", flush=True)
        server.stop()
        for count in servers:
            _records_load(tmp, database, count, headers, cursors, rows, clients, requests, rates)
    finally:
        server.stop()


def _records_load(
    tmp: Path,
    database: str,
    count: int,
    headers: dict,
    cursors: list[str],
    rows: int,
    clients: int,
    requests: int,
    rates: list[float],
) -> None:
    """The load on `count` serve processes sharing one port (`serve --reuse-port` when more than one)."""
    port = free_port()
    flag = ["--reuse-port"] if count > 1 else []
    procs = [
        ServerProcess(
            tmp / "rec" / "data",
            port=port,
            database=database,
            worker_id=f"api{i}",
            env=env(),
            args=flag,
        )
        for i in range(count)
    ]
    try:
        for proc in procs:
            proc.start(timeout=90)
            proc.wait_for(lambda p=proc: "listening on" in p.log_path.read_text(), what="serve")
        server = procs[0]
        run_load(server.url, headers, "/records/", cursors, clients=clients, requests=400, model="Item")
        for rate in [None, *rates]:
            before = sum(process_cpu(p.proc.pid) for p in procs)
            result = run_load(
                server.url,
                headers,
                "/records/",
                cursors,
                clients=clients,
                requests=requests,
                rate=rate,
                model="Item",
            )
            cpu = sum(process_cpu(p.proc.pid) for p in procs) - before
            n = len(result.latencies)
            print(
                f"GET /records on PostgreSQL, {rows:,} cached, page of 100, {count} serve process(es),"
                f" {clients} clients, {result.mode},"
                f" {n:,} requests at random cursors: {result.summary()}; server CPU {cpu / n * 1000:.2f} ms"
                f" a request, the clients' {result.client_cpu / n * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        for proc in procs:
            proc.stop()


def takeover(cluster: pg.PostgresCluster, tmp: Path, timeout: float) -> None:
    database = cluster.new_database()
    extra = env({"NANGO_TUI_WORKER_TIMEOUT": str(timeout)})
    base = tmp / f"take{timeout:g}"
    api = ServerProcess(base / "data", database=database, worker_id="api", env=extra).start(timeout=90)
    project = write_project(base / "proj")
    assert api.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
    api.sql("UPDATE scripts SET auto_start = false")
    assert (
        api.post("/connections", json=connection_body("c1", count=50000, batch=500, delay=1.0)).status_code
        == 200
    )
    api.stop()
    a = ServerProcess(base / "wa", database=database, worker_id="wa", kind="worker", env=extra).start(
        timeout=90
    )
    b = None
    try:
        api.sql("UPDATE syncs SET state = 'STARTED', next_run_at = '2000-01-01T00:00:00.000000Z'")
        a.wait_for(
            lambda: a.sql("SELECT count(*) FROM records")[0][0] >= 1000, timeout=120, what="A's batches"
        )
        b = ServerProcess(base / "wb", database=database, worker_id="wb", kind="worker", env=extra).start(
            timeout=90
        )
        time.sleep(timeout + 2)  # B connected for longer than the timeout, as a long-running worker is
        os.kill(a.proc.pid, signal.SIGKILL)
        killed = time.time()
        a.proc.wait()
        b.wait_for(
            lambda: b.sql("SELECT 1 FROM sync_runs WHERE executor_id = 'wb'"),
            timeout=timeout * 3 + 60,
            what="B",
        )
        (started,) = b.sql("SELECT started_at FROM sync_runs WHERE executor_id = 'wb'")[0]
        from nango_tui.server import timeutil

        moved = timeutil.parse(started).timestamp() - killed
        print(
            f"takeover after kill -9 mid-sync (worker timeout {timeout:g} s, heartbeat 2 s):"
            f" the run restarted on a live worker {moved:.1f} s after the kill",
            flush=True,
        )
    finally:
        for p in (a, b):
            if p is not None:
                p.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=["schedule", "records", "takeover"])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--window", type=float, default=90)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2400, help="records: requests per run")
    parser.add_argument(
        "--servers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="records: serve processes on one port (--reuse-port)",
    )
    parser.add_argument("--rates", default="200,400", help="records: open-loop rates after the closed loop")
    parser.add_argument("--timeout", type=float, nargs="+", default=[30, 5])
    args = parser.parse_args()
    if not pg.available():
        sys.exit("PostgreSQL binaries are absent (apt-get install postgresql)")
    cluster = pg.PostgresCluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.part == "schedule":
                print(
                    f"{args.connections} connections x 3 syncs every 1 min, {os.cpu_count()} cores:",
                    flush=True,
                )
                for n in args.processes:
                    schedule(cluster, Path(tmp), n, args.connections, args.warmup, args.window)
            elif args.part == "records":
                rates = [float(r) for r in args.rates.split(",") if r.strip()]
                records(cluster, Path(tmp), args.rows, args.clients, args.requests, rates, args.servers)
            else:
                for t in args.timeout:
                    takeover(cluster, Path(tmp), t)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
