"""Worker heartbeats (`workers`) and the hand-over of a dead worker's sync runs.

Every process that runs syncs (`serve` or `worker`) has a row keyed by its executor id and beats
every few seconds with the database's own clock (machines' clocks may disagree). A row whose beat
is older than the timeout belongs to a dead worker: one janitor claims it (a conditional DELETE, so
two janitors never both take it) and moves its runs (see `engine.Janitor`).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

import sqlalchemy as sa

from .. import timeutil
from ..schema import sync_runs, workers


@dataclass
class WorkerRow:
    executor_id: str
    kind: str
    host: str
    pid: int
    version: str
    concurrency: int
    started_at: str
    beat_at: float
    running: int
    age: float  # seconds since the last beat, by the database's clock


class ExecutorInUse(Exception):
    """Another live process beats with this executor id."""


def db_clock(conn: sa.Connection) -> float:
    """The database's time in epoch seconds (this process's clock on SQLite)."""
    if conn.dialect.name == "postgresql":
        return float(conn.execute(sa.text("SELECT extract(epoch from clock_timestamp())")).scalar_one())
    return time.time()


def register(
    conn: sa.Connection, executor_id: str, kind: str, version: str, concurrency: int, timeout: float
) -> None:
    """Claim `executor_id` for this process; ExecutorInUse if another process beat with it recently."""
    now = db_clock(conn)
    host, pid = socket.gethostname(), os.getpid()
    row = conn.execute(sa.select(workers).where(workers.c.executor_id == executor_id)).first()
    if (
        row is not None
        and conn.dialect.name != "sqlite"  # one process per SQLite database (serve.lock) already
        and now - row.beat_at < timeout
        and (row.host, row.pid) != (host, pid)
        and not (row.host == host and not _alive(row.pid))  # this machine's, and that process is gone
    ):
        raise ExecutorInUse(
            f"worker id {executor_id!r} is in use by {row.host} pid {row.pid} (it beat"
            f" {now - row.beat_at:.0f}s ago): give this process another --id"
        )
    values = dict(
        kind=kind,
        host=host[:255],
        pid=pid,
        version=version[:64],
        concurrency=concurrency,
        started_at=timeutil.now(),
        beat_at=now,
        running=0,
    )
    if row is None:
        conn.execute(workers.insert().values(executor_id=executor_id, **values))
    else:
        conn.execute(workers.update().where(workers.c.executor_id == executor_id).values(**values))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def beat(conn: sa.Connection, executor_id: str, running: int) -> bool:
    """Record that this process is alive; False when its row is gone (a janitor judged it dead)."""
    result = conn.execute(
        workers.update()
        .where(workers.c.executor_id == executor_id)
        .values(beat_at=db_clock(conn), running=running)
    )
    return (result.rowcount or 0) == 1


def listing(conn: sa.Connection) -> list[WorkerRow]:
    now = db_clock(conn)
    rows = conn.execute(sa.select(workers).order_by(workers.c.executor_id)).all()
    return [
        WorkerRow(
            r.executor_id,
            r.kind,
            r.host,
            r.pid,
            r.version,
            r.concurrency,
            r.started_at,
            r.beat_at,
            r.running,
            max(0.0, now - r.beat_at),
        )
        for r in rows
    ]


def stale(conn: sa.Connection, timeout: float, exclude: str) -> list[WorkerRow]:
    """Workers whose last beat is older than `timeout` seconds."""
    return [w for w in listing(conn) if w.age > timeout and w.executor_id != exclude]


def claim_dead(conn: sa.Connection, worker: WorkerRow) -> bool:
    """Claim a dead worker, only if it has not beaten since we looked (one janitor wins).

    The claim stamps a fresh beat: if the janitor dies before it finishes (and deletes the row),
    the row ages again and another janitor takes it over later."""
    result = conn.execute(
        workers.update()
        .where(workers.c.executor_id == worker.executor_id, workers.c.beat_at == worker.beat_at)
        .values(beat_at=db_clock(conn), kind="dead")
    )
    return (result.rowcount or 0) == 1


def mark_stopped(conn: sa.Connection, executor_id: str) -> None:
    """A clean stop: the row looks long dead, so a janitor moves whatever this process left at once."""
    conn.execute(workers.update().where(workers.c.executor_id == executor_id).values(beat_at=0.0, running=0))


def unregister(conn: sa.Connection, executor_id: str) -> None:
    conn.execute(workers.delete().where(workers.c.executor_id == executor_id))


def abandon_runs(conn: sa.Connection, executor_id: str, reason: str) -> int:
    """Runs left RUNNING by `executor_id` become ERROR (their workflow runs again elsewhere)."""
    result = conn.execute(
        sync_runs.update()
        .where(sync_runs.c.status == "RUNNING", sync_runs.c.executor_id == executor_id)
        .values(status="ERROR", finished_at=timeutil.now(), error=reason)
    )
    return result.rowcount or 0
