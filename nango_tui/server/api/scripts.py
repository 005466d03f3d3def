"""`GET /scripts/config`: the environment's deployed scripts, per integration (Nango's
`StandardNangoConfig[]`), with each one's version and `last_deployed` (the workbench's Deployments pane
reads it). Only `format=nango` (the default); Nango's `format=openai` is not served."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import timeutil
from ..schema import connections, scripts
from ..storage import environments as envs
from .common import ApiError, authed, db


def _config(row: sa.Row[Any]) -> dict[str, Any]:
    extra = json.loads(row.extra) if row.extra else {}
    metadata = extra.get("metadata") or {}
    is_sync = row.type == "sync"
    return {
        "name": row.name,
        "type": row.type,
        "runs": row.runs if is_sync else None,
        "auto_start": bool(row.auto_start) if is_sync else False,
        "attributes": extra.get("attributes") or {},
        "description": metadata.get("description") or "",
        "scopes": metadata.get("scopes") or [],
        "track_deletes": bool(row.track_deletes),
        "returns": json.loads(row.models),
        "endpoints": json.loads(row.endpoints),
        "is_public": False,
        "pre_built": False,
        "version": row.version,
        "last_deployed": timeutil.iso_ms(row.created_at),
        "id": row.id,
        "input": row.input,
        "sync_type": row.sync_type if is_sync else None,
        "webhookSubscriptions": extra.get("webhookSubscriptions") or [],
        "enabled": True,
        "json_schema": None,
        "is_zero_yaml": False,
        "sdk_version": None,
    }


@authed
async def scripts_config(request: Request, env: envs.Environment) -> Response:
    if request.query_params.get("format", "nango") != "nango":
        raise ApiError(400, "invalid_query_params", "only format=nango is served")

    def work(conn: sa.Connection) -> tuple[list[sa.Row[Any]], dict[str, str]]:
        # named columns: a script's source and mocks can be megabytes, and are not shown here
        columns = [c for c in scripts.c if c.name not in ("source", "mocks")]
        rows = conn.execute(
            sa.select(*columns)
            .where(scripts.c.environment_id == env.id, scripts.c.active.is_(True))
            .order_by(scripts.c.integration, scripts.c.type.desc(), scripts.c.name)
        ).all()
        providers = dict(
            conn.execute(
                sa.select(connections.c.provider_config_key, sa.func.min(connections.c.provider))
                .where(connections.c.environment_id == env.id)
                .group_by(connections.c.provider_config_key)
            ).all()
        )
        return list(rows), {str(k): str(v) for k, v in providers.items()}

    rows, providers = await db(request, work)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row.integration,
            {
                "providerConfigKey": row.integration,
                "provider": providers.get(row.integration, row.integration),
                "syncs": [],
                "actions": [],
                "on-events": [],
            },
        )
        entry["syncs" if row.type == "sync" else "actions"].append(_config(row))
    return JSONResponse(list(out.values()))
