"""The nango.yaml `endpoints` of the deployed scripts: `GET /contacts` -> that sync's records,
an action's endpoint -> the action (Nango serves them under `/v1/*` too; both are answered)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..runs import run_action
from ..storage import deployments as deps
from ..storage import environments as envs
from .common import ApiError, authed, connection_from, db, json_body, state
from .records import page_response, parse_query


def _match(scripts: Sequence[Any], method: str, path: str) -> tuple[Any, Any]:
    for script in scripts:
        endpoints = json.loads(script.endpoints)
        for index, endpoint in enumerate(endpoints):
            if endpoint.get("method") == method and endpoint.get("path") == path:
                return script, index
    return None, None


@authed
async def script_endpoint(request: Request, env: envs.Environment) -> Response:
    path = "/" + request.path_params["path"].strip("/")
    if path.startswith("/v1/"):
        path = path[3:]
    method = request.method
    h = request.headers
    connection = await connection_from(
        request, env, h.get("connection-id"), h.get("provider-config-key"), status=404
    )
    scripts = await db(request, lambda c: deps.active_scripts(c, env.id, connection.provider_config_key))
    script, index = _match(scripts, method, path)
    if script is None:
        raise ApiError(
            404, "not_found", f"No deployed script of {connection.provider_config_key} serves {method} {path}"
        )
    if script.type == "sync":
        models = json.loads(script.models)
        default = models[min(index, len(models) - 1)] if models else None
        return await page_response(request, connection.pk, parse_query(request, default))
    if method == "GET":
        action_input = dict(request.query_params) or None
    else:
        action_input = await json_body(request) or None
    outcome = await run_action(state(request).run_ctx, env.id, connection.pk, script.name, action_input)
    if outcome.ok:
        return JSONResponse(outcome.output)
    return JSONResponse({"error": outcome.error}, status_code=outcome.status_code)
