"""One run at a time per sync, across every process that shares the database.

DBOS's deduplication id already refuses a second *queued* run of a sync, but a run moved off a dead
worker (cancel + resume) loses that id, and a worker judged dead may still be alive. So a run also
holds this lock for its whole length:

- PostgreSQL: a session-level `pg_try_advisory_lock(NAMESPACE, sync_id)` on a connection of its own.
  The server drops it when the holder's connection ends, so a `kill -9`'d worker frees it at once.
  A database restart drops it too: `check()` notices the lost connection and takes the lock again;
  if another run took it meanwhile, this run must stop.
- SQLite: one process uses the database (`serve.lock`), so an in-process set suffices.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from . import db

NAMESPACE = 0x4E54  # the first key of our two-key advisory locks ("NT"); records use one-key locks
CHECK_EVERY = 1.0  # seconds between liveness checks of the lock's connection

_local_held: set[int] = set()
_local_guard = threading.Lock()


class LockLost(Exception):
    """Another run of the sync holds the lock now (after a database restart)."""


class SyncLock:
    def __init__(self, engine: sa.Engine, sync_id: int) -> None:
        self.engine = engine
        self.sync_id = sync_id
        self.pg = engine.dialect.name == "postgresql"
        self._conn: sa.Connection | None = None
        self._checked = 0.0
        self.held = False

    def acquire(self) -> bool:
        """Take the lock if free; False when another run holds it."""
        if not self.pg:
            with _local_guard:
                if self.sync_id in _local_held:
                    return False
                _local_held.add(self.sync_id)
            self.held = True
            return True
        self.held = db.retrying(self._try_pg, "taking the sync's run lock")
        return self.held

    def _try_pg(self) -> bool:
        self._close()
        conn = self.engine.connect()
        try:
            got = bool(
                conn.execute(
                    sa.text("SELECT pg_try_advisory_lock(:ns, :id)"), {"ns": NAMESPACE, "id": self.sync_id}
                ).scalar()
            )
            conn.commit()
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if got:
            self._conn = conn
            self._checked = time.monotonic()
        else:
            conn.close()
        return got

    def check(self) -> None:
        """Raise LockLost if the lock was lost and another run holds it; re-take it after a reconnect."""
        if not self.pg or not self.held or time.monotonic() - self._checked < CHECK_EVERY:
            return
        try:
            assert self._conn is not None
            self._conn.execute(sa.text("SELECT 1")).scalar()
            self._conn.commit()
            self._checked = time.monotonic()
            return
        except Exception as exc:
            if not db.is_unavailable(exc):
                raise
        # the connection (and with it the lock) is gone: take it again
        if not db.retrying(self._try_pg, "taking the sync's run lock again"):
            self.held = False
            raise LockLost(f"another run of sync {self.sync_id} started while the database was down")

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if not self.pg:
            with _local_guard:
                _local_held.discard(self.sync_id)
            return
        try:
            assert self._conn is not None
            self._conn.execute(
                sa.text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": NAMESPACE, "id": self.sync_id}
            )
            self._conn.commit()
        except Exception:  # the connection is gone, and the lock with it
            if self._conn is not None:
                self._conn.invalidate()
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None


OAUTH_NAMESPACE = 0x4F41  # "OA": one OAuth2 refresh at a time per connection, across processes


class ProcessesLock:
    """A blocking session advisory lock on PostgreSQL (`with` it in a worker thread); nothing on
    SQLite, where one process uses the database and the caller's in-process lock suffices."""

    def __init__(self, engine: sa.Engine, namespace: int, key: int) -> None:
        self.engine, self.namespace, self.key = engine, namespace, key
        self._conn: sa.Connection | None = None

    def __enter__(self) -> ProcessesLock:
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            conn.execute(sa.text("SELECT pg_advisory_lock(:ns, :k)"), {"ns": self.namespace, "k": self.key})
            conn.commit()
            self._conn = conn
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(
                sa.text("SELECT pg_advisory_unlock(:ns, :k)"), {"ns": self.namespace, "k": self.key}
            )
            self._conn.commit()
        except Exception:  # the connection is gone, and the lock with it
            self._conn.invalidate()
        finally:
            self._conn.close()
            self._conn = None
