"""Credentials go only to the connection's own origin (issue 10 item 1), against real servers.

`home` is the connection's base URL; `other` is a second server on another port (another origin).
Every way a request can leave for `other` is tried with every kind of credential: a Link header,
a next link in the body, redirects (302, 307, 303, chains, a Location echoing the API key), an
absolute endpoint and a base_url_override.
"""

from __future__ import annotations

import base64
import socket
import threading
import time

import pytest

from nango_tui.runtime.connections import Connection, Credentials
from nango_tui.runtime.errors import RequestFailed
from nango_tui.runtime.http import origin_of
from nango_tui.sdk import NangoAction
from tests.support.http_server import LocalServer, Reply
from tests.support.runtime_ctx import TOKEN, make_ctx

KEY = "key_VerySecret_123456789"
PASSWORD = "pw_VerySecret_987654321"


@pytest.fixture
def home():
    with LocalServer() as server:
        yield server


@pytest.fixture
def other():
    with LocalServer() as server:
        yield server


def _connection(base_url: str, kind: str) -> Connection:
    """One connection per way of carrying a credential."""
    if kind == "bearer":
        return Connection(
            id="c", integration="i", provider="unauthenticated", base_url=base_url,
            credentials=Credentials("OAUTH2", access_token=TOKEN),
        )  # fmt: skip
    if kind == "shopify":
        return Connection(
            id="c", integration="i", provider="shopify", base_url=base_url,
            credentials=Credentials("OAUTH2", access_token=TOKEN),
        )  # fmt: skip
    if kind == "api_key_header":
        return Connection(
            id="c", integration="i", provider="unauthenticated", base_url=base_url,
            connection_config={"api_key_header": "X-Api-Key"}, credentials=Credentials("API_KEY", api_key=KEY),
        )  # fmt: skip
    if kind == "api_key_query":
        return Connection(
            id="c", integration="i", provider="unauthenticated", base_url=base_url,
            connection_config={"api_key_query": "api_key"}, credentials=Credentials("API_KEY", api_key=KEY),
        )  # fmt: skip
    if kind == "basic":
        return Connection(
            id="c", integration="i", provider="unauthenticated", base_url=base_url,
            credentials=Credentials("BASIC", username="user", password=PASSWORD),
        )  # fmt: skip
    raise AssertionError(kind)


KINDS = ["bearer", "shopify", "api_key_header", "api_key_query", "basic"]
BASIC = base64.b64encode(f"user:{PASSWORD}".encode()).decode()


def _assert_no_credentials(server: LocalServer) -> None:
    assert server.requests, "the other origin was never asked (the test proves nothing)"
    for request in server.requests:
        seen = repr(request.headers) + repr(request.query) + request.path
        for secret in (TOKEN, KEY, PASSWORD, BASIC):
            assert secret not in seen, f"a credential reached the other origin: {seen}"
        assert "authorization" not in request.headers
        assert "x-api-key" not in request.headers and "x-shopify-access-token" not in request.headers


def _assert_credentials(request, kind: str) -> None:
    headers, query = request.headers, request.query
    expected = {
        "bearer": lambda: headers.get("authorization") == f"Bearer {TOKEN}",
        "shopify": lambda: headers.get("x-shopify-access-token") == TOKEN,
        "api_key_header": lambda: headers.get("x-api-key") == KEY,
        "api_key_query": lambda: query.get("api_key") == [KEY],
        "basic": lambda: headers.get("authorization") == f"Basic {BASIC}",
    }[kind]
    assert expected(), (headers, query)


async def _run(conn: Connection, call):
    ctx, events = make_ctx(None, connection=conn)
    nango = NangoAction(ctx)
    try:
        return await call(nango), events
    finally:
        await nango.aclose()


