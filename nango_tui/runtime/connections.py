"""Connections: credentials, connection config and metadata for one environment.

Two sources, looked up in this order (DESIGN.md "Connections"):
1. `connections.yaml` in the integrations folder (values may be `${ENV_VAR}`; `.env` is read);
2. a Nango server, when `NANGO_SECRET_KEY_<ENV>` is set (environment or `.env`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import ConnectionNotFound, ConnectionProblem

CONNECTIONS_FILE = "connections.yaml"
DEFAULT_NANGO_HOST = "https://api.nango.dev"
CREDENTIAL_TYPES = ("OAUTH2", "API_KEY", "BASIC", "NONE")
_ENTRY_KEYS = {
    "integration",
    "provider",
    "base_url",
    "credentials",
    "connection_config",
    "metadata",
    "replay",
    "token_url",
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Credentials:
    """How a connection authenticates. Secret fields never show in repr()."""

    type: str = "NONE"  # OAUTH2 | API_KEY | BASIC | NONE
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        return [
            s
            for s in (self.access_token, self.refresh_token, self.api_key, self.password, self.client_secret)
            if s
        ]

    def is_expired(self, leeway_seconds: float = 60.0) -> bool:
        """True when an OAuth2 token expires within `leeway_seconds` (or has expired)."""
        if self.expires_at is None:
            return False
        return (self.expires_at - datetime.now(UTC)).total_seconds() <= leeway_seconds

    def to_dict(self) -> dict[str, Any]:
        """Nango's shape of the credentials (as `get_connection()` returns them)."""
        if self.type == "OAUTH2":
            out: dict[str, Any] = {"type": "OAUTH2", "access_token": self.access_token}
            if self.refresh_token:
                out["refresh_token"] = self.refresh_token
            if self.expires_at:
                out["expires_at"] = self.expires_at.isoformat()
            return out
        if self.type == "API_KEY":
            return {"type": "API_KEY", "apiKey": self.api_key}
        if self.type == "BASIC":
            return {"type": "BASIC", "username": self.username, "password": self.password}
        return {"type": self.type}


@dataclass(frozen=True)
class ConnectionInfo:
    """What lists of connections show: no secrets."""

    id: str
    integration: str
    provider: str
    source: str  # "file" | "nango"
    replay: bool = False


@dataclass
class Connection:
    """One connection, resolved: ready for the HTTP layer."""

    id: str
    integration: str
    provider: str
    environment: str = "dev"
    source: str = "file"  # "file" | "nango"
    base_url: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    connection_config: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold a client_secret
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    replay: bool = False
    token_url: str | None = None  # overrides the provider's OAuth2 token URL (local refresh)
    nango_host: str | None = None  # set for the Nango source: where to re-fetch credentials
    nango_secret_key: str | None = field(default=None, repr=False)
    location: str | None = None  # "connections.yaml:12:5" for the file source

    def secrets(self) -> list[str]:
        """Every secret value this connection holds (for the redactor)."""
        found = self.credentials.secrets()
        if self.nango_secret_key:
            found.append(self.nango_secret_key)
        for key, value in self.connection_config.items():
            if isinstance(value, str) and _is_secret_config_key(key):
                found.append(value)
        if (
            self.credentials.type == "BASIC"
            and self.credentials.username is not None
            and self.credentials.password
        ):
            import base64

            pair = f"{self.credentials.username}:{self.credentials.password}"
            found.append(base64.b64encode(pair.encode()).decode())
        return found

    def info(self) -> ConnectionInfo:
        return ConnectionInfo(self.id, self.integration, self.provider, self.source, self.replay)

    def to_dict(self) -> dict[str, Any]:
        """Nango's shape of a connection (as `nango.get_connection()` returns it)."""
        return {
            "connection_id": self.id,
            "provider_config_key": self.integration,
            "provider": self.provider,
            "environment": self.environment,
            "credentials": self.credentials.to_dict(),
            "connection_config": dict(self.connection_config),
            "metadata": dict(self.metadata),
        }


