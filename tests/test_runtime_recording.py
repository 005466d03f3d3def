"""--save-responses and --replay, and redaction of every secret everywhere."""

from __future__ import annotations

import json

import pytest

from nango_tui.runtime.connections import Connection, Credentials
from nango_tui.runtime.errors import HttpError, MocksFileError, ReplayMiss
from nango_tui.runtime.recording import Recorder, Replayer, load_mocks, mocks_path, write_mocks
from nango_tui.runtime.redaction import Redactor
from nango_tui.sdk import NangoSync
from tests.support.http_server import LocalServer, Reply
from tests.support.runtime_ctx import REFRESH, TOKEN, make_ctx

API_KEY = "key_Sekrit_ABCDEF123456"
PASSWORD = "pw_Hunter2_Hunter2"


def _serve(server: LocalServer) -> None:
    """An API that echoes credentials back in bodies and headers (the worst case for redaction)."""

    def contacts(req):
        cursor = int(req.arg("cursor") or 0)
        items = [{"id": str(i), "name": f"c{i}"} for i in range(cursor, min(cursor + 2, 5))]
        body = {
            "items": items,
            "next": str(cursor + 2) if cursor + 2 < 5 else None,
            "debug": {"seen_key": req.arg("api_key"), "auth": req.headers.get("authorization")},
        }
        return Reply(200, body, {"X-Echo": f"token={req.arg('api_key')}", "Set-Cookie": f"s={API_KEY}"})

    server.route("GET", "/contacts", contacts)
    server.route("GET", "/flaky", [Reply(503, {"err": "busy"}), Reply(200, {"ok": True})])
    server.route("POST", "/notes", lambda r: (201, {"created": r.json()}))
    server.route("GET", "/denied", Reply(403, {"error": f"key {API_KEY} is not allowed"}))


async def _script(nango: NangoSync) -> list:
    out = []
    async for page in nango.paginate(
        "/contacts",
        params={"api_key": API_KEY, "q": "all"},
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "next",
            "cursor_name_in_request": "cursor",
            "response_path": "items",
        },
    ):
        await nango.batch_save(page, "Contact")
        out.extend(page)
    out.append((await nango.get("/flaky", retries=2)).json())
    out.append((await nango.post("/notes", json={"text": "hi", "n": 1})).json())
    out.append((await nango.post("/notes", json={"text": "hi", "n": 2})).json())
    try:
        await nango.get("/denied")
    except HttpError as err:
        out.append(str(err))
    await nango.log("connection:", await nango.get_connection())
    return out


def _models():
    from pydantic import BaseModel

    class Contact(BaseModel):
        id: str
        name: str

    return {"Contact": Contact}


async def test_record_then_replay_reproduces_the_run_without_network_or_credentials(tmp_path, local_server):
    _serve(local_server)
    creds = Credentials("OAUTH2", access_token=TOKEN, refresh_token=REFRESH, client_secret=PASSWORD)
    recorder = Recorder()
    ctx, live_events = make_ctx(
        local_server.url,
        credentials=creds,
        models=_models(),
        outputs=["Contact"],
        recorder=recorder,
        root=tmp_path,
    )
    ctx.redactor.add(API_KEY)  # a secret the script passes itself (as a dryrun learns from env)
    nango = NangoSync(ctx)
    live = await _script(nango)
    await nango.aclose()
    assert [r["id"] for r in live[:5]] == ["0", "1", "2", "3", "4"]

    path = mocks_path(tmp_path, "test-integration", "contacts")
    write_mocks(path, recorder.to_mocks("test-integration", "contacts", "sync"))
    saved_text = path.read_text()
    mocks = load_mocks(path)
    assert mocks["format"] == 1 and mocks["kind"] == "sync"
    assert [ex["status"] for ex in mocks["exchanges"]][-5:] == [503, 200, 201, 201, 403]
    first = mocks["exchanges"][0]
    assert set(first) >= {"method", "url", "query", "request_body", "status", "headers", "body"}
    assert first["query"] == {"api_key": "***", "q": "all"} and "?" not in first["url"]
    assert "set-cookie" not in {k.lower() for k in first["headers"]}

    # replay: a demo connection, no credentials, no base URL, and the server is gone
    local_server.stop()
    demo = Connection(id="demo", integration="test-integration", provider="unauthenticated", replay=True)
    ctx, replay_events = make_ctx(
        None,
        connection=demo,
        models=_models(),
        outputs=["Contact"],
        replayer=Replayer.from_file(path),
        root=tmp_path,
    )
    nango = NangoSync(ctx)
    replayed = await _script(nango)
    await nango.aclose()
    assert replayed[:5] == live[:5] and replayed[5:8] == live[5:8]
    assert live_events.of("batch") == replay_events.of("batch")
    assert [(e["method"], e["status"], e["attempt"]) for e in live_events.of("request")] == [
        (e["method"], e["status"], e["attempt"]) for e in replay_events.of("request")
    ]

    # the secrets appear nowhere: events, saved file, exception texts
    everything = live_events.text() + replay_events.text() + saved_text + json.dumps(live[-2:], default=str)
    for secret in (TOKEN, REFRESH, API_KEY, PASSWORD):
        assert secret not in everything, secret
    assert "***" in saved_text


