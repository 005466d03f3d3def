"""Load generator for `GET /records`: concurrent keep-alive clients in a process of their own.

Used by bench_server.py (SQLite) and bench_scale.py (PostgreSQL). The clients run in a separate
process (asyncio, one socket per client, raw HTTP/1.1), so their CPU is measured apart from the
server's and the load they add to the machine is small and counted (`client_cpu`).

Two ways to drive the server:
- closed loop (`rate=None`): each client sends its next request as soon as the last one answered.
  With N clients the server always has N requests in hand: latency = N / throughput (Little's law),
  so this measures how many requests a second the server can take, not what a caller waits.
- open loop at a rate (`rate=R` requests/s over all clients): each client has its own schedule
  (R/N a second, staggered); a request's latency counts from the time it was due, so a late answer
  also delays (and is charged to) the requests queued behind it (no "coordinated omission", as
  wrk2 measures). This is the latency a caller sees at that load.

    python benchmarks/records_load.py   # reads a JSON job on stdin, prints a JSON result
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit


@dataclass
class LoadResult:
    latencies: list[float]  # seconds, sorted
    wall: float
    client_cpu: float
    mode: str

    def p(self, q: float) -> float:
        """The q-quantile in milliseconds."""
        values = self.latencies
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    def summary(self) -> str:
        return (
            f"p50 {self.p(0.5):.1f} ms, p90 {self.p(0.9):.1f} ms, p99 {self.p(0.99):.1f} ms,"
            f" max {self.latencies[-1] * 1000:.1f} ms; {len(self.latencies) / self.wall:,.0f} requests/s"
        )


def run_load(
    url: str,
    headers: dict[str, str],
    path: str,
    cursors: list[str],
    *,
    clients: int,
    requests: int,
    rate: float | None = None,
    model: str = "Contact",
    limit: int = 100,
) -> LoadResult:
    """`requests` pages over `clients` connections (closed loop, or open loop at `rate`/s)."""
    job = {
        "url": url,
        "headers": headers,
        "path": path,
        "cursors": cursors,
        "clients": clients,
        "requests": requests,
        "rate": rate,
        "model": model,
        "limit": limit,
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout)
    return LoadResult(sorted(out["latencies"]), out["wall"], out["cpu"], out["mode"])


async def _client(job: dict, index: int, t0: float, out: list[float], errors: list[str]) -> None:
    parts = urlsplit(job["url"])
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = "".join(f"{k}: {v}\r\n" for k, v in job["headers"].items())
    rnd = random.Random(index)
    clients, rate = job["clients"], job["rate"]
    mine = job["requests"] // clients + (1 if index < job["requests"] % clients else 0)
    interval = clients / rate if rate else 0.0
    loop = asyncio.get_running_loop()
    for k in range(mine):
        target = f"{job['path']}?model={job['model']}&limit={job['limit']}&cursor={quote(rnd.choice(job['cursors']))}"
        request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}\r\n".encode()
        if rate:
            due = t0 + (index / clients + k) * interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            due = loop.time()
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length)
        out.append(loop.time() - due)
        if not status_line.startswith(b"HTTP/1.1 200"):
            errors.append(f"{status_line!r} {body[:200]!r}")
        elif k % 50 == 0:  # a sample is decoded whole; the rest is checked by its start
            page = json.loads(body)
            if not 1 <= len(page["records"]) <= job["limit"]:
                errors.append(f"a page of {len(page['records'])} records")
        elif not body.startswith(b'{"records":[{'):
            errors.append(f"an odd body {body[:100]!r}")
    writer.close()


async def _main(job: dict) -> dict:
    loop = asyncio.get_running_loop()
    per_client: list[list[float]] = [[] for _ in range(job["clients"])]
    errors: list[str] = []
    t0 = loop.time() + 0.05
    started = time.perf_counter()
    await asyncio.gather(*(_client(job, i, t0, per_client[i], errors) for i in range(job["clients"])))
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} bad answers, e.g. {errors[0]}")
    return {
        "latencies": [x for xs in per_client for x in xs],
        "wall": wall,
        "mode": f"open loop at {job['rate']:g}/s" if job["rate"] else "closed loop",
    }


def main() -> None:
    job = json.load(sys.stdin)
    result = asyncio.run(_main(job))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    json.dump(result, sys.stdout)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main_thread_cpu(pid: int) -> float:
    """CPU seconds of process `pid`'s main thread (a `serve`'s event loop), from /proc."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
