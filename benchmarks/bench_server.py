"""The runtime server's figures (issue 13). Prints them; run from the repository root:

    .venv/bin/python benchmarks/bench_server.py [--only ready|deploy|sync|records] [--records-rows 1000000]
        [--clients 8] [--requests 2400] [--rates 200,400] [--keep DIR]

1. `serve` ready: process start to the first HTTP answer, fresh data folder and restart (target < 1 s);
2. `deploy` of sample-integrations to a running server, whole command (target < 1 s);
3. a 100,000-record sync from a local API into the records cache, SQLite, end to end (trigger to the
   run's end as the server records it), beside the peer: the same sync as `nango-tui dryrun` (no cache)
   (target >= 20,000 records/s);
4. `GET /records/` pages of 100 with 1,000,000 records cached, 8 clients on keep-alive connections
   at random cursors (benchmarks/records_load.py, a process of its own): a closed loop (each client
   sends again as soon as it has its answer: the server's capacity, latency = clients / throughput),
   then an open loop at each --rates (latency from the moment each request was due: what a caller
   sees at that load); the server's and the clients' CPU a request (target p99 < 20 ms). The runs
   start once the engine's queues poll at their idle interval (a server that serves pages and runs
   nothing). --keep DIR keeps the filled folder (~380 MB) for the next run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support.dryrun_project import TOKEN, Api  # noqa: E402
from tests.support.server_process import ServerProcess  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import tree_cpu  # noqa: E402
from records_load import main_thread_cpu, process_cpu, run_load  # noqa: E402

NANGO_YAML = """\
integrations:
    demo:
        syncs:
            contacts:
                runs: every day
                sync_type: incremental
                output: Contact
                endpoint: GET /contacts
models:
    Contact:
        id: string
        first_name: string
        last_name: string
        email?: string | null
"""

SYNC = """\
from nango_tui.sdk import NangoSync

from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    async for page in nango.paginate(endpoint="/contacts", paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}):
        await nango.batch_save(page, "Contact")