_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "private_key", "signing_key")
_NOT_SECRET_KEYS = frozenset({"api_key_header", "api_key_query", "api_key_prefix", "token_type"})


def _is_secret_config_key(key: str) -> bool:
    """connection_config keys whose values are credentials (client_secret, api_key...), not URLs or names."""
    key = key.lower()
    if key in _NOT_SECRET_KEYS or key.endswith(("_url", "_uri", "_header", "_name")):
        return False
    return any(word in key for word in _SECRET_WORDS)


# ---------------------------------------------------------------------------------------------
# environment and .env


def read_dotenv(root: Path) -> dict[str, str]:
    """The `KEY=VALUE` lines of `<root>/.env` (quotes stripped; comments and blanks ignored)."""
    path = Path(root) / ".env"
    out: dict[str, str] = {}
    from ..config.files import read_user_file

    try:
        text = read_user_file(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):  # a FIFO or /dev/zero is refused, not read forever
        return out
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key.strip()] = value
    return out


def environment(root: Path) -> dict[str, str]:
    """`.env` overlaid by the real environment (a variable set in the shell wins)."""
    env = read_dotenv(root)
    env.update(os.environ)
    return env


def nango_secret_key(env: dict[str, str], environment_name: str) -> str | None:
    return env.get(f"NANGO_SECRET_KEY_{environment_name.upper().replace('-', '_')}") or None


def nango_host(env: dict[str, str]) -> str:
    return (env.get("NANGO_HOSTPORT") or DEFAULT_NANGO_HOST).rstrip("/")


# ---------------------------------------------------------------------------------------------
# connections.yaml


@dataclass
class _FileEntry:
    id: str
    data: dict
    line: int
    column: int


def _load_file(root: Path, environment_name: str) -> tuple[list[_FileEntry], dict]:
    """The connection entries of one environment in connections.yaml, and the environment's mapping."""
    from ..config.diagnostics import DiagnosticList
    from ..config.yamlnodes import YMap, decode, parse

    path = Path(root) / CONNECTIONS_FILE
    if not path.is_file():
        return [], {}
    from ..config.files import read_user_file

    diags = DiagnosticList(CONNECTIONS_FILE)
    try:
        data_bytes = read_user_file(path)
    except OSError as err:
        raise ConnectionProblem(f"cannot read {CONNECTIONS_FILE}: {err.strerror or err}") from None
    text = decode(data_bytes, diags)
    data = parse(text, diags) if text is not None else None
    if diags.items:
        d = diags.items[0]
        raise ConnectionProblem(f"{CONNECTIONS_FILE}:{d.line}:{d.column}: {d.message}")
    if data is None:
        return [], {}

    def where(node: Any, key: Any = None) -> str:
        if isinstance(node, YMap):
            line, col = node.key_mark(key) if key is not None else node.mark
            return f"{CONNECTIONS_FILE}:{line}:{col}"
        return f"{CONNECTIONS_FILE}:1:1"

    if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
        raise ConnectionProblem(
            f"{where(data)}: connections.yaml must hold `environments: {{<env>: {{connections: {{<id>: ...}}}}}}`"
        )
    envs = data["environments"]
    env = envs.get(environment_name)
    if env is None:
        return [], {}
    if not isinstance(env, dict):
        raise ConnectionProblem(
            f"{where(envs, environment_name)}: environment `{environment_name}` must be a mapping"
        )
    conns = env.get("connections") or {}
    if not isinstance(conns, dict):
        raise ConnectionProblem(
            f"{where(env, 'connections')}: `connections` must be a mapping of connection ids"
        )
    entries = []
    for conn_id, entry in conns.items():
        if not isinstance(entry, dict):
            raise ConnectionProblem(f"{where(conns, conn_id)}: connection `{conn_id}` must be a mapping")
        unknown = [k for k in entry if k not in _ENTRY_KEYS]
        if unknown:
            raise ConnectionProblem(
                f"{where(entry, unknown[0])}: unknown key `{unknown[0]}` in connection `{conn_id}` "
                f"(allowed: {', '.join(sorted(_ENTRY_KEYS))})"
            )
        line, col = conns.key_mark(conn_id) if isinstance(conns, YMap) else (1, 1)
        entries.append(_FileEntry(str(conn_id), entry, line, col))
    return entries, env


