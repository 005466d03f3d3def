"""The Starlette application: Nango's routes (RUNTIME.md §3) and ours, wired to their handlers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import actions, connections, deploy, endpoints, environment, records, scripts, syncs, workers
from .common import ServerState

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": {"code": "not_found", "message": "Unknown route"}}, status_code=404)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    from ..db import is_unavailable

    if is_unavailable(exc):  # the database is down or restarting: try again (no manual step needed)
        return JSONResponse(
            {"error": {"code": "database_unavailable", "message": "The database is unreachable; retry"}},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    return JSONResponse(
        {"error": {"code": "server_error", "message": f"the server failed: {type(exc).__name__}"}},
        status_code=500,
    )


class HotPaths:
    """`GET /records` (the API's hot path) straight to its handler; everything else to Starlette.

    Starlette's middleware (server errors, exceptions) and router cost ~0.1 ms of a ~1 ms page;
    this does what they would do for these routes: the app in the scope, a failure answered by
    the same 500/503 handler and logged."""

    def __init__(self, app: Starlette, routes: dict[str, Callable[[Request], Awaitable[Response]]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            handler = self.routes.get(scope["path"])
            if handler is not None:
                scope["app"] = self.app
                request = Request(scope, receive)
                try:
                    response = await handler(request)
                except Exception as exc:
                    logging.getLogger("uvicorn.error").exception("GET %s failed", scope["path"])
                    response = await _server_error(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build(server: ServerState, on_ready: Callable[[], None] | None = None) -> HotPaths:
    routes = [
        Route("/sync/deploy/confirmation", deploy.confirmation, methods=["POST"]),
        Route("/sync/deploy", deploy.deploy, methods=["POST"]),
        Route("/records", records.get_records, methods=["GET"]),
        Route("/records/", records.get_records, methods=["GET"]),
        Route("/action/trigger", actions.trigger, methods=["POST"]),
        Route("/action/{action_id}", actions.result, methods=["GET"]),
        Route("/sync/trigger", syncs.trigger, methods=["POST"]),
        Route("/sync/start", syncs.start, methods=["POST"]),
        Route("/sync/pause", syncs.pause, methods=["POST"]),
        Route("/sync/status", syncs.status, methods=["GET"]),
        Route("/sync/update-connection-frequency", syncs.update_frequency, methods=["PUT"]),
        Route("/sync/runs", syncs.runs, methods=["GET"]),
        Route("/scripts/config", scripts.scripts_config, methods=["GET"]),
        Route("/integrations", connections.list_integrations, methods=["GET"]),
        Route("/integrations/{key}", connections.get_integration, methods=["GET"]),
        Route("/connections", connections.list_connections, methods=["GET"]),
        Route("/connection", connections.list_connections, methods=["GET"]),
        Route("/connections", connections.post_connection, methods=["POST"]),
        Route("/connections/{connection_id}", connections.get_connection, methods=["GET"]),
        Route("/connection/{connection_id}", connections.get_connection, methods=["GET"]),
        Route("/environment", environment.get_environment, methods=["GET"]),
        Route("/environment", environment.patch_environment, methods=["PATCH"]),
        Route("/workers", workers.list_workers, methods=["GET"]),
        Route("/{path:path}", endpoints.script_endpoint, methods=METHODS),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if on_ready is not None:
            on_ready()
        yield

    app = Starlette(
        routes=routes, exception_handlers={404: _not_found, 500: _server_error}, lifespan=lifespan
    )
    app.state.server = server
    return HotPaths(app, {"/records": records.get_records, "/records/": records.get_records})
