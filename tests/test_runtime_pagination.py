"""nango.paginate() against a real server: every style, limits, provider defaults, bad bodies."""

from __future__ import annotations

import pytest

from nango_tui.runtime.http import InvalidResponse
from nango_tui.runtime.pagination import PaginateConfigError, get_path, link_from_header, resolve_config
from nango_tui.sdk import NangoAction
from tests.support.http_server import Reply
from tests.support.runtime_ctx import make_ctx

ITEMS = [{"id": str(i)} for i in range(7)]


async def _pages(server, endpoint, provider="unauthenticated", **kwargs):
    ctx, events = make_ctx(server.url, provider=provider)
    nango = NangoAction(ctx)
    pages = [page async for page in nango.paginate(endpoint, **kwargs)]
    await nango.aclose()
    return pages, events


async def test_cursor_from_body_path_sent_as_named_param(local_server):
    def handler(req):
        start = int(req.arg("after") or 0)
        size = int(req.arg("limit"))
        chunk = ITEMS[start : start + size]
        nxt = start + size
        return {"data": {"items": chunk}, "paging": {"next": {"after": str(nxt)}} if nxt < len(ITEMS) else {}}

    local_server.route("GET", "/contacts", handler)
    pages, events = await _pages(
        local_server,
        "/contacts",
        params={"fixed": "yes"},
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "paging.next.after",
            "cursor_name_in_request": "after",
            "limit": 3,
            "limit_name_in_request": "limit",
            "response_path": "data.items",
        },
    )
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == ITEMS
    calls = local_server.calls("GET", "/contacts")
    assert [c.arg("after") for c in calls] == [None, "3", "6"]
    assert all(c.arg("fixed") == "yes" and c.arg("limit") == "3" for c in calls)
    assert len(events.of("request")) == 3


async def test_cursor_stops_on_empty_page_even_with_a_cursor(local_server):
    local_server.route(
        "GET",
        "/c",
        [Reply(200, {"results": ITEMS[:2], "next": "x"}), Reply(200, {"results": [], "next": "y"})],
    )
    pages, _ = await _pages(
        local_server,
        "/c",
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "next",
            "cursor_name_in_request": "cursor",
            "response_path": "results",
        },
    )
    assert pages == [ITEMS[:2]]
    assert len(local_server.calls("GET", "/c")) == 2


async def test_link_header_rel_next(local_server):
    def handler(req):
        page = int(req.arg("page") or 1)
        headers = {}
        if page < 3:
            headers["Link"] = (
                f'<{local_server.url}/issues?page={page + 1}&per_page=3>; rel="next", <{local_server.url}/issues?page=3>; rel="last"'
            )
        return Reply(200, ITEMS[(page - 1) * 3 : page * 3], headers)

    local_server.route("GET", "/issues", handler)
    # github's default: link header, limit as per_page
    pages, _ = await _pages(local_server, "/issues", provider="github", paginate={"limit": 3})
    assert sum(pages, []) == ITEMS
    calls = local_server.calls("GET", "/issues")
    assert [c.arg("page") for c in calls] == [None, "2", "3"]
    assert calls[0].arg("per_page") == "3"


async def test_link_in_body_relative_url(local_server):
    # Salesforce style: nextRecordsUrl is a path; records under `records`
    def handler(req):
        part = int(req.path.rsplit("-", 1)[1]) if "-" in req.path else 0
        body = {"records": ITEMS[part * 4 : part * 4 + 4]}
        if part == 0:
            body["nextRecordsUrl"] = "/services/data/v59.0/query/01g-1"
        return body

    local_server.route("GET", "/services/data/v59.0/query", handler)
    local_server.route("GET", "/services/data/v59.0/query/01g-1", handler)
    pages, _ = await _pages(
        local_server,
        "/services/data/v59.0/query",
        provider="salesforce",
        params={"q": "SELECT Id FROM Contact"},
        paginate={"type": "link", "link_path_in_response_body": "nextRecordsUrl", "response_path": "records"},
    )
    assert sum(pages, []) == ITEMS
    assert local_server.requests[0].arg("q") == "SELECT Id FROM Contact"


async def test_offset_by_response_size(local_server):
    local_server.route(
        "GET",
        "/o",
        lambda r: {"values": ITEMS[int(r.arg("startAt")) : int(r.arg("startAt")) + int(r.arg("maxResults"))]},
    )
    pages, _ = await _pages(
        local_server,
        "/o",
        paginate={
            "type": "offset",
            "offset_name_in_request": "startAt",
            "limit_name_in_request": "maxResults",
            "limit": 3,
            "response_path": "values",
        },
    )
    assert sum(pages, []) == ITEMS
    assert [c.arg("startAt") for c in local_server.calls("GET", "/o")] == [
        "0",
        "3",
        "6",
    ]  # last page short: stop