def _expand(value: Any, env: dict[str, str], where: str) -> Any:
    """`${VAR}` replaced by the variable's value, recursively; an unset variable is an error."""
    if isinstance(value, str):

        def sub(match: re.Match) -> str:
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


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 text, epoch seconds (or ms) or datetime as an aware datetime; None if empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return parse_datetime(float(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"`{text}` is not a date (use ISO 8601, e.g. 2026-01-31T12:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def credentials_from_dict(raw: Any, where: str = "credentials") -> Credentials:
    """Credentials from connections.yaml or a Nango server answer (both key spellings)."""
    if raw in (None, {}):
        return Credentials("NONE")
    if not isinstance(raw, dict):
        raise ConnectionProblem(f"{where}: `credentials` must be a mapping with a `type`")
    ctype = str(raw.get("type") or "").upper().replace("APIKEY", "API_KEY")
    if ctype == "OAUTH1":
        ctype = "OAUTH2"  # treated alike: a bearer token
    if ctype not in CREDENTIAL_TYPES:
        raise ConnectionProblem(
            f"{where}: credentials `type` must be one of {', '.join(CREDENTIAL_TYPES[:3])}"
        )

    def get(*names: str) -> Any:
        for name in names:
            if raw.get(name) not in (None, ""):
                return raw[name]
        return None

    try:
        expires = parse_datetime(get("expires_at", "expiresAt"))
    except ValueError as err:
        raise ConnectionProblem(f"{where}: expires_at: {err}") from None
    creds = Credentials(
        type=ctype,
        access_token=_str(get("access_token", "accessToken", "token")),
        refresh_token=_str(get("refresh_token", "refreshToken")),
        expires_at=expires,
        api_key=_str(get("api_key", "apiKey")),
        username=_str(get("username")),
        password=_str(get("password")),
        client_id=_str(get("client_id")),
        client_secret=_str(get("client_secret")),
    )
    missing = {
        "OAUTH2": ("access_token", creds.access_token),
        "API_KEY": ("api_key", creds.api_key),
        "BASIC": ("username", creds.username),
    }.get(ctype)
    if missing and not missing[1]:
        raise ConnectionProblem(f"{where}: {ctype} credentials need `{missing[0]}`")
    return creds


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _from_entry(
    entry: _FileEntry, environment_name: str, env: dict[str, str], integration: str | None
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
        base_url=_str(data.get("base_url")),
        credentials=creds,
        connection_config=dict(data.get("connection_config") or {}),
        metadata=dict(data.get("metadata") or {}),
        replay=replay,
        token_url=_str(data.get("token_url")),
        location=where,
    )


def file_environment_variables(root: Path, environment_name: str = "dev") -> dict[str, str]:
    """`environments.<env>.environment_variables` of connections.yaml (${VAR} expanded)."""
    _, env_map = _load_file(root, environment_name)
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
    entries, _ = _load_file(root, env_name)
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
        from .nango_server import _nango_list

        seen = {(c.id, c.integration) for c in out}
        out.extend(c for c in _nango_list(_env(root), env_name) if (c.id, c.integration) not in seen)
    return out


def _env(root: Path) -> dict[str, str]:
    return environment(root)


def get_connection(
    root: Path, environment: str, connection_id: str, integration: str | None = None
) -> Connection:
    """The connection `connection_id` of `environment` (of `integration`, when given).

    Raises ConnectionNotFound (its message lists the environment's connections) or
    ConnectionProblem (broken connections.yaml, unset ${VAR}, Nango server error).
    """
    from .nango_server import _nango_connection, _nango_list

    env_name = environment
    env = _env(root)
    entries, _ = _load_file(root, env_name)
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
        found = _nango_connection(env, env_name, connection_id, integration)
        if found is not None:
            return found
    available = [e.id for e in entries]
    nango_note = ""
    if secret:
        try:
            remote = [
                c.id for c in _nango_list(env, env_name) if not integration or c.integration == integration
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