def test_origin_of_normalises_scheme_host_and_default_port():
    assert origin_of("HTTPS://API.Example.com/x") == ("https", "api.example.com", 443)
    assert origin_of("https://api.example.com:443/") == origin_of("https://api.example.com")
    assert origin_of("http://api.example.com") != origin_of("https://api.example.com")
    assert origin_of("https://u:p@h:8443/") == ("https", "h", 8443)
    assert origin_of("ftp://h/") is None and origin_of("/relative") is None
    assert origin_of("http://h:99999999/") is None


@pytest.mark.parametrize("kind", KINDS)
async def test_link_header_to_another_origin_is_followed_on_the_home_origin(home, other, kind):
    other.route("GET", "/items", {"items": [{"id": "stolen"}]})
    home.route(
        "GET",
        "/items",
        lambda req: (
            ({"items": [{"id": "2"}]})
            if req.arg("page") == "2"
            else Reply(200, {"items": [{"id": "1"}]}, {"link": f'<{other.url}/items?page=2>; rel="next"'})
        ),
    )
    config = {"type": "link", "response_path": "items"}
    pages, events = await _run(
        _connection(home.url, kind),
        lambda n: _collect(n.paginate("/items", paginate=config)),
    )
    assert pages == [[{"id": "1"}], [{"id": "2"}]]  # page 2 came from the home origin's /items?page=2
    assert other.requests == []
    for request in home.requests:
        _assert_credentials(request, kind)
    [warning] = [e for e in events.of("log") if "next-page link" in e["message"]]
    assert other.url.replace("127.0.0.1", "127.0.0.1") in warning["message"]


async def test_body_next_link_to_another_origin_stays_home(home, other):
    other.route("GET", "/v1/contacts", {"results": [{"id": "stolen"}]})

    def contacts(req):
        if req.arg("cursor") == "b":
            return {"results": [{"id": "2"}], "next": None}
        return {"results": [{"id": "1"}], "next": f"{other.url}/v1/contacts?cursor=b"}

    home.route("GET", "/v1/contacts", contacts)
    config = {"type": "link", "link_path_in_response_body": "next", "response_path": "results"}
    pages, _ = await _run(
        _connection(home.url + "/v1", "api_key_query"),
        lambda n: _collect(n.paginate("/contacts", paginate=config)),
    )
    assert pages == [[{"id": "1"}], [{"id": "2"}]]
    assert other.requests == []


