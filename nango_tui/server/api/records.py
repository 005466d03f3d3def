"""`GET /records` (and `/records/`): a page of a connection's cached records of one model."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response

from .. import timeutil
from ..storage import environments as envs
from ..storage import records as recs
from .common import ApiError, authed, connection_from, state

MAX_LIMIT = 10_000
MAX_IDS = 100


def _invalid(message: str, path: str) -> ApiError:
    return ApiError(
        400, "invalid_query_params", errors=[{"code": "custom", "message": message, "path": [path]}]
    )


def _unquote(text: str) -> str:
    """`urllib.parse.parse_qsl`'s decoding of a name or value ('+' is a space, %XX as UTF-8 with
    replacement), without its regex split when the text is ASCII (a URL's query always is)."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii():
        return unquote_to_bytes(text).decode("utf-8", "replace")
    return unquote(text)


class Query:
    """The query string as Starlette's `request.query_params` reads it (parse_qsl, blank values
    kept; `get` answers a repeated name's last value, `getlist` all of them), in a quarter of its
    CPU: a page of `GET /records` is the API's hot path (benchmarks/README.md, issue 13)."""

    __slots__ = ("_items", "_last")

    def __init__(self, raw: bytes) -> None:
        items = []
        for piece in raw.decode("latin-1").split("&"):
            if piece:
                name, _, value = piece.partition("=")
                items.append((_unquote(name), _unquote(value)))
        self._items = items
        self._last = dict(items)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._last.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self._last

    def __getitem__(self, name: str) -> str:
        return self._last[name]

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]


def parse_query(request: Request, default_model: str | None = None, q: Query | None = None) -> dict[str, Any]:
    """The query as Nango reads it; ApiError 400 `invalid_query_params` naming the bad parameter."""
    if q is None:
        q = Query(request.scope["query_string"])
    model = q.get("model") or default_model
    if not model:
        raise _invalid("Required", "model")
    limit = 100
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError:
            raise _invalid("Expected number", "limit") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _invalid(f"limit must be between 1 and {MAX_LIMIT}", "limit")
    modified_after = q.get("modified_after") or q.get("delta")
    if modified_after:
        try:
            modified_after = timeutil.stamp(timeutil.parse(modified_after))
        except ValueError:
            raise _invalid("Invalid date", "modified_after") from None
    filters = None
    if q.get("filter"):
        filters = {f.strip().lower() for f in q["filter"].split(",") if f.strip()}
        if not filters or not filters <= recs.FILTERS:
            raise _invalid("filter must be added, updated, deleted or comma-separated pairs", "filter")
    ids = q.getlist("ids")
    if len(ids) > MAX_IDS:
        raise _invalid(f"at most {MAX_IDS} ids", "ids")
    variant = q.get("variant") or "base"
    if variant != "base":
        model = f"{model}::{variant}"
    return {
        "model": model,
        "limit": limit,
        "cursor": q.get("cursor") or None,
        "modified_after": modified_after,
        "filters": filters,
        "ids": ids or None,
    }


async def page_response(request: Request, connection_pk: int, query: dict[str, Any]) -> Response:
    model = query.pop("model")
    readers = state(request).hot_readers()
    try:
        body = await readers.run(lambda c: recs.page_json(c, connection_pk, model, **query))
    except recs.BadCursor:
        raise ApiError(400, "invalid_cursor_value", "The cursor is not one this server gave") from None
    return Response(body, media_type="application/json")


@authed
async def get_records(request: Request, env: envs.Environment) -> Response:
    q = Query(request.scope["query_string"])
    query = parse_query(request, q=q)
    h = request.headers
    connection = await connection_from(
        request,
        env,
        h.get("connection-id") or q.get("connection_id"),
        h.get("provider-config-key") or q.get("provider_config_key"),
        status=404,
    )
    return await page_response(request, connection.pk, query)
