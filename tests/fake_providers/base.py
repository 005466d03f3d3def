"""A tiny threaded HTTP server that hands each request to a provider imitation."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # http://127.0.0.1:PORT, for absolute links

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else (auth.strip() or None)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-ready value, or bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


class FakeServer:
    """A provider imitation listening on 127.0.0.1 in a daemon thread.

    Use as a context manager, or call `stop()`. `requests` lists (method, path+query) of every
    request served, for tests that check what a script asked for.
    """

    def __init__(self, handler: Handler, port: int = 0, name: str = "fake") -> None:
        self.handler = handler
        self.name = name
        self.requests: list[tuple[str, str]] = []
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                server.requests.append((self.command, self.path))
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    base_url=server.url,
                )
                try:
                    response = server.handler(request)
                except Exception as exc:  # a bug in the imitation: say so like a server would
                    response = Response(500, {"message": f"fake {server.name} server error: {exc!r}"})
                payload = (
                    response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode()
                )
                self.send_response(response.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _RequestHandler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(name: str, start: Callable[[int], FakeServer], token: str) -> None:
    """The `python -m tests.fake_providers.<name> --port N` entry point."""
    parser = argparse.ArgumentParser(prog=f"python -m tests.fake_providers.{name}")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args()
    server = start(args.port)
    print(f"fake {name} API on {server.url} (token: {token})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
