"""A real HTTP server on 127.0.0.1 for tests: per-test routes, recorded requests, faults.

    from tests.support.http_server import LocalServer, Reply

    with LocalServer() as server:                       # or the `local_server` fixture below
        server.route("GET", "/contacts", lambda req: {"items": [1, 2]})      # dict/list -> JSON 200
        server.route("GET", "/slow", Reply(200, {"ok": True}, delay=2))      # a fixed reply
        server.route("GET", "/flaky", [Reply(503), Reply(200, [])])          # one reply per call, last repeats
        server.route("GET", "/reset", Reply(reset=True))                     # close the socket, no answer
        httpx.get(server.url + "/contacts?x=1")
        server.requests[-1].query["x"] == ["1"]; server.requests[-1].headers["authorization"]

A handler gets a `Request` and returns a `Reply`, a dict/list (JSON 200), a `(status, body)` or
`(status, body, headers)` tuple, or a str/bytes body. Unrouted paths go to `fallback` (a handler
for a whole imitated API: `LocalServer(fallback=api)`), else answer 404 JSON.
HTTP/1.1 with keep-alive, one thread per connection; stdlib only (benchmarks use it too).
This is the one HTTP server of the tests: the provider imitations (tests/fake_providers) and the
dryrun tests' API (tests/support/dryrun_project.py) are handlers on it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    target: str = ""  # the request line's path with its query, as sent
    base_url: str = ""  # http://127.0.0.1:PORT of the server that got it (for absolute links)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter `name` (what most frameworks read)."""
        values = self.query.get(name)
        return values[-1] if values else default

    def bearer(self) -> str | None:
        """The token of `Authorization: Bearer ...` (or the whole header when it has no scheme)."""
        auth = self.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else (auth.strip() or None)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    """What to answer. `body` dict/list is sent as JSON; `delay` seconds waited first;
    `reset=True` closes the connection abruptly without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


Handler = Callable[[Request], Any]


def _as_reply(result: Any) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, tuple):
        status, body, *rest = result
        return Reply(status, body, dict(rest[0]) if rest else {})
    return Reply(200, result)


def _encode(reply: Reply) -> tuple[bytes, dict[str, str]]:
    headers = {k.lower(): v for k, v in reply.headers.items()}
    body = reply.body
    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode()
        headers.setdefault("content-type", "text/plain; charset=utf-8")
    else:
        data = json.dumps(body, separators=(",", ":")).encode()
        headers.setdefault("content-type", "application/json")
    return data, headers


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out as separate writes; without this, Nagle + delayed ACK add ~40 ms a request
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            target=self.path,
            base_url=self.server.owner.url,
        )
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(request)
        reply = owner.dispatch(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            # RST instead of FIN: the client sees "connection reset", not a clean close
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        data, headers = _encode(reply)
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its timeout)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LocalServer


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 (a free port unless `port`); routes are set per test,
    `fallback` answers every request no route matches."""

    def __init__(self, fallback: Handler | None = None, *, port: int = 0, name: str = "local") -> None:
        self.fallback = fallback
        self.name = name
        self._port = port
        self.routes: dict[tuple[str, str], Handler | Reply | list] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._calls: dict[tuple[str, str], int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, handler: Handler | Reply | list | dict | None = None):
        """Answer `method path` with a handler function, a fixed Reply (or JSON value), or a list of
        replies given in turn (the last one repeats). Without `handler`, a decorator."""
        if handler is None:

            def decorate(fn: Handler) -> Handler:
                self.routes[(method.upper(), path)] = fn
                return fn

            return decorate
        self.routes[(method.upper(), path)] = handler
        return handler

    def calls(self, method: str, path: str) -> list[Request]:
        """The requests received for `method path`."""
        with self.lock:
            return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def dispatch(self, request: Request) -> Reply:
        key = (request.method, request.path)
        target = self.routes.get(key, self.fallback)
        if target is None:
            return Reply(404, {"error": f"no route for {request.method} {request.path}"})
        if isinstance(target, list):
            with self.lock:
                n = self._calls.get(key, 0)
                self._calls[key] = n + 1
            target = target[min(n, len(target) - 1)]
        if callable(target):
            try:
                return _as_reply(target(request))
            except Exception as err:  # a broken test handler shows as a 500, not a hung client
                return Reply(500, {"error": f"test handler raised {type(err).__name__}: {err}"})
        return _as_reply(target)

    def start(self) -> LocalServer:
        self._server = _Server(("127.0.0.1", self._port), _RequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"http-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


try:
    import pytest

    @pytest.fixture
    def local_server():
        """A started LocalServer, stopped after the test (tests/conftest.py offers it to every test)."""
        with LocalServer() as server:
            yield server

except ImportError:  # pragma: no cover - benchmarks import this module without pytest installed
    pass