async def test_a_next_link_on_the_home_origin_is_followed_as_it_is(home):
    home.route(
        "GET",
        "/items",
        lambda req: Reply(200, {"items": [{"id": "1"}]}, {"link": f'<{home.url}/page2?x=1>; rel="next"'}),
    )
    home.route("GET", "/page2", {"items": [{"id": "2"}]})
    pages, events = await _run(
        _connection(home.url, "bearer"),
        lambda n: _collect(n.paginate("/items", paginate={"type": "link", "response_path": "items"})),
    )
    assert pages == [[{"id": "1"}], [{"id": "2"}]]
    assert home.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert not [e for e in events.of("log") if e.get("level") == "warn"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_cross_origin_redirect_carries_no_credential(home, other, kind, status):
    other.route("GET", "/landing", {"ok": True})
    other.route("POST", "/landing", lambda req: {"body": req.json()})
    # the Location echoes the API key as a query parameter, as some servers do
    location = f"{other.url}/landing?api_key={KEY}&keep=1"
    home.route("GET", "/start", Reply(status, None, {"location": location}))
    home.route("POST", "/start", Reply(status, None, {"location": location}))
    response, _ = await _run(_connection(home.url, kind), lambda n: n.get("/start"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    _assert_credentials(home.requests[0], kind)
    _assert_no_credentials(other)
    assert other.requests[-1].query == {"keep": ["1"]}
    if status in (307, 308):  # method and body kept, credentials still not
        response, _ = await _run(_connection(home.url, kind), lambda n: n.post("/start", json={"a": 1}))
        assert response.json() == {"body": {"a": 1}}
        _assert_no_credentials(other)


async def test_redirect_chain_back_home_gets_credentials_again(home, other):
    home.route("GET", "/a", Reply(302, None, {"location": f"{other.url}/b"}))
    other.route("GET", "/b", Reply(302, None, {"location": f"{home.url}/c"}))
    home.route("GET", "/c", {"ok": True})
    response, _ = await _run(_connection(home.url, "api_key_header"), lambda n: n.get("/a"))
    assert response.json() == {"ok": True}
    _assert_no_credentials(other)
    _assert_credentials(home.calls("GET", "/c")[0], "api_key_header")


async def test_same_origin_redirect_keeps_credentials_and_relative_location(home):
    home.route("GET", "/old", Reply(301, None, {"location": "/new?x=1"}))
    home.route("GET", "/new", {"ok": True})
    response, _ = await _run(_connection(home.url, "api_key_query"), lambda n: n.get("/old"))
    assert response.json() == {"ok": True}
    new = home.calls("GET", "/new")[0]
    _assert_credentials(new, "api_key_query")
    assert new.query["x"] == ["1"]


async def test_other_host_name_or_port_or_scheme_is_another_origin(home):
    """localhost and 127.0.0.1 are the same machine but not the same origin."""
    home.route("GET", "/x", Reply(302, None, {"location": f"http://localhost:{home.port}/y"}))
    home.route("GET", "/y", {"ok": True})
    await _run(_connection(home.url, "bearer"), lambda n: n.get("/x"))
    assert "authorization" not in home.calls("GET", "/y")[0].headers


async def test_redirect_loop_fails_clearly(home):
    home.route("GET", "/loop", Reply(302, None, {"location": "/loop"}))
    with pytest.raises(RequestFailed, match="more than 20 redirects"):
        await _run(_connection(home.url, "bearer"), lambda n: n.get("/loop"))


@pytest.mark.parametrize("kind", KINDS)
async def test_absolute_endpoint_elsewhere_is_sent_without_credentials(home, other, kind):
    other.route("GET", "/file", {"ok": True})
    response, events = await _run(_connection(home.url, kind), lambda n: n.get(f"{other.url}/file?sig=abc"))
    assert response.json() == {"ok": True}
    _assert_no_credentials(other)
    assert other.requests[0].query == {"sig": ["abc"]}  # the script's own parameters stay
    assert any("without the connection's credentials" in e["message"] for e in events.of("log"))


async def test_base_url_override_elsewhere_gets_no_credentials(home, other):
    other.route("GET", "/v2/me", {"ok": True})
    await _run(
        _connection(home.url, "api_key_header"),
        lambda n: n.get("/me", base_url_override=other.url + "/v2"),
    )
    _assert_no_credentials(other)
    # the same override on the home origin (another path) keeps them
    home.route("GET", "/v2/me", {"ok": True})
    await _run(
        _connection(home.url, "api_key_header"),
        lambda n: n.get("/me", base_url_override=home.url + "/v2"),
    )
    _assert_credentials(home.requests[-1], "api_key_header")


async def _collect(pages):
    return [page async for page in pages]


# -- item 10: a total deadline per request ------------------------------------------------------


class _TricklingServer:
    """Answers every request with a 1 MB Content-Length and then one byte every 0.1 s."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000000\r\n\r\n")
            while not self.stop.is_set():
                try:
                    conn.sendall(b"x")
                except OSError:
                    return
                time.sleep(0.1)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


async def test_a_trickling_body_ends_at_the_total_deadline():
    server = _TricklingServer()
    try:
        ctx, events = make_ctx(server.url, http_timeout=1.0, http_deadline=1.5)
        nango = NangoAction(ctx)
        started = time.monotonic()
        with pytest.raises(RequestFailed, match=r"did not finish within 1\.5 s"):
            await nango.get("/endless")
        await nango.aclose()
        assert time.monotonic() - started < 5  # per-read timeouts alone would wait ~28 hours
        [event] = events.of("request")
        assert event["status"] is None and "1.5 s" in event["error"]
    finally:
        server.close()
