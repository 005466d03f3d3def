"""Loader and start-up speed: nango.yaml loading in-process, and `nango-tui --help` as a process.

Run: .venv/bin/python benchmarks/bench_config.py
Targets (issue 2): hubspot.yaml < 30 ms in-process; the whole corpus in one process < 0.5 s;
`nango-tui --help` < 0.15 s as a whole process. Where Nango's CLI is installed (NANGO_CLI=path to
its `nango` binary, or /tmp/nangocli/node_modules/.bin/nango), its `--help` is timed in the same run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "nango-yaml"
sys.path.insert(0, str(REPO))


def timeit(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def process_times(cmd: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")
    from nango_tui.config import load_project, load_text

    hubspot = CORPUS / "hubspot.yaml"
    load_project(hubspot.parent, hubspot.name)  # warm imports
    hub = timeit(lambda: load_project(hubspot.parent, hubspot.name), 30)
    print(
        f"hubspot.yaml ({hubspot.read_text().count(chr(10))} lines) load+validate: median {fmt(statistics.median(hub))}, max {fmt(max(hub))}  (target < 30 ms)"
    )

    files = sorted(CORPUS.glob("*.yaml"))
    texts = [(p.read_text(), p.name) for p in files]

    def corpus() -> None:
        for text, name in texts:
            load_text(text, CORPUS, name)

    whole = timeit(corpus, 5)
    print(
        f"whole corpus ({len(files)} files) in one process: median {fmt(statistics.median(whole))}  (target < 500 ms)"
    )

    import yaml

    def pure_python() -> None:
        for text, _ in texts:
            try:
                yaml.compose(text, Loader=yaml.SafeLoader)
            except yaml.YAMLError:  # the two files with a tab in a plain scalar
                pass

    pure = timeit(pure_python, 1)[0]
    print(
        f"  for scale: pure-Python PyYAML compose alone on the corpus: {fmt(pure)} ({pure / statistics.median(whole):.1f}x our whole load)"
    )

    exe = shutil.which("nango-tui", path=str(REPO / ".venv" / "bin")) or shutil.which("nango-tui")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "nango_tui", "--help"]
    ours = process_times(cmd, 15)
    print(
        f"`nango-tui --help` whole process: median {fmt(statistics.median(ours))}, max {fmt(max(ours))}  (target < 150 ms)"
    )

    nango = os.environ.get("NANGO_CLI") or "/tmp/nangocli/node_modules/.bin/nango"
    if Path(nango).exists():
        theirs = process_times([nango, "--help"], 3)
        ratio = statistics.median(theirs) / statistics.median(ours)
        print(
            f"`nango --help` (Nango's CLI) whole process: median {fmt(statistics.median(theirs))}  -> ours is {ratio:.0f}x faster"
        )
    else:
        print("Nango's CLI not installed here; set NANGO_CLI to time its --help in the same run")


if __name__ == "__main__":
    main()
