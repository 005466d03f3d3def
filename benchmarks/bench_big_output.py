"""A 100 MB action output through the parent (issue 10's figure: < 3 s). Prints its figures:

    .venv/bin/python benchmarks/bench_big_output.py [--mb 100] [--runs 3]

An action returns one string of `--mb` megabytes. Timed two ways: through the API
(`start_dryrun` until the `done` event has the output), and the whole command
`nango-tui dryrun big local --json` writing to a file, until it exits. Wall and CPU time
(the parent's, and the whole command's with its child) are printed; the best of `--runs`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from nango_tui.dryrun import DryrunRequest, start_dryrun  # noqa: E402
from tests.support.dryrun_project import Api, write_project  # noqa: E402
from tests.test_dryrun_process import add_sync  # noqa: E402


def big_action(mb: float) -> str:
    return f"async def run_action(nango, input=None):\n    return {{'blob': 'x' * {int(mb * 1024 * 1024)}}}\n"


async def through_api(root: Path, size: int) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    run = await start_dryrun(DryrunRequest(root, "big", "local"))
    output = None
    async for event in run.events():
        if event["type"] == "result":
            output = event
    took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert run.done["status"] == "ok", run.done
    assert output is not None and len(output["output"]["blob"]) == size, "the output did not arrive whole"
    return took, took_cpu


def whole_command(root: Path, out: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(out, "wb") as handle:
        code = subprocess.call(
            [sys.executable, "-m", "nango_tui", "dryrun", "big", "local", "--dir", str(root), "--json"],
            stdout=handle,
            stderr=subprocess.DEVNULL,
        )
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert code == 0, code
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp, Api() as api:
        root = write_project(Path(tmp) / "project", api.url)
        add_sync(root, "big", big_action(args.mb), action=True)
        api_runs = [asyncio.run(through_api(root, size)) for _ in range(args.runs)]
        wall, cpu = min(api_runs)
        print(
            f"{args.mb:.0f} MB action output through the API (start_dryrun until done): {wall:.2f} s, "
            f"parent CPU {cpu:.2f} s (target < 3 s)"
        )
        out = Path(tmp) / "out.jsonl"
        cli_runs = [whole_command(root, out) for _ in range(args.runs)]
        wall, cpu = min(cli_runs)
        print(
            f"{args.mb:.0f} MB action output, `nango-tui dryrun big local --json` to a file, whole command: "
            f"{wall:.2f} s, CPU (parent + child) {cpu:.2f} s; {out.stat().st_size / 1e6:.0f} MB written"
        )


if __name__ == "__main__":
    main()
