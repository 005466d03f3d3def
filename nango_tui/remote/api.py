"""The calls the workbench makes to a runtime server, typed at the boundary (pydantic).

    client = ServerClient("http://localhost:3003", key)
    scripts = client.scripts_config()           # list[IntegrationScripts]
    statuses = client.sync_status("acme")       # list[SyncStatus], every sync x connection

Blocking (httpx.Client): callers off an event loop run them in a thread. Every failure is a
`ServerError` whose text is one calm line for the user: `Unreachable` names the address tried,
`Refused` carries Nango's error code. A body that does not match the shape raises `Refused`
with code `bad_response` (a server that is not ours, or a proxy page), never a traceback.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .http import tls_context

MODES = ("incremental", "full_refresh", "full_refresh_and_clear_cache")
RECORD_FILTERS = ("added", "updated", "deleted")

T = TypeVar("T")


class ServerError(Exception):
    """A one-line message for the user."""


class Unreachable(ServerError):
    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"cannot reach the server at {host} ({reason}); is `nango-tui serve` running?")
        self.host = host


class Refused(ServerError):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"the server answered {status} {code}" + (f": {message}" if message else ""))
        self.status, self.code, self.message = status, code, message


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Endpoint(_Body):
    method: str
    path: str
    group: str | None = None


class ScriptConfig(_Body):
    """One deployed sync or action (Nango's `NangoSyncConfig`, the fields we show)."""

    name: str
    type: Literal["sync", "action"] | None = None
    version: str | None = None
    last_deployed: str | None = None
    runs: str | None = None
    auto_start: bool | None = None
    sync_type: str | None = None
    track_deletes: bool | None = None
    returns: list[str] = Field(default_factory=list)
    input: str | None = None
    endpoints: list[Endpoint] = Field(default_factory=list)
    description: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}" if self.version else self.name


class IntegrationScripts(_Body):
    """Nango's `StandardNangoConfig`: one integration's deployed scripts."""

    providerConfigKey: str
    provider: str | None = None
    syncs: list[ScriptConfig] = Field(default_factory=list)
    actions: list[ScriptConfig] = Field(default_factory=list)


class Connection(_Body):
    connection_id: str
    provider_config_key: str
    provider: str | None = None
    created: str | None = None


class _Connections(_Body):
    connections: list[Connection]


class SyncStatus(_Body):
    """One sync of one connection (Nango's `GET /sync/status` item)."""

    id: str
    connection_id: str
    name: str
    status: str  # RUNNING | PAUSED | SUCCESS | ERROR | STOPPED
    type: str | None = None
    finishedAt: str | None = None
    nextScheduledSyncAt: str | None = None
    frequency: str | None = None
    latestResult: dict[str, dict[str, int]] = Field(default_factory=dict)
    recordCount: dict[str, int] = Field(default_factory=dict)


class _Statuses(_Body):
    syncs: list[SyncStatus]


class SyncRun(_Body):
    """One run of a sync (our `GET /sync/runs`)."""

    sync: str
    run_id: int | str
    type: str | None = None
    mode: str | None = None
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, dict[str, int]] | None = None
    error: str | None = None
    logs: str | None = None


class _Runs(_Body):
    runs: list[SyncRun]


class RecordsPage(_Body):
    records: list[dict[str, Any]]
    next_cursor: str | None = None


class _Frequency(_Body):
    frequency: str | None = None


def _validate(adapter: TypeAdapter[T], data: Any, what: str) -> T:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise Refused(200, "bad_response", f"{what}: {where or 'body'} {first.get('msg', '')}") from None


_SCRIPTS = TypeAdapter(list[IntegrationScripts])
_CONNECTIONS = TypeAdapter(_Connections)
_STATUSES = TypeAdapter(_Statuses)
_RUNS = TypeAdapter(_Runs)
_PAGE = TypeAdapter(RecordsPage)
_FREQUENCY = TypeAdapter(_Frequency)
_OBJECT = TypeAdapter(dict[str, Any])
_OBJECTS = TypeAdapter(list[dict[str, Any]])


def _target(integration: str, sync: str, connection_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"provider_config_key": integration, "syncs": [sync]}
    if connection_id is not None:
        body["connection_id"] = connection_id
    return body