async def test_offset_per_page_in_body(local_server):
    def handler(req):
        body = req.json()
        page, size = body["page"], body.get("size", 3)
        return {"rows": ITEMS[(page - 1) * size : page * size]}

    local_server.route("POST", "/search", handler)
    pages, _ = await _pages(
        local_server,
        "/search",
        method="POST",
        json={"query": "x"},
        paginate={
            "type": "offset",
            "offset_name_in_request": "page",
            "offset_start_value": 1,
            "offset_calculation_method": "per-page",
            "limit_name_in_request": "size",
            "in_body": True,
            "response_path": "rows",
        },
    )
    assert sum(pages, []) == ITEMS
    bodies = [c.json() for c in local_server.calls("POST", "/search")]
    assert bodies[0] == {"query": "x", "page": 1}  # no limit given: none sent
    assert [b["page"] for b in bodies] == [1, 2, 3, 4]  # stops on the empty 4th page


async def test_offset_with_limit_in_body(local_server):
    def handler(req):
        body = req.json()
        return {"rows": ITEMS[body["offset"] : body["offset"] + body["size"]]}

    local_server.route("POST", "/search", handler)
    pages, _ = await _pages(
        local_server,
        "/search",
        method="POST",
        paginate={
            "type": "offset",
            "offset_name_in_request": "offset",
            "limit": 2,
            "limit_name_in_request": "size",
            "in_body": True,
            "response_path": "rows",
        },
    )
    assert [len(p) for p in pages] == [2, 2, 2, 1]


async def test_invalid_json_while_paginating_is_a_clear_error(local_server):
    local_server.route("GET", "/bad", Reply(200, b"<html>oops", {"content-type": "application/json"}))
    with pytest.raises(InvalidResponse, match="not valid JSON.*<html>oops"):
        await _pages(
            local_server,
            "/bad",
            paginate={"type": "cursor", "cursor_path_in_response": "n", "cursor_name_in_request": "c"},
        )


async def test_records_not_a_list_names_the_path(local_server):
    local_server.route("GET", "/obj", {"data": {"a": 1}})
    with pytest.raises(InvalidResponse, match="expected a list of records at `data`"):
        await _pages(local_server, "/obj", paginate={"type": "link", "response_path": "data"})


def test_paginate_config_errors_and_defaults():
    with pytest.raises(PaginateConfigError, match="no default pagination"):
        resolve_config(None, {})
    with pytest.raises(PaginateConfigError, match="needs `cursor_name_in_request`"):
        resolve_config({"type": "cursor", "cursor_path_in_response": "x"}, {})
    with pytest.raises(PaginateConfigError, match="unknown key `curser`"):
        resolve_config({"type": "cursor", "curser": 1}, {})
    hubspot = {
        "type": "cursor",
        "cursor_path_in_response": "paging.next.after",
        "cursor_name_in_request": "after",
        "limit_name_in_request": "limit",
        "response_path": "results",
    }
    assert resolve_config({"limit": 100}, hubspot)["cursor_name_in_request"] == "after"
    assert (
        resolve_config({"cursorNameInRequest": "c", "type": "cursor", "cursorPathInResponse": "n"}, {})[
            "cursor_name_in_request"
        ]
        == "c"
    )
    # another type than the provider's: the provider's cursor keys do not leak in
    other = resolve_config({"type": "offset", "offset_name_in_request": "o"}, hubspot)
    assert "cursor_name_in_request" not in other and other["response_path"] == "results"


def test_get_path_and_link_header():
    assert get_path({"a": {"b": [{"c": 1}]}}, "a.b.0.c") == 1
    assert get_path({"a": None}, "a.b") is None
    assert get_path([1, 2], "5") is None
    header = '<https://x/y?page=2>; rel="next", <https://x/y?page=9>; rel="last"'
    assert link_from_header(header, "next") == "https://x/y?page=2"
    assert link_from_header(header, "prev") is None
    assert link_from_header('<https://x/a>; rel="next last"', "last") == "https://x/a"


async def test_missing_response_path_warns_and_stops(local_server):
    local_server.route("GET", "/w", {"data": [1], "meta": {}})
    pages, events = await _pages(local_server, "/w", paginate={"type": "link", "response_path": "items"})
    assert pages == []
    assert "has no `items` (its keys: data, meta)" in events.of("log")[0]["message"]


