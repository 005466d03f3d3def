"""dryrun speed and memory. Prints its figures; run from the repository root:

    .venv/bin/python benchmarks/bench_dryrun.py

1. whole-command time of `nango-tui dryrun` on a small sync (7 records, 3 pages, local server),
   target < 0.6 s;
2. throughput: 100,000 records in pages of 1,000 from a local server, saved validated
   (`--validation`), end to end through the real command, target >= 50,000 records/s;
3. the child's peak RSS at 10,000 and 100,000 records: it must not grow with the record count.
   Measured as the child's own VmHWM (reported in `done` as peak_rss_kib) and as ru_maxrss of
   children; on Linux the latter also counts the parent's RSS at fork, so the API serves pages
   built on demand to keep the parent flat.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support.dryrun_project import Api, write_project  # noqa: E402

NANGO_TUI = [sys.executable, "-m", "nango_tui"]

THROUGHPUT_SYNC = """\
from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    async for page in nango.paginate(endpoint="/contacts", paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}):
        await nango.batch_save(page, "Contact")
"""


def _command(root: Path, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [*NANGO_TUI, "dryrun", "contacts", "local", "--dir", str(root), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dryrun failed ({done.returncode}): {done.stderr}")
    return took


def small_sync(tmp: Path, runs: int = 7) -> None:
    with Api(total=7, page_size=3) as api:
        root = write_project(tmp / "small", api.url)
        _command(root)  # warm the page cache and .pyc files
        times = [_command(root) for _ in range(runs)]
    print(
        f"small sync (7 records, 3 pages), whole command: median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s over {runs} runs (target < 0.6 s)"
    )


def throughput(tmp: Path, total: int = 100_000, runs: int = 3) -> None:
    with Api(total=total, page_size=1000) as api:
        root = write_project(tmp / "big", api.url, contacts_sync=THROUGHPUT_SYNC)
        times = [_command(root, "--validation") for _ in range(runs)]
        best, median = min(times), statistics.median(times)
    print(
        f"throughput ({total:,} records, pages of 1,000, validated), whole command: median {median:.2f} s = {total / median:,.0f} records/s, best {best:.2f} s = {total / best:,.0f} records/s (target >= 50,000/s)"
    )


def child_peak(tmp: Path) -> None:
    figures = {}
    for total in (10_000, 100_000):
        out = subprocess.run(
            [sys.executable, __file__, "--child-peak", str(total), str(tmp / f"peak{total}")],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[total] = json.loads(out.stdout.strip().splitlines()[-1])
    for total, f in figures.items():
        print(
            f"child peak RSS at {total:,} records: own VmHWM {f['own_kib'] / 1024:.1f} MiB, ru_maxrss(children) {f['maxrss_kib'] / 1024:.1f} MiB"
            f" ({f['records']:,} records in {f['seconds']:.2f} s)"
        )
    grow = figures[100_000]["own_kib"] / figures[10_000]["own_kib"]
    print(f"child peak RSS 100k / 10k: {grow:.2f}x (must not grow with the record count)")


def _child_peak_main(total: int, folder: str) -> None:
    """Run in a fresh process so RUSAGE_CHILDREN holds only this dryrun's child."""
    import asyncio
    import resource

    from nango_tui.dryrun import DryrunRequest, start_dryrun

    with Api(total=total, page_size=1000) as api:
        root = write_project(Path(folder), api.url, contacts_sync=THROUGHPUT_SYNC)

        async def go() -> dict:
            run = await start_dryrun(DryrunRequest(root, "contacts", "local", validation=True))
            async for _ in run.events():
                pass
            return run.done

        started = time.perf_counter()
        done = asyncio.run(go())
        seconds = time.perf_counter() - started
    assert done["status"] == "ok", done
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "records": done["records"],
                "seconds": seconds,
                "maxrss_kib": peak,
                "own_kib": done.get("peak_rss_kib") or peak,
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-peak":
        _child_peak_main(int(sys.argv[2]), sys.argv[3])
        return
    os.chdir(REPO)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores (shared machine: figures are noisy)")
    with tempfile.TemporaryDirectory() as tmp:
        small_sync(Path(tmp))
        throughput(Path(tmp))
        child_peak(Path(tmp))


if __name__ == "__main__":
    main()
