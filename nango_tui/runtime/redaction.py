"""One place that knows a connection's secrets and removes them from everything shown or saved.

Two rules: any occurrence of a known secret value (raw, URL-encoded, JSON-escaped, or inside a
Basic credential) becomes "***"; and values under names that always hold secrets (Authorization
header, `access_token` field, `api_key` query parameter...) become "***" whatever they are.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "private-token",
        "cookie",
        "set-cookie",
        "x-shopify-access-token",
        "x-figma-token",
        "x-nango-secret-key",
    }
)

# Keys (in bodies and query strings) whose values are credentials whatever they hold.
SENSITIVE_KEYS = frozenset(
    {
        "access_token",
        "accesstoken",
        "refresh_token",
        "refreshtoken",
        "id_token",
        "client_secret",
        "clientsecret",
        "api_key",
        "apikey",
        "x-api-key",
        "password",
        "secret",
        "secret_key",
        "private_key",
        "hapikey",
        "token",
        "auth_token",
    }
)

_MIN_SECRET = 4  # shorter strings would mask ordinary text; such secrets are still masked by name
# a line of a multi-line secret (a PEM key's base64 lines) is masked on its own from this length:
# output split into lines (a raw write to stderr) never shows the whole secret at once
_MIN_SECRET_LINE = 8


def _variants(secret: str) -> set[str]:
    """Every spelling of `secret` that can reach output: as it is, URL-encoded, and escaped in a
    JSON string (ASCII-only or not), so a line is clean whether masked before or after encoding."""
    spellings = {secret, quote(secret, safe=""), quote_plus(secret)}
    for text in list(spellings):
        spellings.add(json.dumps(text)[1:-1])
        spellings.add(json.dumps(text, ensure_ascii=False)[1:-1])
    return spellings


class Redactor:
    """Masks the given secrets in text, URLs, headers and JSON-like values."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    @classmethod
    def for_connection(cls, connection: Any) -> Redactor:
        """A redactor for every secret a Connection holds (tokens, keys, passwords, client secrets)."""
        secrets = connection.secrets() if connection is not None and hasattr(connection, "secrets") else []
        return cls(secrets)

    def add(self, secret: str | None) -> None:
        """Learn one more secret (a refreshed token, say)."""
        if not secret or not isinstance(secret, str) or len(secret) < _MIN_SECRET:
            return
        before = len(self.secrets)
        self.secrets |= _variants(secret)
        if "\n" in secret or "\r" in secret:
            for line in secret.splitlines():
                if len(line.strip()) >= _MIN_SECRET_LINE:
                    self.secrets |= _variants(line.strip())
        if len(self.secrets) != before:
            self._pattern = None

    def add_basic(self, username: str | None, password: str | None) -> None:
        """Learn a Basic credential: the password and the base64 of "user:password"."""
        self.add(password)
        if username is not None and password:
            self.add(base64.b64encode(f"{username}:{password}".encode()).decode())

    _pattern: re.Pattern[str] | None = None

    def _regex(self) -> re.Pattern[str] | None:
        if not self.secrets:
            return None
        if self._pattern is None:
            ordered = sorted(self.secrets, key=len, reverse=True)  # longest first: no partial leftovers
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern

    def text(self, value: str) -> str:
        """`value` with every known secret replaced by ***."""
        pattern = self._regex()
        if pattern is None or not value:
            return value
        return pattern.sub(MASK, value)

    def url(self, url: str) -> str:
        """A URL without credentials: userinfo dropped, sensitive query values masked, secrets masked."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(k.lower() in SENSITIVE_KEYS for k, _ in pairs):
                query = urlencode(
                    [(k, MASK if k.lower() in SENSITIVE_KEYS else v) for k, v in pairs], safe="*"
                )
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))

    def headers(self, headers: Any) -> dict[str, str]:
        """Headers as a plain dict with sensitive headers masked whole and secrets masked elsewhere."""
        items = headers.items() if hasattr(headers, "items") else headers
        out: dict[str, str] = {}
        for name, value in items:
            out[name] = MASK if name.lower() in SENSITIVE_HEADERS else self.text(str(value))
        return out

    def query(self, params: Any) -> Any:
        """Query parameters (dict or pairs) with sensitive names and secret values masked."""
        if isinstance(params, dict):
            return {
                k: (MASK if str(k).lower() in SENSITIVE_KEYS else self.redact_value(v))
                for k, v in params.items()
            }
        return self.redact_value(params)

    def redact_value(self, value: Any, by_name: bool = True) -> Any:
        """JSON-like data (or text) with secrets masked.

        With `by_name`, values under sensitive keys (`access_token`, `password`...) are masked
        whole too; saved responses use by_name=False so replayed bodies keep their shape.
        """
        if isinstance(value, str):
            return self.text(value) if self.secrets else value
        if isinstance(value, dict):
            return {
                k: (
                    MASK
                    if by_name and isinstance(k, str) and k.lower() in SENSITIVE_KEYS and v not in (None, "")
                    else self.redact_value(v, by_name)
                )
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.redact_value(v, by_name) for v in value]
        return value

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A dryrun event with its text fields redacted (batch records are left to the caller)."""
        redacted: dict[str, Any] = self.redact_value(event)
        return redacted
