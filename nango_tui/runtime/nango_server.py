"""The Nango server as a connection source: GET /connection/{id}, /integrations/{key}, /connection.

Used when `NANGO_SECRET_KEY_<ENV>` is set (environment or `.env`); `NANGO_HOSTPORT` defaults to
Nango's cloud. The secret key is a bearer token and is redacted like any credential.
"""

from __future__ import annotations

from typing import Any

from .connection_model import Connection, ConnectionInfo, Credentials, as_text, credentials_from_dict
from .errors import ConnectionProblem


def _tls() -> Any:
    """The process's one verifying TLS context (a client building its own costs ~40-60 ms of CPU)."""
    from .http import tls_context

    return tls_context()


def _nango_get(
    host: str, secret: str, path: str, params: dict[str, Any] | None = None, timeout: float = 15.0
) -> Any:
    import httpx

    url = f"{host}{path}"
    try:
        with httpx.Client(timeout=timeout, verify=_tls()) as client:
            response = client.get(url, params=params, headers={"Authorization": f"Bearer {secret}"})
    except httpx.HTTPError as err:
        raise ConnectionProblem(
            f"cannot reach the Nango server at {host}: {type(err).__name__} {err}".replace(secret, "***")
        ) from None
    return _nango_answer(response, host, path, secret)


def _nango_answer(response: Any, host: str, path: str, secret: str) -> Any:
    if response.status_code == 401:
        raise ConnectionProblem(
            f"the Nango server at {host} refused the secret key (401); check NANGO_SECRET_KEY_<ENV>"
        )
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        body = response.text[:500].replace(secret, "***")
        raise ConnectionProblem(
            f"the Nango server at {host} answered {response.status_code} to GET {path}: {body}"
        )
    try:
        return response.json()
    except ValueError:
        raise ConnectionProblem(
            f"the Nango server at {host} answered GET {path} with a body that is not JSON"
        ) from None


def _provider_of_integration(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for holder in (body.get("data"), body.get("config"), body):
        if isinstance(holder, dict) and holder.get("provider"):
            return str(holder["provider"])
    return None


def connection_from_nango(
    body: dict[str, Any],
    *,
    environment_name: str,
    integration: str,
    provider: str | None,
    host: str,
    secret: str,
) -> Connection:
    """A Connection from the Nango server's `GET /connection/{id}` answer."""
    where = f"Nango server {host}, connection"
    creds = credentials_from_dict(body.get("credentials") or {}, where)
    config = body.get("connection_config") or body.get("connectionConfig") or {}
    metadata = body.get("metadata") or {}
    return Connection(
        id=str(body.get("connection_id") or body.get("connectionId") or body.get("id")),
        integration=str(body.get("provider_config_key") or integration),
        provider=str(provider or body.get("provider") or integration),
        environment=environment_name,
        source="nango",
        base_url=as_text(config.get("base_url")) if isinstance(config, dict) else None,
        credentials=creds,
        connection_config=dict(config) if isinstance(config, dict) else {},
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        nango_host=host,
        nango_secret_key=secret,
    )


def nango_connection(
    env: dict[str, str], environment_name: str, connection_id: str, integration: str
) -> Connection | None:
    from .local_env import nango_host, nango_secret_key  # (not at import: a run's child never needs it)

    secret = nango_secret_key(env, environment_name)
    if not secret:
        return None
    host = nango_host(env)
    from urllib.parse import quote

    body = _nango_get(
        host, secret, f"/connection/{quote(connection_id, safe='')}", {"provider_config_key": integration}
    )
    if body is None:
        return None
    integration_body = _nango_get(host, secret, f"/integrations/{quote(integration, safe='')}")
    provider = _provider_of_integration(integration_body)
    return connection_from_nango(
        body,
        environment_name=environment_name,
        integration=integration,
        provider=provider,
        host=host,
        secret=secret,
    )


async def refetch_from_nango(
    connection: Connection, *, force_refresh: bool = True, timeout: float = 15.0
) -> Credentials:
    """Fresh credentials from the Nango server (`force_refresh=true` asks it to refresh the token)."""
    from urllib.parse import quote

    import httpx

    if not connection.nango_host or not connection.nango_secret_key:
        raise ConnectionProblem(f"connection `{connection.id}` does not come from a Nango server")
    host, secret = connection.nango_host, connection.nango_secret_key
    path = f"/connection/{quote(connection.id, safe='')}"
    params = {
        "provider_config_key": connection.integration,
        "force_refresh": "true" if force_refresh else "false",
    }
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=_tls()) as client:
            response = await client.get(
                f"{host}{path}", params=params, headers={"Authorization": f"Bearer {secret}"}
            )
    except httpx.HTTPError as err:
        raise ConnectionProblem(f"cannot reach the Nango server at {host}: {type(err).__name__}") from None
    body = _nango_answer(response, host, path, secret)
    if not isinstance(body, dict):
        raise ConnectionProblem(f"the Nango server at {host} no longer knows connection `{connection.id}`")
    return credentials_from_dict(body.get("credentials") or {}, f"Nango server {host}, connection")


def list_nango_connections(env: dict[str, str], environment_name: str) -> list[ConnectionInfo]:
    from .local_env import nango_host, nango_secret_key

    secret = nango_secret_key(env, environment_name)
    if not secret:
        return []
    body = _nango_get(nango_host(env), secret, "/connection")
    items = body.get("connections", []) if isinstance(body, dict) else []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            out.append(
                ConnectionInfo(
                    id=str(item.get("connection_id") or item.get("id")),
                    integration=str(item.get("provider_config_key") or ""),
                    provider=str(item.get("provider") or item.get("provider_config_key") or ""),
                    source="nango",
                )
            )
    return out


RECORDS_IDS_PER_REQUEST = 100  # GET /records takes at most 100 ids


async def cached_records(
    ctx: Any, model: str, ids: list[str], timeout: float = 30.0
) -> dict[str, dict[str, Any]]:
    """{id: record} of `ids` in the records cache of the server the run's connection came from
    (a runtime-server run's get_records_by_ids); deleted records are absent."""
    import httpx

    connection = ctx.connection
    host, secret = connection.nango_host, connection.nango_secret_key
    if not host or not secret:
        raise ConnectionProblem(f"connection `{connection.id}` does not come from a Nango server")
    headers = {
        "Authorization": f"Bearer {secret}",
        "Connection-Id": connection.id,
        "Provider-Config-Key": connection.integration,
    }
    found: dict[str, dict[str, Any]] = {}
    unique = list(dict.fromkeys(ids))
    async with httpx.AsyncClient(timeout=timeout, verify=_tls()) as client:
        for start in range(0, len(unique), RECORDS_IDS_PER_REQUEST):
            chunk = unique[start : start + RECORDS_IDS_PER_REQUEST]
            params: list[tuple[str, str | int | float | bool | None]] = [
                ("model", model),
                ("limit", RECORDS_IDS_PER_REQUEST),
                ("filter", "added,updated"),
            ]
            params += [("ids", rid) for rid in chunk]
            try:
                response = await client.get(f"{host}/records", params=params, headers=headers)
            except httpx.HTTPError as err:
                raise ConnectionProblem(
                    f"cannot reach the Nango server at {host}: {type(err).__name__}"
                ) from None
            body = _nango_answer(response, host, "/records", secret)
            for record in (body or {}).get("records") or []:
                if isinstance(record, dict):
                    record.pop("_nango_metadata", None)
                    found[str(record.get("id"))] = record
    return found
