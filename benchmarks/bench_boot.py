"""What boot.py's start-up caches save each process that has them: A/B with the caches off
(`NANGO_TUI_NO_BOOT_CACHE=1`, every start compiling as usual) and on (the file filled by an earlier
start), in the same run.

    .venv/bin/python benchmarks/bench_boot.py [--runs 7] [--no-instructions]

Printed for each process: its instructions (valgrind's cachegrind, `--cache-sim=no`,
`PYTHONHASHSEED=0`: a figure the machine's load does not change; skipped without valgrind), then
wall and CPU time over `--runs` runs of each side, alternated, with the load average:
- `first render`: `nango-tui DIR` on the samples to the workbench's first render (as
  bench_tui_instructions.py: its other start-up caches filled too);
- `dryrun child`: a cold `python -m nango_tui.dryrun.child` up to where it reads its request
  (what starts `dryrun`'s and `dryrun --json`'s critical path);
- `replay zygote`: `python -m nango_tui.dryrun.zygote` up to where it could fork (`nango-tui
  test`'s critical path);
- `nango-tui test`: the whole command on the 6 samples (wall, and the CPU of all its processes).
`$XDG_CACHE_HOME` is a temporary folder: the user's own cache is not touched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_tui_instructions import FILL_CSS_CACHE, TO_FIRST_RENDER  # noqa: E402

OFF = "NANGO_TUI_NO_BOOT_CACHE"


def command(kind: str, project: Path) -> tuple[list[str], bytes | None]:
    if kind == "first render":
        return [sys.executable, "-c", TO_FIRST_RENDER, str(project)], None
    if kind == "dryrun child":
        return [sys.executable, "-m", "nango_tui.dryrun.child"], b"\n"  # no request: it stops there
    if kind == "nango-tui test":
        return [sys.executable, "-m", "nango_tui", "test", "--dir", str(project)], None
    raise ValueError(kind)


def run(
    kind: str, project: Path, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> tuple[float, float, str]:
    """Wall ms, CPU ms (the process and the children it waited for), stderr."""
    start = time.perf_counter()
    if kind == "replay zygote":  # its socket closed at once: it warms up, sees EOF, exits
        ours, theirs = socket.socketpair()
        args = [*prefix, sys.executable, "-m", "nango_tui.dryrun.zygote", str(theirs.fileno()), "--replay"]
        process = subprocess.Popen(
            args, pass_fds=[theirs.fileno()], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        theirs.close()
        ours.close()
    else:
        args, stdin = command(kind, project)
        process = subprocess.Popen(
            [*prefix, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        process.stdin.write(stdin or b"")  # type: ignore[union-attr]
        process.stdin.close()  # type: ignore[union-attr]
    err = process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{kind} failed ({status}):\n{err[-2000:]}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, err


def instructions(kind: str, project: Path, env: dict[str, str]) -> int:
    prefix = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
    _, _, err = run(kind, project, dict(env, PYTHONHASHSEED="0"), prefix)
    found = re.search(r"I\s+refs:\s+([\d,]+)", err)
    if found is None:
        raise SystemExit(f"cachegrind failed:\n{err[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-instructions", action="store_true", help="wall and CPU only")
    args = parser.parse_args()
    counting = not args.no_instructions and shutil.which("valgrind") is not None
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "samples"
        shutil.copytree(REPO / "sample-integrations", project)
        base = {k: v for k, v in os.environ.items() if k not in (OFF, "PYTHONDONTWRITEBYTECODE")}
        on = dict(base, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        off = dict(on, **{OFF: "1"})
        # fill every start-up cache: the workbench's (CSS, nango.yaml, boot), then a child's, a
        # zygote's and a test run's (each adds what it imports); the bytecode is cached too
        subprocess.run([sys.executable, "-c", FILL_CSS_CACHE, str(project)], env=on, check=True, timeout=120)
        for kind in ("dryrun child", "replay zygote", "nango-tui test", "first render"):
            run(kind, project, on)
            run(kind, project, off)
        print(f"load average {os.getloadavg()[0]:.1f} at the start, {os.cpu_count()} cores")
        for kind in ("first render", "dryrun child", "replay zygote", "nango-tui test"):
            line = f"{kind}:"
            if counting and kind != "nango-tui test":
                ir_off, ir_on = instructions(kind, project, off), instructions(kind, project, on)
                line += (
                    f" instructions {ir_off / 1e6:,.0f} M -> {ir_on / 1e6:,.0f} M"
                    f" ({(ir_on - ir_off) / ir_off:+.0%});"
                )
            results: dict[str, list[tuple[float, float, str]]] = {"off": [], "on": []}
            for _ in range(args.runs):
                results["off"].append(run(kind, project, off))
                results["on"].append(run(kind, project, on))
            walls = {side: statistics.median(r[0] for r in rs) for side, rs in results.items()}
            cpus = {side: statistics.median(r[1] for r in rs) for side, rs in results.items()}
            line += (
                f" wall median {walls['off']:.0f} -> {walls['on']:.0f} ms,"
                f" CPU median {cpus['off']:.0f} -> {cpus['on']:.0f} ms"
                f" ({args.runs} runs each, alternated; load {os.getloadavg()[0]:.1f})"
            )
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
