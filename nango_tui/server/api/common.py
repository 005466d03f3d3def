"""What every route shares: the server state, auth (Bearer = an environment's key), Nango's error shape."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..readers import Readers
from ..runs import RunContext
from ..storage import connections as conns
from ..storage import environments as envs
from ..vault import Vault

T = TypeVar("T")

MAX_BODY = 256 * 1024 * 1024  # a deploy with mocks can be large; anything above is refused


@dataclass
class ServerState:
    engine: sa.Engine
    vault: Vault
    data_dir: Path
    run_ctx: RunContext
    jobs: Any = None  # engine.Engine (set by serve; DBOS launches just after the API answers)
    readers: Readers | None = None  # made at the first hot read (threads of their own)

    def hot_readers(self) -> Readers:
        """The reader threads of `GET /records` pages (storage/records.page_json)."""
        if self.readers is None:
            self.readers = Readers(self.engine)
        return self.readers

    def require_jobs(self, timeout: float = 30.0) -> Any:
        """The engine once it is up (blocking: call in a worker thread); ApiError 503 if it never came."""
        deadline = time.monotonic() + timeout
        while self.jobs is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.jobs is None or not self.jobs.wait_ready(max(0.0, deadline - time.monotonic())):
            raise ApiError(503, "engine_unavailable", "The scheduler is not running yet; try again")
        return self.jobs


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or code)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error(status: int, code: str, message: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code}
    if message:
        body["message"] = message
    body.update(extra)
    return JSONResponse({"error": body}, status_code=status)


def state(request: Request) -> ServerState:
    server: ServerState = request.app.state.server
    return server


async def db(request: Request, fn: Callable[[sa.Connection], T], write: bool = False) -> T:
    """Run a storage function in a worker thread (the event loop never waits on the database)."""
    engine = state(request).engine

    def work() -> T:
        with engine.begin() if write else engine.connect() as conn:
            return fn(conn)

    return await asyncio.to_thread(work)


_known_keys: dict[str, envs.Environment] = {}
_known_connections: dict[tuple[int, str, str], conns.StoredConnection] = {}

Handler = Callable[[Request, envs.Environment], Awaitable[Response]]


def authed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The route needs `Authorization: Bearer <environment key>`; the handler gets that environment."""

    async def route(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return error(
                401,
                "missing_auth_header",
                "Authentication failed. The request is missing the Authorization header.",
            )
        env = _known_keys.get(key.strip())
        if env is None:
            env = await db(request, lambda c: envs.by_key(c, key.strip()))
            if env is not None and len(_known_keys) < 1000:
                _known_keys[key.strip()] = env  # keys never change; handlers read webhooks afresh
        if env is None:
            return error(
                401, "unknown_account", "The secret key is invalid for every environment of this server."
            )
        try:
            return await handler(request, env)
        except ApiError as exc:
            return error(exc.status, exc.code, exc.message, **exc.extra)

    return route


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "body_too_large", f"the body is larger than {MAX_BODY} bytes")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_body", "the body is not valid JSON") from None


async def connection_from(
    request: Request, env: envs.Environment, connection_id: str | None, key: str | None, status: int = 400
) -> conns.StoredConnection:
    """The connection named by Connection-Id / Provider-Config-Key (headers or given values)."""
    if not connection_id:
        raise ApiError(400, "missing_connection_id", "Missing connection id (header Connection-Id)")
    if not key:
        raise ApiError(
            400, "missing_provider_config_key", "Missing provider config key (header Provider-Config-Key)"
        )
    cache_key = (env.id, connection_id, key)
    found = _known_connections.get(cache_key)
    if found is None:
        found = await db(request, lambda c: conns.find(c, None, env.id, connection_id, key))
        # a connection keeps its row for good (there is no delete): its identity can be cached
        if found is not None and len(_known_connections) < 100_000:
            _known_connections[cache_key] = found
    if found is None:
        raise ApiError(status, "unknown_connection", f"Connection {connection_id} of {key} was not found")
    return found
