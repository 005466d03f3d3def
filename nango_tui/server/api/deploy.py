"""`POST /sync/deploy/confirmation` and `POST /sync/deploy` (Nango's two deploy calls)."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..deploy_body import DeployBody

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..storage import deployments as deps
from ..storage import environments as envs
from .common import ApiError, authed, db, json_body, state


async def _body(request: Request) -> DeployBody:
    from pydantic import ValidationError

    from ..deploy_body import DeployBody

    raw = await json_body(request)
    try:
        return DeployBody.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"code": e["type"], "message": e["msg"], "path": [str(p) for p in e["loc"]]}
            for e in exc.errors()[:50]
        ]
        raise ApiError(400, "invalid_body", "The deploy body is not valid", errors=errors) from None


@authed
async def confirmation(request: Request, env: envs.Environment) -> Response:
    body = await _body(request)
    diff = await db(request, lambda c: deps.differences(c, env.id, body))
    return JSONResponse(diff)


@authed
async def deploy(request: Request, env: envs.Environment) -> Response:
    body = await _body(request)
    server = state(request)
    holder = uuid.uuid4().hex

    def work() -> tuple[int, list[dict[str, Any]]]:
        deps.acquire_lock(server.engine, env.id, holder)
        try:
            with server.engine.begin() as conn:
                diff = deps.differences(conn, env.id, body)
                return deps.apply(conn, env.id, body, diff)
        finally:
            deps.release_lock(server.engine, env.id, holder)

    try:
        _number, results = await asyncio.to_thread(work)
    except deps.ConcurrentDeployment:
        raise ApiError(
            409, "concurrent_deployment", "Another deployment to this environment is in progress"
        ) from None
    except deps.BadDeploy as exc:
        raise ApiError(400, "invalid_body", str(exc)) from None
    return JSONResponse(results)
