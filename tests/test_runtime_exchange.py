"""Request events carry both sides' headers and bodies, redacted and bounded (issue 15, point 3)."""

from __future__ import annotations

import base64
import json

import pytest

from nango_tui.runtime.exchange import BODY_LIMIT
from nango_tui.sdk import NangoAction
from tests.support.http_server import Reply
from tests.support.runtime_ctx import TOKEN, make_ctx


async def test_a_request_event_shows_headers_and_bodies_without_secrets(local_server):
    local_server.route(
        "POST",
        "/things",
        lambda r: (201, {"got": r.json(), "echo": TOKEN}, {"X-Trace": "abc", "Set-Cookie": "s=1"}),
    )
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    await nango.post("/things", json={"name": "x", "password": "hunter2", "token": TOKEN})
    await nango.aclose()
    [event] = events.of("request")
    assert event["request_headers"]["authorization"] == "***"  # sent, masked whole
    assert json.loads(event["request_body"]) == {"name": "x", "password": "***", "token": "***"}
    assert event["response_headers"]["x-trace"] == "abc"
    assert event["response_headers"]["set-cookie"] == "***"
    assert json.loads(event["response_body"])["got"]["name"] == "x"
    text = json.dumps(event)
    for secret in (TOKEN, "hunter2", base64.b64encode(TOKEN.encode()).decode()):
        assert secret not in text


async def test_a_big_body_is_cut_at_the_limit_and_says_how_much(local_server):
    big = {"items": ["x" * 100] * 2000}  # about 210 KB
    local_server.route("GET", "/big", big)
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    response = await nango.get("/big")
    await nango.aclose()
    [event] = events.of("request")
    assert len(event["response_body"].encode()) <= BODY_LIMIT
    assert event["response_body_cut"] == len(response.content) - len(event["response_body"].encode())
    assert event["bytes"] == len(response.content)


async def test_binary_and_failed_exchanges(local_server):
    local_server.route("GET", "/png", Reply(200, b"\x89PNG\x00\x01", {"Content-Type": "image/png"}))
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    await nango.get("/png")
    await nango.aclose()
    [event] = events.of("request")
    assert event["response_body"] == "<6 bytes of image/png>"


async def test_a_secret_across_the_cut_is_not_shown_in_part(local_server):
    body = "x" * (BODY_LIMIT - 6) + TOKEN + "y" * 1000  # the token starts 6 bytes before the cut
    local_server.route("GET", "/edge", Reply(200, body, {"Content-Type": "text/plain"}))
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    await nango.get("/edge")
    await nango.aclose()
    [event] = events.of("request")
    assert TOKEN[:5] not in event["response_body"]
    assert "x***y" in event["response_body"]  # masked whole, then cut


async def test_a_cut_json_body_still_masks_secret_named_keys(local_server):
    body = {"access_token": "opaque-value-1", "items": ["z" * 100] * 1000}  # over the limit: cut
    local_server.route("GET", "/tokenish", body)
    ctx, events = make_ctx(local_server.url)
    nango = NangoAction(ctx)
    await nango.get("/tokenish")
    await nango.aclose()
    [event] = events.of("request")
    assert event["response_body_cut"] > 0
    assert "opaque-value-1" not in event["response_body"] and '"access_token":"***"' in event["response_body"]


@pytest.mark.parametrize(
    "text",
    [
        '{"data": [{"id": 1, "name": "a"}], "next": "2"}',
        '{"Access_Token": "x", "a": 1}',
        '{"ACCESS_TOKEN" :  "x\\"y"}',
        '{"acceſſ_token": "long-s"}',  # re.IGNORECASE folds these to ASCII letters, str.lower does not
        '{"İd_token": "dotted-I"}',
        '{"clıent_secret": "dotless-i"}',
        '{"name": "Zoë", "refresh_token": "r"}',
        '{"note": "the access_token field"}',  # the name as a value: not a pair
        '{"monkey": "m", "turkey": "t"}',  # ends as a sensitive key does, is none
        '{"monkey": "m", "Private_Key": "k"}',
        '{"data": [{"password": "p"}, {"é": "ü"}]',  # cut: not JSON
        '{"to\u212aen": "kelvin-sign"}',
        '{"data": [{"id": "c1", "email": "p1@example.com"}], "next": "2"}',  # a page: no key ends alike
        '{"record": "x", "word": "y", "seed": "z"}',  # ends alike (%%#"), no sensitive key
    ],
)
def test_the_secret_pair_prefilter_masks_exactly_what_the_regex_masks(text):
    """The quick check before the regex (issue 18) never lets a pair through that the regex masks."""
    from nango_tui.runtime.exchange import _SECRET_PAIR, _mask_secret_pairs

    assert _mask_secret_pairs(text) == _SECRET_PAIR.sub(r'\1"***"', text)


def test_the_secret_pair_prefilter_finds_each_key_in_any_case_and_random_texts():
    """Every sensitive key, in mixed case with the separators the regex allows, and random texts
    of the characters that matter (quotes, colons, the keys' letters), masked as the regex masks
    them: the one-find prefilter over ASCII text (issue 18) lets nothing through."""
    import random

    from nango_tui.runtime.exchange import (
        _ALIKE_ENDING,
        _ENDINGS_ALIKE,
        _QUOTED_KEYS,
        _SECRET_PAIR,
        _mask_secret_pairs,
    )

    assert {key[-4:].encode().translate(_ENDINGS_ALIKE) for key in _QUOTED_KEYS} == {_ALIKE_ENDING}
    rng = random.Random(18)
    for key in _QUOTED_KEYS:
        for _ in range(8):
            cased = "".join(c.upper() if rng.random() < 0.5 else c for c in key)
            text = '{"data": [{"id": 1}], ' + cased + rng.choice([":", " : ", ":\n  "]) + '"v-1", "n": 2}'
            masked = _mask_secret_pairs(text)
            assert masked == _SECRET_PAIR.sub(r'\1"***"', text) and "v-1" not in masked, text
    letters = 'tokenyacspwrdihx_-"": {}[],TOKENYRD'
    for _ in range(3000):
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 60)))
        assert _mask_secret_pairs(text) == _SECRET_PAIR.sub(r'\1"***"', text), text
