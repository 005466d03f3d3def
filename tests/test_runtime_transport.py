"""runtime/transport.py, the HTTP/1.1 transport of a run's httpx client, against real sockets:
servers on 127.0.0.1 that answer byte by byte as each test scripts them (framings, keep-alive,
faults, hostile answers), the tests' HTTP server, and a TLS server."""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from nango_tui.runtime.http import new_tls_context
from nango_tui.runtime.transport import HEAD_LIMIT, Http11Transport
from tests.test_runtime_tls import https_server  # noqa: F401 (the fixture)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An asyncio server on 127.0.0.1 whose `handler` answers each connection; counts connections
    and keeps every request head it read (`read_request`)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        """One request's head (and its body, by Content-Length or chunked, into `bodies`)."""
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        lower = head.lower()
        body = b""
        if b"content-length:" in lower:
            length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
        elif b"transfer-encoding: chunked" in lower:
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                piece = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += piece[:-2]
        self.bodies.append(body)
        return head


def _client(transport: Http11Transport | None = None, timeout: float = 5) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport or Http11Transport(new_tls_context()), timeout=timeout)


def _answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_keep_alive_reuses_one_connection_for_many_requests():
    async def handler(reader, writer):
        while True:
            head = await server.read_request(reader)
            n = head.split(b" ")[1].split(b"=")[-1]
            writer.write(_answer(b'{"page":' + n + b"}", "Content-Type: application/json"))
            await writer.drain()

    async with RawServer(handler) as server, _client() as client:
        for n in range(5):
            response = await client.get(server.url + "/pages", params={"n": n})
            assert response.status_code == 200 and response.json() == {"page": n}
            assert response.http_version == "HTTP/1.1" and response.reason_phrase == "OK"
    assert server.connections == 1
    assert server.heads[0].startswith(b"GET /pages?n=0 HTTP/1.1\r\nHost: 127.0.0.1:")


async def test_chunked_gzip_and_trailers_are_decoded_and_the_connection_kept():
    payload = b'{"data": "' + base64.b64encode(os.urandom(6000)) + b'"}'
    packed = gzip.compress(payload)
    assert len(packed) > 3000  # (three chunks, none empty)
    chunks = [packed[:100], packed[100:3000], packed[3000:]]

    async def handler(reader, writer):
        while True:
            await server.read_request(reader)
            body = (
                b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\nX-Trailer: t\r\n\r\n"
            )
            writer.write(_answer(body, "Transfer-Encoding: chunked", "Content-Encoding: gzip"))
            await writer.drain()

    async with RawServer(handler) as server, _client() as client:
        for _ in range(2):
            response = await client.get(server.url + "/")
            assert response.content == payload
    assert server.connections == 1


async def test_a_body_without_length_is_read_to_the_close_and_the_connection_not_reused():
    async def handler(reader, writer):
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        await writer.drain()

    async with RawServer(handler) as server, _client() as client:
        assert (await client.get(server.url + "/")).text == "until the end"
        assert (await client.get(server.url + "/")).text == "until the end"
    assert server.connections == 2


async def test_head_204_304_and_100_continue_have_no_body_and_keep_the_connection():
    answers = [
        _answer(b"", "Content-Length: 1000"),  # HEAD: the length of the body it would have
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" + _answer(b"after continue"),
        b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold",  # HTTP/1.0: not kept alive
    ]

    async def handler(reader, writer):
        while answers:
            await server.read_request(reader)
            writer.write(answers.pop(0))
            await writer.drain()

    async with RawServer(handler) as server, _client() as client:
        assert (await client.head(server.url + "/")).content == b""
        assert (await client.get(server.url + "/")).status_code == 204
        assert (await client.get(server.url + "/")).status_code == 304
        assert (await client.get(server.url + "/")).text == "after continue"
        old = await client.get(server.url + "/")
        assert old.text == "old" and old.http_version == "HTTP/1.0"
    assert server.connections == 1


