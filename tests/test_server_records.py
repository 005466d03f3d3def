"""The records cache on real SQLite and PostgreSQL databases: Nango's upsert/delete/update rules,
metadata, paging; concurrent writers of one (connection, model) on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
import sqlalchemy as sa

from nango_tui.server import db
from nango_tui.server.storage import records as recs


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = db.default_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres").new_database()
    engine = db.create(url)
    db.migrate(engine)
    yield engine
    engine.dispose()


def save(engine, batch, job=1, model="Contact"):
    with engine.begin() as conn:
        return recs.save(conn, 1, model, batch, sync_id=7, job_id=job)


def page(engine, **kw):
    with engine.connect() as conn:
        return recs.read_page(conn, 1, kw.pop("model", "Contact"), **kw)


def test_save_counts_added_updated_unchanged_and_keeps_updated_at(engine):
    assert save(engine, [{"id": "a", "n": 1}, {"id": "b", "n": 1}]).public() == {
        "added": 2,
        "updated": 0,
        "deleted": 0,
    }
    first = {r["id"]: r["_nango_metadata"] for r in page(engine).records}
    time.sleep(0.002)
    counts = save(engine, [{"id": "a", "n": 1}, {"id": "b", "n": 2}], job=2)
    assert (counts.added, counts.updated, counts.unchanged) == (0, 1, 1)
    after = {r["id"]: r["_nango_metadata"] for r in page(engine).records}
    assert after["a"]["last_modified_at"] == first["a"]["last_modified_at"]  # unchanged keeps updated_at
    assert after["a"]["last_action"] == "ADDED"
    assert after["b"]["last_action"] == "UPDATED"
    assert after["b"]["first_seen_at"] == first["b"]["first_seen_at"]
    with engine.connect() as conn:
        jobs = dict(conn.execute(sa.text("SELECT external_id, sync_job_id FROM records")).all())
    assert jobs == {"a": 2, "b": 2}  # unchanged rows still take the current job


def test_repeated_ids_in_one_batch_count_once_and_keep_the_last(engine):
    counts = save(engine, [{"id": "a", "v": 1}, {"id": "a", "v": 2}, {"id": 5}, {"id": "a", "v": 3}])
    assert counts.added == 2
    got = {str(r["id"]): r for r in page(engine).records}
    assert set(got) == {"a", "5"} and got["a"]["v"] == 3  # the last of a repeated id is kept
    counts = save(engine, [{"id": "a", "v": 4}, {"id": "a", "v": 3}], job=2)
    assert (counts.added, counts.updated, counts.unchanged) == (0, 0, 1)  # the last (v 3) is unchanged
    with engine.begin() as conn:
        updated = recs.update(
            conn, 1, "Contact", [{"id": "5", "w": 1}, {"id": "5", "w": 2}], sync_id=7, job_id=3
        )
    assert updated.updated == 1
    assert {str(r["id"]): r for r in page(engine).records}["5"]["w"] == 2


def test_delete_then_undelete_recreates(engine):
    save(engine, [{"id": "a"}])
    with engine.begin() as conn:
        assert recs.delete(conn, 1, "Contact", [{"id": "a"}], sync_id=7, job_id=2).deleted == 1
        assert (
            recs.delete(conn, 1, "Contact", [{"id": "a"}], sync_id=7, job_id=2).deleted == 0
        )  # already deleted
    meta = page(engine).records[0]["_nango_metadata"]
    assert meta["last_action"] == "DELETED" and meta["deleted_at"] is not None
    time.sleep(0.002)
    assert save(engine, [{"id": "a"}], job=3).added == 1
    meta2 = page(engine).records[0]["_nango_metadata"]
    assert meta2["last_action"] == "ADDED" and meta2["deleted_at"] is None
    assert meta2["first_seen_at"] > meta["first_seen_at"]


def test_update_merges_deeply_and_ignores_unknown(engine):
    save(engine, [{"id": "a", "name": {"first": "A", "last": "B"}, "tags": [1, 2]}])
    with engine.begin() as conn:
        counts = recs.update(
            conn,
            1,
            "Contact",
            [{"id": "a", "name": {"first": "Z"}, "tags": [3]}, {"id": "zz", "x": 1}],
            sync_id=7,
            job_id=2,
        )
    assert counts.updated == 1
    rec = page(engine).records[0]
    assert rec["name"] == {"first": "Z", "last": "B"} and rec["tags"] == [3]
    assert len(page(engine).records) == 1


def test_delete_outdated_only_older_jobs(engine):
    save(engine, [{"id": "a"}, {"id": "b"}], job=1)
    save(engine, [{"id": "a"}], job=2)
    with engine.begin() as conn:
        assert recs.delete_outdated(conn, 1, "Contact", sync_id=7, job_id=2) == 1
    actions = {r["id"]: r["_nango_metadata"]["last_action"] for r in page(engine).records}
    assert actions == {"a": "ADDED", "b": "DELETED"}


def test_paging_with_cursor_covers_every_record_once_in_order(engine):
    save(engine, [{"id": f"r{i:03d}"} for i in range(250)])
    seen, cursor = [], None
    while True:
        p = page(engine, limit=60, cursor=cursor)
        seen.extend(r["id"] for r in p.records)
        keys = [(r["_nango_metadata"]["last_modified_at"], r["_nango_metadata"]["cursor"]) for r in p.records]
        assert keys == sorted(keys, key=lambda k: k[0])
        if p.next_cursor is None:
            break
        cursor = p.next_cursor
    assert sorted(seen) == sorted(f"r{i:03d}" for i in range(250)) and len(seen) == 250


def test_filters_ids_modified_after(engine):
    save(engine, [{"id": "a"}, {"id": "b"}, {"id": "c"}])
    save(engine, [{"id": "b", "x": 1}], job=2)
    with engine.begin() as conn:
        recs.delete(conn, 1, "Contact", [{"id": "c"}], sync_id=7, job_id=2)
    ids = lambda **kw: sorted(r["id"] for r in page(engine, **kw).records)  # noqa: E731
    assert ids(filters={"added"}) == ["a"]
    assert ids(filters={"updated"}) == ["b"]
    assert ids(filters={"deleted"}) == ["c"]
    assert ids(filters={"added", "deleted"}) == ["a", "c"]
    assert ids(ids=["a", "c"]) == ["a", "c"]
    assert ids(modified_after="2999-01-01T00:00:00.000000Z") == []


def test_the_apis_json_body_is_read_page_as_json(engine):
    """page_json (the API's body, built from the stored text) says what read_page says, for every
    query shape; a record sent with a `_nango_metadata` of its own does not keep it."""
    save(
        engine,
        [{"id": f"r{i:02d}", "name": "Zoë \u2028", "n": i, "nested": {"a": [1, None]}} for i in range(30)],
    )
    save(engine, [{"id": "r01", "n": -1}, {"id": "x", "_nango_metadata": {"forged": True}}], job=2)
    with engine.begin() as conn:
        recs.delete(conn, 1, "Contact", [{"id": "r02"}], sync_id=7, job_id=2)
    first = page(engine, limit=7)
    queries = [
        {},
        {"limit": 7},
        {"limit": 7, "cursor": first.next_cursor},
        {"filters": {"added"}},
        {"filters": {"updated", "deleted"}},
        {"ids": ["r05", "x", "nope"]},
        {"modified_after": "2000-01-01T00:00:00.000000Z", "limit": 3},
        {"model": "Nothing"},
    ]
    for query in queries:
        model = query.pop("model", "Contact")
        expected = page(engine, model=model, **query)
        with engine.connect() as conn:
            body = json.loads(recs.page_json(conn, 1, model, **query))
        assert body == {"records": expected.records, "next_cursor": expected.next_cursor}, query
    x = next(r for r in page(engine).records if r["id"] == "x")
    assert "forged" not in x["_nango_metadata"] and set(x) == {"id", "_nango_metadata"}


def test_bad_cursor_is_refused(engine):
    for bad in ("not base64!", "aGVsbG8=", ""):
        if not bad:
            continue
        with pytest.raises(recs.BadCursor):
            page(engine, cursor=bad)


def test_records_of_other_connections_and_models_are_separate(engine):
    save(engine, [{"id": "a"}])
    save(engine, [{"id": "a", "m": 2}], model="Other")
    with engine.begin() as conn:
        recs.save(conn, 2, "Contact", [{"id": "a", "c": 2}], sync_id=8, job_id=1)
    assert page(engine).records[0] == {
        "id": "a",
        "_nango_metadata": page(engine).records[0]["_nango_metadata"],
    }
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar() == 3
        row = conn.execute(sa.text("SELECT json FROM records WHERE connection_pk = 2")).scalar()
    assert json.loads(row) == {"id": "a", "c": 2}


def test_migrations_are_idempotent(engine):
    db.migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == db.HEAD


def test_concurrent_writers_of_one_model_are_serialised(engine):
    """Two writers saving overlapping batches at once: every id once, counts add up (advisory lock)."""
    import threading

    errors: list[BaseException] = []
    results: list[recs.Counts] = []

    def writer(offset: int) -> None:
        try:
            for k in range(10):
                batch = [{"id": f"r{i}", "v": offset} for i in range(k * 50, k * 50 + 100)]
                with engine.begin() as conn:
                    results.append(recs.save(conn, 1, "Contact", batch, sync_id=7, job_id=1 + offset))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*), count(DISTINCT id) FROM records")).one()
    assert tuple(rows) == (550, 550)
    assert sum(c.added for c in results) == 550  # each id was added exactly once


def test_fresh_schema_equals_the_migrations(tmp_path):
    """A fresh database gets schema.py's tables + a stamp; that must be what Alembic's migrations make."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD

    fresh = db.create(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate(fresh)
    migrated = db.create(f"sqlite:///{tmp_path / 'migrated.db'}")
    db.upgrade(migrated)

    def shape(engine):
        inspector = sa.inspect(engine)
        out = {}
        for table in inspector.get_table_names():
            cols = {(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)}
            idx = {(i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)}
            pk = tuple(inspector.get_pk_constraint(table)["constrained_columns"])
            out[table] = (cols, idx, pk)
        return out

    assert shape(fresh) == shape(migrated)


async def test_reader_threads_serve_pages_and_hand_failures_back(engine):
    """The API's reader threads (server/readers.py) give the same page as a pooled connection, and a
    failure inside a read is raised in the awaiting handler, leaving the threads serving."""
    from nango_tui.server.readers import Readers

    save(engine, [{"id": f"r{i:02d}"} for i in range(30)])
    readers = Readers(engine, threads=2)
    try:
        with engine.connect() as conn:
            expected = recs.page_json(conn, 1, "Contact", limit=7)
        assert await readers.run(lambda c: recs.page_json(c, 1, "Contact", limit=7)) == expected

        def broken(c):
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            await readers.run(broken)
        with pytest.raises(recs.BadCursor):
            await readers.run(lambda c: recs.page_json(c, 1, "Contact", cursor="bad!"))
        pages = [readers.run(lambda c: recs.page_json(c, 1, "Contact", limit=7)) for _ in range(10)]
        assert await asyncio.gather(*pages) == [expected] * 10
    finally:
        readers.close()


def test_a_page_after_a_cursor_starts_the_index_range_at_the_cursor(engine):
    """The cursor's condition is a row value the index serves, (updated_at, id) > (u, i): records of
    one batch share their updated_at, and `updated_at > u OR (updated_at = u AND id > i)` made the
    database walk every earlier record of the cursor's batch (up to a batch a page)."""
    save(engine, [{"id": f"r{i:03d}"} for i in range(50)])
    cursor = page(engine, limit=10).next_cursor
    assert [r["id"] for r in page(engine, limit=5, cursor=cursor).records] == [
        r["id"] for r in page(engine, limit=15).records[10:]
    ]
    shape = (False, 0, frozenset(), True)
    sql, _order = recs._compiled[(engine.dialect.name, f"page{shape!r}")]
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        cursor_ = driver.cursor()
        if engine.dialect.name == "sqlite":
            cursor_.execute("EXPLAIN QUERY PLAN " + sql, (1, "Contact", "u", "i", 101, 0))
            plan = " ".join(str(row[-1]) for row in cursor_.fetchall())
            assert "USING INDEX ix_records_page" in plan and "(updated_at,id)>(?,?)" in plan, plan
        else:
            cursor_.execute("SET enable_seqscan = off")
            values = {
                "b_conn": 1,
                "b_model": "Contact",
                "b_cu": "u",
                "b_ci": "i",
                "b_limit": 101,
                "b_offset": 0,
            }
            cursor_.execute("EXPLAIN " + sql, values)
            plan = "\n".join(row[0] for row in cursor_.fetchall())
            assert "ix_records_page" in plan and "Index Cond" in plan, plan
            index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
            assert re.search(r"ROW\(\(?updated_at\b.*\bid\b.*\) > ROW\(", index_cond), plan


def test_a_batch_is_stored_in_the_order_its_pages_read_it(engine):
    """New records of a batch share `updated_at`, and a page reads them by id: inserted in that order,
    a page's rows sit side by side in the table (SQLite's rowid, PostgreSQL's heap) instead of one
    table page each, which halved a page's CPU at 1,000,000 records (benchmarks/README.md)."""
    save(engine, [{"id": f"r{i:03d}"} for i in range(300)])
    save(engine, [{"id": f"s{i:03d}"} for i in range(300)], job=2)
    order = "rowid" if engine.dialect.name == "sqlite" else "ctid"
    with engine.connect() as conn:
        stored = [
            tuple(r) for r in conn.exec_driver_sql(f"SELECT updated_at, id FROM records ORDER BY {order}")
        ]
    assert len(stored) == 600 and stored == sorted(stored)
    pages, cursor = [], None
    while True:
        p = page(engine, limit=100, cursor=cursor)
        pages.extend(r["_nango_metadata"]["cursor"] for r in p.records)
        if p.next_cursor is None:
            break
        cursor = p.next_cursor
    assert [recs.decode_cursor(c) for c in pages] == [(u, i) for u, i in stored]


def test_the_records_query_reads_as_starlettes_query_params():
    """`api.records.Query` (the hot path's parser) against Starlette's `QueryParams` on hand-made and
    random query strings: escapes, '+', blanks, repeated names, invalid UTF-8, raw non-ASCII bytes."""
    import random

    from starlette.datastructures import QueryParams

    from nango_tui.server.api.records import Query

    cases = [
        b"",
        b"&&",
        b"=",
        b"model",
        b"model=",
        b"model=Contact&limit=100&cursor=MjAy%2BNi0x%2FMS0z%3D%3D",
        b"a=1&a=2&a=&b",
        b"a+b=c+d&%20x=%41%42",
        b"ids=1&ids=2&ids=%E9t%C3%A9",
        b"x=%zz&y=%4&z=%",
        b"caf\xc3\xa9=\xe9%20&m=a;b",
        b"filter=added,UPDATED&modified_after=2026-11-30T10:00:00.000Z",
    ]
    alphabet = [b"a", b"b", b"=", b"&", b"+", b"%", b"2", b"B", b"E9", b"%C3%A9", b"\xe9", b";", b" "]
    rng = random.Random(13)
    cases += [b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(2000)]
    for raw in cases:
        ours, theirs = Query(raw), QueryParams(raw)
        names = {k for k, _ in theirs.multi_items()} | {"model", "absent"}
        for name in names:
            assert (name in ours) == (name in theirs), raw
            assert ours.get(name) == theirs.get(name), raw
            assert ours.getlist(name) == theirs.getlist(name), raw
            if name in theirs:
                assert ours[name] == theirs[name], raw
