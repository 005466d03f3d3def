"""Connections: credentials, connection config and metadata for one environment.

Two sources, looked up in this order (DESIGN.md "Connections"):
1. `connections.yaml` in the integrations folder (values may be `${ENV_VAR}`; `.env` is read);
2. a Nango server, when `NANGO_SECRET_KEY_<ENV>` is set (environment or `.env`).
The files are read by `local_env.py`; the objects are `connection_model.py`'s (re-exported here).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .connection_model import (
    CREDENTIAL_TYPES,
    Connection,
    ConnectionInfo,
    Credentials,
    as_text,
    credentials_from_dict,
    parse_datetime,
)
from .errors import ConnectionNotFound, ConnectionProblem
from .local_env import (
    CONNECTIONS_FILE,
    DEFAULT_NANGO_HOST,
    FileEntry,
    connection_entries,
    environment,
    nango_host,
    nango_secret_key,
    read_dotenv,
)
from .nango_server import list_nango_connections, nango_connection

__all__ = [
    "CONNECTIONS_FILE",
    "CREDENTIAL_TYPES",
    "DEFAULT_NANGO_HOST",
    "Connection",
    "ConnectionInfo",
    "Credentials",
    "aget_connection",
    "alist_connections",
    "credentials_from_dict",
    "environment",
    "file_environment_variables",
    "get_connection",
    "list_connections",
    "nango_host",
    "nango_secret_key",
    "parse_datetime",
    "read_dotenv",
]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: Any, env: dict[str, str], where: str) -> Any:
    """`${VAR}` replaced by the variable's value, recursively; an unset variable is an error."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ConnectionProblem(
                    f"{where}: ${{{name}}} is not set; export it or add `{name}=...` to .env"
                )
            return env[name]

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, env, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, where) for v in value]
    return value


def _plain(value: Any) -> Any:
    """YAML's marked dicts and lists as plain ones (what JSON gives back)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _from_entry(
    entry: FileEntry, environment_name: str, env: dict[str, str], integration: str | None
) -> Connection:
    where = f"{CONNECTIONS_FILE}:{entry.line}:{entry.column}"
    data = _expand(dict(entry.data), env, where)
    conn_integration = data.get("integration") or integration
    if not conn_integration:
        raise ConnectionProblem(
            f"{where}: connection `{entry.id}` needs `integration` (its provider config key)"
        )
    if integration and str(conn_integration) != integration:
        raise ConnectionProblem(
            f"{where}: connection `{entry.id}` belongs to integration `{conn_integration}`, not `{integration}`"
        )
    for key in ("connection_config", "metadata"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ConnectionProblem(f"{where}: `{key}` of connection `{entry.id}` must be a mapping")
    replay = bool(data.get("replay"))
    creds = credentials_from_dict(data.get("credentials"), where)
    return Connection(
        id=entry.id,
        integration=str(conn_integration),
        provider=str(data.get("provider") or conn_integration),
        environment=environment_name,
        source="file",
        base_url=as_text(data.get("base_url")),
        credentials=creds,
        connection_config=dict(data.get("connection_config") or {}),
        metadata=dict(data.get("metadata") or {}),
        metadata_as_written=_plain(entry.data.get("metadata") or {}),
        replay=replay,
        token_url=as_text(data.get("token_url")),
        location=where,
    )


def file_environment_variables(root: Path, environment_name: str = "dev") -> dict[str, str]:
    """`environments.<env>.environment_variables` of connections.yaml (${VAR} expanded)."""
    _, env_map = connection_entries(root, environment_name)
    values = env_map.get("environment_variables") or {}
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in _expand(dict(values), environment(root), CONNECTIONS_FILE).items()}


# ---------------------------------------------------------------------------------------------
# public API


def list_connections(
    root: Path, environment: str = "dev", *, include_nango: bool = True
) -> list[ConnectionInfo]:
    """The environment's connections: connections.yaml first, then the Nango server's (no secrets).

    Raises ConnectionProblem for a broken connections.yaml or an unreachable Nango server.
    """
    env_name = environment
    entries, _ = connection_entries(root, env_name)
    out = []
    for entry in entries:
        data = entry.data
        integration = str(data.get("integration") or "")
        out.append(
            ConnectionInfo(
                entry.id,
                integration,
                str(data.get("provider") or integration),
                "file",
                bool(data.get("replay")),
            )
        )
    if include_nango:
        seen = {(c.id, c.integration) for c in out}
        out.extend(
            c for c in list_nango_connections(_env(root), env_name) if (c.id, c.integration) not in seen
        )
    return out


def _env(root: Path) -> dict[str, str]:
    return environment(root)


def get_connection(
    root: Path,
    environment: str,
    connection_id: str,
    integration: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Connection:
    """The connection `connection_id` of `environment` (of `integration`, when given);
    `extra_env` overlays the process's environment (the variables a dryrun's child gets).

    Raises ConnectionNotFound (its message lists the environment's connections) or
    ConnectionProblem (broken connections.yaml, unset ${VAR}, Nango server error).
    """
    env_name = environment
    env = {**_env(root), **(extra_env or {})}
    entries, _ = connection_entries(root, env_name)
    for entry in entries:
        if entry.id == connection_id:
            return _from_entry(entry, env_name, env, integration)
    secret = nango_secret_key(env, env_name)
    if secret:
        if not integration:
            raise ConnectionProblem(
                f"connection `{connection_id}` is not in {CONNECTIONS_FILE}; to fetch it from the Nango server "
                "the integration (provider config key) must be known"
            )
        found = nango_connection(env, env_name, connection_id, integration)
        if found is not None:
            return found
    available = [e.id for e in entries]
    nango_note = ""
    if secret:
        try:
            remote = [
                c.id
                for c in list_nango_connections(env, env_name)
                if not integration or c.integration == integration
            ]
            available.extend(c for c in remote if c not in available)
        except ConnectionProblem as err:
            nango_note = f" (the Nango server could not list its connections: {err})"
    sources = f"{CONNECTIONS_FILE}" + (f" or the Nango server at {nango_host(env)}" if secret else "")
    if available:
        listing = f"; environment `{env_name}` has: {', '.join(sorted(available))}"
    else:
        listing = f"; environment `{env_name}` has no connections"
        if not secret:
            listing += (
                f" (add one to {CONNECTIONS_FILE} under environments.{env_name}.connections, "
                f"or set NANGO_SECRET_KEY_{env_name.upper()} to use a Nango server)"
            )
    raise ConnectionNotFound(
        f"no connection `{connection_id}`"
        + (f" for integration `{integration}`" if integration else "")
        + f" in {sources}{listing}{nango_note}",
        available,
    )


async def aget_connection(
    root: Path, environment: str, connection_id: str, integration: str | None = None
) -> Connection:
    """get_connection() in a worker thread: for event loops (the workbench) that must not block."""
    import asyncio

    return await asyncio.to_thread(get_connection, root, environment, connection_id, integration)


async def alist_connections(
    root: Path, environment: str = "dev", *, include_nango: bool = True
) -> list[ConnectionInfo]:
    """list_connections() in a worker thread."""
    import asyncio

    return await asyncio.to_thread(list_connections, root, environment, include_nango=include_nango)
