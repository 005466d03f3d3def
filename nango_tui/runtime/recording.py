"""Saved responses: record every HTTP exchange of a run, and answer requests from them.

The mocks file `<integration>/mocks/<name>.json`:

    {"format": 1, "integration", "script", "kind",
     "inputs": {"input", "metadata", "last_sync_date"},
     "exchanges": [{"method", "url", "query", "request_body", "status", "headers", "body",
                    "body_encoding"?}],
     "expected": {"records": {Model: [...]}, "updated": {...}, "deleted": {...}, "output": ...}}

This module writes and reads "exchanges"; the dryrun fills "inputs" and "expected".
An exchange holds the request as the script made it (before credentials were added), redacted:
`url` has no query string, `query` maps names to a value or a list of values. `body` is the
parsed JSON when the response was JSON, else text (`body_encoding: "text"`), or base64
(`body_encoding: "base64"`) for bytes that are not UTF-8.
"""

from __future__ import annotations

import base64
import json
import os
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nango_tui.config.names import inside_folder

from .errors import MocksFileError, ReplayMiss

MOCKS_FORMAT = 1
# Response headers not worth keeping: they describe the transfer, not the answer.
_DROP_HEADERS = frozenset(
    {
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
        "set-cookie",
        "server",
    }
)


def mocks_path(root: Path, integration: str, script: str) -> Path:
    """Where the saved responses of one script live."""
    return Path(root) / integration / "mocks" / f"{script}.json"


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    """A URL without its query string, and the query as (name, value) pairs."""
    from urllib.parse import parse_qsl

    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, parse_qsl(parts.query, keep_blank_values=True)


def query_to_json(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query pairs as {name: value} (a list of values for a repeated name), names sorted."""
    out: dict[str, Any] = {}
    for name, value in sorted(pairs, key=lambda p: p[0]):
        if name in out:
            existing = out[name]
            out[name] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            out[name] = value
    return out


def _query_key(query: Any) -> tuple[Any, ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((str(name), "" if v is None else str(v)))
    return tuple(sorted(pairs))


def _body_key(body: Any) -> str:
    if body is None:
        return ""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def _path_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/") or "/"


def match_key(method: str, url: str, query: Any, request_body: Any) -> tuple[Any, ...]:
    """What identifies a request for replay: method, path, sorted query, canonical body."""
    return (method.upper(), _path_of(url), _query_key(query), _body_key(request_body))


def decode_request_body(content: bytes | None, json_body: Any = None) -> Any:
    """The request body as recorded: the JSON given, else parsed JSON, else text."""
    if json_body is not None:
        return json_body
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(content).decode()


def encode_response_body(content: bytes, content_type: str) -> tuple[Any, str | None]:
    """(body, body_encoding) for a response: JSON value, or text/base64 with its encoding."""
    if "json" in content_type.lower():
        try:
            return json.loads(content), None
        except ValueError:
            pass
    try:
        return content.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(content).decode(), "base64"


def response_content(exchange: dict[str, Any]) -> bytes:
    """The response bytes an exchange describes."""
    body = exchange.get("body")
    encoding = exchange.get("body_encoding")
    if encoding == "base64":
        return base64.b64decode(body or "")
    if encoding == "text":
        return (body or "").encode("utf-8")
    if body is None and not _has_json_type(exchange.get("headers") or {}):
        return b""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _has_json_type(headers: dict[str, Any]) -> bool:
    return any(k.lower() == "content-type" and "json" in str(v).lower() for k, v in headers.items())


def keep_response_headers(headers: dict[str, str]) -> dict[str, str]:
    """Response headers worth saving (transfer details and cookies dropped)."""
    return {k: v for k, v in headers.items() if k.lower() not in _DROP_HEADERS}


class Recorder:
    """Collects the exchanges of a run (already redacted by the HTTP layer) for --save-responses."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []

    def add(self, exchange: dict[str, Any]) -> None:
        self.exchanges.append(exchange)

    def to_mocks(
        self,
        integration: str,
        script: str,
        kind: str,
        inputs: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The whole mocks document; the dryrun passes "inputs" and "expected"."""
        return build_mocks(integration, script, kind, self.exchanges, inputs, expected)


def build_mocks(
    integration: str,
    script: str,
    kind: str,
    exchanges: list[dict[str, Any]],
    inputs: dict[str, Any] | None = None,
    expected: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format": MOCKS_FORMAT,
        "integration": integration,
        "script": script,
        "kind": kind,
        "inputs": inputs or {"input": None, "metadata": None, "last_sync_date": None},
        "exchanges": exchanges,
        "expected": expected or {"records": {}, "updated": {}, "deleted": {}, "output": None},
    }


def write_mocks(path: Path, mocks: dict[str, Any], root: Path | None = None) -> None:
    """Write a mocks document atomically (a crash never leaves half a file); with `root`, only
    inside that folder (PathOutsideFolder otherwise)."""
    path = Path(path) if root is None else inside_folder(root, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(mocks, out, ensure_ascii=False, indent=1, default=str)
        out.write("\n")
    os.replace(tmp, path)


def load_mocks(path: Path) -> dict[str, Any]:
    """Read and check a mocks document; MocksFileError with a clear message otherwise."""
    path = Path(path)
    from nango_tui.config.files import MAX_DATA_BYTES, read_user_file

    try:
        text = read_user_file(path, MAX_DATA_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise MocksFileError(
            f"no saved responses at {path}; run the dryrun once with --save-responses to record them"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise MocksFileError(f"cannot read {path}: {err}") from None
    try:
        data = json.loads(text)
    except ValueError as err:
        raise MocksFileError(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from None  # type: ignore[attr-defined]
    if not isinstance(data, dict) or not isinstance(data.get("exchanges"), list):
        raise MocksFileError(f"{path}: not a mocks file (it needs an `exchanges` list)")
    if data.get("format", MOCKS_FORMAT) != MOCKS_FORMAT:
        raise MocksFileError(
            f"{path}: mocks format {data.get('format')!r} is not supported (expected {MOCKS_FORMAT})"
        )
    for i, ex in enumerate(data["exchanges"]):
        problem = _exchange_problem(ex)
        if problem is not None:
            raise MocksFileError(f"{path}: exchange #{i + 1} {problem}")
    problem = _document_problem(data)
    if problem is not None:
        raise MocksFileError(f"{path}: {problem}")
    return data


def _exchange_problem(ex: Any) -> str | None:
    """What makes one saved exchange unusable, or None (every field a replay reads is checked)."""
    if not isinstance(ex, dict):
        return "must be a mapping"
    if not isinstance(ex.get("method"), str) or not ex["method"].strip().isalpha():
        return "needs `method`, an HTTP method such as GET"
    if not isinstance(ex.get("url"), str) or not ex["url"] or any(c in ex["url"] for c in "\0\r\n"):
        return "needs `url`, a URL or path on one line"
    status = ex.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return "needs `status`, a whole number from 100 to 599"
    query = ex.get("query")
    if query is not None and (
        not isinstance(query, dict)
        or not all(isinstance(v, (str, int, float, bool, type(None), list)) for v in query.values())
        or not all(
            isinstance(x, (str, int, float, bool, type(None)))
            for v in query.values()
            if isinstance(v, list)
            for x in v
        )
    ):
        return "has a `query` that is not a mapping of names to values (or lists of values)"
    headers = ex.get("headers")
    if headers is not None and (
        not isinstance(headers, dict)
        or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in headers.values())
        or not all(_header_text(f"{k}") and _header_text(f"{v}") for k, v in headers.items())
    ):
        return "has `headers` that are not a mapping of names to one-line ASCII text"
    encoding = ex.get("body_encoding")
    if encoding not in (None, "text", "base64"):
        return "has a `body_encoding` other than text or base64"
    if encoding is not None and ex.get("body") is not None and not isinstance(ex.get("body"), str):
        return f"has a {encoding} `body` that is not text"
    if encoding == "base64":
        try:
            base64.b64decode(ex.get("body") or "", validate=True)
        except ValueError:
            return "has a `body` that is not valid base64"
    return None


def _header_text(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _document_problem(data: dict[str, Any]) -> str | None:
    inputs = data.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, dict):
            return "`inputs` must be a mapping (input, metadata, last_sync_date)"
        last = inputs.get("last_sync_date")
        if last is not None:
            if not isinstance(last, str):
                return "`inputs.last_sync_date` must be an ISO 8601 date text"
            from datetime import datetime

            try:
                datetime.fromisoformat(last.replace("Z", "+00:00"))
            except ValueError:
                return f"`inputs.last_sync_date` is not an ISO 8601 date: {last[:40]!r}"
    expected = data.get("expected")
    if expected is not None:
        if not isinstance(expected, dict):
            return "`expected` must be a mapping (records, updated, deleted, output)"
        for section in ("records", "updated", "deleted"):
            value = expected.get(section)
            if value is not None and (
                not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values())
            ):
                return f"`expected.{section}` must map model names to lists of records"
    return None


class Replayer:
    """Answers requests from saved exchanges; identical requests are answered in recorded order.

    When a request's recorded answers are used up, the last one is given again.
    """

    def __init__(self, exchanges: list[dict[str, Any]], source: str | None = None) -> None:
        self.source = source
        self._queues: dict[tuple[Any, ...], deque[Any]] = {}
        self._last: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._by_path: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for ex in exchanges:
            key = match_key(ex["method"], ex["url"], ex.get("query"), ex.get("request_body"))
            self._queues.setdefault(key, deque()).append(ex)
            self._by_path.setdefault((key[0], key[1]), []).append(ex)
        self.origin = self._origin(exchanges)

    @classmethod
    def from_file(cls, path: Path) -> Replayer:
        return cls(load_mocks(path)["exchanges"], str(path))

    @staticmethod
    def _origin(exchanges: list[dict[str, Any]]) -> str | None:
        for ex in exchanges:
            parts = urlsplit(ex["url"])
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
        return None

    def pending(self, method: str, url: str, query: Any, request_body: Any) -> bool:
        """True when the file holds another, not yet used answer for this request."""
        return bool(self._queues.get(match_key(method, url, query, request_body)))

    def answer(self, method: str, url: str, query: Any, request_body: Any) -> dict[str, Any]:
        """The saved exchange for this request; ReplayMiss naming the request when there is none."""
        key = match_key(method, url, query, request_body)
        queue = self._queues.get(key)
        if queue:
            exchange: dict[str, Any] = queue.popleft()
            self._last[key] = exchange
            return exchange
        if key in self._last:
            return self._last[key]
        shown = url
        pairs = _query_key(query)
        if pairs:
            from urllib.parse import urlencode

            shown += "?" + urlencode(pairs)
        hint = ""
        similar = self._by_path.get((key[0], key[1]))
        if similar:
            ex = similar[0]
            hint = f"the file has {key[0]} {key[1]} with query {ex.get('query') or {}}"
            if key[3]:
                hint += f" and body {_body_key(ex.get('request_body'))[:200]}"
        else:
            hint = "re-record with --save-responses"
        raise ReplayMiss(method.upper(), shown, self.source, hint)
