"""The providers data file (providers.yaml): base URLs, auth, default pagination, rate limits.

providers.yaml is the source, edited by hand; providers.json beside it is the same data, written
by `python -m nango_tui.runtime.providers` with the YAML's hash: a run reads the JSON (~0.5 ms)
instead of importing PyYAML and parsing the YAML (~40-70 ms of a dryrun child's start-up), and
parses the YAML itself whenever the JSON is missing or was written from another version of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConnectionProblem

if TYPE_CHECKING:
    from .connection_model import Connection

PROVIDERS_FILE = Path(__file__).with_name("providers.yaml")
PROVIDERS_JSON = PROVIDERS_FILE.with_suffix(".json")
_TEMPLATE = re.compile(r"\$\{connectionConfig\.([A-Za-z0-9_.|-]+)\}")


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str | None = None
    auth_mode: str = "OAUTH2"
    token_url: str | None = None
    token_header: str = "Authorization"
    token_prefix: str = "Bearer "
    api_key: dict[str, Any] = field(
        default_factory=lambda: {"in": "header", "name": "Authorization", "prefix": "Bearer "}
    )
    headers: dict[str, Any] = field(default_factory=dict)
    paginate: dict[str, Any] = field(default_factory=dict)
    retry: dict[str, Any] = field(default_factory=dict)  # Nango's keys: at, after, remaining, error_code
    decompress: bool = False


def read_source(text: str | None = None) -> dict[str, Any]:
    """providers.yaml parsed (or `text`, its content)."""
    import yaml

    try:
        loader = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover
        loader = yaml.SafeLoader  # type: ignore[assignment]
    if text is None:
        text = PROVIDERS_FILE.read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=loader) or {}
    return raw if isinstance(raw, dict) else {}


def _source_hash(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def write_json() -> Path:
    """Write providers.json from providers.yaml (run after editing the YAML)."""
    source = PROVIDERS_FILE.read_bytes()
    data = {"source_sha256": _source_hash(source), "providers": read_source(source.decode("utf-8"))}
    PROVIDERS_JSON.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return PROVIDERS_JSON


def _raw_providers() -> dict[str, Any]:
    source = PROVIDERS_FILE.read_bytes()
    try:
        data = json.loads(PROVIDERS_JSON.read_bytes())
        if data.get("source_sha256") == _source_hash(source) and isinstance(data.get("providers"), dict):
            return dict(data["providers"])
    except (OSError, ValueError, AttributeError):
        pass
    return read_source(source.decode("utf-8"))  # the JSON is missing or out of date


@lru_cache(maxsize=1)
def providers() -> dict[str, Provider]:
    """Every provider of the data file, by name."""
    raw = _raw_providers()
    out = {}
    for name, spec in raw.items():
        spec = dict(spec or {})
        given = spec.pop("api_key", None) or {}
        if given.get("in") == "query":
            api_key = {
                "in": "query",
                "name": given.get("name") or "api_key",
                "prefix": given.get("prefix", ""),
            }
        else:
            api_key = {"in": "header", "name": "Authorization", "prefix": "Bearer "}
            if given.get("name") and given["name"].lower() != "authorization":
                api_key["prefix"] = ""
            api_key.update(given)
        out[name] = Provider(name=name, api_key=api_key, **spec)
    return out


def get_provider(name: str) -> Provider | None:
    return providers().get(name)


def provider_for(name: str) -> Provider:
    """The named provider, or a generic one (bearer token, no defaults) for an unknown name."""
    return get_provider(name) or Provider(name=name)


def render_template(template: str, connection_config: dict[str, Any], what: str, provider: str) -> str:
    """`${connectionConfig.key}` (or `${connectionConfig.a|b}`) replaced from the connection config.

    `A || B` (Nango's alternatives): the first alternative whose templates all resolve.
    """
    alternatives = template.split(" || ")
    for alternative in alternatives[:-1]:
        try:
            return _render_one(alternative.strip(), connection_config, what, provider)
        except ConnectionProblem:
            continue
    return _render_one(alternatives[-1].strip(), connection_config, what, provider)


def provider_headers(provider: Provider, connection: Connection) -> dict[str, str]:
    """The provider's own headers for a connection; one whose template does not resolve is left out."""
    out = {}
    for name, value in provider.headers.items():
        try:
            out[name] = render_template(
                str(value), connection.connection_config or {}, "header", provider.name
            )
        except ConnectionProblem:
            continue
    return out


def _render_one(template: str, connection_config: dict[str, Any], what: str, provider: str) -> str:

    def sub(match: re.Match[str]) -> str:
        names = match.group(1).split("|")
        for name in names:
            value: Any = connection_config
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value not in (None, ""):
                return str(value).rstrip("/")
        raise ConnectionProblem(
            f"{provider}'s {what} needs `{names[0]}` in the connection's connection_config "
            f"(template {template}); add it, or give the connection a base_url"
        )

    return _TEMPLATE.sub(sub, template)


def base_url(provider: Provider, connection: Connection) -> str:
    """The base URL for a connection: its own base_url, else the provider's (templated)."""
    if connection.base_url:
        return connection.base_url.rstrip("/")
    config = connection.connection_config or {}
    configured = config.get("base_url")
    if isinstance(configured, str) and configured:
        return configured.rstrip("/")
    if not provider.base_url:
        known = (
            "unknown provider" if get_provider(provider.name) is None else "provider without a fixed base URL"
        )
        raise ConnectionProblem(
            f"connection `{connection.id}` uses {known} `{provider.name}`: give it a `base_url` in connections.yaml"
        )
    return render_template(provider.base_url, config, "base URL", provider.name).rstrip("/")


def token_url(provider: Provider, connection: Connection) -> str | None:
    """Where to refresh an OAuth2 token: the connection's token_url, else the provider's."""
    if connection.token_url:
        return connection.token_url
    config = connection.connection_config or {}
    if config.get("token_url"):
        return str(config["token_url"])
    if not provider.token_url:
        return None
    return render_template(provider.token_url, config, "token URL", provider.name)


if __name__ == "__main__":
    print(f"wrote {write_json()}")
