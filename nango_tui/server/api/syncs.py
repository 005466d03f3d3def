"""`/sync/trigger`, `/sync/start`, `/sync/pause`, `GET /sync/status`, `PUT /sync/update-connection-frequency`,
and our `GET /sync/runs` (a sync's last runs with their logs)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import timeutil
from ..storage import connections as conns
from ..storage import deployments as deps
from ..storage import environments as envs
from ..storage import records as recs
from ..storage import syncs as sync_store
from .common import ApiError, authed, db, json_body, state

MODES = ("incremental", "full_refresh", "full_refresh_and_clear_cache")


def _names(value: Any) -> list[str] | None:
    """Nango's `syncs`: a list of names or {name, variant}, or a comma string; '*' or empty = all."""
    if value in (None, "", "*", []):
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise ApiError(400, "invalid_body", "`syncs` must be a list of sync names")
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append(item["name"])
        elif isinstance(item, str) and item:
            out.append(item.split("::")[0])  # "name::variant" as the Node client spells it
        else:
            raise ApiError(400, "invalid_body", "`syncs` must be a list of sync names")
    return out or None


async def _targets(request: Request, env: envs.Environment, body: dict[str, Any]) -> list[sync_store.SyncRow]:
    h = request.headers
    key = body.get("provider_config_key") or h.get("provider-config-key")
    connection_id = body.get("connection_id") or h.get("connection-id")
    if not key:
        raise ApiError(400, "missing_provider_config_key", "Missing provider_config_key")
    names = _names(body.get("syncs"))

    def work(conn: sa.Connection) -> Any:
        connections = conns.list_for(conn, env.id, integration=key, connection_id=connection_id)
        if connection_id and not connections:
            raise ApiError(404, "unknown_connection", f"Connection {connection_id} was not found")
        if names:
            known = {s.name for s in deps.active_scripts(conn, env.id, key) if s.type == "sync"}
            missing = [n for n in names if n not in known]
            if missing:
                raise ApiError(404, "unknown_sync", f"Sync(s) {', '.join(missing)} not found for {key}")
        return sync_store.for_connections(conn, [c.pk for c in connections], names)

    return await db(request, work)


@authed
async def trigger(request: Request, env: envs.Environment) -> Response:
    body = await json_body(request)
    mode = body.get("sync_mode") or ("full_refresh" if body.get("full_resync") else "incremental")
    if mode not in MODES:
        raise ApiError(400, "invalid_body", f"sync_mode must be one of {', '.join(MODES)}")
    targets = await _targets(request, env, body)
    jobs = await asyncio.to_thread(state(request).require_jobs)
    for sync in targets:
        await asyncio.to_thread(jobs.enqueue_sync, sync.id, mode)
    return JSONResponse({"success": True})


async def _set_state(request: Request, env: envs.Environment, new_state: str) -> Response:
    body = await json_body(request)
    targets = await _targets(request, env, body)
    ids = [s.id for s in targets]
    if ids:
        await db(request, lambda c: sync_store.set_state(c, ids, new_state), write=True)
    if new_state == "STARTED" and ids:
        jobs = await asyncio.to_thread(state(request).require_jobs)
        await asyncio.to_thread(jobs.tick_once)
    return JSONResponse({"success": True})


@authed
async def start(request: Request, env: envs.Environment) -> Response:
    return await _set_state(request, env, "STARTED")


@authed
async def pause(request: Request, env: envs.Environment) -> Response:
    return await _set_state(request, env, "PAUSED")