async def test_replay_miss_names_the_request(tmp_path):
    replayer = Replayer(
        [
            {
                "method": "GET",
                "url": "https://api.example.com/contacts",
                "query": {"page": "1"},
                "request_body": None,
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": [],
            }
        ],
        source="x/mocks/s.json",
    )
    demo = Connection(id="demo", integration="i", provider="unauthenticated", replay=True)
    ctx, _ = make_ctx(None, connection=demo, replayer=replayer)
    nango = NangoSync(ctx)
    assert (await nango.get("/contacts", params={"page": 1})).json() == []
    assert (await nango.get("/contacts", params={"page": 1})).json() == []  # used up: the last answer again
    with pytest.raises(ReplayMiss) as info:
        await nango.get("/contacts", params={"page": 2})
    assert "GET https://api.example.com/contacts?page=2" in str(info.value)
    assert "x/mocks/s.json" in str(info.value) and "page" in str(info.value)
    with pytest.raises(ReplayMiss, match="POST https://api.example.com/other"):
        await nango.post("/other", json={})


def test_bad_mocks_files(tmp_path):
    with pytest.raises(MocksFileError, match="--save-responses"):
        load_mocks(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"exchanges": [')
    with pytest.raises(MocksFileError, match="not valid JSON"):
        load_mocks(bad)
    bad.write_text('{"format": 1, "exchanges": [{"method": "GET"}]}')
    with pytest.raises(MocksFileError, match="exchange #1"):
        load_mocks(bad)


def test_replay_matches_query_order_and_body_canonically():
    ex = {
        "method": "POST",
        "url": "http://h/x",
        "query": {"b": "2", "a": ["1", "3"]},
        "request_body": {"k": 1, "j": [1]},
        "status": 200,
        "headers": {},
        "body": "hello",
        "body_encoding": "text",
    }
    replayer = Replayer([ex])
    assert (
        replayer.answer("post", "http://other-host/x/", {"a": ["1", "3"], "b": "2"}, {"j": [1], "k": 1}) is ex
    )


def test_redactor_masks_urls_headers_and_bodies():
    r = Redactor([TOKEN, "ab"])  # too-short secrets are ignored (they would mask ordinary text)
    r.add_basic("user", PASSWORD)
    from urllib.parse import quote

    url = r.url(f"https://user:{PASSWORD}@h/p?access_token=zzz&q={quote(TOKEN)}&x=ab")
    assert (
        TOKEN not in url
        and quote(TOKEN) not in url
        and PASSWORD not in url
        and "zzz" not in url
        and "x=ab" in url
    )
    headers = r.headers(
        {"Authorization": "Bearer anything", "X-Api-Key": "k", "X-Other": f"has {TOKEN}", "Accept": "a"}
    )
    assert headers == {"Authorization": "***", "X-Api-Key": "***", "X-Other": "has ***", "Accept": "a"}
    body = r.redact_value({"refresh_token": "r", "nested": [f"Bearer {TOKEN}"], "n": 1})
    assert body == {"refresh_token": "***", "nested": ["Bearer ***"], "n": 1}
    import base64

    assert base64.b64encode(f"user:{PASSWORD}".encode()).decode() not in r.text(
        "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    )


async def test_replay_of_a_run_that_refreshed_its_token_after_a_401(tmp_path, local_server):
    fresh = "tok_Fresh_After401_XYZ"
    local_server.route("POST", "/oauth/token", {"access_token": fresh, "expires_in": 60})
    local_server.route(
        "GET",
        "/me",
        lambda r: {"me": 1} if r.headers.get("authorization") == f"Bearer {fresh}" else (401, {}),
    )
    conn = Connection(
        id="c",
        integration="i",
        provider="unauthenticated",
        base_url=local_server.url,
        token_url=local_server.url + "/oauth/token",
        credentials=Credentials("OAUTH2", access_token=TOKEN, refresh_token=REFRESH),
    )
    recorder = Recorder()
    ctx, _ = make_ctx(None, connection=conn, recorder=recorder)
    nango = NangoSync(ctx)
    assert (await nango.get("/me")).json() == {"me": 1}
    await nango.aclose()
    assert [ex["status"] for ex in recorder.exchanges] == [401, 200]  # the token call is not recorded
    assert fresh not in json.dumps(recorder.exchanges)
    local_server.stop()
    demo = Connection(id="demo", integration="i", provider="unauthenticated", replay=True)
    ctx, events = make_ctx(None, connection=demo, replayer=Replayer(recorder.exchanges))
    nango = NangoSync(ctx)
    assert (await nango.get("/me")).json() == {"me": 1}
    assert [e["status"] for e in events.of("request")] == [401, 200]
