"""The instructions `nango-tui DIR` executes up to the workbench's first render: a figure the
machine's load does not change (valgrind's cachegrind, `--cache-sim=no`; ~40 s a run).

    .venv/bin/python benchmarks/bench_tui_instructions.py [--project samples|hubspot|both]

Each run is `cli.main([DIR])` in a fresh interpreter with the same steps as `_run_workbench`
(the collector paused as it does), the app headless at 100x32, the process leaving at the end of
the screen's first render (that render is the full frame: see benchmarks/README.md, session 5).
Also printed: the interpreter alone (`python -c pass`), for scale. `PYTHONHASHSEED=0`: with random
hashes two runs differ by up to ~30 M. Skipped without valgrind. The package's bytecode is
brought up to date first (`compileall`), as an install leaves it.

The workbench keeps the CSS it parsed and nango.yaml's load result for its next start
(`tui/css_cache.py`, `tui/project_cache.py`, `boot.py`'s regexes and generated code, written
after the first frame): each project is
counted with those caches empty (a first start, or nango.yaml changed since the last one) and
then filled by a headless start that reaches the warm-up (every later start). `$XDG_CACHE_HOME` is a temporary folder here: the user's own cache is not touched.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "nango-yaml"

TO_FIRST_RENDER = r"""
import os, sys
from nango_tui import boot
boot.start()  # as program.entry
from pathlib import Path
os.environ["NANGO_TUI_KEYMAP"] = "/nonexistent"
from nango_tui import cli

def run_workbench(argv):
    from nango_tui.tui import gc_policy
    gc_policy.pause_until_first_frame()  # as cli._run_workbench
    from nango_tui.tui import dom_classes
    dom_classes.install()  # as cli._run_workbench
    from nango_tui.tui.app import WorkbenchApp
    from textual import _compositor

    render = _compositor.Compositor.render_update
    def first(self, *args, **kwargs):
        render(self, *args, **kwargs)
        os._exit(0)
    _compositor.Compositor.render_update = first
    WorkbenchApp(Path(argv[0])).run(headless=True, size=(100, 32))

cli._run_workbench = run_workbench
cli.main([sys.argv[1]])
"""


FILL_CSS_CACHE = r"""
import asyncio, os, sys
from nango_tui import boot
boot.start()  # as program.entry
from pathlib import Path
os.environ["NANGO_TUI_KEYMAP"] = "/nonexistent"
from nango_tui.tui import project_cache
from nango_tui.tui.app import WorkbenchApp

async def main():
    app = WorkbenchApp(Path(sys.argv[1]), watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        while not (
            app.stylesheet.cache_file.is_file()
            and project_cache.cache_file(app.root).is_file()
            and os.path.isfile(boot.cache_path())
        ):
            await pilot.pause(0.05)

asyncio.run(asyncio.wait_for(main(), 60))
"""


def instructions(*args: str, env: dict[str, str] | None = None) -> int:
    """Instructions of `python ARGS` under cachegrind (no cache simulation)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(env or os.environ, PYTHONHASHSEED="0"),  # the same hashes each run: counts repeat to ~0.01%
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"cachegrind failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", choices=("samples", "hubspot", "both"), default="both")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: skipped")
        return 0
    print(f"load average {os.getloadavg()[0]:.1f} (instruction counts do not depend on it)")
    # the package's bytecode up to date, as an install leaves it: with PYTHONDONTWRITEBYTECODE set
    # (as on the development machine) a module changed since its .pyc is compiled at every start
    # (~+300 M instructions after a rebase)
    compileall.compile_dir(str(REPO / "nango_tui"), quiet=2)
    print(f"python -c pass: {instructions('-c', 'pass') / 1e6:,.0f} M instructions")
    with tempfile.TemporaryDirectory() as tmp:
        projects = []
        if args.project in ("samples", "both"):
            samples = Path(tmp) / "samples"
            shutil.copytree(REPO / "sample-integrations", samples)
            projects.append(("samples", samples))
        if args.project in ("hubspot", "both"):
            if (CORPUS / "hubspot.yaml").is_file():
                from nango_tui.codegen import generate

                hubspot = Path(tmp) / "hubspot-project"
                hubspot.mkdir()
                shutil.copy(CORPUS / "hubspot.yaml", hubspot / "nango.yaml")
                generate(hubspot)
                projects.append(("hubspot-sized", hubspot))
            else:
                print(f"{CORPUS} is absent: the hubspot-sized project is skipped")
        for name, root in projects:
            env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / f"cache-{name}"))
            cold = instructions("-c", TO_FIRST_RENDER, str(root), env=env)
            subprocess.run(
                [sys.executable, "-c", FILL_CSS_CACHE, str(root)], env=env, check=True, timeout=120
            )
            warm = instructions("-c", TO_FIRST_RENDER, str(root), env=env)
            print(
                f"`nango-tui DIR` to the first render, {name}: {warm / 1e6:,.0f} M instructions "
                f"({cold / 1e6:,.0f} M with the start-up caches empty)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
