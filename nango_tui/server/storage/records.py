"""The records cache, with Nango's semantics (RUNTIME.md §2 "Records cache").

One row per (connection, model, external_id). A save of an unchanged record keeps `updated_at`
(only the job id moves); a changed one bumps `updated_at`; a deleted one that comes back is
re-created (`created_at = updated_at = now`). Reads go in (updated_at, id) order with an opaque
cursor base64("<updated_at>||<id>"). The rules live here, not in triggers, so SQLite and
PostgreSQL behave alike. Writers of one (connection, model) are serialized by the caller's
transaction (SQLite: one writer; PostgreSQL: `lock_model` takes an advisory lock).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from binascii import b2a_base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa

from .. import timeutil
from ..readers import DriverConnection
from ..schema import records

NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid5 namespace (URL), as Nango's
CHUNK = 500  # ids per IN (...) lookup: well under SQLite's variable limit


@dataclass
class Counts:
    """What a batch did: Nango's added / updated / deleted (+ unchanged for our logs)."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.added += other.added
        self.updated += other.updated
        self.deleted += other.deleted
        self.unchanged += other.unchanged

    def public(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "deleted": self.deleted}


@dataclass
class Page:
    records: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


_NS = NAMESPACE.bytes
_encode = json.JSONEncoder(separators=(",", ":"), default=str, ensure_ascii=False).encode