def test_paginate_config_type_lists_every_key():
    from nango_tui.runtime.pagination import PAGINATE_KEYS
    from nango_tui.sdk import PaginateConfig

    assert set(PaginateConfig.__annotations__) == PAGINATE_KEYS


# -- issue 11 point 2: Nango's call shape, body vs query, dotted paths, repeats, on_page ---------


async def test_post_puts_the_cursor_in_the_body_and_takes_nangos_config_dict(local_server):
    def handler(req):
        body = req.json()
        start = int(body.get("start_cursor") or 0)
        chunk = ITEMS[start : start + body["page_size"]]
        nxt = start + len(chunk)
        return {"results": chunk, "next_cursor": str(nxt) if nxt < len(ITEMS) else None}

    local_server.route("POST", "/v1/databases/db/query", handler)
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    config = {
        "endpoint": "/v1/databases/db/query",
        "method": "POST",
        "data": {"filter": {"x": 1}},
        "paginate": {
            "type": "cursor",
            "cursor_path_in_response": "next_cursor",
            "cursor_name_in_request": "start_cursor",
            "limit_name_in_request": "page_size",
            "limit": 3,
            "response_path": "results",
        },
    }
    pages = [page async for page in nango.paginate(config)]
    await nango.aclose()
    assert sum(pages, []) == ITEMS
    calls = local_server.calls("POST", "/v1/databases/db/query")
    assert [c.json() for c in calls] == [
        {"filter": {"x": 1}, "page_size": 3},
        {"filter": {"x": 1}, "page_size": 3, "start_cursor": "3"},
        {"filter": {"x": 1}, "page_size": 3, "start_cursor": "6"},
    ]
    assert all(not c.query for c in calls)


async def test_dotted_names_nest_in_a_body_and_paths_read_brackets(local_server):
    def handler(req):
        body = req.json()
        start = int(body["page"].get("cursor") or 0)
        chunk = ITEMS[start : start + 4]
        return {
            "data": [{"rows": chunk}],
            "meta": {"next": [str(start + 4)] if start + 4 < len(ITEMS) else []},
        }

    local_server.route("PUT", "/search", handler)
    pages, _ = await _pages(
        local_server,
        "/search",
        method="PUT",
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "meta.next[0]",
            "cursor_name_in_request": "page.cursor",
            "limit_name_in_request": "page.size",
            "limit": 4,
            "response_path": "data[0].rows",
        },
    )
    assert sum(pages, []) == ITEMS
    assert local_server.calls("PUT", "/search")[1].json() == {"page": {"size": 4, "cursor": "4"}}


async def test_get_offset_goes_in_the_query_as_text_and_in_body_overrides(local_server):
    local_server.route("GET", "/rows", lambda r: {"rows": ITEMS[int(r.arg("skip")) : int(r.arg("skip")) + 5]})
    pages, _ = await _pages(
        local_server,
        "/rows",
        paginate={"type": "offset", "offset_name_in_request": "skip", "response_path": "rows"},
    )
    assert [len(p) for p in pages] == [5, 2]
    assert [c.arg("skip") for c in local_server.calls("GET", "/rows")] == ["0", "5", "7"]


async def test_a_repeating_cursor_or_link_stops_with_a_warning(local_server):
    local_server.route("GET", "/loop", {"items": [{"id": "1"}], "next": "same"})
    pages, events = await _pages(
        local_server,
        "/loop",
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "next",
            "cursor_name_in_request": "c",
            "response_path": "items",
        },
    )
    assert len(pages) == 2  # the first cursor is new; its page gives it again
    assert any("repeats an earlier one" in e["message"] for e in events.of("log"))
    local_server.route(
        "GET",
        "/links",
        Reply(200, {"items": [{"id": "1"}]}, {"Link": f'<{local_server.url}/links?p=2>; rel="next"'}),
    )
    pages, events = await _pages(local_server, "/links", paginate={"type": "link", "response_path": "items"})
    assert len(pages) == 2 and len(local_server.calls("GET", "/links")) == 2
    assert any("repeats" in e["message"] for e in events.of("log"))


async def test_on_page_sees_each_page_state(local_server):
    def handler(req):
        start = int(req.arg("cursor") or 0)
        return {"items": ITEMS[start : start + 3], "next": str(start + 3) if start + 3 < len(ITEMS) else ""}

    local_server.route("GET", "/p", handler)
    seen = []

    async def on_page(state):
        seen.append((state["next_page_param"], state["response"].status))

    pages, _ = await _pages(
        local_server,
        "/p",
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "next",
            "cursor_name_in_request": "cursor",
            "response_path": "items",
            "on_page": on_page,
        },
    )
    assert len(pages) == 3 and seen == [("3", 200), ("6", 200), (None, 200)]