async def test_bodies_sent_whole_and_streamed():
    async def handler(reader, writer):
        while True:
            await server.read_request(reader)
            writer.write(_answer(b"ok"))
            await writer.drain()

    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b"one,", b"", b"two,", b"three"):
            yield piece

    async with RawServer(handler) as server, _client() as client:
        await client.post(server.url + "/a", json={"k": "v"})
        await client.put(server.url + "/b", content=pieces())
    assert server.bodies == [b'{"k":"v"}', b"one,two,three"]
    assert b"content-length: 9" in server.heads[0].lower()
    assert b"transfer-encoding: chunked" in server.heads[1].lower()


async def test_a_header_that_would_smuggle_a_line_is_refused_before_anything_is_sent():
    async def handler(reader, writer):
        await server.read_request(reader)

    async with RawServer(handler) as server, _client() as client:
        for headers in ({"x-a": "b\r\nx-injected: 1"}, {"x-a": "b\nx"}, {"x-a": "b\0"}, {"bad name": "v"}):
            with pytest.raises(httpx.LocalProtocolError):
                await client.get(server.url + "/", headers=headers)
        await asyncio.sleep(0.05)
    assert server.heads == [] and server.connections == 0


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * HEAD_LIMIT + b"\r\n\r\n", "longer than"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * (2 << 20), "longer than"),  # no end in sight
        (b"ICY 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", "malformed response header"),
        (b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "malformed response header"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "malformed Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "malformed Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "complete message body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nX-Split: a\rb\r\n\r\n", "malformed response header"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 2000 + b"\r\n", "too long"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX", "CRLF"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "complete message body"),
        (b"HTTP/1.1 200 OK\r\nContent-", "middle of the response head"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"),
    ],
)
async def test_hostile_or_broken_answers_are_clear_protocol_errors(answer, message):
    async def handler(reader, writer):
        await server.read_request(reader)
        writer.write(answer)
        await writer.drain()
        writer.close()

    async with RawServer(handler) as server, _client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await client.get(server.url + "/")


async def test_a_kept_connection_the_server_dropped_is_replaced_for_a_get_but_never_for_a_post():
    async def handler(reader, writer):
        await server.read_request(reader)
        writer.write(_answer(b"first"))
        await writer.drain()
        await server.read_request(reader)  # the next request arrives on the kept connection...
        writer.transport.abort()  # ...and the server drops it without a word

    async with RawServer(handler) as server, _client() as client:
        assert (await client.get(server.url + "/")).text == "first"
        assert (await client.get(server.url + "/")).text == "first"  # asked again, on a new connection
        assert server.connections == 2
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await client.post(server.url + "/", content=b"once")
    assert server.bodies.count(b"once") == 1  # a POST is never sent twice


async def test_a_connection_closed_while_idle_is_not_reused():
    async def handler(reader, writer):
        await server.read_request(reader)
        writer.write(_answer(b"bye"))
        await writer.drain()
        writer.close()  # keep-alive was not refused, but the server closes anyway

    async with RawServer(handler) as server, _client() as client:
        assert (await client.get(server.url + "/")).text == "bye"
        await asyncio.sleep(0.05)  # the close reaches the client's event loop
        assert (await client.post(server.url + "/", content=b"x")).text == "bye"  # a new connection
    assert server.connections == 2


async def test_timeouts_and_refused_connections_are_httpx_errors():
    async def silent(reader, writer):
        await server.read_request(reader)
        await asyncio.sleep(5)

    async with RawServer(silent) as server, _client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(server.url + "/")
        url = server.url
    async with _client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url + "/")  # the server is gone: refused
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/")


