"""The workbench in a browser: how soon the first frame arrives.

Run: .venv/bin/python benchmarks/bench_web.py [N]
Target (issue 17): the browser's first frame < 2 s. `nango-tui web sample-integrations` (a copy)
runs; headless Chromium (Debian's; tests/support/browser.py) opens the page N times (default 5),
each a fresh workbench, BENCH_WEB_SETTLE seconds apart (default 5: the server has started its
spare workbench by then; 0 measures tabs opened faster than spares start, i.e. cold starts). Times are the page's own clock from the navigation's start: the first
terminal output received, and the frame that completes the four panes. For scale, the same run
times the workbench's start in a terminal-less process (`nango-tui` under textual's headless
driver would differ; we time `python -c "import nango_tui.tui.app"`, the import it starts with).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.browser import Chromium, find_chromium  # noqa: E402


async def measure(url: str, n: int, workdir: Path, settle: float) -> list[tuple[float, float]]:
    out = []
    await asyncio.sleep(settle)  # the server's first spare workbench starts
    async with Chromium(workdir) as browser:
        page = await browser.page()
        for _ in range(n):
            await page.send("Page.navigate", url=url)
            await page.wait_for_text("Config", "Problems", timeout=60)
            for _ in range(100):
                first, drawn = await page.evaluate("[window.__firstFrameAt, window.__drawnAt]")
                if drawn is not None:
                    break
                await asyncio.sleep(0.05)
            out.append((first / 1000, (drawn or first) / 1000))
            print(f"  first frame {first:.0f} ms, four panes {drawn or first:.0f} ms")
            await page.send("Page.navigate", url="about:blank")
            await asyncio.sleep(settle)  # the previous workbench ends, the next spare starts
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    settle = float(os.environ.get("BENCH_WEB_SETTLE", "5"))  # s between tabs: 0 measures cold starts
    if find_chromium() is None:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "samples"
        shutil.copytree(REPO / "sample-integrations", root, ignore=shutil.ignore_patterns(".nango"))
        port = 8700 + os.getpid() % 200
        server = subprocess.Popen(
            [sys.executable, "-m", "nango_tui", "web", str(root), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            assert server.stdout is not None
            print(server.stdout.readline().strip())
            times = asyncio.run(measure(f"http://127.0.0.1:{port}/", n, Path(tmp), settle))
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(15)
    first = statistics.median(t[0] for t in times)
    drawn = statistics.median(t[1] for t in times)
    print(f"first frame in the browser, median of {n}: {first * 1000:.0f} ms  (target < 2000 ms)")
    print(f"the four panes drawn, median of {n}: {drawn * 1000:.0f} ms")
    imports = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import nango_tui.tui.app"], check=True)
        imports.append(time.perf_counter() - start)
    print(
        f"for scale: a process importing the workbench, median of 3: {statistics.median(imports) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