def test_one_paginator_class_per_strategy():
    from nango_tui.runtime.pagination import (
        PAGINATORS,
        CursorPaginator,
        LinkPaginator,
        OffsetPaginator,
        Paginator,
    )

    assert PAGINATORS == {"cursor": CursorPaginator, "link": LinkPaginator, "offset": OffsetPaginator}
    assert all(issubclass(cls, Paginator) for cls in PAGINATORS.values())
    with pytest.raises(PaginateConfigError, match="limit_name_in_request"):
        resolve_config(
            {"type": "cursor", "cursor_path_in_response": "a", "cursor_name_in_request": "b", "limit": 5}, {}
        )
    with pytest.raises(PaginateConfigError, match="did you mean `response_path`"):
        resolve_config({"type": "link", "responsePat": "x"}, {})


# -- the next page sent ahead (issue 18) -------------------------------------------------------


def _cursor_pages(server, method="GET", pages=3):
    """`pages` pages of one record (cursor in the body); returns a threading.Event set when the
    second page's request reaches the server."""
    import threading

    second = threading.Event()

    def handler(req):
        body = req.json() if req.body else {}
        at = int(req.arg("cursor") or body.get("cursor") or 0)
        if at == 1:
            second.set()
        return {"data": [{"id": str(at)}], "next": str(at + 1) if at + 1 < pages else None}

    server.route(method, "/items", handler)
    return second


CURSOR = {
    "type": "cursor",
    "cursor_path_in_response": "next",
    "cursor_name_in_request": "cursor",
    "response_path": "data",
}


async def test_the_next_page_of_a_get_is_requested_while_the_script_handles_this_one(local_server):
    second = _cursor_pages(local_server)
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    seen, arrived_meanwhile = [], None
    async for page in nango.paginate("/items", paginate=CURSOR):
        if not seen:
            # the script works without yielding to the event loop (as batch_save does): the
            # server gets page 2's request meanwhile, or never (it would come after this wait)
            arrived_meanwhile = second.wait(timeout=10)
        seen += page
    await nango.aclose()
    assert arrived_meanwhile is True
    assert [r["id"] for r in seen] == ["0", "1", "2"]
    assert [c.arg("cursor") for c in local_server.calls("GET", "/items")] == [None, "1", "2"]
    assert [e["status"] for e in events.of("request")] == [200, 200, 200]


async def test_a_post_page_is_requested_only_when_the_script_asks(local_server):
    second = _cursor_pages(local_server, method="POST")
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    seen, arrived_meanwhile = [], None
    async for page in nango.paginate("/items", method="POST", data={}, paginate=CURSOR):
        if not seen:
            arrived_meanwhile = second.wait(timeout=0.5)
        seen += page
    await nango.aclose()
    assert arrived_meanwhile is False, "a POST is never sent before the script asks for it"
    assert [r["id"] for r in seen] == ["0", "1", "2"]


async def test_leaving_the_loop_early_drops_the_page_sent_ahead(local_server):
    import asyncio
    import gc

    second = _cursor_pages(local_server, pages=50)
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    async for page in nango.paginate("/items", paginate=CURSOR):
        assert page == [{"id": "0"}]
        break
    gc.collect()  # the abandoned generator is finalised (closed by the loop) ...
    for _ in range(20):
        await asyncio.sleep(0.01)  # ... and its request sent ahead cancelled or answered
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await nango.aclose()
    assert pending == [], "nothing of the loop is left running"
    assert second.is_set() and len(local_server.calls("GET", "/items")) == 2, "one page ahead at most"
    assert not [e for e in events if e.get("type") in ("error", "log") and e.get("level") != "info"]


async def test_an_error_of_the_page_sent_ahead_is_raised_where_the_script_asks_for_it(local_server):
    from nango_tui.runtime.errors import HttpError

    local_server.route(
        "GET",
        "/items",
        [Reply(200, {"data": [{"id": "0"}], "next": "1"}), Reply(404, {"error": "gone"})],
    )
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    seen = []
    with pytest.raises(HttpError) as failed:
        async for page in nango.paginate("/items", paginate=CURSOR, retries=0):
            seen += page
    await nango.aclose()
    assert seen == [{"id": "0"}] and failed.value.status == 404