def record_uuid(connection_pk: int, model: str, external_id: str) -> str:
    """uuid5(NAMESPACE, connection + model + id), computed without uuid.UUID (it is per record)."""
    digest = bytearray(hashlib.sha1(_NS + f"{connection_pk}{model}{external_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _dump(record: dict[str, Any]) -> tuple[str, str]:
    """The stored JSON and its md5 (records of one model come in one field order from the SDK).

    `_nango_metadata` is the cache's own (the SDK drops it; a hand-made batch may not)."""
    if "_nango_metadata" in record:
        record = {k: v for k, v in record.items() if k != "_nango_metadata"}
    text = _encode(record)
    return text, hashlib.md5(text.encode()).hexdigest()


_compiled: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}


def _compile(
    conn: sa.Connection | DriverConnection, name: str, make: Any
) -> tuple[str, tuple[str, ...] | None]:
    key = (conn.dialect.name, name)
    cached = _compiled.get(key)
    if cached is None:
        compiled = make().compile(dialect=conn.dialect)
        order = tuple(compiled.positiontup) if compiled.positional else None
        cached = _compiled[key] = (compiled.string, order)
    return cached


def _executemany(
    conn: sa.Connection, name: str, make: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """executemany on the driver's cursor with a statement compiled once per dialect.

    `rows` are tuples in `columns` order. SQLAlchemy's per-row parameter processing cost more than
    SQLite itself at 100k records; the statement is still built with Core, so it stays portable.
    """
    sql, order = _compile(conn, name, make)
    if order is None:
        params: list[Any] = [dict(zip(columns, row)) for row in rows]
    elif order == columns:
        params = rows
    else:
        index = [columns.index(k) for k in order]
        params = [tuple(row[i] for i in index) for row in rows]
    cursor = _driver(conn).cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


_COLUMNS = (
    "connection_pk",
    "model",
    "external_id",
    "id",
    "json",
    "data_hash",
    "created_at",
    "updated_at",
    "deleted_at",
    "sync_id",
    "sync_job_id",
)


def _driver(conn: sa.Connection | DriverConnection) -> Any:
    """The DBAPI connection under `conn` (sqlite3 or psycopg)."""
    if isinstance(conn, DriverConnection):
        return conn.driver
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def _insert_stmt() -> sa.Insert:
    return records.insert().values({c: sa.bindparam(c) for c in _COLUMNS})


_KEY = ("b_conn", "b_model", "b_ext")


def _update_stmt(*columns: str) -> Callable[[], sa.Update]:
    def make() -> sa.Update:
        return (
            records.update()
            .where(
                records.c.connection_pk == sa.bindparam("b_conn"),
                records.c.model == sa.bindparam("b_model"),
                records.c.external_id == sa.bindparam("b_ext"),
            )
            .values({c: sa.bindparam(c) for c in columns})
        )

    return make


_REVIVE = ("json", "data_hash", "created_at", "updated_at", "deleted_at", "sync_id", "sync_job_id")
_CHANGE = ("json", "data_hash", "updated_at", "sync_id", "sync_job_id")
_TOUCH = ("sync_id", "sync_job_id")
_MARK = ("deleted_at", "updated_at", "sync_id", "sync_job_id")


def _update(conn: sa.Connection, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """rows: (connection_pk, model, external_id, *values of columns)."""
    _executemany(conn, name, _update_stmt(*columns), _KEY + columns, rows)


def lock_model(conn: sa.Connection, connection_pk: int, model: str) -> None:
    """Serialize writers of one (connection, model) for this transaction.

    PostgreSQL: `pg_advisory_xact_lock` (Nango's way). SQLite: take the database's write lock now,
    before the reads that decide insert vs update (a deferred transaction would read, then lose the
    race to insert: a UNIQUE error); a write statement that matches nothing takes it."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.sha1(f"{connection_pk}:{model}".encode()).digest()[:8], "big", signed=True
        )
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    elif conn.dialect.name == "sqlite":
        conn.execute(sa.text("UPDATE records SET model = model WHERE 0"))


def _lookup_stmt(n: int) -> Callable[[], sa.Select[Any]]:
    def make() -> sa.Select[Any]:
        return sa.select(
            records.c.external_id, records.c.data_hash, records.c.deleted_at, records.c.json
        ).where(
            records.c.connection_pk == sa.bindparam("b_conn"),
            records.c.model == sa.bindparam("b_model"),
            records.c.external_id.in_([sa.bindparam(f"i{k}") for k in range(n)]),
        )

    return make


def _existing(
    conn: sa.Connection, connection_pk: int, model: str, ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """{external_id: (data_hash, deleted_at, json)} of the ids already stored (one query per CHUNK)."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = tuple(ids[start : start + CHUNK])
        columns = ("b_conn", "b_model", *(f"i{k}" for k in range(len(chunk))))
        for ext, data_hash, deleted_at, text in _query(
            conn, f"lookup{len(chunk)}", _lookup_stmt(len(chunk)), columns, (connection_pk, model, *chunk)
        ):
            found[ext] = (data_hash, deleted_at, text)
    return found


def _query(
    conn: sa.Connection | DriverConnection,
    name: str,
    make: Any,
    columns: tuple[str, ...],
    row: tuple[Any, ...],
) -> list[tuple[Any, ...]]:
    """One SELECT on the driver's cursor, compiled once per dialect (as _executemany)."""
    sql, order = _compile(conn, name, make)
    if order is None:
        params: Any = dict(zip(columns, row))
    elif order == columns:
        params = row
    else:
        params = tuple(row[columns.index(k)] for k in order)
    cursor = _driver(conn).cursor()
    try:
        cursor.execute(sql, params)
        found: list[tuple[Any, ...]] = cursor.fetchall()
        return found
    finally:
        cursor.close()


def _unique_by_id(batch: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records by id; an id repeated in one batch keeps its LAST record, as the SDK's batch_save
    (and Nango's CLI) do, so a deployed run stores what its dryrun showed (docs/server.md)."""
    out: dict[str, dict[str, Any]] = {}
    for rec in batch:
        if isinstance(rec, dict) and rec.get("id") is not None:
            out[str(rec["id"])] = rec
    return out


class _Prepared(NamedTuple):
    by_id: dict[str, dict[str, Any]]  # the batch's records by id
    existing: dict[str, tuple[Any, ...]]  # {id: (data_hash, deleted_at, json)} of those already stored
    now: str  # the batch's time


def _prepare(
    conn: sa.Connection, connection_pk: int, model: str, batch: Iterable[dict[str, Any]]
) -> _Prepared | None:
    """What save, delete and update start with: the batch by id, the (connection, model) locked for
    this transaction, the ids already stored, one time for the batch; None for a batch without ids."""
    by_id = _unique_by_id(batch)
    if not by_id:
        return None
    lock_model(conn, connection_pk, model)
    return _Prepared(by_id, _existing(conn, connection_pk, model, list(by_id)), timeutil.now())


def save(
    conn: sa.Connection,
    connection_pk: int,
    model: str,
    batch: Iterable[dict[str, Any]],
    *,
    sync_id: int,
    job_id: int,
) -> Counts:
    """batchSave: insert new, re-create deleted, update changed, touch the job id of the rest."""
    prepared = _prepare(conn, connection_pk, model, batch)
    if prepared is None:
        return Counts()
    by_id, existing, now = prepared
    inserts, revived, changed, same = [], [], [], []
    for ext, rec in by_id.items():
        text, data_hash = _dump(rec)
        old = existing.get(ext)
        if old is None:
            inserts.append(
                (
                    connection_pk,
                    model,
                    ext,
                    record_uuid(connection_pk, model, ext),
                    text,
                    data_hash,
                    now,
                    now,
                    None,
                    sync_id,
                    job_id,
                )
            )
        elif old[1] is not None:
            revived.append((connection_pk, model, ext, text, data_hash, now, now, None, sync_id, job_id))
        elif old[0] != data_hash:
            changed.append((connection_pk, model, ext, text, data_hash, now, sync_id, job_id))
        else:
            same.append((connection_pk, model, ext, sync_id, job_id))
    if inserts:
        # in the order pages read them: the batch shares `updated_at`, so by id, a page's rows sit
        # side by side in the table instead of one table page each (a page read ~2x less CPU)
        inserts.sort(key=itemgetter(3))
        _executemany(conn, "insert", _insert_stmt, _COLUMNS, inserts)
    if revived:
        _update(conn, "revive", _REVIVE, revived)
    if changed:
        _update(conn, "change", _CHANGE, changed)
    if same:
        _update(conn, "touch", _TOUCH, same)
    return Counts(added=len(inserts) + len(revived), updated=len(changed), unchanged=len(same))


def delete(
    conn: sa.Connection,
    connection_pk: int,
    model: str,
    batch: Iterable[dict[str, Any]],
    *,
    sync_id: int,
    job_id: int,
) -> Counts:
    """batchDelete: mark the given ids deleted (an unknown id is stored as a deleted stub, as Nango does)."""
    prepared = _prepare(conn, connection_pk, model, batch)
    if prepared is None:
        return Counts()
    by_id, existing, now = prepared
    marks, stubs = [], []
    for ext, rec in by_id.items():
        old = existing.get(ext)
        if old is None:
            text, data_hash = _dump(rec)
            stubs.append(
                (
                    connection_pk,
                    model,
                    ext,
                    record_uuid(connection_pk, model, ext),
                    text,
                    data_hash,
                    now,
                    now,
                    now,
                    sync_id,
                    job_id,
                )
            )
        elif old[1] is None:
            marks.append((connection_pk, model, ext, now, now, sync_id, job_id))
    if stubs:
        _executemany(conn, "insert", _insert_stmt, _COLUMNS, stubs)
    if marks:
        _update(conn, "mark", _MARK, marks)
    return Counts(deleted=len(marks) + len(stubs))


def _merge(old: Any, new: Any) -> Any:
    """Deep merge as Nango's batchUpdate: objects merge key by key, anything else (arrays too) replaces."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _merge(old.get(key), value) if key in old else value
        return out
    return new


def update(
    conn: sa.Connection,
    connection_pk: int,
    model: str,
    batch: Iterable[dict[str, Any]],
    *,
    sync_id: int,
    job_id: int,
) -> Counts:
    """batchUpdate: merge into existing, not deleted records; unknown ids are ignored."""
    prepared = _prepare(conn, connection_pk, model, batch)
    if prepared is None:
        return Counts()
    by_id, existing, now = prepared
    rows = []
    for ext, rec in by_id.items():
        old = existing.get(ext)
        if old is None or old[1] is not None:
            continue
        text, data_hash = _dump(_merge(json.loads(old[2]), rec))
        if data_hash != old[0]:
            rows.append((connection_pk, model, ext, text, data_hash, now, sync_id, job_id))
    if rows:
        _update(conn, "change", _CHANGE, rows)
    return Counts(updated=len(rows))


def delete_outdated(conn: sa.Connection, connection_pk: int, model: str, *, sync_id: int, job_id: int) -> int:
    """After a successful full run: records of this sync not seen by job `job_id` are deleted
    (they take the job's id, as in Nango's deleteOutdatedRecords)."""
    lock_model(conn, connection_pk, model)
    now = timeutil.now()
    result = conn.execute(
        records.update()
        .where(
            records.c.connection_pk == connection_pk,
            records.c.model == model,
            records.c.sync_id == sync_id,
            records.c.sync_job_id < job_id,
            records.c.deleted_at.is_(None),
        )
        .values(deleted_at=now, updated_at=now, sync_job_id=job_id)
    )
    return result.rowcount or 0


def clear(conn: sa.Connection, connection_pk: int, models: Sequence[str]) -> int:
    """Remove a connection's records of these models (full_refresh_and_clear_cache, removed syncs)."""
    if not models:
        return 0
    result = conn.execute(
        records.delete().where(records.c.connection_pk == connection_pk, records.c.model.in_(list(models)))
    )
    return result.rowcount or 0


def count(conn: sa.Connection, connection_pk: int, model: str) -> int:
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(records)
        .where(
            records.c.connection_pk == connection_pk, records.c.model == model, records.c.deleted_at.is_(None)
        )
    ).scalar_one()


# -- reading ---------------------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def encode_cursor(updated_at: str, record_id: str) -> str:
    return base64.b64encode(f"{updated_at}||{record_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(cursor) from None
    updated_at, sep, record_id = text.partition("||")
    if not sep or len(updated_at) != timeutil.WIDTH or not record_id:
        raise BadCursor(cursor)
    return updated_at, record_id


FILTERS = {"added", "updated", "deleted"}


def _page_stmt(with_after: bool, n_ids: int, filters: frozenset[str], with_cursor: bool) -> Any:
    """The page query of one shape, with bind parameters (compiled once per shape and dialect)."""

    def make() -> Any:
        c = records.c
        query = sa.select(c.id, c.json, c.created_at, c.updated_at, c.deleted_at).where(
            c.connection_pk == sa.bindparam("b_conn"), c.model == sa.bindparam("b_model")
        )
        if with_after:
            query = query.where(c.updated_at >= sa.bindparam("b_after"))
        if n_ids:
            query = query.where(c.external_id.in_([sa.bindparam(f"i{k}") for k in range(n_ids)]))
        if filters and filters != FILTERS:
            conds = []
            if "added" in filters:
                conds.append(sa.and_(c.deleted_at.is_(None), c.created_at == c.updated_at))
            if "updated" in filters:
                conds.append(sa.and_(c.deleted_at.is_(None), c.created_at != c.updated_at))
            if "deleted" in filters:
                conds.append(c.deleted_at.is_not(None))
            query = query.where(sa.or_(*conds))
        if with_cursor:
            # a row value: both SQLite and PostgreSQL start the index range exactly at the cursor.
            # (`updated_at > u OR (updated_at = u AND id > i)` scanned every earlier record of the
            # cursor's time, i.e. of its batch: up to a batch per page.)
            query = query.where(
                sa.tuple_(c.updated_at, c.id) > sa.tuple_(sa.bindparam("b_cu"), sa.bindparam("b_ci"))
            )
        # an explicit offset: SQLite's compiler adds one to any LIMIT, as a parameter of its own
        return (
            query.order_by(c.updated_at, c.id).limit(sa.bindparam("b_limit")).offset(sa.bindparam("b_offset"))
        )

    return make


def _page_rows(
    conn: sa.Connection | DriverConnection,
    connection_pk: int,
    model: str,
    *,
    limit: int = 100,
    cursor: str | None = None,
    modified_after: str | None = None,
    filters: set[str] | None = None,
    ids: Sequence[str] | None = None,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """The rows (id, json, created_at, updated_at, deleted_at) of one page, and the next cursor."""
    id_list = list(ids or ())
    shape = (bool(modified_after), len(id_list), frozenset(filters or ()), bool(cursor))
    columns: list[str] = ["b_conn", "b_model"]
    values: list[Any] = [connection_pk, model]
    if modified_after:
        columns.append("b_after")
        values.append(modified_after)
    for k, rid in enumerate(id_list):
        columns.append(f"i{k}")
        values.append(rid)
    if cursor:
        after_updated, after_id = decode_cursor(cursor)
        columns += ["b_cu", "b_ci"]
        values += [after_updated, after_id]
    columns += ["b_limit", "b_offset"]
    values += [limit + 1, 0]
    rows = _query(conn, f"page{shape!r}", _page_stmt(*shape), tuple(columns), tuple(values))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last[3], last[0])
    return rows[:limit], next_cursor


def _metadata(rid: str, created_at: str, updated_at: str, deleted_at: str | None) -> dict[str, Any]:
    if deleted_at is not None:
        action = "DELETED"
    elif created_at == updated_at:
        action = "ADDED"
    else:
        action = "UPDATED"
    return {
        "first_seen_at": timeutil.iso_ms(created_at),
        "last_modified_at": timeutil.iso_ms(updated_at),
        "last_action": action,
        "deleted_at": timeutil.iso_ms(deleted_at),
        "cursor": encode_cursor(updated_at, rid),
    }


def read_page(conn: sa.Connection, connection_pk: int, model: str, **query: Any) -> Page:
    """One page in (updated_at, id) order, each record with `_nango_metadata`
    (query: limit, cursor, modified_after, filters, ids)."""
    rows, next_cursor = _page_rows(conn, connection_pk, model, **query)
    page = Page(next_cursor=next_cursor)
    for rid, text, created_at, updated_at, deleted_at in rows:
        record = json.loads(text)
        record["_nango_metadata"] = _metadata(rid, created_at, updated_at, deleted_at)
        page.records.append(record)
    return page


def page_json(conn: sa.Connection | DriverConnection, connection_pk: int, model: str, **query: Any) -> bytes:
    """`read_page` as the API's body, `{"records": [...], "next_cursor": ...}`, built from the
    stored JSON text: no record is decoded and encoded again (a page of 100 is the API's hot path).

    The metadata is written as text too: its values are stored times (`timeutil` stamps: digits,
    `-:.TZ`), a base64 cursor and a constant, none of which JSON needs to escape."""
    rows, next_cursor = _page_rows(conn, connection_pk, model, **query)
    parts = []
    for rid, text, created_at, updated_at, deleted_at in rows:
        if deleted_at is not None:
            action, deleted = "DELETED", f'"{deleted_at[:23]}Z"'
        else:
            action, deleted = ("ADDED" if created_at == updated_at else "UPDATED"), "null"
        cursor = b2a_base64(f"{updated_at}||{rid}".encode(), newline=False).decode()
        # every stored record is a non-empty JSON object (it has an id) without _nango_metadata
        parts.append(
            f'{text[:-1]},"_nango_metadata":{{"first_seen_at":"{created_at[:23]}Z",'
            f'"last_modified_at":"{updated_at[:23]}Z","last_action":"{action}",'
            f'"deleted_at":{deleted},"cursor":"{cursor}"}}}}'
        )
    tail = f'"{next_cursor}"' if next_cursor is not None else "null"
    return f'{{"records":[{",".join(parts)}],"next_cursor":{tail}}}'.encode()
