"""Webhooks to the customer after each sync run (RUNTIME.md §2 "Webhook to the customer").

One POST per model to the environment's primary and secondary URLs, skipped when nothing changed
(unless `always_notify`); a failed run sends `success: false`. Signed with the environment's key
twice: `X-Nango-Signature` = sha256(key + body) and `X-Nango-Hmac-Sha256` = HMAC-SHA256(key, body).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import timeutil
from .storage import environments as envs

if TYPE_CHECKING:
    from .runs import RunContext, SyncOutcome
    from .storage.connections import StoredConnection
    from .storage.syncs import SyncRow


def signatures(secret: str, body: bytes) -> dict[str, str]:
    return {
        "X-Nango-Signature": hashlib.sha256(secret.encode() + body).hexdigest(),
        "X-Nango-Hmac-Sha256": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def bodies(
    sync: SyncRow, connection: StoredConnection, script: sa.Row[Any], started_at: str, outcome: SyncOutcome
) -> list[dict[str, Any]]:
    """Nango's sync webhook bodies for one run (one per model)."""
    models = json.loads(script.models)
    common: dict[str, Any] = {
        "from": "nango",
        "type": "sync",
        "connectionId": connection.connection_id,
        "providerConfigKey": connection.provider_config_key,
        "syncName": sync.name,
        "syncVariant": sync.variant,
    }
    out = []
    sync_type = "INITIAL" if sync.last_sync_date is None else "INCREMENTAL"
    for model in models:
        if outcome.status == "SUCCESS":
            results = outcome.counts.get(model, {"added": 0, "updated": 0, "deleted": 0})
            out.append(
                {
                    **common,
                    "model": model,
                    "syncType": sync_type,
                    "success": True,
                    "modifiedAfter": timeutil.iso_ms(started_at),
                    "responseResults": results,
                    "queryTimeStamp": timeutil.iso_ms(started_at),
                }
            )
        else:
            out.append(
                {
                    **common,
                    "model": model,
                    "syncType": sync_type,
                    "success": False,
                    "error": {"type": "script_error", "description": outcome.error or "the run failed"},
                    "startedAt": timeutil.iso_ms(started_at),
                    "failedAt": timeutil.now()[:23] + "Z",
                }
            )
    return out


async def after_sync(
    ctx: RunContext,
    sync: SyncRow,
    connection: StoredConnection,
    script: sa.Row[Any],
    started_at: str,
    outcome: SyncOutcome,
) -> None:
    """Send the run's webhooks; a customer endpoint that fails is logged in the run, never retried forever."""
    if outcome.status == "SKIPPED":
        return

    def settings() -> tuple[Any, str | None]:
        with ctx.engine.connect() as conn:
            env = conn.execute(
                sa.text(
                    "SELECT webhook_url, webhook_url_secondary, always_notify FROM environments WHERE id = :i"
                ),
                {"i": sync.environment_id},
            ).first()
            if env is None or not (env.webhook_url or env.webhook_url_secondary):
                return None, None
            return env, envs.secret_key(conn, ctx.vault, sync.environment_id)

    env, secret = await asyncio.to_thread(settings)  # the runs' event loop is shared: no blocking
    if env is None:
        return
    assert secret is not None  # read with the settings
    import httpx

    targets = [u for u in (env.webhook_url, env.webhook_url_secondary) if u]
    from nango_tui.runtime.http import tls_context

    async with httpx.AsyncClient(timeout=ctx.webhook_timeout, verify=tls_context()) as client:
        for body in bodies(sync, connection, script, started_at, outcome):
            if body["success"] and not env.always_notify and not any(body["responseResults"].values()):
                continue
            raw = json.dumps(
                body, separators=(",", ":")
            ).encode()  # as JSON.stringify: clients re-sign the parsed body
            headers = {"Content-Type": "application/json", **signatures(secret, raw)}
            for url in targets:
                try:
                    await client.post(url, content=raw, headers=headers)
                except httpx.HTTPError:
                    pass  # the customer's endpoint is down: Nango logs and moves on
