"""What a connection is (credentials, connection config, metadata), whichever source it comes from.

`connections.py` finds connections (connections.yaml, then a Nango server: `nango_server.py`);
both build the objects defined here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ConnectionProblem

CREDENTIAL_TYPES = ("OAUTH2", "API_KEY", "BASIC", "NONE")


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
    # connections.yaml's `metadata` as written (`${VAR}` references unexpanded): what a saved
    # metadata change keeps in place of the values the references expanded to
    metadata_as_written: dict[str, Any] | None = field(default=None, repr=False)
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


def replay_stand_in(connection_id: str, integration: str, environment: str) -> Connection:
    """The connection a replay runs with when none of that id exists: no credentials (a replay
    sends no request), the integration's name as its provider."""
    return Connection(
        id=connection_id, integration=integration, provider=integration, environment=environment, replay=True
    )


def connection_to_json(connection: Connection) -> dict[str, Any] | None:
    """`connection` as JSON data that `connection_from_json` turns back into an equal Connection
    (how a dryrun's parent hands the connection it resolved to the child); None when some value
    would not survive JSON unchanged (then the child resolves the connection itself)."""
    import json
    from dataclasses import asdict

    data = asdict(connection)
    expires = connection.credentials.expires_at
    data["credentials"]["expires_at"] = expires.isoformat() if expires is not None else None
    try:
        back = connection_from_json(json.loads(json.dumps(data)))
    except (TypeError, ValueError):
        return None
    return data if back == connection else None


def connection_from_json(data: dict[str, Any]) -> Connection:
    """The Connection `connection_to_json` gave."""
    fields = dict(data)
    credentials = dict(fields.pop("credentials") or {})
    if credentials.get("expires_at") is not None:
        credentials["expires_at"] = datetime.fromisoformat(credentials["expires_at"])
    return Connection(credentials=Credentials(**credentials), **fields)


_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "private_key", "signing_key")
_NOT_SECRET_KEYS = frozenset({"api_key_header", "api_key_query", "api_key_prefix", "token_type"})


def _is_secret_config_key(key: str) -> bool:
    """connection_config keys whose values are credentials (client_secret, api_key...), not URLs or names."""
    key = key.lower()
    if key in _NOT_SECRET_KEYS or key.endswith(("_url", "_uri", "_header", "_name")):
        return False
    return any(word in key for word in _SECRET_WORDS)


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
        access_token=as_text(get("access_token", "accessToken", "token")),
        refresh_token=as_text(get("refresh_token", "refreshToken")),
        expires_at=expires,
        api_key=as_text(get("api_key", "apiKey")),
        username=as_text(get("username")),
        password=as_text(get("password")),
        client_id=as_text(get("client_id")),
        client_secret=as_text(get("client_secret")),
    )
    missing = {
        "OAUTH2": ("access_token", creds.access_token),
        "API_KEY": ("api_key", creds.api_key),
        "BASIC": ("username", creds.username),
    }.get(ctype)
    if missing and not missing[1]:
        raise ConnectionProblem(f"{where}: {ctype} credentials need `{missing[0]}`")
    return creds


def as_text(value: Any) -> str | None:
    """`value` as text; None stays None."""
    return None if value is None else str(value)
