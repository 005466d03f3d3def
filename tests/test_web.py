"""`nango-tui web`: the guards (token, Host, Origin) over real HTTP, and a dryrun from headless Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx
import pytest

from tests.support.browser import Chromium, find_chromium
from tests.support.tui_project import copy_samples

CLI = [sys.executable, "-m", "nango_tui"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebProcess:
    """`nango-tui web` in its own process group; the URL line it prints is read back."""

    def __init__(self, root: Path, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "NANGO_TUI_KEYMAP": str(root / "no-keymap.yaml"), "PYTHONUNBUFFERED": "1"}
        env.pop("NANGO_TUI_THEME", None)
        self.process = subprocess.Popen(
            [*CLI, "web", str(root), "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline()  # printed once it listens
        match = re.search(r"open (\S+) in a browser", self.first_line)
        assert match, f"no URL from nango-tui web: {self.first_line!r}"
        self.url = match.group(1).replace("HOST", "127.0.0.1")
        self.token = (re.search(r"token=([\w-]+)", self.url) or [None, None])[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        """Ctrl-C it; what it printed after the URL line."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        assert self.process.stdout is not None
        return self.process.stdout.read()


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    return copy_samples(tmp_path / "samples")


def test_beyond_loopback_every_request_needs_the_token(samples: Path) -> None:
    web = WebProcess(samples, "--host", "0.0.0.0")
    try:
        assert web.token and len(web.token) >= 24 and web.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=web.base, timeout=10) as http:
            for path in ("/", "/static/js/textual.js", "/ws", "/download/x"):
                refused = http.get(path)
                assert refused.status_code == 403 and "token" in refused.text, path
                assert http.get(path, params={"token": "wrong" + web.token}).status_code == 403
            page = http.get("/", params={"token": web.token})
            assert page.status_code == 200 and "textual-terminal" in page.text
            assert "googleapis" not in page.text  # no third-party request from the page
            assert f'"ws://127.0.0.1:{web.port}/ws"' in page.text  # the address the browser used
            cookie = page.cookies.get("nango_tui_token")
            assert cookie == web.token and "httponly" in page.headers["set-cookie"].lower()
            assert http.get("/static/js/textual.js").status_code == 200  # the cookie now carries it
        asyncio.run(_websocket_checks(web))
    finally:
        rest = web.stop()
    assert web.token not in rest  # no access log: request lines would carry it


async def _websocket_checks(web: WebProcess) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{web.base}/ws?token={web.token}", origin="http://evil.example")
        assert refused.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{web.base}/ws", origin=web.base)
        assert refused.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # one wrong, one missing: no
            await session.ws_connect(f"{web.base}/ws?token=x{web.token}", origin=web.base)
        assert refused.value.status == 403


def test_on_loopback_no_token_but_only_loopback_host_names(samples: Path) -> None:
    web = WebProcess(samples)
    try:
        assert web.token is None and web.url == f"http://127.0.0.1:{web.port}/"
        with httpx.Client(base_url=web.base, timeout=10) as http:
            assert http.get("/").status_code == 200
            assert http.get("/", headers={"Host": f"localhost:{web.port}"}).status_code == 200
            rebound = http.get("/", headers={"Host": f"evil.example:{web.port}"})  # DNS rebinding
            assert rebound.status_code == 403 and "loopback" in rebound.text
    finally:
        web.stop()


def test_bad_folder_and_busy_port_are_one_clear_line(tmp_path: Path, samples: Path) -> None:
    done = subprocess.run([*CLI, "web", str(tmp_path / "nope")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "is not a folder" in done.stderr and "Traceback" not in done.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*CLI, "web", str(samples), "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


# -- the browser -------------------------------------------------------------------------------------

CHROMIUM = find_chromium()


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (.ci/run installs it: apt-get install -y chromium)"
)
async def test_a_dryrun_from_headless_chromium(samples: Path, tmp_path: Path) -> None:
    """Open the served workbench, pick salesforce › contacts, run it on the demo connection."""
    started = time.monotonic()
    web = WebProcess(samples, "--host", "0.0.0.0")  # beyond loopback: the page must carry the token
    try:
        async with Chromium(tmp_path) as browser:
            page = await browser.page()
            await page.send("Page.navigate", url=web.url)
            await page.wait_for_text("Config", "Problems", "salesforce", timeout=30)
            await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            await page.key("down")
            await page.key("down")  # salesforce > syncs > contacts
            await page.wait_for_text("Script · salesforce/syncs/contacts.py")
            await page.key("d")
            await page.wait_for_text("salesforce-demo")  # the dialog, the demo connection chosen
            before = len(await page.terminal_text())
            await page.key("j", modifiers=2)  # ctrl+j starts
            shown = await page.wait_for_text("done", "0035g00000Xk001AAA", since=before, timeout=40)
            assert "Contact" in shown
            await page.screenshot(tmp_path / "web.png")
            assert (tmp_path / "web.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        runs = list((samples / ".nango" / "runs").glob("*-salesforce-contacts.jsonl"))
        assert len(runs) == 1
        records = [json.loads(line) for line in runs[0].read_text().splitlines()]
        assert len(records) == 24 and records[0]["record"]["id"] == "0035g00000Xk001AAA"
    finally:
        said = web.stop()
    assert time.monotonic() - started < 60
    # nothing `web` started outlives it: the tab's workbench, the spare, their shells and zygotes
    deadline = time.monotonic() + 15
    while (left := _processes_of(web.process.pid, samples)) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    assert not left, f"left running after nango-tui web stopped: {left}; it said: {said}"


def _processes_of(group: int, path: Path) -> list[str]:
    """Command lines of live processes in the process group `group` or naming `path`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        if int(fields[2]) == group or str(path) in cmdline:
            found.append(
                f"{cmdline.strip()} (pid {entry.name}, ppid {fields[1]}, group {fields[2]}, state {fields[0]}; web {group})"
            )
    return found


async def test_a_spare_no_tab_took_and_a_tabs_workbench_end_the_same_way() -> None:
    """`SparePool.close` sends the spare the quit packet a closed tab sends, then ends it with the
    tabs' own path (`web.warm.end_processes`): time to exit, then SIGTERM, then SIGKILL."""
    from nango_tui.web.warm import SparePool, end_processes

    # exits when its stdin closes, as a workbench does after the quit packet
    polite = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.buffer.read()", stdin=subprocess.PIPE
    )
    pool = SparePool("unused")
    pool.spare = polite
    await pool.close()
    assert polite.returncode == 0 and pool.spare is None

    ready = "import signal, sys, time; {}; print('ready', flush=True); time.sleep(120)"
    deaf = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ready.format("pass"), stdout=subprocess.PIPE
    )
    stubborn = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ready.format("signal.signal(signal.SIGTERM, signal.SIG_IGN)"),
        stdout=subprocess.PIPE,
    )
    for process in (deaf, stubborn):
        assert await process.stdout.readline() == b"ready\n"
    await end_processes({deaf, stubborn, None}, grace=0.5)
    assert deaf.returncode == -signal.SIGTERM and stubborn.returncode == -signal.SIGKILL
