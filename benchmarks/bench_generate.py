"""`generate` speed: a whole `nango-tui generate` process on hubspot.yaml, and the whole corpus in one process.

Run: .venv/bin/python benchmarks/bench_generate.py
Targets (issue 3): hubspot.yaml as a whole process < 0.5 s; all 102 corpus files in one process
< 2 s. For scale: Nango's own `generate` took 3.4-3.6 s for a tiny project on this machine.
Also printed: importing a generated models.py (every dryrun child does it).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "nango-yaml"
sys.path.insert(0, str(REPO))


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def command() -> list[str]:
    exe = shutil.which("nango-tui", path=str(REPO / ".venv" / "bin"))
    return [exe] if exe else [sys.executable, "-m", "nango_tui"]


def fresh_copy(base: Path, source: Path, name: str) -> Path:
    root = base / name
    root.mkdir()
    shutil.copyfile(source, root / "nango.yaml")
    return root


def time_process(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr}")
    return seconds


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")
    hubspot = CORPUS / "hubspot.yaml"
    files = sorted(CORPUS.glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cmd = command()

        fresh = [
            time_process([*cmd, "generate", "--dir", str(fresh_copy(base, hubspot, f"hub{i}"))])
            for i in range(7)
        ]
        print(
            f"`nango-tui generate` on hubspot.yaml, whole process, fresh folder: median {fmt(statistics.median(fresh))}, max {fmt(max(fresh))}  (target < 500 ms)"
        )
        again = [time_process([*cmd, "generate", "--dir", str(base / "hub0")]) for _ in range(7)]
        print(f"  the same, nothing to change (re-run): median {fmt(statistics.median(again))}")

        from nango_tui.codegen import generate

        runs = []
        for n in range(3):
            folders = [fresh_copy(base, path, f"c{n}-{path.stem}") for path in files]
            start = time.perf_counter()
            for root in folders:
                report = generate(root)
                if not report.ok:
                    sys.exit(f"{root.name}: {[d.format() for d in report.diagnostics if d.is_error]}")
            runs.append(time.perf_counter() - start)
        scripts = sum(1 for _ in base.glob("c0-*/*/*/*.py"))
        print(
            f"all {len(files)} corpus files in one process (load + models.py + schema.json + {scripts} scaffolds, written): median {fmt(statistics.median(runs))}  (target < 2000 ms)"
        )

        models = base / "hub0" / "models.py"
        imports = []
        for _ in range(5):
            probe = (
                "import time, sys; import pydantic; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
                "import models; print(time.perf_counter() - t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", probe, str(models.parent)], capture_output=True, text=True, check=True
            )
            imports.append(float(out.stdout))
        count = models.read_text().count("(NangoModel):")
        print(
            f"importing hubspot's models.py ({count} classes, pydantic already imported): median {fmt(statistics.median(imports))}"
        )
    print("Nango's own `generate` (for scale, from the issue): 3.4-3.6 s for a tiny project on this machine")


if __name__ == "__main__":
    main()
