"""NangoAction and NangoSync: the object a script receives (DESIGN.md "Script API")."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from ..runtime.context import RunContext
from ..runtime.http import HttpClient
from ..runtime.pagination import paginate as _paginate
from .errors import SdkUsageError
from .records import RecordSink


def format_log_args(args: tuple) -> str:
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


LOG_LEVELS = ("debug", "info", "warn", "warning", "error")


class NangoAction:
    """What an action receives. Every call is a coroutine: `await nango.get(...)`."""

    dry_run = True

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._http = HttpClient(ctx)
        conn = ctx.connection
        self.connection_id: str = conn.id
        self.provider_config_key: str = ctx.integration
        self.provider: str = conn.provider
        self.environment: str = ctx.environment
        self._metadata: dict = dict(ctx.metadata if ctx.metadata is not None else conn.metadata)

    # -- HTTP ----------------------------------------------------------------------------------

    async def proxy(
        self,
        endpoint: str | dict | None = None,
        *,
        method: str = "GET",
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """One HTTP call through the connection (auth, retries, recording). Raises HttpError on an error status.

        `endpoint` may also be a Nango-style config dict: {"endpoint", "method", "params", ...}.
        """
        if isinstance(endpoint, dict):
            config = dict(endpoint)
            endpoint = config.pop("endpoint", None)
            method = config.pop("method", method)
            params = config.pop("params", params)
            headers = config.pop("headers", headers)
            json = config.pop("json", config.pop("body", json))
            data = config.pop("data", data)
            retries = config.pop("retries", retries)
            base_url_override = config.pop(
                "base_url_override", config.pop("baseUrlOverride", base_url_override)
            )
            if config:
                raise SdkUsageError(f"proxy(): unknown option(s) {', '.join(sorted(config))}")
        if not endpoint or not isinstance(endpoint, str):
            raise SdkUsageError("proxy(): `endpoint` is required (a path such as '/contacts')")
        return await self._http.request(
            method,
            endpoint,
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    async def get(
        self,
        endpoint: str,
        *,
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """GET `endpoint` (a path under the provider's base URL, or a full URL)."""
        return await self.proxy(
            endpoint,
            method="GET",
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    async def post(
        self,
        endpoint: str,
        *,
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """POST to `endpoint`."""
        return await self.proxy(
            endpoint,
            method="POST",
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    async def put(
        self,
        endpoint: str,
        *,
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """PUT to `endpoint`."""
        return await self.proxy(
            endpoint,
            method="PUT",
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    async def patch(
        self,
        endpoint: str,
        *,
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """PATCH `endpoint`."""
        return await self.proxy(
            endpoint,
            method="PATCH",
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    async def delete(
        self,
        endpoint: str,
        *,
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> httpx.Response:
        """DELETE `endpoint`."""
        return await self.proxy(
            endpoint,
            method="DELETE",
            params=params,
            headers=headers,
            json=json,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )

    def paginate(
        self,
        endpoint: str,
        *,
        method: str = "GET",
        params: Any = None,
        headers: dict | None = None,
        json: Any = None,
        data: Any = None,
        paginate: dict | None = None,
        retries: int | None = None,
        base_url_override: str | None = None,
    ) -> AsyncIterator[list]:
        """Yield pages (lists of records): `async for page in nango.paginate("/contacts", paginate={...})`.

        `paginate` takes Nango's keys (type cursor|link|offset, limit, response_path, ...); what it
        leaves out comes from the provider's default.
        """
        return _paginate(
            self._http,
            endpoint,
            method=method,
            params=params,
            headers=headers,
            json=json,
            data=data,
            config=paginate,
            retries=retries,
            base_url_override=base_url_override,
        )

    # -- connection, metadata, environment ---------------------------------------------------

    async def get_connection(
        self, provider_config_key: str | None = None, connection_id: str | None = None
    ) -> dict:
        """The connection as Nango returns it: credentials, connection_config, metadata.

        Another connection (other id or integration) is looked up like the run's own one.
        """
        own = self._http.connection
        key = provider_config_key or self.provider_config_key
        conn_id = connection_id or self.connection_id
        if key == self.provider_config_key and conn_id == self.connection_id:
            out = own.to_dict()
            out["metadata"] = dict(self._metadata)
            return out
        from ..runtime.connections import aget_connection

        other = await aget_connection(self._ctx.root, self.environment, conn_id, key)
        for secret in other.secrets():
            self._ctx.redactor.add(secret)
        return other.to_dict()

    async def get_metadata(self) -> dict:
        """The connection's metadata (the --metadata stub when given)."""
        return dict(self._metadata)

    async def set_metadata(self, metadata: dict) -> None:
        """Replace the metadata (kept in memory for the dry run)."""
        if not isinstance(metadata, dict):
            raise SdkUsageError("set_metadata() takes a dict")
        self._metadata = dict(metadata)
        await self.log("set_metadata (dry run, not persisted):", metadata, level="debug")

    async def update_metadata(self, metadata: dict) -> None:
        """Merge keys into the metadata (kept in memory for the dry run)."""
        if not isinstance(metadata, dict):
            raise SdkUsageError("update_metadata() takes a dict")
        self._metadata.update(metadata)
        await self.log("update_metadata (dry run, not persisted):", metadata, level="debug")

    async def get_environment_variables(self) -> list[dict]:
        """The environment's variables as [{"name", "value"}] (connections.yaml or the Nango server)."""
        ctx = self._ctx
        if ctx.environment_variables is not None:
            values = ctx.environment_variables
        else:
            from ..runtime.environment_variables import environment_variables

            values = await environment_variables(ctx)
        return [{"name": k, "value": v} for k, v in values.items()]

    # -- logging -------------------------------------------------------------------------------

    async def log(self, *args: Any, level: str = "info") -> None:
        """Log any objects (dicts and lists shown as JSON) at a level: debug, info, warn, error."""
        level = level.lower()
        if level == "warning":
            level = "warn"
        if level not in LOG_LEVELS:
            level = "info"
        message = self._ctx.redactor.text(format_log_args(args))
        self._ctx.emit({"type": "log", "level": level, "message": message})

    # -- lifecycle -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP client (the host calls this when the script is done)."""
        await self._http.aclose()

    async def __aenter__(self) -> NangoAction:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class NangoSync(NangoAction):
    """What a sync receives: NangoAction plus records, last_sync_date and checkpoints."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self.last_sync_date: datetime | None = ctx.last_sync_date
        self._records = RecordSink(ctx)
        self._checkpoint: dict | None = None

    async def batch_save(self, records: list, model: str | type) -> bool:
        """Save records (model instances or dicts) of an output model; invalid ones are reported."""
        await self._records.put("save", records, model)
        return True

    async def batch_update(self, records: list, model: str | type) -> bool:
        """Update records (partial updates are validated like saves)."""
        await self._records.put("update", records, model)
        return True

    async def batch_delete(self, records: list, model: str | type) -> bool:
        """Delete records: each needs at least its `id`."""
        await self._records.put("delete", records, model)
        return True

    async def get_checkpoint(self) -> dict | None:
        """The checkpoint saved earlier in this run (None at the start of a dry run)."""
        return None if self._checkpoint is None else dict(self._checkpoint)

    async def save_checkpoint(self, checkpoint: dict) -> None:
        """Remember where the sync got to (in memory for a dry run)."""
        if not isinstance(checkpoint, dict):
            raise SdkUsageError("save_checkpoint() takes a dict")
        self._checkpoint = dict(checkpoint)

    async def clear_checkpoint(self) -> None:
        self._checkpoint = None
