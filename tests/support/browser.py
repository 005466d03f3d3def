"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client; no Playwright).

    async with Chromium(tmp_path) as browser:
        page = await browser.page()
        await page.send("Page.navigate", url="http://127.0.0.1:8000/")

`TERMINAL_HOOK` records every frame a textual-serve page receives (the workbench's terminal
output) in `window.__frames`, and when the first arrived; `Page.terminal_text()` returns it with
the escape sequences taken out, so a test can wait for words on the browser's screen.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,800",
]

TERMINAL_HOOK = """
(() => {
  window.__frames = [];
  window.__firstFrameAt = null;  // ms since navigation start: the first terminal output
  window.__drawnAt = null;  // ... and the first that completes the workbench's four panes
  const Original = window.WebSocket;
  const decoder = new TextDecoder();
  function Hooked(url, protocols) {
    const socket = protocols === undefined ? new Original(url) : new Original(url, protocols);
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") return;
      if (window.__firstFrameAt === null) window.__firstFrameAt = performance.now();
      window.__frames.push(decoder.decode(event.data, {stream: true}));
      if (window.__drawnAt === null) {
        const recent = window.__frames.slice(-4).join("");
        if (recent.includes("Problems") && recent.includes("Dryrun")) window.__drawnAt = performance.now();
      }
    });
    return socket;
  }
  Hooked.prototype = Original.prototype;
  Object.assign(Hooked, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Hooked;
})();
"""

_ESCAPES = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]"
)

# key name -> (key, code, windowsVirtualKeyCode, text)
KEYS: dict[str, tuple[str, str, int, str | None]] = {
    "down": ("ArrowDown", "ArrowDown", 40, None),
    "up": ("ArrowUp", "ArrowUp", 38, None),
    "enter": ("Enter", "Enter", 13, "\r"),
    "escape": ("Escape", "Escape", 27, None),
    "tab": ("Tab", "Tab", 9, None),
}


def find_chromium() -> str | None:
    """Debian's chromium, or CHROMIUM=path."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def screen_text(raw: str) -> str:
    """Terminal output without its escape sequences (cursor moves become nothing)."""
    return _ESCAPES.sub("", raw)


class Page:
    """One tab: `send` a DevTools command, `evaluate` JavaScript, press keys, take screenshots."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self.waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("the browser closed the DevTools connection"))

    async def send(self, method: str, timeout: float = 15.0, **params: Any) -> dict:
        number = next(self.ids)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        await self.ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def terminal_text(self) -> str:
        return screen_text(await self.evaluate("(window.__frames || []).join('')") or "")

    async def wait_for_text(self, *texts: str, timeout: float = 20.0, since: int = 0) -> str:
        """Wait until every text has been drawn (in the output after offset `since`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        text = ""
        while loop.time() < deadline:
            text = (await self.terminal_text())[since:]
            if all(t in text for t in texts):
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"the browser never showed {texts!r}; its last output:\n{text[-3000:]}")

    async def key(self, name: str, modifiers: int = 0) -> None:
        """Press one key: a name of KEYS, or one character (modifiers: 2 = Ctrl)."""
        if name in KEYS:
            key, code, vk, text = KEYS[name]
        else:
            key, code, vk, text = name, f"Key{name.upper()}", ord(name.upper()), name
        if modifiers:
            text = None
        down: dict[str, Any] = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk}
        if modifiers:
            down["modifiers"] = modifiers
        if text:
            down["text"] = text
        await self.send("Input.dispatchKeyEvent", **down)
        await self.send(
            "Input.dispatchKeyEvent",
            type="keyUp",
            key=key,
            code=code,
            windowsVirtualKeyCode=vk,
            modifiers=modifiers,
        )

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


class Chromium:
    """A headless Chromium with a fresh profile under `workdir`, closed (with its children) on exit."""

    def __init__(self, workdir: Path, executable: str | None = None) -> None:
        self.workdir = Path(workdir)
        self.executable = executable or find_chromium()
        self.process: asyncio.subprocess.Process | None = None
        self.session: aiohttp.ClientSession | None = None
        self.devtools = ""
        self.pages: list[Page] = []

    async def __aenter__(self) -> Chromium:
        if self.executable is None:
            raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
        profile = self.workdir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            self.executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        assert self.process.stderr is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(20):
                while True:
                    line = (await self.process.stderr.readline()).decode(errors="replace")
                    if not line:
                        raise RuntimeError("chromium exited:\n" + "".join(lines[-20:]))
                    lines.append(line)
                    match = re.search(r"DevTools listening on (ws://[^\s]+)", line)
                    if match:
                        self.devtools = match.group(1)
                        break
        except BaseException:
            await self._kill()
            raise
        self._drain = asyncio.create_task(self._drain_stderr())
        self.session = aiohttp.ClientSession()
        return self

    async def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while await self.process.stderr.read(65536):
            pass

    async def page(self) -> Page:
        """The tab chromium opened, ready for commands (terminal frames hooked)."""
        assert self.session is not None
        port = self.devtools.split("//", 1)[1].split("/", 1)[0]
        async with self.session.get(f"http://{port}/json/list") as reply:
            targets = await reply.json()
        target = next(t for t in targets if t.get("type") == "page")
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(ws)
        self.pages.append(page)
        await page.send("Page.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", source=TERMINAL_HOOK)
        return page

    async def _kill(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), 10)

    async def __aexit__(self, *exc: object) -> None:
        for page in self.pages:
            with contextlib.suppress(Exception):
                await page.close()
        if self.session is not None:
            await self.session.close()
        await self._kill()
        drain = getattr(self, "_drain", None)
        if drain is not None:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain
