"""OAuth2 refresh on the server: a token close to its expiry is renewed before it is handed out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from . import timeutil

if TYPE_CHECKING:
    from nango_tui.runtime.connection_model import Connection

REFRESH_LEEWAY = timedelta(minutes=15)  # Nango refreshes tokens expiring within 15 minutes


class RefreshFailed(Exception):
    pass


def needs_refresh(credentials: dict[str, Any], force: bool = False) -> bool:
    if str(credentials.get("type", "")).upper() != "OAUTH2" or not credentials.get("refresh_token"):
        return False
    if force:
        return True
    expires = credentials.get("expires_at")
    if not expires:
        return False
    try:
        return timeutil.parse(str(expires)) - datetime.now(UTC) < REFRESH_LEEWAY
    except ValueError:
        return False


async def refresh(
    provider_name: str, credentials: dict[str, Any], connection_config: dict[str, Any], timeout: float = 15.0
) -> dict[str, Any]:
    """New credentials from the provider's token URL (the connection's `token_url` wins)."""
    import httpx

    from nango_tui.runtime.providers import get_provider, token_url

    provider = get_provider(provider_name)
    holder = SimpleNamespace(
        token_url=connection_config.get("token_url"), connection_config=connection_config
    )
    # token_url reads only the connection's token_url and connection_config
    url = token_url(provider, cast("Connection", holder)) if provider is not None else holder.token_url
    if not url:
        raise RefreshFailed(f"provider {provider_name} has no token URL: set connection_config.token_url")
    form = {"grant_type": "refresh_token", "refresh_token": str(credentials["refresh_token"])}
    for key in ("client_id", "client_secret"):
        value = credentials.get(key) or connection_config.get(key)
        if value:
            form[key] = str(value)
    try:
        from nango_tui.runtime.http import tls_context

        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, verify=tls_context()) as client:
            response = await client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as err:
        raise RefreshFailed(f"the token URL could not be reached: {type(err).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
        raise RefreshFailed(f"the token URL answered {response.status_code}")
    fresh = dict(credentials)
    fresh["access_token"] = str(body["access_token"])
    if body.get("refresh_token"):
        fresh["refresh_token"] = str(body["refresh_token"])
    if body.get("expires_in"):
        try:
            fresh["expires_at"] = timeutil.stamp(
                datetime.now(UTC) + timedelta(seconds=float(body["expires_in"]))
            )
        except (TypeError, ValueError):
            fresh.pop("expires_at", None)
    return fresh