async def test_a_recorded_run_requests_each_page_only_when_asked(local_server):
    from nango_tui.runtime.recording import Recorder

    second = _cursor_pages(local_server)
    ctx, _ = make_ctx(local_server.url, recorder=Recorder())
    nango = NangoAction(ctx)
    arrived_meanwhile = None
    async for _page in nango.paginate("/items", paginate=CURSOR):
        if arrived_meanwhile is None:
            arrived_meanwhile = second.wait(timeout=0.5)
    await nango.aclose()
    assert arrived_meanwhile is False, "the saved responses hold exactly what the script asked"


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"id": 1, "n": 1.5e-7, "big": 12345678901234567890123}], "next": "x"}',
        b'{"data": [{"id": -9223372036854775809}, {"id": 18446744073709551616}]}',
        b'{"data": [{"v": NaN}, {"v": Infinity}, {"v": 1e400}]}',
        b'\xef\xbb\xbf{"data": [1]}',  # a BOM
        '{"data": ["é"]}'.encode("utf-16"),
        b'{"data": ["\\ud800 lone"]}',
        b'{"data": [{"a": 1, "a": 2}, 0.1, -0.0, 100000000000000000, "\\u00e9\\n"]}',
    ],
)
def test_a_page_is_read_as_json_loads_reads_it(body):
    """orjson reads pages where it gives json.loads' value (issue 18); else json.loads does."""
    import json
    import math

    from nango_tui.runtime.pagination import loads_page

    got, want = loads_page(body), json.loads(body)
    assert json.dumps(got) == json.dumps(want)  # NaN == NaN there, and ints stay ints
    floats = [v for v in want["data"] if isinstance(v, float)]
    assert [math.copysign(1, v) for v in floats] == [
        math.copysign(1, v) for v in got["data"] if isinstance(v, float)
    ]


def test_a_run_of_19_digits_is_found_wherever_it_starts():
    """The long-number check reads every 6th byte first: a run of 19 digits (an integer that may
    exceed 64 bits) is found at every offset and length, and 18 never counts as one."""
    import random

    from nango_tui.runtime.pagination import may_hold_long_number

    rng = random.Random(18)
    for length in (17, 18, 19, 20, 23, 40):
        for offset in range(12):
            for around in (b"x", b"1a", b'", "'):
                digits = bytes(rng.choice(b"0123456789") for _ in range(length))
                body = b'{"a": "' + around * offset + b'", "n": ' + digits + b", " + around * 3 + b"}"
                assert may_hold_long_number(body) is (length >= 19), (length, offset, around)
    # short runs everywhere (dates, ids, prices), never 19 in a row
    for _ in range(200):
        pieces = [
            bytes(rng.choice(b"0123456789") for _ in range(rng.randint(1, 18)))
            + bytes([rng.choice(b'-:., "Tabc')])
            for _ in range(rng.randint(1, 400))
        ]
        body = b"".join(pieces)
        whole = body.translate(bytes.maketrans(b"123456789", b"000000000")).find(b"0" * 19) >= 0
        assert may_hold_long_number(body) is whole is False


def test_a_page_json_loads_rejects_is_rejected_with_its_message():
    import json

    from nango_tui.runtime.pagination import loads_page

    with pytest.raises(ValueError) as ours:
        loads_page(b'{"data": [1,]}')
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(b'{"data": [1,]}')
    assert str(ours.value) == str(theirs.value)


async def test_a_script_holding_the_loop_past_the_deadline_still_gets_the_next_page(local_server):
    """The page sent ahead waits for its answer under the exchange's deadline while the script
    works without yielding; a page held past half of it is dropped and asked again, so a slow
    script never meets a deadline that a sequential paginate would not give it."""
    import time

    _cursor_pages(local_server)
    quick = local_server.routes[("GET", "/items")]

    def slow(req):
        if req.arg("cursor") == "1":
            time.sleep(0.15)  # page 2 arrives while the script blocks the loop
        return quick(req)

    local_server.route("GET", "/items", slow)
    ctx, events = make_ctx(local_server.url, http_timeout=5, http_deadline=0.4, default_retries=0)
    nango = NangoAction(ctx)
    seen = []
    async for page in nango.paginate("/items", paginate=CURSOR):
        if not seen:
            time.sleep(0.6)  # noqa: ASYNC251 (the point: the loop is blocked past the deadline)
        seen += page
    await nango.aclose()
    assert [r["id"] for r in seen] == ["0", "1", "2"]
    assert [e["status"] for e in events.of("request")] == [200, 200, 200]
