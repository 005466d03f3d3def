"""How long `nango-tui test` takes on sample-integrations (6 scripts replayed), and one replay alone.

    .venv/bin/python benchmarks/bench_samples_test.py

Prints medians of whole-process wall times (start-up included), the way a user or CI sees them.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample-integrations"


def wall(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "nango_tui", *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"nango-tui {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return statistics.median(times)


def main() -> None:
    all_scripts = wall(["test", "--dir", str(SAMPLES)], 7)
    one = wall(["test", "--dir", str(SAMPLES), "salesforce/contacts"], 7)
    dryrun = wall(["dryrun", "contacts", "salesforce-demo", "--dir", str(SAMPLES), "--json"], 7)
    print(f"nango-tui test, 6 sample scripts (median of 7):      {all_scripts * 1000:.0f} ms")
    print(f"nango-tui test salesforce/contacts (median of 7):     {one * 1000:.0f} ms")
    print(f"nango-tui dryrun contacts salesforce-demo (replay):   {dryrun * 1000:.0f} ms")


if __name__ == "__main__":
    main()
