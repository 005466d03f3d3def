"""CPU time per test, a figure that a loaded machine inflates far less than wall time.

Enable with `python -m pytest -p tests.support.cpu_profile` and set NANGO_TUI_CPU_PROFILE to a
file: each worker appends one JSON line per test (nodeid, wall seconds, CPU seconds of the test's
process and of the children it waited for: servers, dryrun children, tools). Then
`python -m tests.support.cpu_profile FILE` prints the totals, the files and the tests that cost
the most. A module-scoped server's CPU is counted where it is reaped (its module's last test).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ENV = "NANGO_TUI_CPU_PROFILE"


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    target = os.environ.get(ENV)
    if not target:
        yield
        return
    wall, (own, children) = time.monotonic(), _cpu()
    yield
    wall_end, (own_end, children_end) = time.monotonic(), _cpu()
    line = {
        "test": item.nodeid.split("@")[0],
        "wall": round(wall_end - wall, 3),
        "cpu": round(own_end - own, 3),
        "children_cpu": round(children_end - children, 3),
    }
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def summary(path: Path, top: int = 25) -> str:
    """The totals, the costliest files and tests of a profile file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for row in rows:
        entry = per_file[row["test"].split("::")[0]]
        entry[0] += row["cpu"] + row["children_cpu"]
        entry[1] += row["wall"]
        entry[2] += 1
    cpu = sum(r["cpu"] + r["children_cpu"] for r in rows)
    wall = sum(r["wall"] for r in rows)
    out = [f"{len(rows)} tests: {cpu:.0f} s CPU (tests and their children), {wall:.0f} s of test wall time"]
    out.append(f"\nfiles by CPU (top {top}): cpu s / wall s / tests")
    for name, (file_cpu, file_wall, count) in sorted(per_file.items(), key=lambda kv: -kv[1][0])[:top]:
        out.append(f"  {file_cpu:7.1f} {file_wall:7.1f} {count:4d}  {name}")
    out.append(f"\ntests by CPU (top {top}): cpu s / wall s")
    for row in sorted(rows, key=lambda r: -(r["cpu"] + r["children_cpu"]))[:top]:
        out.append(f"  {row['cpu'] + row['children_cpu']:7.1f} {row['wall']:7.1f}  {row['test']}")
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