"""


def project(root: Path, api_url: str) -> Path:
    (root / "demo" / "syncs").mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(NANGO_YAML)
    (root / "demo" / "syncs" / "contacts.py").write_text(SYNC)
    (root / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      local:\n        integration: demo\n        provider: demo\n"
        f"        base_url: {api_url}\n        credentials: {{type: OAUTH2, access_token: {TOKEN}}}\n"
    )
    return root


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, min {min(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def serve_ready(tmp: Path, runs: int = 5) -> None:
    fresh, again, cpu_fresh, cpu_again = [], [], [], []
    for i in range(runs):
        server = ServerProcess(tmp / f"ready{i}" / "data")
        (tmp / f"ready{i}").mkdir()
        fresh.append(server.start().ready_seconds)
        cpu_fresh.append(server.ready_cpu_seconds)
        server.stop()
        again.append(server.start().ready_seconds)
        cpu_again.append(server.ready_cpu_seconds)
        server.stop()
    print(
        f"serve ready, fresh data folder: {ms(fresh)} over {runs} runs; CPU used until then {ms(cpu_fresh)} (target < 1 s)"
    )
    print(
        f"serve ready, restart on existing data: {ms(again)} over {runs} runs; CPU used until then {ms(cpu_again)} (target < 1 s)"
    )


def deploy(tmp: Path, runs: int = 5) -> None:
    (tmp / "deploy").mkdir()
    server = ServerProcess(tmp / "deploy" / "data").start()
    try:
        samples = REPO / "sample-integrations"
        server.cli("deploy", "dev", "--dir", str(samples), "--auto-confirm")  # warm
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = server.cli("deploy", "dev", "--dir", str(samples), "--auto-confirm")
            times.append(time.perf_counter() - started)
            assert result.returncode == 0, result.stderr
        compile_times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "nango_tui", "compile", "--dir", str(samples)],
                capture_output=True,
                check=True,
            )
            compile_times.append(time.perf_counter() - started)
    finally:
        server.stop()
    print(
        f"deploy of sample-integrations (6 scripts), whole command: {ms(times)} over {runs} runs (target < 1 s)"
    )
    print(f"  of which `compile` alone, whole command: {ms(compile_times)}")


def sync_throughput(tmp: Path, total: int = 100_000) -> None:
    (tmp / "sync").mkdir()
    with Api(total=total, page_size=1000) as api:
        root = project(tmp / "sync" / "proj", api.url)
        subprocess.run(
            [sys.executable, "-m", "nango_tui", "compile", "--dir", str(root)],
            capture_output=True,
            check=True,
        )
        started = time.perf_counter()
        peer_cpu = _children_cpu()
        peer = subprocess.run(
            [sys.executable, "-m", "nango_tui", "dryrun", "contacts", "local", "--dir", str(root), "--json"],
            capture_output=True,
            text=True,
        )
        peer_seconds = time.perf_counter() - started
        peer_cpu = _children_cpu() - peer_cpu
        assert peer.returncode == 0, (peer.stderr[-2000:], peer.stdout[-2000:])
        server = ServerProcess(tmp / "sync" / "data").start()
        try:
            assert server.cli("deploy", "dev", "--dir", str(root), "--auto-confirm").returncode == 0
            body = {
                "provider_config_key": "demo",
                "connection_id": "local",
                "provider": "demo",
                "credentials": {"type": "OAUTH2", "access_token": TOKEN},
                "connection_config": {"base_url": api.url},
            }
            started = time.perf_counter()
            cpu_before = _process_cpu(server.proc.pid)
            tree_before = tree_cpu(server.proc.pid)
            server.post("/connections", json=body)

            def done():
                runs = server.get("/sync/runs?sync=contacts&provider_config_key=demo").json()["runs"]
                return runs if runs and runs[0]["status"] != "RUNNING" else None

            runs = server.wait_for(done, timeout=600, what="the 100k sync")
            wall = time.perf_counter() - started
            cpu = [b - a for a, b in zip(cpu_before, _process_cpu(server.proc.pid))]
            tree = tree_cpu(server.proc.pid) - tree_before
        finally:
            server.stop()
    run = runs[0]
    assert run["status"] == "SUCCESS" and run["result"]["Contact"]["added"] == total, run
    from datetime import datetime

    seconds = (
        datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
    ).total_seconds()
    print(
        f"sync of {total:,} records into the cache (SQLite): run {seconds:.2f} s = {total / seconds:,.0f} records/s; "
        f"from POST /connections to done {wall:.2f} s = {total / wall:,.0f} records/s (target >= 20,000/s)"
    )
    print(
        f"  CPU meanwhile: the server process {cpu[0]:.2f} s; the whole server tree (the run's child,"
        f" forked from the zygote, included) {tree:.2f} s, so the child {tree - cpu[0]:.2f} s"
        " (on 2 idle cores the wall time tends to the larger of server and child)"
    )
    print(
        f"  peer: the same sync as `nango-tui dryrun` (no cache), whole command {peer_seconds:.2f} s = {total / peer_seconds:,.0f} records/s;"
        f" CPU {peer_cpu:.2f} s (parent + child)"
    )


def _process_cpu(pid: int) -> tuple[float, float]:
    """(own, waited-for children) CPU seconds of process `pid`, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# the folder's fill, made by storage.records.save: 2 = a batch stored in (updated_at, id) order,
# as pages read it (a folder filled by an older save is filled again)
FILL_VERSION = 2


def fill_records(folder: Path, rows: int) -> ServerProcess:
    """A server folder with `rows` Contact records of connection `big` (made once; reused when
    `folder` already holds them, e.g. with --keep). Returns the (stopped) server."""
    from nango_tui.server import db
    from nango_tui.server.storage import records as recs

    server = ServerProcess(folder / "data")
    marker = folder / f"filled-{rows}-v{FILL_VERSION}"
    if marker.exists():
        return server
    if folder.exists():  # filled by an older storage.records.save (or cut short): fill it again
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    server.start()
    try:
        project(folder / "proj", "http://127.0.0.1:9")
        assert server.cli("deploy", "dev", "--dir", str(folder / "proj"), "--auto-confirm").returncode == 0
        server.post("/sync/pause", json={"syncs": ["contacts"], "provider_config_key": "demo"})
        body = {
            "provider_config_key": "demo",
            "connection_id": "big",
            "provider": "demo",
            "connection_config": {"base_url": "http://127.0.0.1:9"},
        }
        server.post("/connections", json=body)
        server.post("/sync/pause", json={"syncs": ["contacts"], "provider_config_key": "demo"})
        engine = db.create(db.default_url(server.data_dir))
        with engine.connect() as conn:
            pk = conn.exec_driver_sql("SELECT id FROM connections WHERE connection_id = 'big'").scalar()
        started = time.perf_counter()
        for start in range(0, rows, 5000):
            batch = [
                {"id": f"r{i:07d}", "first_name": f"F{i}", "last_name": f"L{i}", "email": f"p{i}@example.com"}
                for i in range(start, min(rows, start + 5000))
            ]
            with engine.begin() as conn:
                recs.save(conn, pk, "Contact", batch, sync_id=0, job_id=1)
        fill = time.perf_counter() - started
        engine.dispose()
        print(
            f"  filled the cache through storage.records.save in batches of 5,000: {rows / fill:,.0f} records/s"
        )
    finally:
        server.stop()
    marker.touch()
    return server


