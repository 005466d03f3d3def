"""NangoAction: what an action receives (Nango's NangoAction, snake_case; docs/sdk.md)."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import AsyncIterator
from typing import Any, Unpack

import httpx

from ..runtime.context import RunContext
from ..runtime.http import HttpClient
from ..runtime.request_options import request_options
from .connection_shape import connection_shape, token_of
from .errors import ActionError, SdkUsageError
from .options import HttpMethod, ProxyArgument, ProxyConfig, normalise, snake
from .origins import tracked_methods

LOG_LEVELS = ("debug", "info", "warn", "error")
_LEVEL_RANK = {"debug": 0, "info": 1, "warn": 2, "error": 3, "off": 4}


def format_log_args(args: tuple[Any, ...]) -> str:
    """Log arguments as one line: text as is, dicts/lists/models as JSON, others via str()."""
    parts = []
    for arg in args:
        if isinstance(arg, str):
            parts.append(arg)
        elif isinstance(arg, (dict, list, tuple)):
            parts.append(json.dumps(arg, ensure_ascii=False, default=_json_default))
        elif hasattr(arg, "model_dump_json"):
            parts.append(arg.model_dump_json(by_alias=True, exclude_unset=True))
        elif isinstance(arg, BaseException):
            parts.append(f"{type(arg).__name__}: {arg}")
        else:
            parts.append(str(arg))
    return " ".join(parts)


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _stored_metadata(ctx: RunContext) -> dict[str, Any]:
    """The connection's metadata, with what earlier runs set on a local connection over it."""
    conn = ctx.connection
    if getattr(conn, "source", "file") == "file" and ctx.replayer is None:
        from ..runtime.metadata_store import as_run_sees, read_overlay

        overlay = read_overlay(ctx.root, ctx.environment, ctx.integration, conn.id)
        if overlay is not None:
            if conn.metadata_as_written is None:
                return overlay
            seen: dict[str, Any] = as_run_sees(overlay, conn.metadata_as_written, conn.metadata)
            return seen
    return dict(conn.metadata or {})


def _level(value: Any) -> str:
    level = str(value or "info").lower()
    return "warn" if level == "warning" else level if level in LOG_LEVELS else "info"


