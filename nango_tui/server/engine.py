"""The engine: durable runs on DBOS (pinned `dbos==3.4.*`). The only module that imports DBOS.

- `sync_workflow(sync_id, mode)` runs a sync once; it is enqueued on queue `syncs` with
  `deduplication_id = sync-<id>`, so one sync never has two runs at once (the database enforces it).
- `action_workflow(action_id)` runs an async action (`X-Async`), its result kept in `action_runs`.
- DBOS recovers PENDING workflows at launch (same `executor_id` and `application_version`): a run cut
  by a crash is run again; the records it saved are upserted, never doubled.
- The tick (a thread, every `TICK_SECONDS`) claims the syncs that are due (`storage.syncs.claim_due`,
  a conditional UPDATE, safe with several workers) and enqueues them: Nango's `runs` are intervals,
  DBOS schedules are cron only.

- Many processes on one PostgreSQL (issue 14): each has its own `executor_id`, beats every
  `HEARTBEAT_SECONDS` in `workers`, and runs the janitor: a worker whose beat is older than
  `DEAD_AFTER_SECONDS` is dead, and one live process moves its PENDING workflows with DBOS's public
  API (`cancel_workflow` + `resume_workflow`; DBOS itself recovers a dead executor's workflows only
  when that executor restarts). `runlock` keeps one run per sync even then.
- Queue polls (SQLite, one process): DBOS's worker of each queue claims work with a transaction every
  poll (~4 ms of CPU, much of it holding the GIL that `GET /records` pages need). They poll every
  `POLL_BUSY_SECONDS` while work comes, and every `POLL_IDLE_SECONDS` once nothing was enqueued or
  run for `IDLE_AFTER_SECONDS`; an enqueue makes them busy again (the run starts within one idle
  poll). On PostgreSQL the interval is the queue's row, shared by every worker: it stays busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from typing import Any

from dbos import DBOS, SetEnqueueOptions
from dbos._error import DBOSQueueDeduplicatedError

from . import timeutil
from .runs import RunContext, run_action, run_sync
from .schema import action_runs
from .storage import syncs as sync_store
from .storage import workers as worker_store

TICK_SECONDS = 1.0
SYNC_QUEUE = "syncs"
ACTION_QUEUE = "actions"
APP_NAME = "nango-tui"
HEARTBEAT_SECONDS = float(os.environ.get("NANGO_TUI_HEARTBEAT_SECONDS", "2"))
POLL_BUSY_SECONDS = 0.25
POLL_IDLE_SECONDS = 1.0
IDLE_AFTER_SECONDS = float(os.environ.get("NANGO_TUI_QUEUE_IDLE_AFTER", "10"))
DEAD_AFTER_SECONDS = float(os.environ.get("NANGO_TUI_WORKER_TIMEOUT", "30"))

_ctx: RunContext | None = None
_runs: RunLoop | None = None
_engine: Engine | None = None  # the launched engine (its queue polls follow the work)
_running = 0  # sync runs in progress in this process (reported with the heartbeat)
_running_guard = threading.Lock()
log = logging.getLogger("nango_tui.server")


@DBOS.workflow()
def sync_workflow(sync_id: int, mode: str) -> dict[str, Any]:
    return _sync_step(sync_id, mode)


@DBOS.step(retries_allowed=False)
def _sync_step(sync_id: int, mode: str) -> dict[str, Any]:
    global _running
    assert _ctx is not None
    with _running_guard:
        _running += 1
    if _engine is not None:
        _engine.work_came()
    try:
        outcome = _run(run_sync(_ctx, sync_id, mode, DBOS.workflow_id))
    finally:
        with _running_guard:
            _running -= 1
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
    outcome = _run(run_action(_ctx, row.environment_id, row.connection_pk, row.name, action_input))
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


def _run(coro: Any) -> Any:
    """Run a run's coroutine on this process's run loop (a DBOS step thread waits for it)."""
    if _runs is None:
        return asyncio.run(coro)
    return _runs.run(coro)


class RunLoop:
    """One event loop, in a thread of its own, for every run of this process, and the zygote its
    runs fork from: a forked child skips Python's start-up and imports (~0.3 s of CPU a run cold,
    a few hundredths warm), which decides how many runs a minute two cores can take. A zygote is
    bound to one loop, hence one loop for all runs (each was `asyncio.run` in its step's thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nango-runs", daemon=True)
        self._thread.start()
        self._zygote: Any = None

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def zygote(self) -> Any:
        """The live zygote (started again if it died); None off this loop (it cannot serve there)."""
        try:
            if asyncio.get_running_loop() is not self.loop:
                return None
        except RuntimeError:
            return None
        from nango_tui.dryrun.zygote import Zygote

        if self._zygote is None or not self._zygote.alive:
            if self._zygote is not None:
                self._zygote.close()
            self._zygote = Zygote.start(env=_zygote_env())
        return self._zygote

    def close(self) -> None:
        def stop() -> None:
            if self._zygote is not None:
                self._zygote.close()
            self.loop.stop()

        if self.loop.is_running():
            self.loop.call_soon_threadsafe(stop)
            self._thread.join(5)


def _zygote_env() -> dict[str, str]:
    """The server's environment without its secrets: the zygote holds none (each run's own key
    comes with its request)."""
    return {k: v for k, v in os.environ.items() if not _is_secret_name(k)}


def _is_secret_name(name: str) -> bool:
    return name.startswith("NANGO_SECRET_KEY") or name == "NANGO_TUI_ENCRYPTION_KEY"


class Engine:
    """DBOS launched in this process, its queues, and the tick."""

    def __init__(
        self,
        ctx: RunContext,
        system_database_url: str,
        executor_id: str = "local",
        version: str = "1",
        concurrency: int = 4,
        kind: str = "serve",
    ) -> None:
        self.ctx = ctx
        self.system_database_url = system_database_url
        self.executor_id = executor_id
        self.version = version
        self.concurrency = concurrency
        self.kind = kind
        self._beat: threading.Thread | None = None
        self._connected_since: float | None = None
        self.taken_over: list[str] = []  # executors whose runs this process moved (for logs/tests)
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._tick: threading.Thread | None = None
        self._sync_queue: Any = None
        self._action_queue: Any = None
        self.failure: str | None = None
        self.adaptive_polls = system_database_url.startswith("sqlite")
        self.poll_seconds = POLL_BUSY_SECONDS
        self._last_work = time.monotonic()
        self._poll_guard = threading.Lock()

    def register(self) -> None:
        """Claim this executor id in `workers` (before DBOS recovers its workflows)."""
        with self.ctx.engine.begin() as conn:
            worker_store.register(
                conn, self.executor_id, self.kind, self.version, self.concurrency, DEAD_AFTER_SECONDS
            )
        self._connected_since = time.monotonic()

    def launch(self, tick: bool = True) -> None:
        """Start DBOS (recovering interrupted runs), declare the queues, start the tick. Blocking."""
        global _ctx, _runs, _engine
        _ctx = self.ctx
        if _runs is None:
            _runs = RunLoop()
            self.ctx.zygote = _runs.zygote
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
        self._sync_queue = DBOS.register_queue(
            SYNC_QUEUE, worker_concurrency=self.concurrency, polling_interval_sec=POLL_BUSY_SECONDS
        )
        self._action_queue = DBOS.register_queue(
            ACTION_QUEUE, worker_concurrency=4, polling_interval_sec=POLL_BUSY_SECONDS
        )
        self._last_work = self._connected_since = time.monotonic()
        _engine = self
        if tick:
            self._tick = threading.Thread(target=self._tick_loop, name="nango-tick", daemon=True)
            self._tick.start()
        self._beat = threading.Thread(target=self._beat_loop, name="nango-heartbeat", daemon=True)
        self._beat.start()
        self.ready.set()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        return self.ready.wait(timeout)

    def enqueue_sync(self, sync_id: int, mode: str = "incremental") -> bool:
        """Queue a run of `sync_id`; False when one is already queued or running."""
        if not self.wait_ready():
            raise RuntimeError("the engine did not start")
        self.work_came()
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

        self.work_came()
        with SetWorkflowID(f"action-{action_id}"):
            self._action_queue.enqueue(action_workflow, action_id)

    # -- queue polls -------------------------------------------------------------------------------

    def work_came(self) -> None:
        """Work was enqueued or started: the queues poll at the busy interval (from their next poll)."""
        self._last_work = time.monotonic()
        if self.poll_seconds != POLL_BUSY_SECONDS:
            self._set_polls(POLL_BUSY_SECONDS)

    def poll_less_when_idle(self) -> None:
        """After IDLE_AFTER_SECONDS without work (and no run in flight), the idle interval."""
        if (
            self.adaptive_polls
            and self.poll_seconds == POLL_BUSY_SECONDS
            and _running == 0
            and time.monotonic() - self._last_work >= IDLE_AFTER_SECONDS
        ):
            self._set_polls(POLL_IDLE_SECONDS)

    def _set_polls(self, seconds: float) -> None:
        with self._poll_guard:
            if self.poll_seconds == seconds:
                return
            try:  # DBOS's queue worker reads the queue's row before each wait
                for queue in (self._sync_queue, self._action_queue):
                    queue.set_polling_interval_sec(seconds)
            except Exception as exc:  # the database is busy or away: the next call tries again
                log.warning("could not set the queues' poll interval: %s", type(exc).__name__)
                return
            self.poll_seconds = seconds

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

    # -- heartbeat and janitor ---------------------------------------------------------------------

    def _beat_loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat_once()
                self.janitor_once()
                self.poll_less_when_idle()
            except Exception as exc:  # the database is down or restarting: try again next beat
                if self._connected_since is not None:
                    log.warning("heartbeat failed: %s", type(exc).__name__)
                self._connected_since = None

    def beat_once(self) -> None:
        with self.ctx.engine.begin() as conn:
            alive = worker_store.beat(conn, self.executor_id, _running)
        if not alive:  # a janitor judged this process dead (a long pause): come back
            log.warning("worker %s was judged dead by another process; registering again", self.executor_id)
            self.register()
        if self._connected_since is None:
            self._connected_since = time.monotonic()

    def janitor_once(self) -> list[str]:
        """Move the runs of workers that stopped beating; returns the workflow ids moved.

        Only once this process has itself been connected for DEAD_AFTER_SECONDS: after a database
        outage every beat is old, and live workers must get the time to beat again first."""
        since = self._connected_since
        if since is None or time.monotonic() - since < DEAD_AFTER_SECONDS:
            return []
        moved: list[str] = []
        with self.ctx.engine.connect() as conn:
            dead = worker_store.stale(conn, DEAD_AFTER_SECONDS, exclude=self.executor_id)
        for worker in dead:
            with self.ctx.engine.begin() as conn:
                if not worker_store.claim_dead(conn, worker):
                    continue  # it beat again, or another janitor took it
            moved += self.take_over(worker.executor_id)
        return moved

    def take_over(self, dead_executor: str) -> list[str]:
        """Cancel and resume (on this process's queues) the PENDING workflows of `dead_executor`."""
        pending = DBOS.list_workflows(
            status="PENDING", executor_id=dead_executor, load_input=False, load_output=False
        )
        moved = []
        if pending:
            self.work_came()
        for wf in pending:
            queue = ACTION_QUEUE if (wf.name or "").endswith("action_workflow") else SYNC_QUEUE
            DBOS.cancel_workflow(wf.workflow_id)
            DBOS.resume_workflow(wf.workflow_id, queue_name=queue)
            moved.append(wf.workflow_id)
        with self.ctx.engine.begin() as conn:
            worker_store.abandon_runs(
                conn,
                dead_executor,
                f"worker {dead_executor} stopped beating; its run was moved to another worker",
            )
            worker_store.unregister(conn, dead_executor)
        self.taken_over.append(dead_executor)
        log.warning("worker %s stopped beating: moved %d run(s)", dead_executor, len(moved))
        return moved

    def shutdown(self) -> None:
        global _runs, _engine
        self._stop.set()
        _engine = None
        if self.ready.is_set():
            DBOS.destroy(workflow_completion_timeout_sec=0)
        if _runs is not None:
            _runs.close()
            _runs = None
        try:  # runs cut by this stop go to a live worker at its janitor's next pass (or to our restart)
            with self.ctx.engine.begin() as conn:
                worker_store.mark_stopped(conn, self.executor_id)
        except Exception:  # the database is gone: the row ages and a janitor takes it anyway
            pass
