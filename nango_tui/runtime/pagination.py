"""nango.paginate(): one paginator class per strategy (cursor, link, offset), with Nango's keys.

The shape follows dlt's rest_client paginators: a paginator sets up the first request
(`init_request`), reads each response (`update_state`: the next cursor/link/offset and whether
there is a next page) and changes the request for the next page (`update_request`). `paginate`
drives them. Semantics are Nango's (runner-sdk paginate.service, v0.69):

- the config is the provider's default with the call's `paginate` keys over it;
- the paging parameters (limit, cursor, offset) go in the JSON body for POST/PUT/PATCH and in
  the query for GET/DELETE; `in_body` overrides; dotted names ("page.cursor") nest in a body;
- `response_path` and `cursor_path_in_response` are dotted paths (`a.b.0.c` or `a.b[0].c`);
- cursor: stops on an empty page or when there is no next cursor; link: when there is no next
  link; offset: on an empty page or a page shorter than `limit`;
- stricter than Nango: a cursor or link that repeats ends the loop (with a warning) instead of
  fetching the same page forever; a body that is not JSON or records that are not a list are
  errors that say where;
- unlike Nango, which asks for the next page only when the script does: the next page of a GET
  is requested as soon as it is known (before this page is yielded), so the API builds it while
  the script handles this one (issue 18). Its errors are raised where the script asks for it; a
  loop left early drops it (one request the script did not use), and one the script held the
  event loop over for half the request's timeout is asked again (its timers would be due). POST
  pages, runs that save responses and replays request each page only when asked.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .http import HttpClient, InvalidResponse
from .request_options import RequestOptions, request_options

PAGINATE_KEYS = frozenset(
    {
        "type",
        "limit",
        "limit_name_in_request",
        "response_path",
        "in_body",
        "on_page",
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
_INDEX = re.compile(r"\[(-?\d+)\]")
BODY_METHODS = ("POST", "PUT", "PATCH")
# Safe methods (RFC 9110): the next page's request is sent while the script handles this page
AHEAD_METHODS = ("GET", "HEAD")


class PaginateConfigError(ValueError):
    """A paginate dict the runtime cannot follow (unknown type or key, missing name)."""


def get_path(data: Any, path: str | None) -> Any:
    """`data` at a dotted path ("paging.next.after", "items.0.id", "items[0].id"); None when absent."""
    if not path:
        return data
    for part in _INDEX.sub(r".\1", path).split("."):
        if part == "":
            continue
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


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """`target[a][b] = value` for "a.b" (lodash `set`: missing levels become dicts)."""
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = target[part] = {}
        target = nxt
    target[parts[-1]] = value


def resolve_config(user: dict[str, Any] | None, provider_default: dict[str, Any]) -> dict[str, Any]:
    """The effective paginate config: the user's keys over the provider's default (same type only)."""
    given = {}
    for key, value in (user or {}).items():
        name = key if key in PAGINATE_KEYS else _CAMEL.sub("_", str(key)).lower()  # Nango's camelCase too
        if name not in PAGINATE_KEYS:
            import difflib

            guess = difflib.get_close_matches(name, sorted(PAGINATE_KEYS), n=1, cutoff=0.6)
            hint = (
                f"; did you mean `{guess[0]}`?" if guess else f" (known: {', '.join(sorted(PAGINATE_KEYS))})"
            )
            raise PaginateConfigError(f"paginate: unknown key `{key}`{hint}")
        given[name] = value
    base = dict(provider_default or {})
    if given.get("type") and base.get("type") and given["type"] != base["type"]:
        base = {k: v for k, v in base.items() if k in ("limit_name_in_request", "response_path")}
    config = {**base, **given}
    kind = config.get("type")
    if kind not in PAGINATORS:
        raise PaginateConfigError(
            "paginate: `type` must be cursor, link or offset"
            + ("" if kind else " (this provider has no default pagination)")
        )
    PAGINATORS[kind].check(config)
    if config.get("on_page") is not None and not callable(config["on_page"]):
        raise PaginateConfigError(
            "paginate: `on_page` must be a function (async or not) taking the page state"
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


@dataclass
class PageRequest:
    """The request for the next page: what a paginator changes between pages."""

    endpoint: str
    params: dict[str, Any] | None
    body: Any
    paging: dict[str, Any] = field(
        default_factory=dict
    )  # the paging parameters (limit, cursor, offset) by name
    in_body: bool = False
    from_link: bool = False  # the endpoint is a next link the provider gave

    def send_args(self) -> tuple[str, dict[str, Any] | None, Any]:
        """(endpoint, query, body) with the paging parameters where they belong."""
        if not self.in_body:
            return self.endpoint, {**(self.params or {}), **self.paging} or None, self.body
        body = dict(self.body) if isinstance(self.body, dict) else {}
        for name, value in self.paging.items():
            set_path(body, name, value)
        return self.endpoint, self.params, body


class Paginator:
    """One pagination strategy: set up the first request, read each page, move to the next."""

    required: tuple[str, ...] = ()

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.has_next_page = True
        self.next_page_param: Any = None

    @classmethod
    def check(cls, config: dict[str, Any]) -> None:
        """Raise PaginateConfigError when `config` lacks what this strategy needs."""
        for key in cls.required:
            if not config.get(key):
                raise PaginateConfigError(f"paginate: type {config['type']} needs `{key}`")

    def init_request(self, request: PageRequest) -> None:
        limit = self.config.get("limit")
        if limit and self.config.get("limit_name_in_request"):
            request.paging[self.config["limit_name_in_request"]] = limit

    def update_state(self, response: Any, payload: Any, records: list[Any]) -> None:
        raise NotImplementedError

    def update_request(self, request: PageRequest) -> None:
        raise NotImplementedError

    def warn(self, http: HttpClient, message: str) -> None:
        http.ctx.emit({"type": "log", "level": "warn", "message": http.redactor.text(message)})


class CursorPaginator(Paginator):
    """A cursor read from the body at `cursor_path_in_response`, sent as `cursor_name_in_request`."""

    required = ("cursor_name_in_request", "cursor_path_in_response")

    @classmethod
    def check(cls, config: dict[str, Any]) -> None:
        super().check(config)
        if config.get("limit") and not config.get("limit_name_in_request"):
            raise PaginateConfigError(
                "paginate: type cursor needs `limit_name_in_request` when `limit` is set"
            )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.seen: set[Any] = set()
        self.repeated = False

    def update_state(self, response: Any, payload: Any, records: list[Any]) -> None:
        cursor = get_path(payload, self.config["cursor_path_in_response"])
        if isinstance(cursor, str):
            cursor = cursor.strip() or None
        elif isinstance(cursor, bool) or not isinstance(cursor, (int, float)):
            cursor = None
        self.next_page_param = cursor
        self.repeated = cursor is not None and cursor in self.seen
        if cursor is not None:
            self.seen.add(cursor)
        self.has_next_page = bool(records) and cursor is not None and not self.repeated

    def update_request(self, request: PageRequest) -> None:
        request.paging[self.config["cursor_name_in_request"]] = self.next_page_param


class LinkPaginator(Paginator):
    """The next page's URL from a Link header (`link_rel_in_response_header`) or the body."""

    @classmethod
    def check(cls, config: dict[str, Any]) -> None:
        if not (config.get("link_rel_in_response_header") or config.get("link_path_in_response_body")):
            config["link_rel_in_response_header"] = "next"  # the common case, and GitHub's default

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.seen: set[str] = set()
        self.repeated = False

    def update_state(self, response: Any, payload: Any, records: list[Any]) -> None:
        link = None
        if self.config.get("link_rel_in_response_header"):
            link = link_from_header(response.headers.get("link"), self.config["link_rel_in_response_header"])
        if not link and self.config.get("link_path_in_response_body"):
            link = get_path(payload, self.config["link_path_in_response_body"])
        link = link if isinstance(link, str) and link.strip() else None
        self.next_page_param = link
        self.repeated = link is not None and link in self.seen
        if link is not None:
            self.seen.add(link)
        self.has_next_page = link is not None and not self.repeated

    def update_request(self, request: PageRequest) -> None:
        # the link carries the query of the next page; the body (if any) is sent again
        request.endpoint = self.next_page_param
        request.from_link = True
        request.params = None
        request.paging = {}