@tracked_methods  # where an SDK call the script never awaited was made (origins.py)
class NangoAction:
    """What an action receives. Every call is a coroutine: `await nango.get(...)`."""

    dry_run = True
    ActionError = ActionError  # `raise nango.ActionError({...})`, as in Nango

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._http = HttpClient(ctx)
        self._other_http: dict[tuple[str, str], HttpClient] = {}
        conn = ctx.connection
        self.connection_id: str = conn.id
        self.provider_config_key: str = ctx.integration
        self.provider: str = conn.provider
        self.environment: str = ctx.environment
        self._metadata: dict[str, Any] = dict(
            ctx.metadata if ctx.metadata is not None else _stored_metadata(ctx)
        )
        self._log_level = "debug"
        self._locks: dict[str, float] = {}
        self._started = time.time()

    def __getattr__(self, name: str) -> Any:
        # only reached for a name the class lacks: say which Python name Nango's maps to
        raise AttributeError(missing_member_message(type(self), name))

    # -- HTTP ----------------------------------------------------------------------------------

    async def proxy(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """One HTTP call through the connection (auth, retries, recording); raises HttpError on an error status.

        Takes Nango's proxy config as a dict or keywords: endpoint, method, params, headers, data
        (the body), retries, base_url_override, response_type, retry_on, retry_header,
        decompress, connection_id, provider_config_key. The response has `.data` and `.status`.
        """
        return await self._send("proxy", config, options, None)

    async def get(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """GET `endpoint` (a path under the provider's base URL); options as for proxy()."""
        return await self._send("get", config, options, "GET")

    async def post(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """POST to `endpoint`; `data=` is the body (dict/list as JSON)."""
        return await self._send("post", config, options, "POST")

    async def put(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """PUT to `endpoint`."""
        return await self._send("put", config, options, "PUT")

    async def patch(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """PATCH `endpoint`."""
        return await self._send("patch", config, options, "PATCH")

    async def delete(self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]) -> httpx.Response:
        """DELETE `endpoint`."""
        return await self._send("delete", config, options, "DELETE")

    async def _send(
        self, call: str, config: ProxyArgument, options: ProxyConfig, method: HttpMethod | None
    ) -> httpx.Response:
        opts = normalise(call, config, options)
        if method is not None:
            opts["method"] = method
        http = await self._client_for(opts)
        return await http.request(opts["method"], opts["endpoint"], **request_options(opts))

    async def _client_for(self, opts: ProxyConfig) -> HttpClient:
        """The run's own client, or one for the other connection the options name."""
        key = opts.get("provider_config_key") or self.provider_config_key
        conn_id = opts.get("connection_id") or self.connection_id
        if (key, conn_id) == (self.provider_config_key, self.connection_id):
            return self._http
        client = self._other_http.get((key, conn_id))
        if client is None:
            import dataclasses

            from ..runtime.connections import aget_connection

            ctx = self._ctx
            other = await aget_connection(ctx.root, self.environment, conn_id, key)
            for secret in other.secrets():
                ctx.redactor.add(secret)
            other_ctx = dataclasses.replace(ctx, connection=other, integration=key)
            other_ctx.redactor = ctx.redactor  # one redactor knows every secret of the run
            client = self._other_http[(key, conn_id)] = HttpClient(other_ctx)
        return client

    def paginate(
        self, config: ProxyArgument = None, /, **options: Unpack[ProxyConfig]
    ) -> AsyncIterator[list[Any]]:
        """Yield pages (lists of records): `async for page in nango.paginate("/contacts", paginate={...})`.

        Takes what proxy() takes plus `paginate` (Nango's keys; what it leaves out comes from the
        provider's default). The paging parameters go in the body for POST/PUT/PATCH, in the
        query for GET (`in_body` overrides); `on_page` is called after each page.
        """
        from ..runtime.pagination import paginate as run_paginate

        opts = normalise("paginate", config, options, allow_paginate=True)
        return run_paginate(self._http, opts)

    async def uncontrolled_fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, Any] | None = None,
        body: str | bytes | None = None,
    ) -> httpx.Response:
        """A plain request to any URL: no credentials, no retries, not recorded (Nango's uncontrolledFetch)."""
        started = time.perf_counter()
        from ..runtime.http import tls_context

        async with httpx.AsyncClient(
            timeout=self._ctx.http_timeout, follow_redirects=True, verify=tls_context()
        ) as client:
            response = await client.request(method.upper(), str(url), headers=headers, content=body)
        self._ctx.emit(
            {
                "type": "request",
                "method": method.upper(),
                "url": self._ctx.redactor.url(str(url)),
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": len(response.content),
                "attempt": 1,
            }
        )
        return response

    # -- connection, integration, metadata -------------------------------------------------------

    async def get_connection(
        self,
        provider_config_key: str | None = None,
        connection_id: str | None = None,
        *,
        force_refresh: bool = False,
        refresh_token: bool = False,
    ) -> dict[str, Any]:
        """The connection in Nango's shape: id, connection_id, credentials (with `raw`), metadata, ...

        Another connection (other id or integration) is looked up like the run's own one.
        `force_refresh` gets a new OAuth2 token first.
        """
        key = provider_config_key or self.provider_config_key
        conn_id = connection_id or self.connection_id
        if key == self.provider_config_key and conn_id == self.connection_id:
            if (force_refresh or refresh_token) and self._http.auth.can_refresh():
                await self._http.auth.refresh("get_connection(force_refresh=True)")
            return connection_shape(self._http.connection, self._metadata)
        client = await self._client_for({"provider_config_key": key, "connection_id": conn_id})
        if force_refresh and client.auth.can_refresh():
            await client.auth.refresh("get_connection(force_refresh=True)")
        return connection_shape(client.connection, client.connection.metadata)

    async def get_token(self, *, force_refresh: bool = False) -> str | dict[str, Any]:
        """The OAuth2 access token (text); for other auth modes the credentials dict, as in Nango."""
        if force_refresh and self._http.auth.can_refresh():
            await self._http.auth.refresh("get_token(force_refresh=True)")
        return token_of(self._http.connection)

    async def get_integration(self, include: list[str] | None = None) -> dict[str, Any]:
        """The integration: unique_key, provider, display_name, created_at, updated_at (+ webhook_url)."""
        from .connection_shape import integration_shape

        return integration_shape(self._ctx, include or [])

    async def get_webhook_url(self) -> str | None:
        """The integration's webhook URL on Nango (None for a local connection)."""
        return (await self.get_integration(["webhook"])).get("webhook_url")

    async def get_metadata(self) -> dict[str, Any]:
        """The connection's metadata (the --metadata stub when given; what set/update_metadata left)."""
        return dict(self._metadata)

    async def set_metadata(self, metadata: dict[str, Any]) -> None:
        """Replace the connection's metadata; kept beyond the run (see docs/sdk.md)."""
        if not isinstance(metadata, dict):
            raise SdkUsageError(f"set_metadata() takes a dict, not {type(metadata).__name__}")
        self._metadata = json.loads(json.dumps(metadata, default=_json_default))
        await self._store_metadata("set", metadata)

    async def update_metadata(self, metadata: dict[str, Any]) -> None:
        """Merge keys into the connection's metadata; kept beyond the run (see docs/sdk.md)."""
        if not isinstance(metadata, dict):
            raise SdkUsageError(f"update_metadata() takes a dict, not {type(metadata).__name__}")
        self._metadata.update(json.loads(json.dumps(metadata, default=_json_default)))
        await self._store_metadata("update", metadata)

    async def _store_metadata(self, how: str, given: dict[str, Any]) -> None:
        from ..runtime.metadata_store import store_metadata

        where = await store_metadata(self._ctx, self._metadata, how, given)
        await self.log(f"{how}_metadata: {where}", level="debug")

    async def get_field_mapping(self) -> dict[str, Any]:
        """Deprecated in Nango: `metadata["fieldMapping"]`."""
        return dict((await self.get_metadata()).get("fieldMapping") or {})

    async def set_field_mapping(self, field_mapping: dict[str, Any]) -> None:
        """Deprecated in Nango: set_metadata(field_mapping)."""
        await self.set_metadata(field_mapping)

    async def get_environment_variables(self) -> list[dict[str, Any]]:
        """The environment's variables as [{"name", "value"}] (connections.yaml or the Nango server)."""
        ctx = self._ctx
        if ctx.environment_variables is not None:
            values = ctx.environment_variables
        else:
            from ..runtime.environment_variables import environment_variables

            values = await environment_variables(ctx)
        return [{"name": k, "value": v} for k, v in values.items()]

    def get_flow_attributes(self) -> dict[str, Any] | None:
        """The attributes of the sync job running (Nango: only in a sync; {} in a dryrun)."""
        if self._ctx.kind != "sync":
            raise SdkUsageError("get_flow_attributes() is only available in a sync (there is no sync job)")
        return dict(self._ctx.extra.get("flow_attributes") or {})

    # -- locks -----------------------------------------------------------------------------------

    async def try_acquire_lock(self, key: str, ttl_ms: int) -> bool:
        """Take the lock `key` for `ttl_ms` ms; False while another holder has it (locks last the run)."""
        if not isinstance(key, str) or not key:
            raise SdkUsageError("try_acquire_lock(): `key` is a non-empty text")
        if not isinstance(ttl_ms, (int, float)) or ttl_ms <= 0:
            raise SdkUsageError("try_acquire_lock(): `ttl_ms` is a positive number of milliseconds")
        now = time.monotonic()
        held = self._locks.get(key)
        if held is not None and held > now:
            return False
        self._locks[key] = now + ttl_ms / 1000
        return True

    async def release_lock(self, key: str) -> bool:
        """Release the lock `key`; False when it was not held."""
        return self._locks.pop(key, None) is not None

    async def release_all_locks(self) -> None:
        """Release every lock of the run (also done when the script ends)."""
        self._locks.clear()

    # -- logging -------------------------------------------------------------------------------

    async def log(self, *args: Any, level: str | None = None) -> None:
        """Log any objects at a level (debug, info, warn, error): `level=` or Nango's last `{"level": ...}`."""
        if len(args) > 1 and isinstance(args[-1], dict) and "level" in args[-1] and level is None:
            level, args = args[-1].get("level"), args[:-1]
        level = _level(level)
        if _LEVEL_RANK[level] < _LEVEL_RANK[self._log_level]:
            return
        message = self._ctx.redactor.text(format_log_args(args))
        self._ctx.emit({"type": "log", "level": level, "message": message})

    def set_logger(self, logger: dict[str, Any]) -> None:
        """Drop logs below a level: `nango.set_logger({"level": "warn"})` ("off" drops all)."""
        level = str((logger or {}).get("level", "debug")).lower()
        if level not in _LEVEL_RANK:
            raise SdkUsageError(f"set_logger(): level must be one of {', '.join(_LEVEL_RANK)}")
        if self._log_level != "off":
            self._log_level = level

    # -- lifecycle -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP clients (the host calls this when the script is done)."""
        self._locks.clear()
        await self._http.aclose()
        for client in self._other_http.values():
            await client.aclose()

    async def __aenter__(self) -> NangoAction:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


#: Nango names whose Python name is not simply their snake_case
RENAMED = {
    "getWebhookURL": "get_webhook_url",
    "lastSyncDate": "last_sync_date",
    "batchSend": "batch_save",
    "track_deletes": "track_deletes",
}


def public_members(cls: type) -> list[str]:
    """The SDK names a script may use on `nango` (what docs/sdk.md documents)."""
    return sorted(n for n in dir(cls) if not n.startswith("_") and n not in ("aclose",))


def missing_member_message(cls: type, name: str) -> str:
    """What to say for `nango.<name>` the SDK lacks: the Python name, or the closest one."""
    members = public_members(cls) + ["last_sync_date", "track_deletes", "variant"]
    python = RENAMED.get(name) or snake(name)
    if python != name and python in members:
        return f"{cls.__name__} has no `{name}`: use `{python}` (the SDK uses Python names)"
    guess = difflib.get_close_matches(python, members, n=1, cutoff=0.6)
    hint = f"; did you mean `{guess[0]}`?" if guess else " (see docs/sdk.md)"
    return f"{cls.__name__} has no `{name}`{hint}"