async def test_a_body_slower_than_the_read_timeout_times_out():
    async def trickle(reader, writer):
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(5)

    async with RawServer(trickle) as server, _client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(server.url + "/")


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_a_body_that_keeps_coming_may_take_longer_than_the_read_timeout(framing: str):
    # the read timeout bounds each wait for more bytes (httpcore's meaning), not a whole piece:
    # a slow link that keeps sending finishes (the run's total deadline bounds the whole)
    pieces = [bytes([65 + n]) * 100 for n in range(8)]

    async def steady(reader, writer):
        await server.read_request(reader)
        if framing == "length":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 800\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n")
        for piece in pieces:
            await asyncio.sleep(0.1)
            writer.write(piece)
            await writer.drain()
        if framing == "chunked":
            writer.write(b"\r\n0\r\n\r\n")
            await writer.drain()

    async with RawServer(steady) as server, _client(timeout=0.4) as client:
        response = await client.get(server.url + "/")  # ~0.8 s in all, 0.1 s between pieces
    assert response.content == b"".join(pieces)


async def test_a_request_cancelled_mid_body_closes_its_connection_and_frees_its_slot():
    async def handler(reader, writer):
        while True:
            head = await server.read_request(reader)
            if b"/slow" in head:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
                await writer.drain()
                await asyncio.sleep(5)
            writer.write(_answer(b"fast"))
            await writer.drain()

    transport = Http11Transport(new_tls_context(), max_connections=2)
    async with RawServer(handler) as server, _client(transport) as client:
        for _ in range(3):  # more than the 2 slots: each cancelled request gave its slot back
            task = asyncio.ensure_future(client.get(server.url + "/slow"))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert (await client.get(server.url + "/fast")).text == "fast"
    assert server.connections == 4  # the half-read connections were closed, never reused


async def test_the_trace_extension_says_when_the_request_is_written():
    steps: list[str] = []

    async def trace(step: str, info: object) -> None:
        steps.append(step)

    async def handler(reader, writer):
        await server.read_request(reader)
        writer.write(_answer(b"ok"))
        await writer.drain()

    async with RawServer(handler) as server, _client() as client:
        await client.get(server.url + "/", extensions={"trace": trace})
    assert steps == ["http11.send_request_body.complete", "http11.receive_response_headers.started"]


async def test_the_tests_http_server_through_the_transport(local_server):
    local_server.route(
        "GET", "/items", lambda req: {"q": req.arg("q"), "auth": req.headers.get("authorization")}
    )
    async with _client() as client:
        response = await client.get(
            local_server.url + "/items", params={"q": "a b&c"}, headers={"Authorization": "Bearer t"}
        )
    assert response.json() == {"q": "a b&c", "auth": "Bearer t"}


async def test_https_is_verified_with_the_given_context(https_server, monkeypatch):  # noqa: F811
    url, cert_file = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    async with _client(Http11Transport(new_tls_context())) as client:
        assert (await client.get(url)).json() == {"hello": "tls"}
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with _client(Http11Transport(new_tls_context())) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(url)
    localhost = url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    async with _client(Http11Transport(new_tls_context())) as client:
        assert (await client.get(localhost)).json() == {"hello": "tls"}  # the name is checked too


async def test_a_runs_client_uses_the_transport_unless_the_environment_names_a_proxy(
    local_server, monkeypatch
):
    """httpx ignores proxy variables for a client given a transport: with one set, a run's client
    keeps httpx's own transports, and the request goes through the proxy as before."""
    from nango_tui.runtime.http import HttpClient
    from nango_tui.sdk import NangoAction
    from tests.support.runtime_ctx import make_ctx

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    ctx, _ = make_ctx(local_server.url)
    assert isinstance(HttpClient(ctx).client._transport, Http11Transport)

    local_server.route("GET", "/via-proxy", {"proxied": True})
    monkeypatch.setenv("HTTP_PROXY", local_server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    ctx, _ = make_ctx("http://api.example.invalid")
    nango = NangoAction(ctx)
    try:
        response = await nango.get("/via-proxy")
    finally:
        await nango.aclose()
    assert response.json() == {"proxied": True}
    assert local_server.requests[-1].target == "http://api.example.invalid/via-proxy"
