"""Credentials on requests (OAuth2 bearer, API key in a header or the query, Basic) and OAuth2 refresh."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .connection_model import Credentials
from .errors import ConnectionProblem
from .nango_server import refetch_from_nango
from .providers import Provider, token_url

if TYPE_CHECKING:
    from .context import RunContext


class AuthState:
    """Adds a connection's credentials to requests; refreshes an expired OAuth2 token once per run."""

    def __init__(
        self, ctx: RunContext, provider: Provider, send_plain: Callable[..., Awaitable[Any]]
    ) -> None:
        self.ctx = ctx
        self.provider = provider
        self.send_plain = send_plain
        self.refreshed = False

    @property
    def credentials(self) -> Credentials:
        return self.ctx.connection.credentials

    async def apply(self, headers: dict[str, Any], pairs: list[Any]) -> None:
        """Add the credentials to `headers` / query `pairs` (refreshing an expired token first)."""
        creds = self.credentials
        kind = creds.type
        if kind == "OAUTH2":
            if creds.is_expired() and not self.refreshed:
                if self.can_refresh():
                    await self.refresh("the access token has expired")
                    creds = self.credentials
                else:
                    self.refreshed = True  # warn once
                    self.ctx.emit(
                        {
                            "type": "log",
                            "level": "warn",
                            "message": (
                                f"the OAuth2 token of connection `{self.ctx.connection.id}` expired at "
                                f"{creds.expires_at:%Y-%m-%d %H:%M:%S} UTC and it has no refresh_token; trying it anyway"
                            ),
                        }
                    )
            provider = self.provider
            headers[provider.token_header] = f"{provider.token_prefix}{creds.access_token}"
        elif kind == "API_KEY":
            config = self.ctx.connection.connection_config or {}
            spec = dict(self.provider.api_key)
            if config.get("api_key_query"):
                spec = {"in": "query", "name": config["api_key_query"], "prefix": ""}
            elif config.get("api_key_header"):
                spec = {
                    "in": "header",
                    "name": config["api_key_header"],
                    "prefix": config.get("api_key_prefix", ""),
                }
            value = f"{spec.get('prefix') or ''}{creds.api_key}"
            if spec.get("in") == "query":
                pairs.append((spec.get("name") or "api_key", value))
            else:
                headers[spec.get("name") or "Authorization"] = value
        elif kind == "BASIC":
            pair = f"{creds.username or ''}:{creds.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()

    def can_refresh(self) -> bool:
        conn = self.ctx.connection
        if conn.source == "nango":
            return True
        return bool(self.credentials.refresh_token)

    async def refresh_after_401(self) -> bool:
        """On a 401: refresh an OAuth2 token once per run; True when the request should be retried."""
        if self.credentials.type != "OAUTH2" or self.refreshed or not self.can_refresh():
            return False
        await self.refresh("the provider answered 401")
        return True

    async def refresh(self, why: str) -> None:
        """Get a new access token: from the token URL (local connection) or the Nango server."""
        self.refreshed = True
        ctx = self.ctx
        conn = ctx.connection
        if conn.source == "nango":
            creds = await refetch_from_nango(conn, force_refresh=True, timeout=ctx.http_timeout)
        else:
            creds = await self._refresh_locally()
        conn.credentials = creds
        for secret in creds.secrets():
            ctx.redactor.add(secret)
        ctx.emit(
            {
                "type": "log",
                "level": "info",
                "message": f"refreshed the OAuth2 token of connection `{conn.id}` ({why})",
            }
        )

    async def _refresh_locally(self) -> Credentials:
        import httpx

        ctx = self.ctx
        conn = ctx.connection
        creds = conn.credentials
        url = token_url(self.provider, conn)
        if not url:
            raise ConnectionProblem(
                f"the OAuth2 token of connection `{conn.id}` has expired and provider `{conn.provider}` has no "
                "token URL; add `token_url` to the connection in connections.yaml"
            )
        config = conn.connection_config or {}
        form = {"grant_type": "refresh_token", "refresh_token": creds.refresh_token or ""}
        client_id = creds.client_id or config.get("client_id")
        client_secret = creds.client_secret or config.get("client_secret")
        if client_id:
            form["client_id"] = str(client_id)
        if client_secret:
            form["client_secret"] = str(client_secret)
            ctx.redactor.add(str(client_secret))
        shown = ctx.redactor.url(url)
        started = time.perf_counter()
        try:
            response = await self.send_plain("POST", url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as err:
            raise ConnectionProblem(
                f"refreshing the OAuth2 token at {shown} failed: {type(err).__name__}"
            ) from None
        ctx.emit(
            {
                "type": "request",
                "method": "POST",
                "url": shown,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": len(response.content),
                "attempt": 1,
            }
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
            detail = ctx.redactor.redact_value(body if body is not None else response.text[:500])
            raise ConnectionProblem(
                f"refreshing the OAuth2 token of connection `{conn.id}` at {shown} failed "
                f"(status {response.status_code}): {detail}"
            )
        expires_at = None
        if body.get("expires_in"):
            try:
                expires_at = datetime.now(UTC) + timedelta(seconds=float(body["expires_in"]))
            except (TypeError, ValueError):
                expires_at = None
        return Credentials(
            type="OAUTH2",
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or creds.refresh_token or "") or None,
            expires_at=expires_at,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
        )
