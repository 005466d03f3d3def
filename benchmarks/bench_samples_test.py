"""How long `nango-tui test` takes on sample-integrations (6 scripts replayed), and one replay alone.

    .venv/bin/python benchmarks/bench_samples_test.py

Prints medians of whole-process wall times (start-up included), the way a user or CI sees them:
with bytecode cached (measure_env.py), after one run of each command to fill that cache.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure_env import cache_bytecode

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample-integrations"


def wall(args: list[str], runs: int) -> tuple[float, float, float, float]:
    """Median wall time, median CPU time (user + sys of every process of the command), and the
    maxima of both (the steadiness the figures are judged by too)."""
    times, cpus = [], []
    for _ in range(runs):
        before = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "nango_tui", *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
        if done.returncode != 0:
            raise SystemExit(f"nango-tui {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return statistics.median(times), statistics.median(cpus), max(times), max(cpus)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    pycache = cache_bytecode()
    test_all = ["test", "--dir", str(SAMPLES)]
    replay = ["dryrun", "contacts", "salesforce-demo", "--dir", str(SAMPLES), "--json"]
    wall(test_all, 1)  # fills the bytecode cache (and the page cache)
    wall(replay, 1)
    all_scripts = wall(test_all, 7)
    one = wall(["test", "--dir", str(SAMPLES), "salesforce/contacts"], 7)
    dryrun = wall(replay, 7)
    print(
        f"load average {os.getloadavg()[0]:.1f}; wall (CPU of all the command's processes), medians of 7"
        f" [maxima]; bytecode cached in {pycache}"
    )
    for label, (seconds, cpu, most, most_cpu) in (
        ("nango-tui test, 6 sample scripts", all_scripts),
        ("nango-tui test salesforce/contacts", one),
        ("nango-tui dryrun contacts salesforce-demo (replay)", dryrun),
    ):
        print(
            f"{label}: {seconds * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU)"
            f" [max {most * 1000:.0f} ms ({most_cpu * 1000:.0f} ms CPU)]"
        )


if __name__ == "__main__":
    main()