class OffsetPaginator(Paginator):
    """An offset sent as `offset_name_in_request`: by response size, or +1 a page (`per-page`)."""

    required = ("offset_name_in_request",)

    @classmethod
    def check(cls, config: dict[str, Any]) -> None:
        super().check(config)
        method = config.get("offset_calculation_method", "by-response-size")
        if method not in ("per-page", "by-response-size"):
            raise PaginateConfigError(
                "paginate: `offset_calculation_method` must be per-page or by-response-size"
            )
        try:
            int(config.get("offset_start_value") or 0)
        except (TypeError, ValueError):
            raise PaginateConfigError("paginate: `offset_start_value` must be a number") from None

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.offset = int(config.get("offset_start_value") or 0)
        self.in_body = False

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        self.in_body = request.in_body
        self._put(request)

    def _put(self, request: PageRequest) -> None:
        # Nango sends the offset as text in a query, as a number in a body
        request.paging[self.config["offset_name_in_request"]] = (
            self.offset if self.in_body else str(self.offset)
        )

    def update_state(self, response: Any, payload: Any, records: list[Any]) -> None:
        self.next_page_param = self.offset
        limit = self.config.get("limit")
        short = limit is not None and bool(limit) and len(records) < int(limit)
        self.has_next_page = bool(records) and not short
        if self.config.get("offset_calculation_method", "by-response-size") == "per-page":
            self.offset += 1
        else:
            self.offset += len(records)

    def update_request(self, request: PageRequest) -> None:
        self._put(request)


