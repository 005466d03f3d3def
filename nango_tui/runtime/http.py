"""The HTTP layer of a run: base URL, auth, retries with backoff, events, recording and replay.

One httpx.AsyncClient per run (HTTP/1.1 keep-alive). Every attempt emits a `request` event
{method, url (redacted), status, ms, bytes, attempt} plus the headers and bodies of both sides,
redacted and cut to a bound (`runtime/exchange.py`). With a replayer no request reaches the
network and no credential is used.

Origin rule (DEVELOPERS.md "Security rules"): the connection's credentials go only to its own
origin (scheme, host, port of its base URL). `_send` is the one place that adds them, hop by hop:
a request or redirect to any other origin goes out without credential headers or query
parameters, and a next-page link on another origin is followed as path + query on the home
origin (`next_link_target`).
"""

from __future__ import annotations

import asyncio
import base64
import random
import ssl
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Unpack
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from .auth import AuthState
from .body import as_proxy_response, encode_body
from .context import RunContext
from .errors import ConnectionProblem, HttpError, RequestFailed, RuntimeFailure
from .exchange import request_fields, response_fields
from .providers import base_url as provider_base_url
from .providers import provider_for, provider_headers
from .recording import (
    decode_request_body,
    encode_response_body,
    keep_response_headers,
    query_to_json,
    response_content,
    split_url,
)
from .redaction import SENSITIVE_HEADERS
from .request_options import RequestOptions

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 508, 520, 521, 522, 523, 524, 529})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]
QueryPairs = list[tuple[str, str]]  # a request's query, in order (names may repeat)


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL, default ports filled in; None otherwise."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def _origin_text(origin: Origin | None) -> str:
    if origin is None:
        return "(none)"
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if _DEFAULT_PORTS.get(scheme) == port else f":{port}")


class _TotalTimeout(httpx.TimeoutException):
    """The whole exchange (redirects and the body included) outlasted the per-request deadline."""


_TLS_CONTEXT: ssl.SSLContext | None = None
_TLS_LOCK = threading.Lock()


class _CaOnFirstHandshake(ssl.SSLContext):
    """httpx's default verifying context (`httpx.create_ssl_context()`: the same CA bundle, taken
    from SSL_CERT_FILE, SSL_CERT_DIR or certifi, hostname checked, certificate required), except
    that the CA bundle is read at the first TLS handshake instead of when a client is built.
    Reading it costs ~40-60 ms of CPU: a run whose API is plain http (a local test server, a
    replay) never pays it. Nothing is sent before the handshake, so nothing is sent unverified."""

    def _load_ca(self) -> None:
        if self.__dict__.get("_ca_loaded"):
            return
        with _TLS_LOCK:
            if self.__dict__.get("_ca_loaded"):
                return
            import os

            if os.environ.get("SSL_CERT_FILE"):
                self.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
            elif os.environ.get("SSL_CERT_DIR"):
                self.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
            else:
                import certifi

                self.load_verify_locations(cafile=certifi.where())
            self._ca_loaded = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_ca()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load_ca()
        return super().wrap_bio(*args, **kwargs)


def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process; its CA bundle is read at the
    first https handshake (`_CaOnFirstHandshake`; a warm dryrun child inherits what the zygote
    loaded)."""
    global _TLS_CONTEXT
    if _TLS_CONTEXT is None:
        _TLS_CONTEXT = new_tls_context()
    return _TLS_CONTEXT


def new_tls_context() -> ssl.SSLContext:
    """A verifying context as `httpx.create_ssl_context()` builds it, its CA bundle read lazily."""
    import os
    import sys

    context = _CaOnFirstHandshake(ssl.PROTOCOL_TLS_CLIENT)  # as ssl.create_default_context()
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context


def load_tls_ca() -> None:
    """Read the CA bundle now (a zygote does it once for all the children it forks)."""
    context = tls_context()
    if isinstance(context, _CaOnFirstHandshake):
        context._load_ca()


class InvalidResponse(RuntimeFailure):
    """A response whose body is not what the call needs (e.g. not JSON when paginating)."""

    kind = "http"


def _pairs(params: Any) -> list[tuple[str, str]]:
    """Query parameters (dict, pairs or text) as (name, value) text pairs; None values dropped."""
    if params is None:
        return []
    if isinstance(params, str):
        from urllib.parse import parse_qsl

        return parse_qsl(params.lstrip("?"), keep_blank_values=True)
    items = params.items() if isinstance(params, dict) else params
    out = []
    for name, value in items:
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if v is None:
                continue
            out.append((str(name), "true" if v is True else "false" if v is False else str(v)))
    return out


def parse_wait(value: str | None, kind: str = "seconds") -> float | None:
    """Seconds to wait from a Retry-After or rate-limit reset header value; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    if kind == "epoch" or (kind == "seconds" and number > 1e9):
        if number > 1e11:  # milliseconds
            number /= 1000
        return max(0.0, number - time.time())
    if kind == "ms":
        return max(0.0, number / 1000)
    return max(0.0, number)


