"""Issue 11 point 5: the rest of NangoAction/NangoSync, with Nango's behaviour."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nango_tui.runtime.connections import Connection, Credentials
from nango_tui.runtime.errors import ConnectionProblem
from nango_tui.runtime.records_log import remember_run
from nango_tui.sdk import NangoAction, NangoSync, SdkUsageError
from tests.support.http_server import LocalServer
from tests.support.runtime_ctx import TOKEN, make_ctx


def _sync(root: Path, **options):
    from pydantic import BaseModel

    class Contact(BaseModel):
        id: str
        name: str | None = None

    options.setdefault("models", {"Contact": Contact})
    options.setdefault("outputs", ["Contact"])
    ctx, events = make_ctx("http://127.0.0.1:9", root=root, **options)
    return NangoSync(ctx), events


async def test_last_sync_date_is_always_timezone_aware(tmp_path: Path):
    nango, _ = _sync(tmp_path, last_sync_date=datetime(2026, 1, 2, 3, 4))
    assert nango.last_sync_date == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    given = datetime.fromisoformat("2026-01-02T03:04:00+02:00")
    nango, _ = _sync(tmp_path, last_sync_date=given)
    assert nango.last_sync_date == given and nango.last_sync_date.utcoffset().total_seconds() == 7200
    nango, _ = _sync(tmp_path)
    assert nango.last_sync_date is None and nango.variant == "base" and nango.track_deletes is False
    assert nango.model_full_name("Contact") == "Contact"


async def test_get_connection_has_nangos_whole_shape_and_get_token(tmp_path: Path):
    nango, _ = _sync(tmp_path, metadata={"m": 1})
    connection = await nango.get_connection()
    assert {
        "id",
        "connection_id",
        "provider_config_key",
        "provider",
        "errors",
        "end_user",
        "metadata",
        "connection_config",
        "created_at",
        "updated_at",
        "last_fetched_at",
        "credentials",
    } <= set(connection)
    assert connection["credentials"]["raw"]["access_token"] == TOKEN
    assert connection["metadata"] == {"m": 1} and isinstance(connection["id"], int)
    assert await nango.get_token() == TOKEN
    ctx, _ = make_ctx("http://x", credentials=Credentials("API_KEY", api_key="k1"), root=tmp_path)
    assert await NangoAction(ctx).get_token() == {"type": "API_KEY", "apiKey": "k1"}


async def test_integration_webhook_url_field_mapping_and_flow_attributes(tmp_path: Path):
    nango, _ = _sync(tmp_path, metadata={"fieldMapping": {"a": "b"}})
    integration = await nango.get_integration()
    assert integration["unique_key"] == "test-integration" and integration["provider"] == "unauthenticated"
    assert await nango.get_webhook_url() is None  # a local connection has no Nango webhook URL
    assert await nango.get_field_mapping() == {"a": "b"}
    await nango.set_field_mapping({"x": "y"})
    assert await nango.get_metadata() == {"x": "y"}
    assert nango.get_flow_attributes() == {}
    ctx, _ = make_ctx("http://x", kind="action", root=tmp_path)
    with pytest.raises(SdkUsageError, match="only available in a sync"):
        NangoAction(ctx).get_flow_attributes()


async def test_locks_hold_for_their_ttl_and_release(tmp_path: Path):
    nango, _ = _sync(tmp_path)
    assert await nango.try_acquire_lock("k", 60_000) is True
    assert await nango.try_acquire_lock("k", 60_000) is False
    assert await nango.release_lock("k") is True and await nango.release_lock("k") is False
    assert await nango.try_acquire_lock("short", 1) is True
    import asyncio

    await asyncio.sleep(0.01)
    assert await nango.try_acquire_lock("short", 1) is True  # expired
    await nango.release_all_locks()
    with pytest.raises(SdkUsageError):
        await nango.try_acquire_lock("", 5)


async def test_metadata_set_on_a_local_connection_lasts_for_later_runs(tmp_path: Path):
    nango, _ = _sync(tmp_path)
    await nango.set_metadata({"cursor": "abc", "n": 1})
    await nango.update_metadata({"n": 2})
    stored = json.loads((tmp_path / ".nango/metadata.json").read_text())
    assert stored["dev"]["test-integration"]["test-conn"] == {"cursor": "abc", "n": 2}
    later, _ = _sync(tmp_path)  # a later run of the same connection reads it
    assert await later.get_metadata() == {"cursor": "abc", "n": 2}
    stubbed, _ = _sync(tmp_path, metadata={"stub": True})  # --metadata still wins
    assert await stubbed.get_metadata() == {"stub": True}


async def test_metadata_is_not_written_through_a_symlinked_nango_folder(tmp_path: Path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / ".nango").symlink_to(elsewhere)
    nango, _ = _sync(project)
    with pytest.raises(ConnectionProblem, match="set_metadata was not saved: .*outside the folder"):
        await nango.set_metadata({"cursor": "abc"})
    assert list(elsewhere.iterdir()) == []


async def test_merging_strategy_is_checked(tmp_path: Path):
    nango, _ = _sync(tmp_path)
    await nango.set_merging_strategy({"strategy": "ignore_if_modified_after"}, "Contact")
    with pytest.raises(SdkUsageError, match="strategy must be one of"):
        await nango.set_merging_strategy({"strategy": "newest"}, "Contact")


def _previous_run(root: Path, records: list[dict]) -> None:
    runs = root / ".nango/runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / "20260101-000000-000000-test-integration-test-script.jsonl"
    path.write_text(
        "".join(json.dumps({"op": "save", "model": "Contact", "record": r}) + "\n" for r in records)
    )
    remember_run(root, "dev", "test-integration", "test-script", "test-conn", path)


async def test_get_records_by_ids_reads_the_previous_run(tmp_path: Path):
    _previous_run(tmp_path, [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}, {"id": "1", "name": "a2"}])
    nango, _ = _sync(tmp_path)
    assert await nango.get_records_by_ids(["1", "3"], "Contact") == {"1": {"id": "1", "name": "a2"}}
    with pytest.raises(SdkUsageError):
        await nango.get_records_by_ids("1", "Contact")


async def test_delete_records_from_previous_executions(tmp_path: Path):
    _previous_run(tmp_path, [{"id": "1"}, {"id": "2"}, {"id": "3"}])
    nango, events = _sync(tmp_path)
    await nango.batch_save([{"id": "2"}], "Contact")
    assert await nango.delete_records_from_previous_executions("Contact") == {"deleted_keys": ["1", "3"]}
    deletes = [r for e in events.of("batch") if e["op"] == "delete" for r in e["records"]]
    assert deletes == [{"id": "1"}, {"id": "3"}]


async def test_track_deletes_at_the_end_of_a_run(tmp_path: Path):
    _previous_run(tmp_path, [{"id": "1"}, {"id": "2"}])
    nango, events = _sync(tmp_path, track_deletes=True)
    await nango.batch_save([{"id": "1"}], "Contact")
    await nango._end_of_run()
    assert [r for e in events.of("batch") if e["op"] == "delete" for r in e["records"]] == [{"id": "2"}]


async def test_uncontrolled_fetch_sends_no_credentials(tmp_path: Path):
    with LocalServer() as server:
        server.route("GET", "/public", lambda r: {"auth": r.headers.get("authorization")})
        conn = Connection(
            id="c",
            integration="i",
            provider="unauthenticated",
            base_url=server.url,
            credentials=Credentials("OAUTH2", access_token=TOKEN),
        )
        ctx, events = make_ctx(None, connection=conn, root=tmp_path)
        nango = NangoAction(ctx)
        response = await nango.uncontrolled_fetch(f"{server.url}/public", headers={"x": "1"})
        assert response.json() == {"auth": None}
        assert events.of("request")[0]["status"] == 200
        await nango.aclose()


async def test_proxy_through_another_connection_uses_its_credentials(tmp_path: Path):
    with LocalServer() as server:
        server.route("GET", "/who", lambda r: {"auth": r.headers.get("authorization")})
        (tmp_path / "connections.yaml").write_text(
            "environments:\n  dev:\n    connections:\n      other:\n        integration: second\n"
            f"        provider: unauthenticated\n        base_url: {server.url}\n"
            "        credentials: {type: API_KEY, api_key: other-key-123}\n"
        )
        nango, events = _sync(tmp_path)
        got = await nango.get({"endpoint": "/who", "connectionId": "other", "providerConfigKey": "second"})
        assert got.data == {"auth": "Bearer other-key-123"}
        await nango.log("answer", got.data)
        assert "other-key-123" not in json.dumps(events)
        await nango.aclose()
