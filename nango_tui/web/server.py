"""The workbench in a browser: textual-serve runs `nango-tui PATH` per browser tab, behind our guards.

Each websocket gets its own workbench process (textual-serve's web driver). What we add:

- a token: bound beyond loopback, every request needs `?token=...` (the URL printed at start)
  or the cookie the first page sets from it; without it the answer is 403. On loopback no token
  is needed, but the Host header must name the loopback (a DNS-rebinding page cannot reach it).
- the websocket refuses an Origin other than the page's own (another site open in the same
  browser cannot drive the workbench).
- our page template: no web font or other third-party request; URLs follow the address the
  browser used (textual-serve builds them from the bind address, useless for 0.0.0.0).
- no access log: request lines would carry the token.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import secrets
import shlex
import signal
import sys
from asyncio.subprocess import Process
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from .warm import SparePool, WarmAppService, end_processes

TOKEN_PARAM = "token"
TOKEN_COOKIE = "nango_tui_token"
TEMPLATES = Path(__file__).parent / "templates"
log = logging.getLogger("nango-tui.web")


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """`127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `::1`."""
    return urlsplit(f"//{host_header}").hostname or ""


def workbench_command(path: Path) -> str:
    """The shell command textual-serve starts for each browser tab (it runs it with a shell; `exec`
    makes the workbench the process textual-serve holds, so ending that ends the workbench)."""
    return f"exec {shlex.quote(sys.executable)} -m nango_tui {shlex.quote(str(path))}"


class WorkbenchServer(Server):
    """textual-serve's server with a token, Host/Origin checks and our page."""

    def __init__(self, path: Path, host: str, port: int, token: str | None) -> None:
        super().__init__(
            workbench_command(path),
            host=host,
            port=port,
            title=f"nango-tui · {path.resolve().name}",
            templates_path=str(TEMPLATES),
        )
        self.token = token
        self.loopback = is_loopback(host)
        self.pool = SparePool(self.command)
        self.live: set[Process | None] = set()  # the workbenches of open tabs

    # -- guards -------------------------------------------------------------------------------------

    def _token_ok(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        want = self.token.encode()
        return any(
            hmac.compare_digest(given.encode(), want)
            for given in (request.query.get(TOKEN_PARAM, ""), request.cookies.get(TOKEN_COOKIE, ""))
        )

    def refusal(self, request: web.Request) -> str | None:
        """Why a request is refused, or None."""
        host = _host_name(request.host)
        if self.loopback and not is_loopback(host):
            return "this workbench answers only to a loopback address (127.0.0.1, localhost)"
        if not self._token_ok(request):
            return "this workbench needs the token of its URL (printed where `nango-tui web` started)"
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin is not None and urlsplit(origin).netloc != request.host:
            return "a page of another site may not open the workbench"
        return None

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        reason = self.refusal(request)
        if reason is not None:
            return web.Response(status=403, text=f"403 Forbidden: {reason}\n")
        response: web.StreamResponse = await handler(request)
        if self.token is not None and request.query.get(TOKEN_PARAM) and request.path == "/":
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    # -- the page -----------------------------------------------------------------------------------

    @aiohttp_jinja2.template("workbench.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, its URLs built from the address the browser used."""
        base = f"{request.scheme}://{request.host}"
        # textual.js appends `?width=..` to this URL: the token goes with the cookie set on this page
        ws = ("wss://" if request.scheme == "https" else "ws://") + request.host + "/ws"
        try:
            font_size = max(8, min(40, int(request.query.get("fontsize", "16"))))
        except ValueError:
            font_size = 16
        return {
            "font_size": font_size,
            "app_websocket_url": ws,
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }

    async def on_startup(self, app: web.Application) -> None:
        """Nothing printed here: `serve` prints the URL once it is bound."""

    async def on_shutdown(self, app: web.Application) -> None:
        await self.pool.close()

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: a workbench process (the spare when ready) wired to its websocket."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80, 20, 1000)
        height = _int(request.query.get("height"), 24, 5, 500)
        service: WarmAppService | None = None
        try:
            await websocket.prepare(request)
            service = WarmAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
                spare=await self.pool.take(),
            )
            await service.start(width, height)
            process = service.process
            if process is not None:
                self.live.add(process)
            try:
                await self._process_messages(websocket, service)
            finally:
                await service.stop()
                await end_processes({process})
                self.live.discard(process)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("the workbench of a browser tab failed")
        return websocket

    def serve(self, debug: bool = False) -> None:
        """Run until Ctrl-C or SIGTERM."""
        self.debug = debug
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        asyncio.run(self._run())

    async def _run(self) -> None:
        app = await self._make_app()
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            raise WebError(f"cannot listen on {self.host}:{self.port}: {err.strerror or err}") from None
        self.pool.refill()  # the first spare workbench, now that the port is ours
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"nango-tui web: open {self.url()} in a browser (Ctrl-C stops)", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await end_processes(self.live)

    def url(self) -> str:
        host = self.host if not self.loopback or self.host == "localhost" else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        if host in ("0.0.0.0", "[::]"):
            host = "HOST"  # any of this machine's addresses
        query = f"/?{TOKEN_PARAM}={self.token}" if self.token else "/"
        return f"http://{host}:{self.port}{query}"


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text or default)))
    except ValueError:
        return default


class WebError(Exception):
    """The server cannot start; the message says why."""


def run_web(path: Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> int:
    """Serve the workbench on PATH; a random token is required when bound beyond loopback."""
    if not path.is_dir():
        sys.stderr.write(f"nango-tui web: {path} is not a folder\n")
        return 1
    if not is_loopback(host) and token is None:
        token = secrets.token_urlsafe(24)
    try:
        WorkbenchServer(path, host, port, token).serve()
    except WebError as err:
        sys.stderr.write(f"nango-tui web: {err}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