class ServerClient:
    """Nango's public API (and `serve`'s additions) for one environment key."""

    def __init__(self, host: str, key: str, *, timeout: float = 10.0) -> None:
        self.host = host.rstrip("/")
        self._client = httpx.Client(
            base_url=self.host,
            timeout=timeout,
            headers={"Authorization": f"Bearer {key}"},
            follow_redirects=False,  # the key goes to this origin only
            verify=tls_context(),  # shared: httpx builds a context per client otherwise (~50 ms)
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one request ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The parsed JSON answer of a 2xx; `ServerError` otherwise."""
        try:
            response = self._client.request(
                method,
                path,
                params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                content=json.dumps(body).encode() if body is not None else None,
                headers={"Content-Type": "application/json", **(headers or {})},
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException:
            raise Unreachable(self.host, "no answer in time") from None
        except httpx.HTTPError as exc:
            raise Unreachable(self.host, type(exc).__name__) from None
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.status_code >= 300:
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                message = str(error.get("message") or "")
                for item in (error.get("errors") or [])[:3]:
                    if isinstance(item, dict):
                        path_text = ".".join(str(p) for p in item.get("path", []))
                        message += f" {path_text}: {item.get('message')}".rstrip()
                raise Refused(response.status_code, str(error.get("code") or "error"), message.strip())
            raise Refused(response.status_code, "error", response.text[:200].replace("\n", " "))
        if data is None and response.content:
            raise Refused(response.status_code, "bad_response", "the answer is not JSON")
        return data

    # -- reading ------------------------------------------------------------------------------

    def scripts_config(self) -> list[IntegrationScripts]:
        """Every integration's deployed scripts (`GET /scripts/config`)."""
        return _validate(_SCRIPTS, self.request("GET", "/scripts/config"), "scripts")

    def connections(self, integration: str | None = None) -> list[Connection]:
        data = self.request("GET", "/connections", params={"integrationId": integration})
        return _validate(_CONNECTIONS, data, "connections").connections

    def sync_status(
        self, integration: str, syncs: str = "*", connection_id: str | None = None
    ) -> list[SyncStatus]:
        """Each sync x connection of `integration` (`syncs` a name, comma names or `*`)."""
        data = self.request(
            "GET",
            "/sync/status",
            params={"provider_config_key": integration, "syncs": syncs, "connection_id": connection_id},
        )
        return _validate(_STATUSES, data, "sync status").syncs

    def sync_runs(self, integration: str, sync: str, connection_id: str, limit: int = 10) -> list[SyncRun]:
        data = self.request(
            "GET",
            "/sync/runs",
            params={
                "provider_config_key": integration,
                "sync": sync,
                "connection_id": connection_id,
                "limit": limit,
            },
        )
        return _validate(_RUNS, data, "runs").runs

    def records(
        self,
        integration: str,
        connection_id: str,
        model: str,
        *,
        cursor: str | None = None,
        limit: int = 100,
        filters: list[str] | None = None,
        modified_after: str | None = None,
    ) -> RecordsPage:
        """One page of a connection's cached records of `model`, in Nango's order."""
        data = self.request(
            "GET",
            "/records",
            params={
                "model": model,
                "cursor": cursor,
                "limit": limit,
                "filter": ",".join(filters or []),
                "modified_after": modified_after,
            },
            headers={"Connection-Id": connection_id, "Provider-Config-Key": integration},
        )
        return _validate(_PAGE, data, "records")

    # -- acting -------------------------------------------------------------------------------

    def trigger(
        self, integration: str, sync: str, connection_id: str | None, mode: str = "incremental"
    ) -> None:
        """Run a sync now (for one connection, or every one with None)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.request(
            "POST", "/sync/trigger", body={**_target(integration, sync, connection_id), "sync_mode": mode}
        )

    def pause(self, integration: str, sync: str, connection_id: str | None) -> None:
        self.request("POST", "/sync/pause", body=_target(integration, sync, connection_id))

    def start(self, integration: str, sync: str, connection_id: str | None) -> None:
        self.request("POST", "/sync/start", body=_target(integration, sync, connection_id))

    def update_frequency(
        self, integration: str, sync: str, connection_id: str, frequency: str | None
    ) -> str | None:
        """Set (or with None, reset to the script's `runs`) one connection's frequency; the new one."""
        data = self.request(
            "PUT",
            "/sync/update-connection-frequency",
            body={
                "provider_config_key": integration,
                "connection_id": connection_id,
                "sync_name": sync,
                "frequency": frequency,
            },
        )
        return _validate(_FREQUENCY, data, "frequency").frequency

    def trigger_action(self, integration: str, connection_id: str, action: str, input: Any) -> Any:
        """Run an action and wait for its output (`POST /action/trigger`)."""
        return self.request(
            "POST",
            "/action/trigger",
            body={"action_name": action, "input": input},
            headers={"Connection-Id": connection_id, "Provider-Config-Key": integration},
            timeout=600.0,
        )

    def deploy_confirmation(self, body: dict[str, Any]) -> dict[str, Any]:
        """Nango's `ScriptDifferences` for a deploy body (nothing changes on the server)."""
        data = self.request("POST", "/sync/deploy/confirmation", body={**body, "reconcile": False})
        return _validate(_OBJECT, data, "deploy confirmation")

    def deploy(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Deploy (`reconcile: true`); Nango's `SyncDeploymentResult[]`."""
        data = self.request("POST", "/sync/deploy", body={**body, "reconcile": True}, timeout=300.0)
        return _validate(_OBJECTS, data, "deploy result")
