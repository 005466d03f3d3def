"""A lean HTTP/1.1 transport for a run's httpx client (`HttpClient.client`).

httpx's default transport goes through httpcore, h11 and anyio: ~2.5 ms of CPU a request in a
dryrun child (a page of 1,000 records: as much as handling the page), spread over thousands of
Python calls, and ~70 ms of imports at the first request, on the run's critical path (issue 18).
This transport speaks HTTP/1.1 straight over asyncio streams. httpx keeps everything above it:
the request's URL, headers and body framing, redirects (not followed: `HttpClient._send` does),
content decoding (gzip...), the Response; proxies from the environment keep httpx's own
transports (httpx mounts them over this one).

What it does: one request at a time per connection, keep-alive connections per origin (at most
`max_keepalive` idle, dropped after `keepalive_expiry` s or when the server closed them), TLS
with the given verifying context (hostname checked by it), httpx's four timeouts (connect, read,
write, pool) and its exception types, and httpcore's `trace` extension for the two steps
`HttpClient.send_ahead` waits for. Untrusted input is parsed with bounds: a response head of at
most 64 KiB, strict status line, header names, Content-Length and chunk sizes; a request whose
header would smuggle a line break is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

HEAD_LIMIT = 1 << 16  # bytes of a response's status line and headers (h11: 16 KiB; browsers ~64)
PIECE = 1 << 20  # bytes of a body handed to httpx at a time; also the reader's buffer limit
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([1-9][0-9][0-9])(?: ([^\r\n]*))?")
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_DIGITS = re.compile(rb"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_NO_BODY_STATUS = frozenset({204, 304})
_IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"PUT", b"DELETE", b"TRACE"})

Origin = tuple[bytes, bytes, int]


class _Connection:
    """One TCP (or TLS) connection to an origin."""

    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        return (
            now - self.idle_since < expiry
            and not self.reader.at_eof()
            and not self.writer.transport.is_closing()
            and not self.reader._buffer  # type: ignore[attr-defined]  # bytes nobody asked for
        )

    def close(self) -> None:
        self.writer.transport.abort()


class Http11Transport(httpx.AsyncBaseTransport):
    """httpx's AsyncBaseTransport over asyncio streams (HTTP/1.1; see the module's docstring)."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        max_connections: int = 20,
        max_keepalive: int = 10,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._ssl = ssl_context
        self._slots = asyncio.Semaphore(max_connections)
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"request URL has an unsupported protocol '{url.scheme}://'")
        if not url.raw_host:
            raise httpx.UnsupportedProtocol("request URL is missing a host")
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        timeouts = request.extensions.get("timeout") or {}
        head = _request_head(request)
        await _acquire(self._slots, timeouts.get("pool"))
        try:
            reused = True
            connection = self._take_idle(origin)
            if connection is None:
                reused = False
                connection = await self._connect(origin, timeouts.get("connect"))
            try:
                return await self._exchange(origin, connection, request, head, timeouts)
            except _StaleConnection as stale:
                if not reused or request.method.encode() not in _IDEMPOTENT:
                    raise stale.error from None
                # a kept-alive connection the server had closed meanwhile: once more, on a new one
                connection = await self._connect(origin, timeouts.get("connect"))
                try:
                    return await self._exchange(origin, connection, request, head, timeouts)
                except _StaleConnection as again:
                    raise again.error from None
        except BaseException:
            self._slots.release()
            raise

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

    # -- connections -------------------------------------------------------------------------

    def _take_idle(self, origin: Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            if connection.usable(now, self._expiry):
                return connection
            connection.close()
        return None

    def _release(self, origin: Origin, connection: _Connection | None) -> None:
        """Called once per request when its response is over: the connection kept (or None)."""
        self._slots.release()
        if connection is None:
            return
        if self._closed or self._idle_count >= self._max_keepalive:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(connection)
        self._idle_count += 1

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        name = host.decode("ascii")
        tls = self._ssl if scheme == b"https" else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    name,
                    port,
                    ssl=tls,
                    server_hostname=name if tls is not None else None,
                    limit=PIECE,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except (OSError, ssl.SSLError, ssl.CertificateError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return _Connection(reader, writer)

    # -- one exchange ------------------------------------------------------------------------

    async def _exchange(
        self,
        origin: Origin,
        connection: _Connection,
        request: httpx.Request,
        head: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        """Send the request on `connection` and read the answer's head; the body is read later."""
        try:
            await _send(connection.writer, request, head, timeouts.get("write"))
            trace = request.extensions.get("trace")
            if trace is not None:
                await trace("http11.send_request_body.complete", {"request": request})
                await trace("http11.receive_response_headers.started", {"request": request})
            read_timeout = timeouts.get("read")
            while True:
                status, version, reason, headers = await _read_head(connection.reader, read_timeout)
                if status >= 200 or status == 101:
                    break  # 1xx (100 Continue, 103 Early Hints) precede the real answer
            if status == 101:
                raise httpx.RemoteProtocolError("the server switched protocols, which this client does not")
            body = _Body(self, origin, connection, request, status, version, headers, read_timeout)
        except BaseException:
            connection.close()  # (its slot is released by handle_async_request)
            raise
        return httpx.Response(
            status,
            headers=headers,
            stream=body,
            extensions={"http_version": b"HTTP/1.1" if version else b"HTTP/1.0", "reason_phrase": reason},
        )


class _StaleConnection(Exception):
    """The connection ended before a single byte of the answer came: on a kept-alive connection
    the server most likely closed it while idle (asked again on a new one); else `error`."""

    def __init__(self, error: httpx.TransportError) -> None:
        super().__init__(str(error))
        self.error = error


async def _acquire(slots: asyncio.Semaphore, timeout: float | None) -> None:
    if not slots.locked():
        await slots.acquire()  # free at once: no timer
        return
    try:
        async with asyncio.timeout(timeout):
            await slots.acquire()
    except TimeoutError:
        raise httpx.PoolTimeout("timed out waiting for a free connection") from None


def _request_head(request: httpx.Request) -> bytes:
    """The request line and headers; refused (nothing sent) when a name is not a token or the
    target or a value holds CR, LF or NUL (a header that would smuggle in a line of its own)."""
    target = request.url.raw_path
    method = request.method.encode("ascii")
    raw = request.headers.raw
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in raw:
        if not _TOKEN.fullmatch(name):
            raise httpx.LocalProtocolError(f"invalid header name {name[:100]!r}")
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    head = b"".join(lines)
    breaks = len(raw) + 2  # the request line's, each header's and the blank line's
    if (
        not _TOKEN.fullmatch(method)
        or b" " in target
        or head.count(b"\n") != breaks
        or head.count(b"\r") != breaks
        or b"\0" in head
    ):
        raise httpx.LocalProtocolError("the request line or a header value holds a line break or NUL")
    return head


async def _send(
    writer: asyncio.StreamWriter, request: httpx.Request, head: bytes, timeout: float | None
) -> None:
    try:
        async with asyncio.timeout(timeout):
            try:
                content: bytes | None = request.content  # a body given whole (or none)
            except httpx.RequestNotRead:
                content = None
            if content is not None:
                writer.write(head + content if content else head)
            else:
                chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
                writer.write(head)
                async for piece in request.stream:  # type: ignore[union-attr]
                    if not piece:
                        continue
                    if chunked:
                        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    else:
                        writer.write(piece)
                    await writer.drain()
                if chunked:
                    writer.write(b"0\r\n\r\n")
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("timed out sending the request") from None
    except OSError as exc:
        raise httpx.WriteError(str(exc) or type(exc).__name__) from None


async def _read_head(
    reader: asyncio.StreamReader, timeout: float | None
) -> tuple[int, int, bytes, list[tuple[bytes, bytes]]]:
    """Status, minor version, reason and headers of the next response head."""
    try:
        async with asyncio.timeout(timeout):
            raw = await reader.readuntil(b"\r\n\r\n")
    except TimeoutError:
        raise httpx.ReadTimeout("timed out waiting for the response") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _StaleConnection(
                httpx.RemoteProtocolError("Server disconnected without sending a response.")
            ) from None
        raise httpx.RemoteProtocolError(
            "the server closed the connection in the middle of the response head"
        ) from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError(f"the response head is longer than {HEAD_LIMIT} bytes") from None
    except ConnectionResetError as exc:
        raise _StaleConnection(httpx.ReadError(str(exc) or "connection reset")) from None
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from None
    if len(raw) > HEAD_LIMIT:
        raise httpx.RemoteProtocolError(f"the response head is longer than {HEAD_LIMIT} bytes")
    lines = raw[:-4].split(b"\r\n")
    match = _STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise httpx.RemoteProtocolError(f"not an HTTP/1.x status line: {lines[0][:100]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name) or b"\n" in value or b"\r" in value or b"\0" in value:
            raise httpx.RemoteProtocolError(f"malformed response header line: {line[:100]!r}")
        headers.append((name, value.strip(b" \t")))
    return int(match.group(2)), int(match.group(1)), match.group(3) or b"", headers


class _Body(httpx.AsyncByteStream):
    """A response's body as it is read from the connection; the connection goes back to the
    pool once the body is read to its end (and the answer allows keep-alive), else it is closed."""

    def __init__(
        self,
        transport: Http11Transport,
        origin: Origin,
        connection: _Connection,
        request: httpx.Request,
        status: int,
        version: int,
        headers: list[tuple[bytes, bytes]],
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection: _Connection | None = connection
        self._timeout = read_timeout
        self._keep = version == 1
        length: int | None = None
        chunked = False
        for name, value in headers:
            lower = name.lower()
            if lower == b"connection" and b"close" in value.lower():
                self._keep = False
            elif lower == b"transfer-encoding":
                # chunked alone, as h11: "gzip, chunked" would hand httpx still-encoded bytes
                chunked = value.strip(b" \t").lower() == b"chunked"
                if not chunked:
                    raise httpx.RemoteProtocolError(f"unsupported Transfer-Encoding: {value[:100]!r}")
            elif lower == b"content-length":
                values = {v.strip() for v in value.split(b",")}
                if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
                    raise httpx.RemoteProtocolError(f"malformed Content-Length: {value[:100]!r}")
                found = int(next(iter(values)))
                if length is not None and found != length:
                    raise httpx.RemoteProtocolError("conflicting Content-Length headers")
                length = found
        if request.method == "HEAD" or status in _NO_BODY_STATUS or status < 200:
            self._mode, self._length = "none", 0
        elif chunked:
            self._mode, self._length = "chunked", 0
            if length is not None:
                self._keep = False  # both framings: Transfer-Encoding wins, the connection is not reused
        elif length is not None:
            self._mode, self._length = "length", length
        else:
            self._mode, self._length, self._keep = "close", 0, False
        if self._mode == "none":
            self._finish(keep=self._keep)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pieces()

    async def _pieces(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        reader = connection.reader
        try:
            if self._mode == "length":
                left = self._length
                while left:
                    piece = await self._piece(reader, left)
                    left -= len(piece)
                    yield piece
            elif self._mode == "chunked":
                async for piece in self._chunks(reader):
                    yield piece
            else:  # until the server closes
                while piece := await self._read(reader.read(PIECE)):
                    yield piece
        except BaseException:
            self._finish(keep=False)
            raise
        self._finish(keep=self._keep)

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while True:
            line = await self._read(reader.readuntil(b"\r\n"))
            if len(line) > 1024:
                raise httpx.RemoteProtocolError("a chunk's size line is too long")
            size_text = line[:-2].split(b";", 1)[0].strip(b" \t")
            if not _HEX.fullmatch(size_text):
                raise httpx.RemoteProtocolError(f"malformed chunk size: {line[:100]!r}")
            size = int(size_text, 16)
            if size == 0:
                trailers = 0
                while await self._read(reader.readuntil(b"\r\n")) != b"\r\n":  # trailers: ignored
                    trailers += 1
                    if trailers > 100:
                        raise httpx.RemoteProtocolError("more than 100 trailer lines")
                return
            while size:
                piece = await self._piece(reader, size)
                size -= len(piece)
                yield piece
            if await self._read(reader.readexactly(2)) != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk does not end with CRLF")

    async def _piece(self, reader: asyncio.StreamReader, left: int) -> bytes:
        """What has arrived of the `left` bytes still due (at least one): the read timeout is the
        longest wait for the next bytes, as in httpcore, not for a whole piece (a slow link that
        keeps sending is not timed out)."""
        piece: bytes = await self._read(reader.read(min(left, PIECE)))
        if not piece:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return piece

    async def _read(self, step: Any) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await step
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the response") from None
        except asyncio.IncompleteReadError:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("a chunk's size line is too long") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

    def _finish(self, keep: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if not keep:
            connection.close()
            connection = None
        self._transport._release(self._origin, connection)

    async def aclose(self) -> None:
        self._finish(keep=False)  # (a body read to its end has released its connection already)
