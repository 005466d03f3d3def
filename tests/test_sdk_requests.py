"""Issue 11 point 1 and 3: request bodies, Nango's response shape, proxy keys, ActionError, names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nango_tui.runtime.errors import HttpError
from nango_tui.sdk import ActionError, NangoAction, NangoSync, SdkUsageError
from tests.support.http_server import LocalServer, Reply
from tests.support.runtime_ctx import make_ctx


@pytest.fixture
def server():
    with LocalServer() as local:
        local.route(
            "POST", "/echo", lambda r: {"body": r.body.decode(), "type": r.headers.get("content-type")}
        )
        local.route(
            "PATCH", "/echo", lambda r: {"body": r.body.decode(), "type": r.headers.get("content-type")}
        )
        yield local


async def _nango(server, cls=NangoAction, **options):
    ctx, events = make_ctx(server.url, kind="sync" if cls is NangoSync else "action", **options)
    return cls(ctx), events


async def test_data_dict_and_list_are_json_bodies(server):
    nango, _ = await _nango(server)
    got = (
        await nango.post(
            "/echo", data={"properties": {"email": "a@b", "n": 2}, "when": datetime(2026, 1, 2, tzinfo=UTC)}
        )
    ).data
    assert got["type"] == "application/json"
    assert got["body"] == '{"properties":{"email":"a@b","n":2},"when":"2026-01-02T00:00:00+00:00"}'
    got = (await nango.post({"endpoint": "/echo", "data": [1, {"a": None}]})).data
    assert got["body"] == '[1,{"a":null}]' and got["type"] == "application/json"
    await nango.aclose()


async def test_text_and_bytes_go_as_they_are_form_only_when_the_headers_say_so(server):
    nango, _ = await _nango(server)
    assert (await nango.post("/echo", data="a=b&c")).data["body"] == "a=b&c"
    assert (await nango.post("/echo", data=b"\x00raw")).data["body"] == "\x00raw"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    got = (
        await nango.post("/echo", data={"a": "1", "nested": {"b": 2, "c": [True, "x y"]}}, headers=form)
    ).data
    assert got["body"] == "a=1&nested%5Bb%5D=2&nested%5Bc%5D%5B0%5D=true&nested%5Bc%5D%5B1%5D=x+y"
    # a caller's own JSON-ish content type is kept
    got = (
        await nango.patch("/echo", data={"a": 1}, headers={"Content-Type": "application/vnd.api+json"})
    ).data
    assert got == {"body": '{"a":1}', "type": "application/vnd.api+json"}
    with pytest.raises(SdkUsageError, match="not both"):
        await nango.post("/echo", data={"a": 1}, json={"b": 2})
    await nango.aclose()


async def test_response_has_nango_and_httpx_names(server):
    server.route("GET", "/j", Reply(200, {"ok": 1}, {"X-Rate": "9"}))
    server.route("GET", "/t", Reply(200, "plain text"))
    server.route("GET", "/empty", Reply(204, None))
    nango, _ = await _nango(server)
    response = await nango.get("/j")
    assert response.data == {"ok": 1} and response.status == 200 == response.status_code
    assert response.headers["x-rate"] == "9" and response.json() == {"ok": 1}
    assert (await nango.get("/t")).data == "plain text"
    assert (await nango.get("/empty")).data == ""
    assert (await nango.get("/j", response_type="arraybuffer")).data == b'{"ok":1}'
    assert (await nango.get({"endpoint": "/j", "responseType": "text"})).data == '{"ok":1}'
    await nango.aclose()


async def test_http_error_carries_the_response(server):
    server.route("GET", "/missing", Reply(404, {"message": "no such thing"}, {"X-Request-Id": "r1"}))
    nango, _ = await _nango(server)
    with pytest.raises(HttpError) as info:
        await nango.get("/missing")
    err = info.value
    assert err.response.status == 404 and err.response.data == {"message": "no such thing"}
    assert err.response.headers["x-request-id"] == "r1" and err.status == 404
    await nango.aclose()


async def test_proxy_takes_nango_keys_retry_on_and_retry_header(server):
    answers = iter([Reply(409, {"busy": True}, {"X-Wait": "0"}), Reply(200, {"done": True})])
    server.route("POST", "/job", lambda r: next(answers))
    nango, _ = await _nango(server)
    response = await nango.proxy(
        {
            "endpoint": "/job",
            "method": "post",
            "retries": 1,
            "retryOn": [409],
            "retryHeader": {"after": "X-Wait"},
            "decompress": True,
            "baseUrlOverride": server.url,
            "connectionId": "test-conn",
            "providerConfigKey": "test-integration",
        }
    )
    assert response.data == {"done": True} and len(server.calls("POST", "/job")) == 2
    with pytest.raises(SdkUsageError, match="did you mean `retry_on`"):
        await nango.get("/job", retryOnn=[1])
    with pytest.raises(SdkUsageError, match="status codes"):
        await nango.get("/job", retry_on="409")
    await nango.aclose()


async def test_nango_action_error_and_log_level_dict(server):
    nango, events = await _nango(server)
    assert nango.ActionError is ActionError
    err = nango.ActionError({"message": "bad", "code": 1})
    assert err.payload == {"message": "bad", "code": 1} and err.type == "action_script_runtime_error"
    await nango.log("it failed", {"level": "error"})
    await nango.log("plain", {"not": "a level"})
    nango.set_logger({"level": "warn"})
    await nango.log("dropped", level="info")
    logs = events.of("log")
    assert [(e["level"], e["message"]) for e in logs] == [
        ("error", "it failed"),
        ("info", 'plain {"not": "a level"}'),
    ]
    await nango.aclose()


async def test_a_nango_name_at_run_time_says_the_python_name(server):
    nango, _ = await _nango(server, NangoSync)
    with pytest.raises(AttributeError, match="NangoSync has no `batchSave`: use `batch_save`"):
        nango.batchSave  # noqa: B018
    with pytest.raises(AttributeError, match="use `last_sync_date`"):
        nango.lastSyncDate  # noqa: B018
    with pytest.raises(AttributeError, match="did you mean `batch_save`"):
        nango.batch_sav  # noqa: B018
    await nango.aclose()