PAGINATORS: dict[str, type[Paginator]] = {
    "cursor": CursorPaginator,
    "link": LinkPaginator,
    "offset": OffsetPaginator,
}


async def paginate(http: HttpClient, opts: Mapping[str, Any]) -> AsyncIterator[list[Any]]:
    """Yield the records of each page of the call `opts` (normalised proxy options + `paginate`)."""
    config = resolve_config(opts.get("paginate"), http.provider.paginate)
    method = opts.get("method", "GET")
    in_body = config.get("in_body")
    in_body = method in BODY_METHODS if in_body is None else bool(in_body)
    body = opts.get("data") if opts.get("data") is not None else opts.get("json")
    if in_body and body is not None and not isinstance(body, dict):
        raise PaginateConfigError(
            "paginate: the paging parameters go in the body, so the body must be a dict"
        )
    params = opts.get("params")
    if isinstance(params, str):
        from urllib.parse import parse_qsl

        params = dict(parse_qsl(params.lstrip("?"), keep_blank_values=True))
    request = PageRequest(opts["endpoint"], dict(params or {}), body, in_body=in_body)
    paginator = PAGINATORS[config["type"]](config)
    paginator.init_request(request)
    on_page: Callable[..., Any] | None = config.get("on_page")
    ahead = method in AHEAD_METHODS and http.ctx.replayer is None and http.ctx.recorder is None
    pending: asyncio.Task[Any] | None = None  # the next page's request, sent ahead
    sent_at = 0.0
    # A script that holds the event loop (no await) this long after a page was sent ahead finds
    # that page's timers due: its deadline would fire before its answer is read. It is asked again.
    stale_after = min(http.ctx.http_timeout, http.ctx.http_deadline) / 2
    try:
        while True:
            if pending is not None and not pending.done() and time.monotonic() - sent_at > stale_after:
                pending.cancel()
                pending.add_done_callback(_retrieve)
                pending = None
            if pending is not None:
                response, pending = await pending, None
            else:
                endpoint, sent = _page_call(http, opts, request)
                response = await http.request(method, endpoint, **sent)
            payload = _json_of(http, method, response)
            records = _records_of(http, opts["endpoint"], config, payload)
            paginator.update_state(response, payload, records)
            more = paginator.has_next_page
            if more:
                paginator.update_request(request)
                if ahead:
                    endpoint, sent = _page_call(http, opts, request)
                    pending = await http.send_ahead(method, endpoint, **sent)
                    sent_at = time.monotonic()
            if records:
                yield records
            if on_page is not None and (records or isinstance(paginator, LinkPaginator)):
                called = on_page({"next_page_param": paginator.next_page_param, "response": response})
                if inspect.isawaitable(called):
                    await called
            if getattr(paginator, "repeated", False):
                paginator.warn(
                    http,
                    f"paginate {opts['endpoint']}: the next {config['type']} repeats an earlier one "
                    f"({paginator.next_page_param!r}); stopped to avoid fetching the same page forever",
                )
            if not more:
                return
    finally:
        if pending is not None:  # the loop was left early: the page sent ahead is not wanted
            pending.cancel()
            pending.add_done_callback(_retrieve)


