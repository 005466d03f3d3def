"""A provider imitation on the tests' one HTTP server (tests/support/http_server.py)."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.http_server import LocalServer, Reply, Request


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-ready value, or bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


class FakeServer(LocalServer):
    """A provider imitation listening on 127.0.0.1 in a daemon thread (started on creation).

    Use as a context manager, or call `stop()`. `requests` lists every `Request` served, for tests
    that check what a script asked for.
    """

    def __init__(self, handler: Handler, port: int = 0, name: str = "fake") -> None:
        super().__init__(self._serve, port=port, name=f"fake-{name}")
        self.handler = handler
        self.api_name = name
        self.start()

    def _serve(self, request: Request) -> Reply:
        try:
            response = self.handler(request)
        except Exception as exc:  # a bug in the imitation: say so like a server would
            response = Response(500, {"message": f"fake {self.api_name} server error: {exc!r}"})
        payload = response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode()
        headers = {"content-type": "application/json; charset=utf-8"}
        headers.update({k.lower(): v for k, v in response.headers.items()})
        return Reply(response.status, payload, headers)

    def __enter__(self) -> FakeServer:
        return self


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
