"""Rewrite screenshots/web.png: the workbench in headless Chromium, after a dryrun of a sample.

    .venv/bin/python scripts/web_screenshot.py

Serves a copy of sample-integrations with `nango-tui web`, opens it in Debian's chromium
(tests/support/browser.py, the tooling of tests/test_web.py), picks salesforce › contacts, runs
it on the demo connection (offline replay) and saves the page as PNG.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.browser import Chromium  # noqa: E402

OUT = REPO / "screenshots" / "web.png"


async def shoot(url: str, workdir: Path) -> None:
    async with Chromium(workdir) as browser:
        page = await browser.page()
        await page.send(
            "Emulation.setDeviceMetricsOverride", width=1200, height=680, deviceScaleFactor=1, mobile=False
        )
        await page.send("Page.navigate", url=url)
        await page.wait_for_text("Config", "Problems", "salesforce", timeout=60)
        await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        await page.key("down")
        await page.key("down")
        await page.wait_for_text("Script · salesforce/syncs/contacts.py")
        await page.key("d")
        await page.wait_for_text("salesforce-demo")
        before = len(await page.terminal_text())
        await page.key("j", modifiers=2)
        await page.wait_for_text("done", "0035g00000Xk001AAA", since=before, timeout=60)
        await asyncio.sleep(6)  # the "dryrun ok" note fades
        await page.screenshot(OUT)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample-integrations"
        shutil.copytree(REPO / "sample-integrations", root, ignore=shutil.ignore_patterns(".nango"))
        port = 8600 + os.getpid() % 200
        server = subprocess.Popen(
            [sys.executable, "-m", "nango_tui", "web", str(root), "--port", str(port)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            asyncio.run(shoot(f"http://127.0.0.1:{port}/", Path(tmp)))
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(15)
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