def _page_call(http: HttpClient, opts: Mapping[str, Any], request: PageRequest) -> tuple[str, RequestOptions]:
    """(endpoint, options) of `http.request` for the page `request` describes."""
    endpoint, query, send_body = request.send_args()
    base_url_override = opts.get("base_url_override")
    if request.from_link:
        endpoint = _join(http, endpoint, base_url_override)
    sent = request_options(opts)
    sent["params"], sent["json"], sent["data"] = query, send_body, None  # the page's query and body
    sent["base_url_override"] = base_url_override
    return endpoint, sent


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Take a cancelled page's outcome (an error it ended with is nobody's to report)."""
    if not task.cancelled():
        task.exception()


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19  # 19 digits in a row: maybe an integer beyond 64 bits
# 19 digits in a row hold 19 // _STRIDE bytes at offsets that are multiples of _STRIDE, in a row:
# a sixth of the body rules most pages out (~60 instead of ~160 us a page of 1,000 records)
_STRIDE = 6
_SAMPLED_RUN = b"0" * (len(_LONG_NUMBER) // _STRIDE)


def may_hold_long_number(content: bytes) -> bool:
    """Whether `content` has 19 ASCII digits in a row (read first at every 6th byte)."""
    if content[::_STRIDE].translate(_DIGITS_TO_ZERO).find(_SAMPLED_RUN) < 0:
        return False
    return content.translate(_DIGITS_TO_ZERO).find(_LONG_NUMBER) >= 0


def loads_page(content: bytes) -> Any:
    """A page's JSON body as `json.loads` reads it, by orjson where that gives the same value
    (~0.3 instead of ~0.75 us a record). orjson reads an integer beyond 64 bits as a float where
    json.loads keeps it exact, so a body with 19 digits in a row goes to json.loads, as does
    anything orjson refuses (NaN, a BOM, UTF-16, a lone surrogate: json.loads reads or rejects it)."""
    import orjson

    if not may_hold_long_number(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return json.loads(content)


def _json_of(http: HttpClient, method: str, response: Any) -> Any:
    try:
        return loads_page(response.content) if response.content else None
    except ValueError as err:
        snippet = response.text[:200]
        raise InvalidResponse(
            f"{method} {http.redactor.url(str(response.request.url))}: the response is not valid JSON "
            f"({err}); it starts with: {http.redactor.text(snippet)!r}"
        ) from None


def _records_of(http: HttpClient, endpoint: str, config: dict[str, Any], payload: Any) -> list[Any]:
    path = config.get("response_path")
    records = get_path(payload, path) if path else payload
    if records is None:
        if isinstance(payload, dict) and payload and path:
            keys = ", ".join(list(payload)[:8])
            http.ctx.emit(
                {
                    "type": "log",
                    "level": "warn",
                    "message": f"paginate {endpoint}: the response has no `{path}` (its keys: {keys}); "
                    "taken as the last page",
                }
            )
        return []
    if not isinstance(records, list):
        where = f"at `{path}`" if path else "(the whole body)"
        hint = "" if path else "; set `response_path` to the list of records"
        raise InvalidResponse(
            f"paginate {endpoint}: expected a list of records {where}, got {type(records).__name__}{hint}"
        )
    return records


def _join(http: HttpClient, link: str, base_url_override: str | None) -> str:
    """The next link to request: on the home origin as given, else its path + query there (credentials stay home)."""
    return http.next_link_target(link, base_url_override)
