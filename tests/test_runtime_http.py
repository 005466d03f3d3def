"""The HTTP layer against a real server on 127.0.0.1: auth, retries, faults, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from nango_tui.runtime.connections import Connection, Credentials
from nango_tui.runtime.errors import ConnectionProblem, HttpError, RequestFailed
from nango_tui.sdk import NangoAction
from tests.support.http_server import LocalServer, Reply
from tests.support.runtime_ctx import REFRESH, TOKEN, make_ctx


async def test_get_sends_bearer_and_returns_httpx_response(local_server):
    local_server.route("GET", "/me", {"id": 7})
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    response = await nango.get("/me", params={"a": 1, "skip": None, "flag": True})
    await nango.aclose()
    assert isinstance(response, httpx.Response)
    assert response.json() == {"id": 7}
    req = local_server.requests[-1]
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.query == {"a": ["1"], "flag": ["true"]}
    [event] = events.of("request")
    assert event["method"] == "GET" and event["status"] == 200 and event["attempt"] == 1
    assert event["url"].startswith(local_server.url + "/me?")
    assert event["bytes"] == len(b'{"id":7}') and event["ms"] >= 0


async def test_requests_after_the_first_look_up_no_module(local_server):
    """httpcore asks `import sniffio` for every lock and event of every request: without sniffio
    installed, each ask searched sys.path (~20 failed imports a request, ~2.8 ms of CPU a page of
    a paginated dryrun, issue 18). A finder in front of the import system sees every lookup."""
    import sys

    local_server.route("GET", "/me", {"id": 7})
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    await nango.get("/me")  # the first request may import what httpx loads lazily

    looked_up: list[str] = []

    class Spy:
        @staticmethod
        def find_spec(name: str, path: object = None, target: object = None) -> None:
            looked_up.append(name)

    sys.meta_path.insert(0, Spy)  # type: ignore[arg-type]
    try:
        for _ in range(3):
            assert (await nango.get("/me")).json() == {"id": 7}
    finally:
        sys.meta_path.remove(Spy)  # type: ignore[arg-type]
        await nango.aclose()
    assert looked_up == [], f"modules looked up on every request: {sorted(set(looked_up))}"


async def test_post_put_patch_delete_and_proxy_send_bodies(local_server):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        local_server.route(method, "/things", lambda r: (201, {"got": r.json(), "m": r.method}))
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    assert (await nango.post("/things", json={"x": 1})).json() == {"got": {"x": 1}, "m": "POST"}
    assert (await nango.put("/things", json=[1])).json()["m"] == "PUT"
    assert (await nango.patch("/things", json={"y": 2})).json()["got"] == {"y": 2}
    assert (await nango.delete("/things")).json()["m"] == "DELETE"
    res = await nango.proxy({"method": "POST", "endpoint": "/things", "json": {"z": 3}})
    assert res.status_code == 201 and res.json()["got"] == {"z": 3}
    await nango.aclose()


async def test_base_url_override(local_server):
    local_server.route("GET", "/v9/ping", {"pong": True})
    ctx, _ = make_ctx("http://127.0.0.1:1/unused")
    nango = NangoAction(ctx)
    response = await nango.get("/ping", base_url_override=local_server.url + "/v9")
    await nango.aclose()
    assert response.json() == {"pong": True}


async def test_429_with_retry_after_is_honoured(local_server):
    local_server.route(
        "GET", "/limited", [Reply(429, {"error": "slow down"}, {"Retry-After": "1"}), Reply(200, [1])]
    )
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    response = await nango.get("/limited", retries=2)
    await nango.aclose()
    assert response.json() == [1]
    assert events.waits == [1.0], "Retry-After: 1 must be waited"
    assert [(e["status"], e["attempt"]) for e in events.of("request")] == [(429, 1), (200, 2)]
    assert any("answered 429: retrying in 1.0 s" in e["message"] for e in events.of("log"))


async def test_unknown_provider_works_with_a_base_url(local_server):
    local_server.route("GET", "/api/v1/items", [{"id": 1}])
    ctx, _ = make_ctx(local_server.url + "/api/v1", provider="my-internal-api")
    nango = NangoAction(ctx)
    response = await nango.get("items")
    await nango.aclose()
    assert (
        response.status_code == 200
        and local_server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    )


async def test_503_then_200(local_server):
    local_server.route("GET", "/flaky", [Reply(503, "busy"), Reply(503, "busy"), Reply(200, {"ok": 1})])
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    assert (await nango.get("/flaky", retries=3)).json() == {"ok": 1}
    await nango.aclose()
    assert [e["status"] for e in events.of("request")] == [503, 503, 200]


async def test_retries_exhausted_raise_http_error_with_status_and_body(local_server):
    local_server.route("GET", "/down", Reply(502, {"message": "bad gateway"}))
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    with pytest.raises(HttpError) as info:
        await nango.get("/down", retries=2)
    await nango.aclose()
    assert info.value.status == 502 and info.value.body == {"message": "bad gateway"}
    assert info.value.attempts == 3 and "after 3 attempts" in str(info.value)
    assert len(events.of("request")) == 3


async def test_no_retries_by_default_and_4xx_is_not_retried(local_server):
    local_server.route(
        "GET", "/missing", Reply(404, {"error": {"code": "not_found", "hint": "check the id"}})
    )
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    with pytest.raises(HttpError) as info:
        await nango.get("/missing", retries=5)
    await nango.aclose()
    assert info.value.status == 404
    assert info.value.body["error"]["code"] == "not_found"
    assert "404" in str(info.value) and "not_found" in str(info.value)
    assert len(events.of("request")) == 1


async def test_provider_rate_limit_reset_header(local_server):
    # github's reset header is an epoch time; its 403 with remaining 0 is a rate limit
    reset = str(int(time.time()) + 30)
    local_server.route(
        "GET",
        "/repos",
        [
            Reply(
                403,
                {"message": "API rate limit exceeded"},
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            ),
            Reply(200, []),
        ],
    )
    ctx, events = make_ctx(local_server.url, provider="github", max_wait=60)
    nango = NangoAction(ctx)
    assert (await nango.get("/repos", retries=1)).json() == []
    await nango.aclose()
    (wait,) = events.waits
    assert 25 <= wait <= 30  # waited for the reset (~30 s away), not the 10 ms backoff
    assert [e["status"] for e in events.of("request")] == [403, 200]


async def test_connection_reset_is_retried_then_fails_clearly(local_server):
    local_server.route("GET", "/reset", [Reply(reset=True), Reply(200, {"ok": True})])
    local_server.route("GET", "/always-reset", Reply(reset=True))
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    assert (await nango.get("/reset", retries=1)).json() == {"ok": True}
    first = events.of("request")[0]
    assert first["status"] is None and first["error"]
    with pytest.raises(RequestFailed) as info:
        await nango.get("/always-reset", retries=1)
    await nango.aclose()
    assert "/always-reset" in str(info.value) and "after 2 attempts" in str(info.value)


async def test_slow_response_hits_the_timeout(local_server):
    local_server.route("GET", "/slow", Reply(200, {"late": True}, delay=1.5))
    ctx, events = make_ctx(local_server.url, http_timeout=0.3)
    nango = NangoAction(ctx)
    with pytest.raises(RequestFailed) as info:
        await nango.get("/slow")
    await nango.aclose()
    assert "timed out after 0.3 s" in str(info.value)
    assert events.of("request")[0]["error"].startswith("timed out")


async def test_invalid_json_body_is_returned_and_response_json_raises(local_server):
    local_server.route("GET", "/broken", Reply(200, b'{"a": [1, 2', {"content-type": "application/json"}))
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    response = await nango.get("/broken")
    await nango.aclose()
    with pytest.raises(ValueError):
        response.json()


async def test_api_key_in_header_and_query(local_server):
    local_server.route("GET", "/geo", {"ok": True})
    key = "AIzaKeyForTests123456"
    # google-gemini sends the key as the `key` query parameter
    ctx, events = make_ctx(
        local_server.url, provider="google-gemini", credentials=Credentials("API_KEY", api_key=key)
    )
    nango = NangoAction(ctx)
    await nango.get("/geo", params={"q": "x"})
    await nango.aclose()
    assert local_server.requests[-1].query["key"] == [key]
    assert key not in events.text()
    # teamtailor: Authorization: Token token=KEY
    ctx, _ = make_ctx(
        local_server.url, provider="teamtailor", credentials=Credentials("API_KEY", api_key=key)
    )
    nango = NangoAction(ctx)
    await nango.get("/geo")
    await nango.aclose()
    assert local_server.requests[-1].headers["authorization"] == f"Token token={key}"
    assert "key" not in local_server.requests[-1].query


async def test_basic_auth(local_server):
    local_server.route("GET", "/basic", {"ok": True})
    ctx, _ = make_ctx(
        local_server.url,
        provider="freshdesk",
        credentials=Credentials("BASIC", username="u", password="p4ssw0rd!"),
    )
    nango = NangoAction(ctx)
    await nango.get("/basic")
    await nango.aclose()
    import base64

    assert (
        local_server.requests[-1].headers["authorization"]
        == "Basic " + base64.b64encode(b"u:p4ssw0rd!").decode()
    )


async def test_provider_headers_and_templated_base_url():
    from nango_tui.runtime.providers import base_url, provider_for, providers

    assert len([p for p in providers() if p != "unauthenticated"]) >= 15
    conn = Connection(
        id="c",
        integration="sf",
        provider="salesforce",
        connection_config={"instance_url": "https://acme.my.salesforce.com/"},
    )
    assert base_url(provider_for("salesforce"), conn) == "https://acme.my.salesforce.com"
    zd = Connection(id="c", integration="zd", provider="zendesk", connection_config={"subdomain": "acme"})
    assert base_url(provider_for("zendesk"), zd) == "https://acme.zendesk.com"
    shop = Connection(id="c", integration="s", provider="shopify", connection_config={"subdomain": "store1"})
    assert base_url(provider_for("shopify"), shop) == "https://store1.myshopify.com"
    with pytest.raises(ConnectionProblem, match="needs `subdomain`"):
        base_url(provider_for("zendesk"), Connection(id="c", integration="zd", provider="zendesk"))
    with pytest.raises(ConnectionProblem, match="base_url"):
        base_url(
            provider_for("my-internal-api"), Connection(id="c", integration="x", provider="my-internal-api")
        )
    unknown = Connection(id="c", integration="x", provider="my-internal-api", base_url="http://h:1/api/")
    assert base_url(provider_for("my-internal-api"), unknown) == "http://h:1/api"


async def test_shopify_token_header_and_notion_version(local_server):
    local_server.route("GET", "/admin/shop.json", {"shop": {}})
    ctx, _ = make_ctx(local_server.url, provider="shopify")
    nango = NangoAction(ctx)
    await nango.get("/admin/shop.json")
    await nango.aclose()
    headers = local_server.requests[-1].headers
    assert headers["x-shopify-access-token"] == TOKEN and "authorization" not in headers
    ctx, _ = make_ctx(local_server.url, provider="notion")
    nango = NangoAction(ctx)
    await nango.get("/admin/shop.json", headers={"X-Extra": "1"})
    await nango.aclose()
    assert local_server.requests[-1].headers["notion-version"] == "2022-06-28"
    assert local_server.requests[-1].headers["x-extra"] == "1"


def _oauth_server(server: LocalServer, new_token: str = "tok_Refreshed_ABCDEFGHIJ") -> None:
    def token(req):
        form = req.form()
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH:
            return 400, {"error": "invalid_grant"}
        return {"access_token": new_token, "expires_in": 3600, "refresh_token": "rft_Next_0000000000"}

    server.route("POST", "/oauth/token", token)
    server.route(
        "GET",
        "/data",
        lambda req: (
            {"ok": True}
            if req.headers.get("authorization") == f"Bearer {new_token}"
            else (401, {"error": "expired"})
        ),
    )


async def test_expired_oauth2_token_is_refreshed_once_before_the_call(local_server):
    _oauth_server(local_server)
    conn = Connection(
        id="c",
        integration="i",
        provider="unauthenticated",
        base_url=local_server.url,
        token_url=local_server.url + "/oauth/token",
        credentials=Credentials(
            "OAUTH2",
            access_token=TOKEN,
            refresh_token=REFRESH,
            expires_at=datetime.now(UTC) - timedelta(minutes=5),
            client_id="cid",
            client_secret="csecret_ZZZZZZZZ",
        ),
    )
    ctx, events = make_ctx(None, connection=conn)
    nango = NangoAction(ctx)
    assert (await nango.get("/data")).json() == {"ok": True}
    assert (await nango.get("/data")).json() == {"ok": True}
    await nango.aclose()
    token_calls = local_server.calls("POST", "/oauth/token")
    assert len(token_calls) == 1
    assert token_calls[0].form()["client_secret"] == "csecret_ZZZZZZZZ"
    assert any("refreshed the OAuth2 token" in e["message"] for e in events.of("log"))
    text = events.text()
    for secret in (TOKEN, REFRESH, "tok_Refreshed_ABCDEFGHIJ", "csecret_ZZZZZZZZ"):
        assert secret not in text


async def test_401_triggers_one_refresh_then_gives_up(local_server):
    _oauth_server(local_server, new_token="tok_Other_QQQQQQQQQQ")
    local_server.route("GET", "/never", Reply(401, {"error": "nope"}))
    conn = Connection(
        id="c",
        integration="i",
        provider="unauthenticated",
        base_url=local_server.url,
        token_url=local_server.url + "/oauth/token",
        credentials=Credentials("OAUTH2", access_token=TOKEN, refresh_token=REFRESH),
    )
    ctx, _ = make_ctx(None, connection=conn)
    nango = NangoAction(ctx)
    with pytest.raises(HttpError) as info:
        await nango.get("/never")
    await nango.aclose()
    assert info.value.status == 401
    assert len(local_server.calls("POST", "/oauth/token")) == 1
    assert len(local_server.calls("GET", "/never")) == 2


async def test_refresh_failure_is_a_clear_connection_error(local_server):
    local_server.route(
        "POST", "/oauth/token", Reply(400, {"error": "invalid_grant", "refresh_token": REFRESH})
    )
    conn = Connection(
        id="c",
        integration="i",
        provider="unauthenticated",
        base_url=local_server.url,
        token_url=local_server.url + "/oauth/token",
        credentials=Credentials(
            "OAUTH2",
            access_token=TOKEN,
            refresh_token=REFRESH,
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        ),
    )
    ctx, _ = make_ctx(None, connection=conn)
    nango = NangoAction(ctx)
    with pytest.raises(ConnectionProblem) as info:
        await nango.get("/data")
    await nango.aclose()
    assert "refreshing the OAuth2 token" in str(info.value) and "invalid_grant" in str(info.value)
    assert REFRESH not in str(info.value)


async def test_expired_token_without_refresh_token_warns_once_and_is_tried(local_server):
    local_server.route("GET", "/x", {"ok": True})
    creds = Credentials("OAUTH2", access_token=TOKEN, expires_at=datetime.now(UTC) - timedelta(days=1))
    ctx, events = make_ctx(local_server.url, credentials=creds)
    nango = NangoAction(ctx)
    await nango.get("/x")
    await nango.get("/x")
    await nango.aclose()
    warnings = [e for e in events.of("log") if e["level"] == "warn"]
    assert len(warnings) == 1 and "no refresh_token" in warnings[0]["message"]
    assert len(local_server.calls("GET", "/x")) == 2


async def test_form_data_text_body_and_bad_proxy_options(local_server):
    from nango_tui.sdk import SdkUsageError

    local_server.route("POST", "/form", lambda r: {"form": r.form(), "type": r.headers.get("content-type")})
    local_server.route("POST", "/raw", lambda r: {"raw": r.body.decode()})
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    got = (await nango.post("/form", data={"a": "1", "b": "x y"}, headers=form)).json()
    assert got["form"] == {"a": "1", "b": "x y"} and got["type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert (await nango.post("/raw", data="plain text")).json() == {"raw": "plain text"}
    with pytest.raises(SdkUsageError, match="unknown option"):
        await nango.proxy({"endpoint": "/x", "bogus": 1})
    with pytest.raises(SdkUsageError, match="endpoint"):
        await nango.proxy(method="GET")
    await nango.aclose()


async def test_nango_retry_rules_error_code_remaining_and_after(local_server):
    # zendesk: 429 (default rule) waits its retry-after; hubspot: any status with remaining 0 is a rate limit
    local_server.route("GET", "/z", [Reply(429, {}, {"retry-after": "1"}), Reply(200, {"ok": 1})])
    ctx, events = make_ctx(local_server.url, provider="zendesk")
    nango = NangoAction(ctx)
    assert (await nango.get("/z", retries=1)).data == {"ok": 1}
    assert events.waits == [1.0]
    await nango.aclose()
    local_server.route(
        "GET", "/h", [Reply(400, {}, {"x-hubspot-ratelimit-remaining": "0"}), Reply(200, {"ok": 2})]
    )
    local_server.route("GET", "/h400", Reply(400, {"bad": True}))
    ctx, events = make_ctx(local_server.url, provider="hubspot")
    nango = NangoAction(ctx)
    assert (await nango.get("/h", retries=1)).data == {"ok": 2}
    with pytest.raises(HttpError):
        await nango.get("/h400", retries=3)
    assert len(local_server.calls("GET", "/h400")) == 1
    await nango.aclose()


def test_status_rules():
    from nango_tui.runtime.http import status_matches

    assert status_matches(503, "5xx") and status_matches(403, "403") and status_matches(501, "500-502")
    assert (
        not status_matches(404, "5xx") and not status_matches(503, "500-502") and not status_matches(1, "x")
    )


async def test_cookies_a_response_sets_are_sent_back_on_the_runs_next_requests(local_server):
    local_server.route(
        "GET", "/login", Reply(200, {"ok": True}, headers={"Set-Cookie": "session=s1; Path=/"})
    )
    local_server.route("GET", "/plain", {"plain": True})
    local_server.route("GET", "/me", lambda req: {"cookie": req.headers.get("cookie")})
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    try:
        assert (await nango.get("/me")).json() == {"cookie": None}
        await nango.get("/login")
        await nango.get("/plain")  # an answer that sets none keeps the jar as it is
        assert (await nango.get("/me")).json() == {"cookie": "session=s1"}
    finally:
        await nango.aclose()


async def test_the_query_goes_out_as_httpx_encodes_params(local_server):
    """The query is given to httpx with the URL (one parse, issue 18): the same bytes on the wire
    as httpx's own `params` merge gives, repeats, spaces and reserved characters included."""
    local_server.route("GET", "/q", {"ok": True})
    params = {"q": ["a b", "2"], "k": "ü+&=~*'()!", "e": "", "a/b": "c?d#e"}
    ctx, _ = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    try:
        await nango.get("/q?x=%41", params=params)
    finally:
        await nango.aclose()
    pairs = [("x", "A"), ("q", "a b"), ("q", "2"), ("k", "ü+&=~*'()!"), ("e", ""), ("a/b", "c?d#e")]
    expected = httpx.Request("GET", local_server.url + "/q", params=pairs).url.raw_path.decode()
    assert local_server.requests[-1].target == expected