def wait_queues_idle(server: ServerProcess) -> None:
    """Until the engine's queues poll at their idle interval, as they do on a server that serves
    pages and runs nothing (engine.IDLE_AFTER_SECONDS after its start or its last run)."""
    from nango_tui.server.engine import IDLE_AFTER_SECONDS, POLL_IDLE_SECONDS

    deadline = time.monotonic() + IDLE_AFTER_SECONDS + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(server.data_dir / "dbos.sqlite") as conn:
            polls = {seconds for (seconds,) in conn.execute("SELECT polling_interval_sec FROM queues")}
        if polls == {POLL_IDLE_SECONDS}:
            return
        time.sleep(0.5)
    raise SystemExit("the server's queues never went idle")


def records_latency(tmp: Path, rows: int, clients: int, requests: int, rates: list[float]) -> None:
    from nango_tui.server.storage import records as recs

    server = fill_records(tmp / f"records-{rows}", rows)
    with sqlite3.connect(server.data_dir / "nango.db") as conn:
        sample = conn.execute("SELECT updated_at, id FROM records ORDER BY random() LIMIT 2000").fetchall()
    cursors = [recs.encode_cursor(u, i) for u, i in sample]
    headers = {**server.headers(), "Connection-Id": "big", "Provider-Config-Key": "demo"}
    server.start()
    try:
        # warm-up: the first pages read the index and the table from disk into the page cache
        run_load(server.url, headers, "/records/", cursors, clients=clients, requests=400)
        wait_queues_idle(server)
        runs = [None, *rates]
        for rate in runs:
            before, loop_before = process_cpu(server.proc.pid), main_thread_cpu(server.proc.pid)
            result = run_load(
                server.url, headers, "/records/", cursors, clients=clients, requests=requests, rate=rate
            )
            cpu = process_cpu(server.proc.pid) - before
            loop_cpu = main_thread_cpu(server.proc.pid) - loop_before
            n = len(result.latencies)
            print(
                f"GET /records/ page of 100, {rows:,} cached (SQLite), {clients} clients, {result.mode},"
                f" {n:,} requests, random cursors: {result.summary()} (target p99 < 20 ms)"
            )
            print(
                f"  server CPU {cpu / n * 1000:.2f} ms a request (one process: at most {n / cpu:,.0f}/s a core;"
                f" its event loop {loop_cpu / n * 1000:.2f}, the reader and engine threads {(cpu - loop_cpu) / n * 1000:.2f});"
                f" the clients' CPU {result.client_cpu / n * 1000:.2f} ms a request; load average {os.getloadavg()[0]:.1f}"
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records-rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2400, help="requests per records run")
    parser.add_argument(
        "--rates",
        default="200,400",
        help="open-loop rates (requests/s, comma-separated) after the closed loop",
    )
    parser.add_argument("--keep", type=Path, help="keep the filled records folder here and reuse it")
    parser.add_argument("--only", choices=["ready", "deploy", "sync", "records"])
    args = parser.parse_args()
    os.chdir(REPO)
    load = os.getloadavg()[0]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.1f} (shared machine: figures are noisy)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        if args.only in (None, "ready"):
            serve_ready(t)
        if args.only in (None, "deploy"):
            deploy(t)
        if args.only in (None, "sync"):
            sync_throughput(t)
        if args.only in (None, "records"):
            rates = [float(r) for r in args.rates.split(",") if r.strip()]
            records_latency(args.keep or t, args.records_rows, args.clients, args.requests, rates)


if __name__ == "__main__":
    main()