def _status_item(conn: sa.Connection, sync: sync_store.SyncRow, connection_id: str) -> dict[str, Any]:
    last = sync_store.last_runs(conn, sync.id, 1)
    run = last[0] if last else None
    script = deps.active_script(conn, sync.environment_id, sync.integration, sync.name, "sync")
    models = json.loads(script.models) if script else []
    if sync.state == "PAUSED":
        status = "PAUSED"
    elif run is not None and run.status == "RUNNING":
        status = "RUNNING"
    elif run is not None and run.status == "ERROR":
        status = "ERROR"
    elif run is not None:
        status = "SUCCESS"
    else:
        status = "STOPPED" if sync.state != "STARTED" else "SUCCESS"
    freq = sync_store.frequency_ms(conn, sync)
    return {
        "id": str(sync.id),
        "connection_id": connection_id,
        "name": sync.name,
        "variant": sync.variant,
        "status": status,
        "type": "INITIAL" if sync.last_sync_date is None else "INCREMENTAL",
        "finishedAt": timeutil.iso_ms(run.finished_at) if run is not None else None,
        "nextScheduledSyncAt": timeutil.iso_ms(sync.next_run_at) if sync.state == "STARTED" else None,
        "frequency": f"every {freq // 1000}s" if freq else None,
        "latestResult": json.loads(run.result) if run is not None and run.result else {},
        "recordCount": {m: recs.count(conn, sync.connection_pk, m) for m in models},
        "checkpoint": sync.checkpoint,
    }


@authed
async def status(request: Request, env: envs.Environment) -> Response:
    q = request.query_params
    if not q.get("syncs"):
        raise ApiError(
            400, "invalid_query_params", errors=[{"code": "custom", "message": "Required", "path": ["syncs"]}]
        )
    body = {
        "provider_config_key": q.get("provider_config_key"),
        "connection_id": q.get("connection_id"),
        "syncs": q.get("syncs"),
    }
    targets = await _targets(request, env, body)

    def work(conn: sa.Connection) -> Any:
        ids = sync_store.connection_ids(conn, [s.connection_pk for s in targets])
        return [_status_item(conn, s, ids.get(s.connection_pk, "")) for s in targets]

    return JSONResponse({"syncs": await db(request, work)})


@authed
async def update_frequency(request: Request, env: envs.Environment) -> Response:
    body = await json_body(request)
    for field in ("sync_name", "provider_config_key", "connection_id"):
        if not isinstance(body.get(field), str) or not body[field]:
            raise ApiError(400, "invalid_body", f"`{field}` is required")
    frequency = body.get("frequency")
    ms = None
    if frequency is not None:
        try:
            ms = _parse_runs(str(frequency)) * 1000
        except ValueError as err:
            raise ApiError(400, "invalid_body", f"frequency: {err}") from None
    targets = await _targets(
        request,
        env,
        {
            "provider_config_key": body["provider_config_key"],
            "connection_id": body["connection_id"],
            "syncs": [body["sync_name"]],
        },
    )
    if not targets:
        raise ApiError(404, "unknown_sync", f"Sync {body['sync_name']} not found")
    sync = targets[0]

    def work(conn: sa.Connection) -> Any:
        sync_store.set_frequency(conn, sync.id, ms)
        current = sync_store.get(conn, sync.id)
        assert current is not None  # found by _targets in this request
        return sync_store.frequency_ms(conn, current)

    freq = await db(request, work, write=True)
    return JSONResponse({"frequency": f"every {freq // 1000}s" if freq else None})


@authed
async def runs(request: Request, env: envs.Environment) -> Response:
    """Our addition: the last runs of a sync (status, counts, error, logs)."""
    q = request.query_params
    body = {
        "provider_config_key": q.get("provider_config_key"),
        "connection_id": q.get("connection_id"),
        "syncs": q.get("sync"),
    }
    targets = await _targets(request, env, body)
    limit = min(max(int(q.get("limit") or 10), 1), 50) if (q.get("limit") or "10").isdigit() else 10

    def work(conn: sa.Connection) -> Any:
        out = []
        for sync in targets:
            for run in sync_store.last_runs(conn, sync.id, limit):
                out.append(
                    {
                        "sync": sync.name,
                        "sync_id": sync.id,
                        "run_id": run.id,
                        "type": run.type,
                        "mode": run.mode,
                        "status": run.status,
                        "started_at": timeutil.iso_ms(run.started_at),
                        "finished_at": timeutil.iso_ms(run.finished_at),
                        "result": json.loads(run.result) if run.result else None,
                        "error": run.error,
                        "logs": run.logs,
                    }
                )
        return out

    return JSONResponse({"runs": await db(request, work)})


def _parse_runs(text: str) -> int:
    """nango.yaml's `runs` in seconds (imported when needed: the config part is slow to import)."""
    from nango_tui.config.runs import parse_runs

    return parse_runs(text)
