"""Syncs (one per connection and sync script) and their runs; the due-sync claim of the tick."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import timeutil
from ..db import inserted_id
from ..schema import connections, scripts, sync_runs, syncs

LOG_LIMIT = 64 * 1024  # characters of a run's log kept (the end)
RUNS_KEPT = 50  # runs kept per sync (older ones deleted; their records stay)


@dataclass
class SyncRow:
    id: int
    environment_id: int
    connection_pk: int
    integration: str
    name: str
    variant: str
    state: str
    frequency_ms: int | None
    last_sync_date: str | None
    next_run_at: str | None
    checkpoint: dict[str, Any] | None


def _sync(row: sa.Row[Any]) -> SyncRow:
    return SyncRow(
        row.id,
        row.environment_id,
        row.connection_pk,
        row.integration,
        row.name,
        row.variant,
        row.state,
        row.frequency_ms,
        row.last_sync_date,
        row.next_run_at,
        json.loads(row.checkpoint) if row.checkpoint else None,
    )


def get(conn: sa.Connection, sync_id: int) -> SyncRow | None:
    row = conn.execute(sa.select(syncs).where(syncs.c.id == sync_id)).first()
    return _sync(row) if row else None


def find(conn: sa.Connection, connection_pk: int, name: str, variant: str = "base") -> SyncRow | None:
    row = conn.execute(
        sa.select(syncs).where(
            syncs.c.connection_pk == connection_pk,
            syncs.c.name == name,
            syncs.c.variant == variant,
            syncs.c.state != "DELETED",
        )
    ).first()
    return _sync(row) if row else None


def for_connections(conn: sa.Connection, connection_pks: list[int], names: list[str] | None) -> list[SyncRow]:
    query = sa.select(syncs).where(syncs.c.connection_pk.in_(connection_pks), syncs.c.state != "DELETED")
    if names is not None:
        query = query.where(syncs.c.name.in_(names))
    return [_sync(r) for r in conn.execute(query.order_by(syncs.c.id))]


def create_for_connection(
    conn: sa.Connection, environment_id: int, connection_pk: int, integration: str, script_rows: list[Any]
) -> list[int]:
    """A sync row per active sync script of the integration (auto_start: STARTED and due now, else PAUSED)."""
    made = []
    now = timeutil.now()
    for script in script_rows:
        existing = conn.execute(
            sa.select(syncs.c.id, syncs.c.state).where(
                syncs.c.connection_pk == connection_pk, syncs.c.name == script.name, syncs.c.variant == "base"
            )
        ).first()
        state = "STARTED" if script.auto_start else "PAUSED"
        if existing is None:
            result = conn.execute(
                syncs.insert().values(
                    environment_id=environment_id,
                    connection_pk=connection_pk,
                    integration=integration,
                    name=script.name,
                    variant="base",
                    state=state,
                    next_run_at=now,
                    created_at=now,
                )
            )
            made.append(inserted_id(result))
        elif existing.state == "DELETED":
            conn.execute(
                syncs.update()
                .where(syncs.c.id == existing.id)
                .values(state=state, next_run_at=now, last_sync_date=None, checkpoint=None)
            )
            made.append(existing.id)
    return made


def soft_delete(conn: sa.Connection, environment_id: int, integration: str, name: str) -> list[int]:
    """A removed sync script: its syncs become DELETED; returns their connections."""
    rows = conn.execute(
        sa.select(syncs.c.id, syncs.c.connection_pk).where(
            syncs.c.environment_id == environment_id,
            syncs.c.integration == integration,
            syncs.c.name == name,
            syncs.c.state != "DELETED",
        )
    ).all()
    if rows:
        conn.execute(syncs.update().where(syncs.c.id.in_([r.id for r in rows])).values(state="DELETED"))
    return [r.connection_pk for r in rows]


def set_state(conn: sa.Connection, sync_ids: list[int], state: str) -> None:
    values: dict[str, Any] = {"state": state}
    if state == "STARTED":
        values["next_run_at"] = timeutil.now()
    conn.execute(syncs.update().where(syncs.c.id.in_(sync_ids)).values(**values))


def set_frequency(conn: sa.Connection, sync_id: int, frequency_ms: int | None) -> None:
    conn.execute(syncs.update().where(syncs.c.id == sync_id).values(frequency_ms=frequency_ms))


def frequency_ms(conn: sa.Connection, sync: SyncRow) -> int | None:
    """The sync's interval: the connection's override, else the active script's `runs`."""
    if sync.frequency_ms:
        return sync.frequency_ms
    return conn.execute(
        sa.select(scripts.c.frequency_ms).where(
            scripts.c.environment_id == sync.environment_id,
            scripts.c.integration == sync.integration,
            scripts.c.name == sync.name,
            scripts.c.active.is_(True),
            scripts.c.type == "sync",
        )
    ).scalar()


