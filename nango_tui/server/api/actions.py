"""`POST /action/trigger` (sync, or async with `X-Async`) and `GET /action/:id`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

import asyncio
import json
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import timeutil
from ..runs import run_action
from ..schema import action_runs
from ..storage import deployments as deps
from ..storage import environments as envs
from .common import ApiError, authed, connection_from, db, json_body, state


@authed
async def trigger(request: Request, env: envs.Environment) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("action_name"), str) or not body["action_name"]:
        raise ApiError(400, "invalid_body", "`action_name` is required")
    h = request.headers
    connection = await connection_from(request, env, h.get("connection-id"), h.get("provider-config-key"))
    name = body["action_name"]
    script = await db(
        request, lambda c: deps.active_script(c, env.id, connection.provider_config_key, name, "action")
    )
    if script is None:
        raise ApiError(404, "not_found", f"Action {name} not found")
    retries = h.get("x-max-retries")
    if retries is not None and (not retries.isdigit() or int(retries) > 5):
        raise ApiError(400, "invalid_headers", "X-Max-Retries must be an integer between 0 and 5")
    if h.get("x-async", "").lower() == "true":
        action_id = str(uuid.uuid4())

        def store(conn: sa.Connection) -> Any:
            conn.execute(
                action_runs.insert().values(
                    id=action_id,
                    environment_id=env.id,
                    connection_pk=connection.pk,
                    name=name,
                    status="WAITING",
                    input=json.dumps(body.get("input")),
                    created_at=timeutil.now(),
                )
            )

        await db(request, store, write=True)
        jobs = await asyncio.to_thread(state(request).require_jobs)
        await asyncio.to_thread(jobs.enqueue_action, action_id)
        return JSONResponse({"id": action_id, "statusUrl": f"/action/{action_id}"}, status_code=202)
    outcome = await run_action(state(request).run_ctx, env.id, connection.pk, name, body.get("input"))
    if outcome.ok:
        return JSONResponse(outcome.output)
    return JSONResponse({"error": outcome.error}, status_code=outcome.status_code)


@authed
async def result(request: Request, env: envs.Environment) -> Response:
    action_id = request.path_params["action_id"]
    row = await db(
        request,
        lambda c: c.execute(
            action_runs.select().where(action_runs.c.id == action_id, action_runs.c.environment_id == env.id)
        ).first(),
    )
    if row is None:
        raise ApiError(404, "not_found", f"Action result {action_id} not found")
    if row.status == "SUCCESS":
        return JSONResponse(json.loads(row.output) if row.output else None)
    if row.status == "ERROR":
        stored = json.loads(row.error)
        return JSONResponse({"error": stored["error"]}, status_code=stored["status"])
    return JSONResponse(
        {"error": {"code": "not_ready", "message": "The action is still running"}}, status_code=404
    )