# Set in a request sent ahead (`HttpClient.send_ahead`): the event to set once the request is written.
_WRITTEN: ContextVar[asyncio.Event | None] = ContextVar("nango_tui_request_written", default=None)
_WRITTEN_STEPS = frozenset({"http11.send_request_body.complete", "http11.receive_response_headers.started"})


async def _trace_written(step: str, info: Any) -> None:
    """httpcore's `trace` extension: marks a request sent ahead as written to the socket."""
    if step in _WRITTEN_STEPS:
        written = _WRITTEN.get()
        if written is not None:
            written.set()


class _SetCookiesOnly(httpx.Cookies):
    """httpx's cookie jar, which reads a response only when it sets a cookie: httpx builds urllib
    stand-ins of the request and response for every response otherwise (~0.2 ms of CPU a page).
    (`Set-Cookie2`, RFC 2965's, is ignored by the jar's default policy either way.)"""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _RunClient(httpx.AsyncClient):
    """A run's httpx client: cookies set by responses are kept and sent back as before (by
    `_SetCookiesOnly`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._run_cookies = _SetCookiesOnly()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._run_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._run_cookies = _SetCookiesOnly(cookies)


def _direct_transport() -> httpx.AsyncBaseTransport | None:
    """The transport of a run's client: runtime/transport.py (HTTP/1.1 straight over asyncio: ~1.5 ms
    less CPU a request than httpcore, and none of its imports), unless the environment names a
    proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY): httpx then uses its own transports, as it did."""
    from urllib.request import getproxies  # (imported by httpx already)

    if any(scheme in ("http", "https", "all") for scheme in getproxies()):
        return None
    from .transport import Http11Transport

    return Http11Transport(tls_context(), max_connections=20, max_keepalive=10)


class HttpClient:
    """Sends a script's requests for one run."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.connection = ctx.connection
        self.provider = provider_for(ctx.connection.provider)
        self.redactor = ctx.redactor
        self.auth = AuthState(ctx, self.provider, self._send_plain)
        self._client: httpx.AsyncClient | None = None
        self._base_url: str | None = None
        self._warned_origins: set[Origin | None] = set()
        self._provider_headers: dict[str, str] | None = None

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = _RunClient(
                transport=_direct_transport(),
                verify=tls_context(),
                timeout=httpx.Timeout(self.ctx.http_timeout),
                follow_redirects=False,  # `_send` follows them, deciding credentials per hop
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def base_url(self) -> str:
        if self._base_url is None:
            try:
                self._base_url = provider_base_url(self.provider, self.connection)
            except ConnectionProblem:
                replayer = self.ctx.replayer
                if replayer is None or not replayer.origin:
                    raise
                self._base_url = replayer.origin  # replay: matching uses only the path
        return self._base_url

    def home_origin(self) -> Origin | None:
        """The origin the connection's credentials belong to: that of its (provider's) base URL."""
        try:
            return origin_of(self.base_url())
        except ConnectionProblem:
            return None

    def next_link_target(self, link: str, base_url_override: str | None = None) -> str:
        """The URL to request for a next-page link (Link header or body).

        A link on the home origin is followed as it is. A relative link, or an absolute one on
        another origin, becomes its path + query on the base URL's origin (so credentials never
        follow a link elsewhere).
        """
        base = (base_url_override or self.base_url()).rstrip("/") + "/"
        if link.startswith(("http://", "https://")):
            if origin_of(link) == self.home_origin() and origin_of(link) is not None:
                return link
            parts = urlsplit(link)
            shown = _origin_text(origin_of(link))
            self._warn_once(
                ("link", origin_of(link)),
                f"a next-page link points to {shown}, not the connection's origin "
                f"{_origin_text(self.home_origin())}: following its path and query there instead",
            )
            link = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return urljoin(base, link)

    def _warn_once(self, key: Any, message: str) -> None:
        if key in self._warned_origins:
            return
        self._warned_origins.add(key)
        self.ctx.emit({"type": "log", "level": "warn", "message": self.redactor.text(message)})

    def build_url(self, endpoint: str, base_url_override: str | None = None) -> str:
        if endpoint.startswith(("http://", "https://")):
            return endpoint
        base = (base_url_override or self.base_url()).rstrip("/")
        return f"{base}/{endpoint.lstrip('/')}"

    def shown_url(self, url: str, pairs: list[tuple[str, str]]) -> str:
        return self.redactor.url(url + ("?" + urlencode(pairs) if pairs else ""))

    async def _send_plain(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request outside the script's (token refresh): no auth, no retries, no recording, no
        redirects (its form holds the refresh token and client secret)."""
        async with asyncio.timeout(self.ctx.http_deadline):
            return await self.client.request(method, url, **kwargs)

    # -- the call ------------------------------------------------------------------------------

    async def send_ahead(
        self, method: str, endpoint: str, **options: Unpack[RequestOptions]
    ) -> asyncio.Task[httpx.Response]:
        """`request` as a task, returned once its request is written to the socket (or it has
        ended): the caller goes on with other work while the server answers (paginate's next
        page, issue 18). Awaiting the task gives what `request` gives, errors included."""
        written = asyncio.Event()

        async def send() -> httpx.Response:
            _WRITTEN.set(written)  # the task's own context: only this request's hops see it
            return await self.request(method, endpoint, **options)

        task = asyncio.ensure_future(send())
        waiter = asyncio.ensure_future(written.wait())
        try:
            await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            waiter.cancel()
        return task

    async def request(
        self,
        method: str,
        endpoint: str,
        **options: Unpack[RequestOptions],
    ) -> httpx.Response:
        """Send one request (with retries); return the response or raise HttpError/RequestFailed.

        `data` is the body as in Nango (runtime/body.py); the response also has `.data`/`.status`.
        `retry_on` adds statuses to retry, `retry_header` ({at|after: header}) says how long to wait.
        """
        params = options.get("params")
        headers = options.get("headers")
        json = options.get("json")
        data = options.get("data")
        retries = options.get("retries")
        base_url_override = options.get("base_url_override")
        response_type = options.get("response_type")
        retry_on = options.get("retry_on")
        retry_header = options.get("retry_header")
        ctx = self.ctx
        method = method.upper()
        url, pairs = split_url(self.build_url(endpoint, base_url_override))
        pairs = pairs + _pairs(params)
        if self._provider_headers is None:
            self._provider_headers = provider_headers(self.provider, self.connection)
        req_headers = {
            k: str(v) for k, v in {**self._provider_headers, **(headers or {})}.items() if v is not None
        }
        json, content = encode_body(json, data, req_headers)
        data = None
        extra_statuses = frozenset(int(s) for s in retry_on or ())
        max_attempts = 1 + max(0, ctx.default_retries if retries is None else int(retries))
        replay = ctx.replayer is not None
        attempt = 0
        refreshed_on_401 = False
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                if replay:
                    response = self._replayed(method, url, pairs, json, data, content)
                else:
                    response = await self._send_within_deadline(
                        method, url, pairs, req_headers, json, data, content
                    )
            except (httpx.TransportError, httpx.TooManyRedirects) as err:
                ms = round((time.perf_counter() - started) * 1000, 1)
                reason = self.redactor.text(_transport_reason(err, ctx.http_timeout))
                ctx.emit(
                    {
                        "type": "request",
                        "method": method,
                        "url": self.shown_url(url, pairs),
                        "status": None,
                        "ms": ms,
                        "bytes": 0,
                        "attempt": attempt,
                        "error": reason,
                        **request_fields(self.redactor, req_headers, json, data, content),
                    }
                )
                if attempt < max_attempts:
                    await self._sleep(self._backoff(attempt))
                    continue
                raise RequestFailed(method, self.shown_url(url, pairs), reason, attempt) from None
            # httpx leaves a response <-> stream reference cycle: responses would wait for the
            # cyclic GC (which counts objects, not bytes) and memory would grow with the run.
            # The body is read already, so a plain byte stream over it changes nothing else.
            response.stream = httpx.ByteStream(response.content)
            ms = round((time.perf_counter() - started) * 1000, 1)
            status = response.status_code
            ctx.emit(
                {
                    "type": "request",
                    "method": method,
                    "url": self.shown_url(url, pairs),
                    "status": status,
                    "ms": ms,
                    "bytes": len(response.content),
                    "attempt": attempt,
                    **self._exchange_fields(response, replay, req_headers, json, data, content),
                }
            )
            if not replay and ctx.recorder is not None:
                self._record(method, url, pairs, json, data, content, response)
            if (
                status == 401
                and not refreshed_on_401
                and (
                    self._replay_pending(method, url, pairs, json, data, content)
                    if replay
                    else await self.auth.refresh_after_401()
                )
            ):
                refreshed_on_401 = True  # the recorded run refreshed its token here and tried again
                max_attempts += 1
                continue
            if self._retryable(response, extra_statuses) and attempt < max_attempts:
                wait = self._wait_for(response, attempt, retry_header)
                if wait >= 1 and not replay:
                    ctx.emit(
                        {
                            "type": "log",
                            "level": "info",
                            "message": (
                                f"{method} {self.shown_url(url, pairs)} answered {status}: retrying in {wait:.1f} s "
                                f"(attempt {attempt + 1} of {max_attempts})"
                            ),
                        }
                    )
                await self._sleep(wait)
                continue
            response = as_proxy_response(response, response_type)
            if status >= 400:
                raise HttpError(
                    method,
                    self.shown_url(url, pairs),
                    status,
                    self._error_body(response),
                    attempt,
                    response=response,
                )
            return response

    def _exchange_fields(
        self,
        response: httpx.Response,
        replay: bool,
        headers: Any,
        json: Any,
        data: Any,
        content: bytes | None,
    ) -> dict[str, Any]:
        """Headers and bodies for the event: what was sent (with auth, masked), what came back."""
        sent = headers if replay else response.request.headers  # a replay sends nothing
        return {
            **request_fields(self.redactor, sent, json, data, content),
            **response_fields(self.redactor, response.headers, response.content),
        }

    async def _send_within_deadline(
        self,
        method: str,
        url: str,
        pairs: QueryPairs,
        headers: dict[str, str],
        json: Any,
        data: Any,
        content: bytes | None,
    ) -> httpx.Response:
        """`_send` under the total deadline (an endless or trickling body cannot hang the run)."""
        deadline = self.ctx.http_deadline
        try:
            async with asyncio.timeout(deadline):
                return await self._send(method, url, pairs, headers, json, data, content)
        except TimeoutError:
            raise _TotalTimeout(f"the response did not finish within {deadline:g} s") from None

    def _credential_names(self) -> tuple[set[str], set[str]]:
        """Header and query names that carry credentials (lower-case): the usual ones and this
        connection's own (token header, API key header or query parameter)."""
        header_names = set(SENSITIVE_HEADERS) | {self.provider.token_header.lower()}
        query_names = {"access_token", "api_key", "apikey", "client_secret", "hapikey"}
        spec = self.provider.api_key or {}
        config = self.connection.connection_config or {}
        for name, where in (
            (spec.get("name"), spec.get("in", "header")),
            (config.get("api_key_header"), "header"),
            (config.get("api_key_query"), "query"),
        ):
            if isinstance(name, str) and name:
                (query_names if where == "query" else header_names).add(name.lower())
        return header_names, query_names

    def _strip_credentials(
        self, headers: dict[str, Any], pairs: list[Any], *, by_name: bool
    ) -> tuple[dict[str, Any], list[Any]]:
        """Headers and query pairs without the connection's secrets (any encoding the redactor
        knows) and, `by_name`, without any header or parameter whose name carries credentials."""
        header_names, query_names = self._credential_names() if by_name else (set(), set())
        secrets = self.redactor.secrets
        kept_headers = {
            k: v
            for k, v in headers.items()
            if k.lower() not in header_names and not any(x in str(v) for x in secrets)
        }
        kept_pairs = [
            (k, v) for k, v in pairs if k.lower() not in query_names and not any(x in v for x in secrets)
        ]
        return kept_headers, kept_pairs

    async def _send(
        self,
        method: str,
        url: str,
        pairs: QueryPairs,
        headers: dict[str, str],
        json: Any,
        data: Any,
        content: bytes | None,
    ) -> httpx.Response:
        """Send one attempt, following redirects; credentials only on hops to the home origin."""
        home = self.home_origin()
        for hop in range(MAX_REDIRECTS + 1):
            target = origin_of(url)
            if target is not None and target == home:
                send_headers, send_pairs = dict(headers), list(pairs)
                await self.auth.apply(send_headers, send_pairs)
            else:
                # the script's own headers may go (another service's token, say); ours never do,
                # and after a redirect nothing credential-like crosses over
                send_headers, send_pairs = self._strip_credentials(headers, pairs, by_name=hop > 0)
                if self.connection.credentials.type in ("OAUTH2", "API_KEY", "BASIC"):
                    self._warn_once(
                        ("request", target),
                        f"{method} to {_origin_text(target)}: sent without the connection's credentials "
                        f"(they go only to its origin {_origin_text(home)}; set the connection's base_url "
                        "if this is its API)",
                    )
            response = await self.client.request(
                method,
                # the query given with the URL: httpx parses the URL once (its `params` merged into
                # a URL parsed first cost a second parse, ~0.25 ms of CPU a request); same encoding
                httpx.URL(url, params=tuple(send_pairs)) if send_pairs else url,
                headers=send_headers,
                json=json,
                data=data,
                content=content,
                extensions=None if _WRITTEN.get() is None else {"trace": _trace_written},
            )
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            if hop == MAX_REDIRECTS:
                raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")
            # the next hop: Location against the URL asked (without credentials), as browsers do
            asked = url + ("?" + urlencode(pairs) if pairs else "")
            url, pairs = split_url(urljoin(asked, location.strip()))
            # a Location that echoes a credential must not carry it anywhere
            pairs = self._strip_credentials({}, pairs, by_name=origin_of(url) != home)[1]
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method not in ("GET", "HEAD")
            ):
                method = "GET" if method != "HEAD" else method
                json = data = content = None
        raise AssertionError("unreachable")  # pragma: no cover

    def _replay_key(self, pairs: QueryPairs, json: Any, data: Any, content: bytes | None) -> tuple[Any, Any]:
        redactor = self.redactor
        query = redactor.query(query_to_json(pairs))
        body = redactor.redact_value(
            json if json is not None else data if data is not None else decode_request_body(content)
        )
        return query, body

    def _replay_pending(
        self, method: str, url: str, pairs: QueryPairs, json: Any, data: Any, content: bytes | None
    ) -> bool:
        query, body = self._replay_key(pairs, json, data, content)
        return self.ctx.replayer.pending(method, self.redactor.url(url), query, body)  # type: ignore[union-attr]

    def _replayed(
        self, method: str, url: str, pairs: QueryPairs, json: Any, data: Any, content: bytes | None
    ) -> httpx.Response:
        query, body = self._replay_key(pairs, json, data, content)
        # the URL redacted as it was recorded (a secret in a path must match its *** there)
        exchange = self.ctx.replayer.answer(method, self.redactor.url(url), query, body)  # type: ignore[union-attr]
        full = url + ("?" + urlencode(pairs) if pairs else "")
        return httpx.Response(
            exchange["status"],
            headers=exchange.get("headers") or {},
            content=response_content(exchange),
            request=httpx.Request(method, full),
        )

    def _record(
        self,
        method: str,
        url: str,
        pairs: QueryPairs,
        json: Any,
        data: Any,
        content: bytes | None,
        response: httpx.Response,
    ) -> None:
        redactor = self.redactor
        body, encoding = encode_response_body(response.content, response.headers.get("content-type", ""))
        exchange: dict[str, Any] = {
            "method": method,
            "url": redactor.url(url),
            "query": redactor.query(query_to_json(pairs)),
            "request_body": redactor.redact_value(
                json if json is not None else data if data is not None else decode_request_body(content)
            ),
            "status": response.status_code,
            "headers": redactor.headers(keep_response_headers(dict(response.headers))),
            "body": redactor.redact_value(body, by_name=False),
        }
        if encoding:
            exchange["body_encoding"] = encoding
        self.ctx.recorder.add(exchange)  # type: ignore[union-attr]

    # -- retries ---------------------------------------------------------------------------------

    def _retryable(self, response: httpx.Response, extra: frozenset[int] = frozenset()) -> bool:
        """Nango's rule: the provider's `error_code` list, else 429 and 5xx; plus `retry_on`, plus a
        `remaining` header at 0 (a rate limit answered with another status)."""
        status = response.status_code
        retry = self.provider.retry
        codes = retry.get("error_code")
        if codes:
            # 401 is not retried blindly: a refresh (once) is what helps, and it is tried before
            if status != 401 and any(status_matches(status, str(code)) for code in codes):
                return True
        elif status in RETRY_STATUSES or status >= 500:
            return True
        if status in extra:
            return True
        remaining = retry.get("remaining")
        return isinstance(remaining, str) and bool(remaining) and response.headers.get(remaining) == "0"

    def _wait_for(
        self, response: httpx.Response, attempt: int, retry_header: dict[str, Any] | None = None
    ) -> float:
        wait = _wait_from_headers(response, retry_header) if retry_header else None
        if wait is None:
            wait = parse_wait(response.headers.get("retry-after"))
        retry = self.provider.retry
        if wait is None and (retry.get("at") or retry.get("after")):
            wait = _wait_from_headers(response, retry)
        if wait is None:
            wait = self._backoff(attempt)
        return min(wait, self.ctx.max_wait)

    def _backoff(self, attempt: int) -> float:
        base: float = self.ctx.backoff_base * (2 ** (attempt - 1))
        return min(base * random.uniform(0.5, 1.5), self.ctx.max_wait)

    async def _sleep(self, seconds: float) -> None:
        if self.ctx.replayer is None and seconds > 0:
            await self.ctx.sleep(seconds)

    def _error_body(self, response: httpx.Response) -> Any:
        content = response.content
        if not content:
            return ""
        try:
            body = response.json()
        except ValueError:
            try:
                body = content.decode("utf-8", errors="replace")
            except Exception:  # pragma: no cover
                body = base64.b64encode(content[:500]).decode()
            if len(body) > 2000:
                body = body[:2000] + "..."
        return self.redactor.redact_value(body)


def status_matches(status: int, rule: str) -> bool:
    """A status against one of Nango's `error_code` rules: "403", "5xx" or "500-502"."""
    rule = rule.strip().lower()
    if rule.isdigit():
        return status == int(rule)
    if len(rule) == 3 and rule.endswith("xx") and rule[0].isdigit():
        return status // 100 == int(rule[0])
    low, _, high = rule.partition("-")
    if low.isdigit() and high.isdigit():
        return int(low) <= status <= int(high)
    return False


def _wait_from_headers(response: httpx.Response, retry_header: dict[str, Any]) -> float | None:
    """The longest wait named by a script's `retry_header` ({"at": names} epoch, {"after": names} seconds)."""
    kind = "epoch" if retry_header.get("at") else "seconds"
    names = retry_header.get("at") or retry_header.get("after") or []
    waits = [
        w
        for name in ([names] if isinstance(names, str) else names)
        if (w := parse_wait(response.headers.get(str(name)), kind)) is not None
    ]
    return max(waits) if waits else None


def _transport_reason(err: httpx.HTTPError, timeout: float) -> str:
    if isinstance(err, (_TotalTimeout, httpx.TooManyRedirects)):
        return str(err)
    if isinstance(err, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the response",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(err), "")
        return f"timed out after {timeout:g} s" + (f" {kind}" if kind else "")
    if isinstance(err, httpx.ConnectError):
        return f"cannot connect ({err})" if str(err) else "cannot connect"
    if isinstance(err, httpx.RemoteProtocolError):
        return f"the server closed the connection ({err})" if str(err) else "the server closed the connection"
    if isinstance(err, httpx.ReadError):
        return "the connection was reset while reading the response"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
