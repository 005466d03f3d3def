"""nango.paginate(): cursor, link and offset pagination with Nango's configuration keys."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from .http import HttpClient, InvalidResponse

PAGINATE_KEYS = frozenset(
    {
        "type",
        "limit",
        "limit_name_in_request",
        "response_path",
        "in_body",
        "cursor_path_in_response",
        "cursor_name_in_request",
        "link_rel_in_response_header",
        "link_path_in_response_body",
        "offset_name_in_request",
        "offset_start_value",
        "offset_calculation_method",
    }
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class PaginateConfigError(ValueError):
    """A paginate dict the runtime cannot follow (unknown type or key, missing name)."""


def get_path(data: Any, path: str | None) -> Any:
    """`data` at a dotted path ("paging.next.after", "items.0.id"); None when absent."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.lstrip("-").isdigit():
            index = int(part)
            data = data[index] if -len(data) <= index < len(data) else None
        else:
            return None
        if data is None:
            return None
    return data


def resolve_config(user: dict | None, provider_default: dict) -> dict:
    """The effective paginate config: the user's keys over the provider's default (same type only)."""
    given = {}
    for key, value in (user or {}).items():
        key = (
            _CAMEL.sub("_", key).lower() if key not in PAGINATE_KEYS else key
        )  # accept Nango's camelCase too
        if key not in PAGINATE_KEYS:
            raise PaginateConfigError(
                f"paginate: unknown key `{key}` (known: {', '.join(sorted(PAGINATE_KEYS))})"
            )
        given[key] = value
    base = dict(provider_default or {})
    if given.get("type") and base.get("type") and given["type"] != base["type"]:
        base = {k: v for k, v in base.items() if k in ("limit_name_in_request", "response_path")}
    config = {**base, **given}
    kind = config.get("type")
    if kind not in ("cursor", "link", "offset"):
        raise PaginateConfigError(
            "paginate: `type` must be cursor, link or offset"
            + ("" if kind else " (this provider has no default pagination)")
        )
    required = {
        "cursor": ("cursor_path_in_response", "cursor_name_in_request"),
        "offset": ("offset_name_in_request",),
        "link": (),
    }[kind]
    for key in required:
        if not config.get(key):
            raise PaginateConfigError(f"paginate: type {kind} needs `{key}`")
    if kind == "link" and not (
        config.get("link_rel_in_response_header") or config.get("link_path_in_response_body")
    ):
        config["link_rel_in_response_header"] = "next"
    method = config.get("offset_calculation_method", "by-response-size")
    if method not in ("per-page", "by-response-size"):
        raise PaginateConfigError(
            "paginate: `offset_calculation_method` must be per-page or by-response-size"
        )
    return config


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def link_from_header(header: str | None, rel: str) -> str | None:
    """The URL with `rel` in a Link header (RFC 8288)."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        url, params = match.group(1), match.group(2)
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and rel in value.strip().strip('"').split():
                return url
    return None


async def paginate(
    http: HttpClient,
    endpoint: str,
    *,
    method: str = "GET",
    params: Any = None,
    headers: dict | None = None,
    json: Any = None,
    data: Any = None,
    config: dict | None = None,
    retries: int | None = None,
    base_url_override: str | None = None,
) -> AsyncIterator[list]:
    """Yield the records of each page until an empty page or no next page."""
    cfg = resolve_config(config, http.provider.paginate)
    kind = cfg["type"]
    in_body = bool(cfg.get("in_body"))
    base_params = dict(params) if isinstance(params, dict) else ({} if params is None else dict(params))
    body = dict(json) if isinstance(json, dict) else json
    limit = cfg.get("limit")
    extra: dict[str, Any] = {}
    if limit is not None and cfg.get("limit_name_in_request"):
        extra[cfg["limit_name_in_request"]] = limit
    offset = cfg.get("offset_start_value", 0) if kind == "offset" else None
    if kind == "offset":
        try:
            offset = int(offset)
        except (TypeError, ValueError):
            raise PaginateConfigError("paginate: `offset_start_value` must be a number") from None
    next_url: str | None = None
    cursor: Any = None
    while True:
        step = dict(extra)
        if kind == "cursor" and cursor not in (None, ""):
            step[cfg["cursor_name_in_request"]] = cursor
        if kind == "offset":
            step[cfg["offset_name_in_request"]] = offset
        if next_url is not None:
            # the link holds the query of the next page; the body (if any) is sent again
            target, q, b = next_url, None, body
        elif in_body:
            if body is not None and not isinstance(body, dict):
                raise PaginateConfigError("paginate: `in_body` needs `json` to be a dict (or absent)")
            target, q, b = endpoint, base_params or None, {**(body or {}), **step}
        else:
            target, q, b = endpoint, {**base_params, **step} or None, body
        response = await http.request(
            method,
            target,
            params=q,
            headers=headers,
            json=b,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )
        try:
            payload = response.json() if response.content else None
        except ValueError as err:
            snippet = response.text[:200]
            raise InvalidResponse(
                f"{method.upper()} {http.redactor.url(str(response.request.url))}: the response is not valid JSON "
                f"({err}); it starts with: {http.redactor.text(snippet)!r}"
            ) from None
        records = get_path(payload, cfg.get("response_path")) if cfg.get("response_path") else payload
        if records is None:
            if isinstance(payload, dict) and payload and cfg.get("response_path"):
                keys = ", ".join(list(payload)[:8])
                http.ctx.emit(
                    {
                        "type": "log",
                        "level": "warn",
                        "message": (
                            f"paginate {endpoint}: the response has no `{cfg['response_path']}` (its keys: {keys}); "
                            "taken as the last page"
                        ),
                    }
                )
            records = []
        if not isinstance(records, list):
            where = f"at `{cfg['response_path']}`" if cfg.get("response_path") else "(the whole body)"
            hint = "" if cfg.get("response_path") else "; set `response_path` to the list of records"
            raise InvalidResponse(
                f"paginate {endpoint}: expected a list of records {where}, got {type(records).__name__}{hint}"
            )
        if not records:
            return
        yield records
        if kind == "cursor":
            cursor = get_path(payload, cfg["cursor_path_in_response"])
            if cursor in (None, "") or cursor is False:
                return
        elif kind == "link":
            if cfg.get("link_path_in_response_body"):
                link = get_path(payload, cfg["link_path_in_response_body"])
            else:
                link = link_from_header(response.headers.get("link"), cfg["link_rel_in_response_header"])
            if not link or not isinstance(link, str):
                return
            next_url = http.next_link_target(link, base_url_override)
        else:
            if cfg.get("offset_calculation_method", "by-response-size") == "per-page":
                offset += 1
            else:
                offset += len(records)
            if limit is not None and len(records) < int(limit):
                return
