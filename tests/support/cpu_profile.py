"""CPU time per test, a figure that a loaded machine inflates far less than wall time.

Enable with `python -m pytest -p tests.support.cpu_profile` and set NANGO_TUI_CPU_PROFILE to a
file: each worker appends one JSON line per test (nodeid, wall seconds, CPU seconds of the test's
process and of the children it waited for: servers, dryrun children, tools). Then
`python -m tests.support.cpu_profile FILE` prints the totals, the files and the tests that cost
the most. A module-scoped server's CPU is counted where it is reaped (its module's last test).

Each line also lists the child processes reaped during the test by kind ("nango-tui serve",
"python -c", "node", "initdb"...; os.wait4 gives each one's own CPU including its children), so
the summary says where the children's CPU goes as a whole. A PostgreSQL cluster's server
daemonizes (nobody here reaps it): `tests/support/postgres.py` reports its CPU when it stops.
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

_spawned: dict[int, str] = {}  # pid -> kind, for the children this process started
_reaped: list[tuple[str, float]] = []  # (kind, CPU seconds) reaped since the test began


def _kind(args: Any) -> str:
    """A short name for a command line: "nango-tui serve", "python -c", "node", "initdb"..."""
    argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
    argv = [os.fsdecode(a) for a in argv]
    if argv and os.path.basename(argv[0]) == "runuser" and "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        return "?"
    name = os.path.basename(argv[0].split()[0]) if len(argv) == 1 else os.path.basename(argv[0])
    if name.startswith("python"):
        if "-m" in argv and argv.index("-m") + 1 < len(argv):
            module = argv[argv.index("-m") + 1]
            if module == "nango_tui":
                rest = [a for a in argv[argv.index("-m") + 2 :] if not a.startswith("-")]
                return "nango-tui " + (rest[0] if rest else "")
            return "python -m " + module
        return "python " + (argv[1] if len(argv) > 1 and argv[1].startswith("-") else "script")
    if name == "nango-tui":
        rest = [a for a in argv[1:] if not a.startswith("-")]
        return "nango-tui " + (rest[0] if rest else "")
    return name


_forked_cpu = [0.0]  # CPU of this test's processes that another process reaped (tests/support/warm_cli.py)


def record(kind: str, cpu_seconds: float, *, child: bool = False) -> None:
    """Count CPU that no wait in this process sees (a daemon's), under `kind`; `child`: a process
    the test started that its zygote reaped, counted with the test's children too."""
    if kind:  # none: a correction of the children's CPU (a wait that counted some twice)
        _reaped.append((kind, cpu_seconds))
    if child:
        _forked_cpu[0] += cpu_seconds


def _install_census() -> None:
    """Wrap Popen and os.waitpid so that each reaped child's CPU is known by its kind."""
    import subprocess

    original_init = subprocess.Popen.__init__
    original_waitpid = os.waitpid

    def init(self: subprocess.Popen, args: Any, *rest: Any, **kw: Any) -> None:
        original_init(self, args, *rest, **kw)
        _spawned[self.pid] = _kind(args)

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        got, status, usage = os.wait4(pid, options)
        if got > 0:
            _reaped.append((_spawned.pop(got, "fork"), usage.ru_utime + usage.ru_stime))
        return got, status

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]
    os.waitpid = waitpid
    poll = subprocess.Popen._internal_poll  # type: ignore[attr-defined]
    if poll.__defaults__:
        poll.__defaults__ = tuple(waitpid if d is original_waitpid else d for d in poll.__defaults__)


_gc_seconds = [0.0, 0.0]  # total, start of the collection in progress


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_seconds[1] = time.process_time()
    else:
        _gc_seconds[0] += time.process_time() - _gc_seconds[1]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(ENV):
        _install_census()
        import gc

        gc.callbacks.append(_gc_timer)


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
    _reaped.clear()
    _forked_cpu[0] = 0.0
    gc_before = _gc_seconds[0]
    yield
    wall_end, (own_end, children_end) = time.monotonic(), _cpu()
    line = {
        "test": item.nodeid.split("@")[0],
        "wall": round(wall_end - wall, 3),
        "cpu": round(own_end - own, 3),
        "children_cpu": round(children_end - children + _forked_cpu[0], 3),
        "gc": round(_gc_seconds[0] - gc_before, 3),
        "spawned": _by_kind(_reaped),
    }
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def _by_kind(reaped: list[tuple[str, float]]) -> dict[str, list[float]]:
    kinds: dict[str, list[float]] = {}
    for kind, seconds in reaped:
        entry = kinds.setdefault(kind, [0, 0.0])
        entry[0] += 1
        entry[1] = round(entry[1] + seconds, 3)
    return kinds


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
    kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        for kind, (count, seconds) in row.get("spawned", {}).items():
            kinds[kind][0] += count
            kinds[kind][1] += seconds
    if kinds:
        own = sum(r["cpu"] for r in rows)
        collecting = sum(r.get("gc", 0.0) for r in rows)
        out.append(
            f"\nthe tests' own processes: {own:.0f} s CPU ({collecting:.1f} s of it Python's garbage collector)"
        )
        out.append("child processes by kind: count / cpu s")
        for kind, (count, seconds) in sorted(kinds.items(), key=lambda kv: -kv[1][1])[:top]:
            out.append(f"  {int(count):5d} {seconds:7.1f}  {kind}")
    out.append(f"\nfiles by CPU (top {top}): cpu s / wall s / tests")
    for name, (file_cpu, file_wall, count) in sorted(per_file.items(), key=lambda kv: -kv[1][0])[:top]:
        out.append(f"  {file_cpu:7.1f} {file_wall:7.1f} {count:4d}  {name}")
    out.append(f"\ntests by CPU (top {top}): cpu s / wall s")
    for row in sorted(rows, key=lambda r: -(r["cpu"] + r["children_cpu"]))[:top]:
        out.append(f"  {row['cpu'] + row['children_cpu']:7.1f} {row['wall']:7.1f}  {row['test']}")
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
