"""The engine: durable runs on DBOS (pinned `dbos==3.4.*`). The only module that imports DBOS.

- `sync_workflow(sync_id, mode)` runs a sync once; it is enqueued on queue `syncs` with
  `deduplication_id = sync-<id>`, so one sync never has two runs at once (the database enforces it).
- `action_workflow(action_id)` runs an async action (`X-Async`), its result kept in `action_runs`.
- DBOS recovers PENDING workflows at launch (same `executor_id` and `application_version`): a run cut
  by a crash is run again; the records it saved are upserted, never doubled.
- The tick (a thread, every `TICK_SECONDS`) claims the syncs that are due (`storage.syncs.claim_due`,
  a conditional UPDATE, safe with several workers) and enqueues them: Nango's `runs` are intervals,
  DBOS schedules are cron only.

Seams for PostgreSQL with many workers (issue 14): `system_database_url` may be `postgresql://...`;
`executor_id` must be unique per worker; a janitor that resumes a dead executor's PENDING workflows
(cancel + resume, RUNTIME.md §4) is not built yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

from dbos import DBOS, SetEnqueueOptions
from dbos._error import DBOSQueueDeduplicatedError

from . import timeutil
from .runs import RunContext, run_action, run_sync
from .schema import action_runs
from .storage import syncs as sync_store

TICK_SECONDS = 1.0
SYNC_QUEUE = "syncs"
ACTION_QUEUE = "actions"
APP_NAME = "nango-tui"

_ctx: RunContext | None = None


@DBOS.workflow()
def sync_workflow(sync_id: int, mode: str) -> dict:
    return _sync_step(sync_id, mode)


@DBOS.step(retries_allowed=False)
def _sync_step(sync_id: int, mode: str) -> dict:
    assert _ctx is not None
    outcome = asyncio.run(run_sync(_ctx, sync_id, mode, DBOS.workflow_id))
    return {
        "status": outcome.status,
        "run_id": outcome.run_id,
        "counts": outcome.counts,
        "error": outcome.error,
    }


@DBOS.workflow()
def action_workflow(action_id: str) -> str:
    return _action_step(action_id)


@DBOS.step(retries_allowed=False)
def _action_step(action_id: str) -> str:
    assert _ctx is not None
    engine = _ctx.engine
    with engine.begin() as conn:
        row = conn.execute(action_runs.select().where(action_runs.c.id == action_id)).first()
        if row is None or row.status in ("SUCCESS", "ERROR"):
            return row.status if row else "MISSING"
        conn.execute(action_runs.update().where(action_runs.c.id == action_id).values(status="RUNNING"))
    action_input = json.loads(row.input) if row.input else None
    outcome = asyncio.run(run_action(_ctx, row.environment_id, row.connection_pk, row.name, action_input))
    with engine.begin() as conn:
        conn.execute(
            action_runs.update()
            .where(action_runs.c.id == action_id)
            .values(
                status="SUCCESS" if outcome.ok else "ERROR",
                output=json.dumps(outcome.output) if outcome.ok else None,
                error=None
                if outcome.ok
                else json.dumps({"status": outcome.status_code, "error": outcome.error}),
                finished_at=timeutil.now(),
            )
        )
    return "SUCCESS" if outcome.ok else "ERROR"


class Engine:
    """DBOS launched in this process, its queues, and the tick."""

    def __init__(
        self, ctx: RunContext, system_database_url: str, executor_id: str = "local", version: str = "1"
    ) -> None:
        self.ctx = ctx
        self.system_database_url = system_database_url
        self.executor_id = executor_id
        self.version = version
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._tick: threading.Thread | None = None
        self._sync_queue: Any = None
        self._action_queue: Any = None
        self.failure: str | None = None

    def launch(self, tick: bool = True) -> None:
        """Start DBOS (recovering interrupted runs), declare the queues, start the tick. Blocking."""
        global _ctx
        _ctx = self.ctx
        for name in ("dbos", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
        DBOS(
            config={
                "name": APP_NAME,
                "system_database_url": self.system_database_url,
                "application_version": self.version,
                "executor_id": self.executor_id,
                "log_level": "WARNING",
                "notification_listener_polling_interval_sec": 0.2,
            }
        )
        DBOS.launch()
        self._sync_queue = DBOS.register_queue(SYNC_QUEUE, worker_concurrency=4, polling_interval_sec=0.25)
        self._action_queue = DBOS.register_queue(
            ACTION_QUEUE, worker_concurrency=4, polling_interval_sec=0.25
        )
        if tick:
            self._tick = threading.Thread(target=self._tick_loop, name="nango-tick", daemon=True)
            self._tick.start()
        self.ready.set()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        return self.ready.wait(timeout)

    def enqueue_sync(self, sync_id: int, mode: str = "incremental") -> bool:
        """Queue a run of `sync_id`; False when one is already queued or running."""
        if not self.wait_ready():
            raise RuntimeError("the engine did not start")
        try:
            with SetEnqueueOptions(deduplication_id=f"sync-{sync_id}"):
                self._sync_queue.enqueue(sync_workflow, sync_id, mode)
        except DBOSQueueDeduplicatedError:
            return False
        return True

    def enqueue_action(self, action_id: str) -> None:
        if not self.wait_ready():
            raise RuntimeError("the engine did not start")
        from dbos import SetWorkflowID

        with SetWorkflowID(f"action-{action_id}"):
            self._action_queue.enqueue(action_workflow, action_id)

    def tick_once(self) -> list[int]:
        """Enqueue every due sync; returns those claimed."""
        with self.ctx.engine.begin() as conn:
            claimed = sync_store.claim_due(conn, timeutil.now())
        for sync_id in claimed:
            self.enqueue_sync(sync_id)
        return claimed

    def _tick_loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick_once()
            except Exception as exc:  # a database hiccup must not end the scheduler
                logging.getLogger("nango_tui.server").warning("tick failed: %s", exc)
                time.sleep(TICK_SECONDS)

    def shutdown(self) -> None:
        self._stop.set()
        if self.ready.is_set():
            DBOS.destroy(workflow_completion_timeout_sec=0)
