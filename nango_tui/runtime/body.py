"""Request bodies and responses the way Nango's proxy shapes them (axios semantics, Python types).

- `data=` is the request body: a dict or list goes as JSON (`Content-Type: application/json`
  unless the caller set one); text and bytes go as they are; a dict goes form-encoded only when
  the caller's `Content-Type` says `application/x-www-form-urlencoded` (nested keys as `a[b]`).
- `ProxyResponse` is an httpx.Response that also answers to Nango's names: `.data` (the body:
  parsed JSON, else text; bytes for `response_type="arraybuffer"`), `.status`, `.headers`.
"""

from __future__ import annotations

import json as jsonlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

FORM = "application/x-www-form-urlencoded"
RESPONSE_TYPES = frozenset({"json", "text", "arraybuffer", "blob", "stream", "document"})


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"a request body cannot hold a {type(value).__name__} ({value!r:.60})")


def to_json_value(value: Any) -> Any:
    """`value` as plain JSON data (models dumped, datetimes as ISO text), as axios would send it."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return jsonlib.loads(jsonlib.dumps(value, default=_default, ensure_ascii=False))


def _content_type(headers: dict[str, Any]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type" and value is not None:
            return str(value).lower()
    return ""


def _form_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            out += _form_pairs(item, f"{prefix}[{key}]" if prefix else str(key))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for index, item in enumerate(value):
            out += _form_pairs(item, f"{prefix}[{index}]")
        return out
    if value is None:
        return []
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def encode_body(json: Any, data: Any, headers: dict[str, Any]) -> tuple[Any, bytes | None]:
    """The body to send as (json_value, raw_content); at most one is not None.

    `headers` is updated in place with the Content-Type a raw body needs.
    """
    if json is not None:
        return to_json_value(json), None
    if data is None:
        return None, None
    if isinstance(data, bytes | bytearray | memoryview):
        return None, bytes(data)
    if isinstance(data, str):
        return None, data.encode("utf-8")
    value = to_json_value(data)
    if FORM in _content_type(headers) and isinstance(value, dict):
        return None, urlencode(_form_pairs(value)).encode("ascii")
    if not _content_type(headers) or "json" in _content_type(headers):
        return value, None
    # a caller-chosen type such as text/csv with a structured body: JSON text under that type
    return None, jsonlib.dumps(value, ensure_ascii=False).encode("utf-8")


class ProxyResponse(httpx.Response):
    """An httpx.Response with Nango's (axios') names too: `.data`, `.status`, `.headers`."""

    response_type: str = "json"

    @property
    def status(self) -> int:
        """The HTTP status (Nango's `response.status`; httpx's `status_code`)."""
        return self.status_code

    @property
    def data(self) -> Any:
        """The body: parsed JSON when it is JSON, else text ("" when empty); bytes for arraybuffer/blob/stream."""
        cached = self.__dict__.get("_nango_data", _MISSING)
        if cached is not _MISSING:
            return cached
        kind = self.response_type
        content = self.content
        value: Any
        if kind in ("arraybuffer", "blob", "stream"):
            value = content
        elif kind in ("text", "document"):
            value = self.text
        elif not content:
            value = ""
        else:
            try:
                value = jsonlib.loads(content)
            except ValueError:
                value = self.text
        self.__dict__["_nango_data"] = value
        return value


_MISSING = object()


def as_proxy_response(response: httpx.Response, response_type: str | None = None) -> ProxyResponse:
    """`response` itself, now also answering to Nango's names (no copy of the body)."""
    # The same object keeps its stream, request and extensions; only the class gains properties.
    response.__class__ = ProxyResponse
    if response_type:
        response.response_type = response_type  # type: ignore[attr-defined]
    return response  # type: ignore[return-value]