def claim_due(conn: sa.Connection, now: str, limit: int = 100) -> list[int]:
    """Syncs due now; each claimed by moving its next_run_at (a conditional UPDATE, so two ticks
    on two workers never claim the same due run)."""
    rows = conn.execute(
        sa.select(syncs)
        .where(syncs.c.state == "STARTED", syncs.c.next_run_at <= now)
        .order_by(syncs.c.next_run_at)
        .limit(limit)
    ).all()
    claimed = []
    for row in rows:
        sync = _sync(row)
        freq = frequency_ms(conn, sync) or 24 * 3600 * 1000
        result = conn.execute(
            syncs.update()
            .where(syncs.c.id == sync.id, syncs.c.next_run_at == sync.next_run_at)
            .values(next_run_at=timeutil.after(now, freq / 1000))
        )
        if result.rowcount == 1:
            claimed.append(sync.id)
    return claimed


def schedule_now(conn: sa.Connection, sync_id: int) -> None:
    conn.execute(syncs.update().where(syncs.c.id == sync_id).values(next_run_at=timeutil.now()))


# -- runs ------------------------------------------------------------------------------------------


def start_run(
    conn: sa.Connection,
    sync: SyncRow,
    script_id: int,
    mode: str,
    workflow_id: str | None,
    executor_id: str | None = None,
) -> tuple[int, str]:
    started = timeutil.now()
    result = conn.execute(
        sync_runs.insert().values(
            sync_id=sync.id,
            script_id=script_id,
            type="INITIAL" if sync.last_sync_date is None else "INCREMENTAL",
            mode=mode,
            status="RUNNING",
            started_at=started,
            workflow_id=workflow_id,
            executor_id=executor_id,
        )
    )
    return inserted_id(result), started


def finish_run(
    conn: sa.Connection,
    run_id: int,
    *,
    status: str,
    result: dict[str, Any],
    error: str | None,
    logs: str,
) -> None:
    conn.execute(
        sync_runs.update()
        .where(sync_runs.c.id == run_id)
        .values(
            status=status,
            finished_at=timeutil.now(),
            result=json.dumps(result),
            error=error,
            logs=logs[-LOG_LIMIT:],
        )
    )


def mark_success(conn: sa.Connection, sync_id: int, started_at: str) -> None:
    """last_sync_date = the successful run's start (Nango's rule)."""
    conn.execute(syncs.update().where(syncs.c.id == sync_id).values(last_sync_date=started_at))


def save_checkpoint(conn: sa.Connection, sync_id: int, checkpoint: dict[str, Any] | None) -> None:
    """The script's save_checkpoint / clear_checkpoint, kept at once (a failed run keeps it too,
    so the next run resumes there); a full refresh clears it (`reset_last_sync_date`)."""
    conn.execute(
        syncs.update()
        .where(syncs.c.id == sync_id)
        .values(checkpoint=json.dumps(checkpoint) if checkpoint is not None else None)
    )


def reset_last_sync_date(conn: sa.Connection, sync_id: int) -> None:
    conn.execute(syncs.update().where(syncs.c.id == sync_id).values(last_sync_date=None, checkpoint=None))


def abandon_running(conn: sa.Connection, executor_id: str = "local") -> int:
    """At start: runs this executor left RUNNING when it died are ERROR (their workflow is retried).

    Other workers' runs are theirs (a dead one's are handed over by the janitor)."""
    result = conn.execute(
        sync_runs.update()
        .where(
            sync_runs.c.status == "RUNNING",
            sa.or_(sync_runs.c.executor_id == executor_id, sync_runs.c.executor_id.is_(None)),
        )
        .values(status="ERROR", finished_at=timeutil.now(), error="the server stopped during the run")
    )
    return result.rowcount or 0


def prune_runs(conn: sa.Connection, sync_id: int) -> None:
    ids = [
        r[0]
        for r in conn.execute(
            sa.select(sync_runs.c.id).where(sync_runs.c.sync_id == sync_id).order_by(sync_runs.c.id.desc())
        )
    ]
    if len(ids) > RUNS_KEPT:
        conn.execute(sync_runs.delete().where(sync_runs.c.id.in_(ids[RUNS_KEPT:])))


def last_runs(conn: sa.Connection, sync_id: int, limit: int = 1) -> Sequence[sa.Row[Any]]:
    return conn.execute(
        sa.select(sync_runs)
        .where(sync_runs.c.sync_id == sync_id)
        .order_by(sync_runs.c.id.desc())
        .limit(limit)
    ).all()


def connection_ids(conn: sa.Connection, pks: list[int]) -> dict[int, str]:
    rows = conn.execute(
        sa.select(connections.c.id, connections.c.connection_id).where(connections.c.id.in_(pks))
    )
    return {pk: cid for pk, cid in rows}
