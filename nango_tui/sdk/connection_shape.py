"""Nango's shapes of a connection, its token and its integration, built from a runtime Connection."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _created_at(connection: Any, root: Any = None) -> str:
    """When the connection came to be: connections.yaml's last change for a local one."""
    if root is not None and getattr(connection, "source", "file") == "file":
        try:
            stamp = os.stat(os.path.join(str(root), "connections.yaml")).st_mtime
            return _iso(datetime.fromtimestamp(stamp, UTC))
        except OSError:
            pass
    return _iso(datetime.now(UTC))


def _raw(credentials: dict[str, Any]) -> dict[str, Any]:
    """The provider's token response as Nango keeps it in `credentials.raw`."""
    if credentials.get("type") != "OAUTH2":
        return {k: v for k, v in credentials.items() if k != "type"}
    raw: dict[str, Any] = {"access_token": credentials.get("access_token"), "token_type": "bearer"}
    if credentials.get("refresh_token"):
        raw["refresh_token"] = credentials["refresh_token"]
    if credentials.get("expires_at"):
        try:
            ends = datetime.fromisoformat(str(credentials["expires_at"]).replace("Z", "+00:00"))
            raw["expires_in"] = max(0, int((ends - datetime.now(UTC)).total_seconds()))
        except ValueError:
            pass
    return raw


def connection_shape(connection: Any, metadata: dict[str, Any], root: Any = None) -> dict[str, Any]:
    """What `nango.get_connection()` returns (Nango's GetPublicConnection), metadata as the run sees it."""
    credentials = connection.credentials.to_dict()
    if credentials.get("type") == "OAUTH2" and credentials.get("expires_at"):
        credentials["expires_at"] = str(credentials["expires_at"]).replace("+00:00", "Z")
    credentials["raw"] = _raw(credentials)
    created = _created_at(connection, root)
    number = int(hashlib.sha1(f"{connection.integration}/{connection.id}".encode()).hexdigest()[:8], 16)
    return {
        "id": number,
        "connection_id": connection.id,
        "provider_config_key": connection.integration,
        "provider": connection.provider,
        "environment": connection.environment,
        "errors": [],
        "end_user": None,
        "metadata": dict(metadata),
        "connection_config": dict(connection.connection_config),
        "created_at": created,
        "updated_at": created,
        "last_fetched_at": _iso(datetime.now(UTC)),
        "credentials": credentials,
    }


def token_of(connection: Any) -> str | dict[str, Any]:
    """Nango's getToken(): the access token for OAuth2, else the credentials."""
    credentials: dict[str, Any] = connection.credentials.to_dict()
    if credentials.get("type") == "OAUTH2":
        token: str = credentials.get("access_token") or ""
        return token
    return credentials


def integration_shape(ctx: Any, include: list[str]) -> dict[str, Any]:
    """What `nango.get_integration()` returns; `webhook_url` only for a Nango server connection."""
    connection = ctx.connection
    created = _created_at(connection, ctx.root)
    out: dict[str, Any] = {
        "unique_key": ctx.integration,
        "provider": connection.provider,
        "display_name": connection.provider.replace("-", " ").title(),
        "logo": None,
        "created_at": created,
        "updated_at": created,
    }
    if "webhook" in include:
        host = getattr(connection, "nango_host", None)
        out["webhook_url"] = (
            f"{host}/webhook/{ctx.environment}/{ctx.integration}"
            if getattr(connection, "source", "file") == "nango" and host
            else None
        )
    return out
