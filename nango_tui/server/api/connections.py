"""Connections: `POST /connections` (import), `GET /connections`, `GET /connections/:id` (and the older
`/connection...` paths), with the OAuth2 refresh before a token is handed out."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .common import ServerState

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import oauth, timeutil
from ..runlock import OAUTH_NAMESPACE, ProcessesLock
from ..storage import connections as conns
from ..storage import deployments as deps
from ..storage import environments as envs
from ..storage import syncs as sync_store
from .common import ApiError, authed, db, json_body, state

# one refresh at a time per connection (a refresh token is often single-use): an asyncio lock in
# this process, and on PostgreSQL an advisory lock across every process sharing the database
_refresh_locks: dict[int, asyncio.Lock] = {}


def _public(c: conns.StoredConnection) -> dict[str, Any]:
    return {
        "id": c.pk,
        "connection_id": c.connection_id,
        "provider_config_key": c.provider_config_key,
        "provider": c.provider,
        "errors": [],
        "end_user": None,
        "metadata": c.metadata,
        "created": timeutil.iso_ms(c.created_at),
    }


def _full(c: conns.StoredConnection) -> dict[str, Any]:
    creds = dict(c.credentials or {})
    if creds:
        creds.setdefault("raw", {})
    return {
        "id": c.pk,
        "connection_id": c.connection_id,
        "provider_config_key": c.provider_config_key,
        "provider": c.provider,
        "errors": [],
        "end_user": None,
        "metadata": c.metadata,
        "connection_config": c.connection_config,
        "created_at": timeutil.iso_ms(c.created_at),
        "updated_at": timeutil.iso_ms(c.updated_at),
        "last_fetched_at": timeutil.now()[:23] + "Z",
        "credentials": creds,
        "replay": c.replay,
    }


def _dict(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_body", f"`{name}` must be an object")
    return value


@authed
async def post_connection(request: Request, env: envs.Environment) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the body must be an object")
    connection_id = body.get("connection_id")
    key = body.get("provider_config_key")
    if not isinstance(connection_id, str) or not connection_id or len(connection_id) > 255:
        raise ApiError(400, "invalid_body", "`connection_id` is required (a string)")
    if not isinstance(key, str) or not key:
        raise ApiError(400, "invalid_body", "`provider_config_key` is required (a string)")
    credentials = _dict(body.get("credentials"), "credentials")
    if credentials and str(credentials.get("type", "")).upper() not in (
        "OAUTH2",
        "OAUTH1",
        "API_KEY",
        "BASIC",
        "NONE",
    ):
        raise ApiError(400, "invalid_body", "credentials.type must be OAUTH2, API_KEY, BASIC or NONE")
    server = state(request)

    def work(conn: sa.Connection) -> Any:
        scripts = deps.active_scripts(conn, env.id, key)
        if not scripts and not body.get("provider"):
            raise ApiError(404, "unknown_provider_config", f"Integration {key} is not deployed to {env.name}")
        stored, created = conns.upsert(
            conn,
            server.vault,
            env.id,
            connection_id=connection_id,
            provider_config_key=key,
            provider=str(body.get("provider") or key),
            credentials=credentials,
            connection_config=_dict(body.get("connection_config"), "connection_config"),
            metadata=_dict(body.get("metadata"), "metadata"),
            replay=bool(body.get("replay")),
        )
        made: list[int] = []
        if created:
            made = sync_store.create_for_connection(
                conn, env.id, stored.pk, key, [s for s in scripts if s.type == "sync"]
            )
        return stored, made

    stored, made = await db(request, work, write=True)
    if made:
        jobs = await asyncio.to_thread(server.require_jobs)
        await asyncio.to_thread(jobs.tick_once)
    return JSONResponse(_public(stored))


@authed
async def list_connections(request: Request, env: envs.Environment) -> Response:
    q = request.query_params
    rows = await db(
        request,
        lambda c: conns.list_for(
            c, env.id, integration=q.get("integrationId"), connection_id=q.get("connectionId")
        ),
    )
    return JSONResponse({"connections": [_public(r) for r in rows]})


@authed
async def get_connection(request: Request, env: envs.Environment) -> Response:
    connection_id = request.path_params["connection_id"]
    q = request.query_params
    key = q.get("provider_config_key")
    server = state(request)
    found = await db(request, lambda c: conns.find(c, server.vault, env.id, connection_id, key))
    if found is None:
        if not key:
            raise ApiError(400, "missing_provider_config_key", "Missing provider_config_key")
        raise ApiError(404, "unknown_connection", f"Connection {connection_id} was not found")
    force = q.get("force_refresh") == "true"
    if oauth.needs_refresh(found.credentials, force):
        async with _refresh_locks.setdefault(found.pk, asyncio.Lock()):
            across = ProcessesLock(server.engine, OAUTH_NAMESPACE, found.pk)
            await asyncio.to_thread(across.__enter__)
            try:
                found = await _refresh_locked(request, server, found, force)
            finally:
                await asyncio.to_thread(across.__exit__, None, None, None)
    body = _full(found)
    if q.get("refresh_token") != "true":
        body["credentials"].pop("refresh_token", None)
    return JSONResponse(body)


async def _refresh_locked(
    request: Request, server: ServerState, found: conns.StoredConnection, force: bool
) -> conns.StoredConnection:
    """The refresh itself, under both locks; the connection as it is afterwards."""
    # another request may have refreshed it while this one waited: read it again
    current = await db(request, lambda c: conns.by_pk(c, server.vault, found.pk))
    if current is not None and (
        oauth.needs_refresh(current.credentials) or (force and current.credentials == found.credentials)
    ):
        try:
            fresh = await oauth.refresh(current.provider, current.credentials, current.connection_config)
        except oauth.RefreshFailed as exc:
            raise ApiError(424, "refresh_token_external_error", str(exc)) from None
        await db(request, lambda c: conns.set_credentials(c, server.vault, found.pk, fresh), write=True)
        current.credentials = fresh
    if current is not None:
        found = current
    return found


@authed
async def get_integration(request: Request, env: envs.Environment) -> Response:
    key = request.path_params["key"]
    scripts = await db(request, lambda c: deps.active_scripts(c, env.id, key))
    providers = await db(request, lambda c: {r.provider for r in conns.list_for(c, env.id, integration=key)})
    if not scripts and not providers:
        raise ApiError(404, "not_found", f"Integration {key} was not found")
    provider = sorted(providers)[0] if providers else key
    data = {
        "unique_key": key,
        "provider": provider,
        "display_name": key,
        "logo": None,
        "created_at": None,
        "updated_at": None,
        "functions": [
            {"name": s.name, "type": s.type, "version": s.version, "runs": s.runs} for s in scripts
        ],
    }
    return JSONResponse({"data": data})


@authed
async def list_integrations(request: Request, env: envs.Environment) -> Response:
    scripts = await db(request, lambda c: deps.active_scripts(c, env.id))
    keys = sorted({s.integration for s in scripts})
    return JSONResponse({"data": [{"unique_key": k, "provider": k, "display_name": k} for k in keys]})
