"""One run of a deployed sync or action, in a child process through `nango_tui.dryrun`.

A sync's `batch` events go to the records cache as they arrive; `last_sync_date` moves to the
run's start only when the run succeeds; a failed run keeps the records it saved and moves nothing
else (RUNTIME.md §2). The child reaches its connection through this server's own
`GET /connection/:id` (NANGO_HOSTPORT and the environment's key are in its environment).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import db, materialize, timeutil
from .runlock import LockLost, SyncLock
from .storage import connections as conns
from .storage import deployments as deps
from .storage import environments as envs
from .storage import records as recs
from .storage import syncs as sync_store
from .vault import Vault

LOG_LINES = 500  # log lines kept per run
SYNC_TIMEOUT = 6 * 3600.0
ACTION_TIMEOUT = 15 * 60.0
CHECKPOINT_MAX_BYTES = 64 * 1024 + 1024  # the SDK's bound, with room for re-encoding


@dataclass
class RunContext:
    """What a run needs from the server process."""

    engine: sa.Engine
    vault: Vault
    data_dir: Path
    base_url: str  # this server, for the child's connection lookups
    webhook_timeout: float = 10.0
    executor_id: str = "local"  # this process's DBOS executor (its runs are marked with it)
    zygote: Callable[[], Any] | None = None  # the warm process to fork runs from (engine.RunLoop)


@dataclass
class SyncOutcome:
    status: str  # SUCCESS | ERROR | SKIPPED
    run_id: int | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error: str | None = None


def _child_env(ctx: RunContext, environment: str, key: str) -> dict[str, str]:
    return {"NANGO_HOSTPORT": ctx.base_url, f"NANGO_SECRET_KEY_{environment.upper()}": key}


async def run_sync(
    ctx: RunContext, sync_id: int, mode: str = "incremental", workflow_id: str | None = None
) -> SyncOutcome:
    """Run sync `sync_id` once (mode: incremental | full_refresh | full_refresh_and_clear_cache).

    SKIPPED when another run of the sync holds its lock (on any process sharing the database)."""
    lock = SyncLock(ctx.engine, sync_id)
    if not await asyncio.to_thread(lock.acquire):
        return SyncOutcome("SKIPPED", error="another run of this sync is in progress")
    try:
        return await _run_sync_locked(ctx, sync_id, mode, workflow_id, lock)
    finally:
        await asyncio.to_thread(lock.release)


def _log(message: str) -> None:
    import logging

    logging.getLogger("nango_tui.server").warning(message)


async def _run_sync_locked(
    ctx: RunContext, sync_id: int, mode: str, workflow_id: str | None, lock: SyncLock
) -> SyncOutcome:
    from nango_tui.dryrun import DryrunRequest, DryrunSetupError, start_dryrun

    engine = ctx.engine

    def setup() -> tuple[Any, SyncOutcome | None]:
        with engine.begin() as conn:
            sync = sync_store.get(conn, sync_id)
            if sync is None or sync.state == "DELETED":
                return None, SyncOutcome("SKIPPED", error="the sync was removed")
            script = deps.active_script(conn, sync.environment_id, sync.integration, sync.name, "sync")
            connection = conns.by_pk(conn, None, sync.connection_pk)
            if script is None or connection is None:
                return None, SyncOutcome("SKIPPED", error="the sync's script or connection is gone")
            environment = conn.execute(
                sa.text("SELECT name FROM environments WHERE id = :i"), {"i": sync.environment_id}
            ).scalar_one()
            key = envs.secret_key(conn, ctx.vault, sync.environment_id)
            models = json.loads(script.models)
            if mode in ("full_refresh", "full_refresh_and_clear_cache"):
                sync_store.reset_last_sync_date(conn, sync.id)  # and the checkpoint
                sync.last_sync_date = None
                sync.checkpoint = None
            if mode == "full_refresh_and_clear_cache":
                recs.clear(conn, sync.connection_pk, models)
            run_id, started_at = sync_store.start_run(
                conn, sync, script.id, mode, workflow_id, ctx.executor_id
            )
        return (sync, script, connection, environment, key, models, run_id, started_at), None

    # every database call goes to a thread: the runs of this process share one event loop
    prepared, skipped = await asyncio.to_thread(db.retrying, setup, "starting a run", log=_log)
    if skipped is not None:
        return skipped
    sync, script, connection, environment, key, models, run_id, started_at = prepared
    logs: deque[str] = deque(maxlen=LOG_LINES)
    totals: dict[str, recs.Counts] = {m: recs.Counts() for m in models}
    outdated: set[str] = set()  # models the script asked to delete_records_from_previous_executions
    error: str | None = None
    status = "failed"
    try:
        folder = await asyncio.to_thread(materialize.script_folder, engine, ctx.data_dir, script.id)
        request = DryrunRequest(
            root=folder,
            name=script.name,
            connection_id=connection.connection_id,
            environment=environment,
            integration=script.integration,
            last_sync_date=timeutil.parse(sync.last_sync_date) if sync.last_sync_date else None,
            replay=True if connection.replay else None,
            timeout=SYNC_TIMEOUT,
            extra_env=_child_env(ctx, environment, key),
            server_run=True,
            checkpoint=sync.checkpoint,
        )
        run = await start_dryrun(request, zygote=ctx.zygote() if ctx.zygote else None)
        async with run:
            async for event in run.events():
                kind = event.get("type")
                if kind == "checkpoint":
                    await asyncio.to_thread(_store_checkpoint, lock, engine, sync.id, event.get("checkpoint"))
                elif kind == "delete_outdated":
                    model = str(event.get("model"))
                    if model in models:
                        outdated.add(model)
                    else:
                        logs.append(
                            f"[warn] delete_records_from_previous_executions: {model} is not an output of this sync"
                        )
                elif kind == "batch":
                    # in a thread, so this loop's reader keeps draining the child meanwhile:
                    # the child makes the next records while the database stores these
                    await asyncio.to_thread(_store_batch, lock, engine, sync, run_id, event, totals)
                elif kind == "log":
                    logs.append(f"[{event.get('level', 'info')}] {event.get('message', '')}")
                elif kind == "error":
                    error = str(event.get("message") or event.get("kind"))
                    logs.append(f"[error] {error}")
                elif kind == "done":
                    status = event.get("status", "failed")
                    if status != "ok" and not error:
                        error = str(event.get("reason") or status)
    except DryrunSetupError as exc:
        error = str(exc)
    except LockLost as exc:
        error = str(exc)
    except Exception as exc:  # the run fails; the server goes on
        error = f"{type(exc).__name__}: {exc}"
    counts = {m: c.public() for m, c in totals.items()}
    if status == "ok":
        try:
            await asyncio.to_thread(lock.check)
        except LockLost as exc:
            status, error = "failed", str(exc)

    def finish() -> None:
        with engine.begin() as conn:
            _finish(conn)

    saved = {m: dict(c) for m, c in counts.items()}

    def _finish(conn: sa.Connection) -> None:
        counts.clear()  # a retried transaction starts again from what the batches saved
        counts.update({m: dict(c) for m, c in saved.items()})
        if status == "ok":  # deletes of what this run did not see: only once it has ended well
            for model in models if script.track_deletes else [m for m in models if m in outdated]:
                gone = recs.delete_outdated(conn, sync.connection_pk, model, sync_id=sync.id, job_id=run_id)
                counts.setdefault(model, {"added": 0, "updated": 0, "deleted": 0})["deleted"] += gone
            sync_store.mark_success(conn, sync.id, started_at)
        sync_store.finish_run(
            conn,
            run_id,
            status="SUCCESS" if status == "ok" else "ERROR",
            result=counts,
            error=error if status != "ok" else None,
            logs="\n".join(logs),
        )
        sync_store.prune_runs(conn, sync.id)

    await asyncio.to_thread(db.retrying, finish, "finishing a run", log=_log)
    outcome = SyncOutcome("SUCCESS" if status == "ok" else "ERROR", run_id, counts, error)
    from . import webhooks

    await webhooks.after_sync(ctx, sync, connection, script, started_at, outcome)
    return outcome


def _store_checkpoint(lock: SyncLock, engine: sa.Engine, sync_id: int, checkpoint: Any) -> None:
    lock.check()
    if checkpoint is not None and not isinstance(checkpoint, dict):
        return  # the SDK sends a dict or None; anything else did not come from it
    if checkpoint is not None and len(json.dumps(checkpoint)) > CHECKPOINT_MAX_BYTES:
        return

    def store() -> None:
        with engine.begin() as conn:
            sync_store.save_checkpoint(conn, sync_id, checkpoint)

    db.retrying(store, "saving a checkpoint", log=_log)


def _store_batch(
    lock: SyncLock,
    engine: sa.Engine,
    sync: sync_store.SyncRow,
    run_id: int,
    event: dict[str, Any],
    totals: dict[str, recs.Counts],
) -> None:
    """One transaction a batch; while the database is unreachable, wait and try again (the child
    waits on its pipe meanwhile), so a database restart costs a pause, not the run."""
    lock.check()
    model = str(event.get("model"))
    batch = event.get("records") or []
    op = {"save": recs.save, "update": recs.update, "delete": recs.delete}.get(str(event.get("op")))
    if op is None:
        return

    def store() -> recs.Counts:
        with engine.begin() as conn:
            return op(conn, sync.connection_pk, model, batch, sync_id=sync.id, job_id=run_id)

    counts = db.retrying(store, "saving a batch", log=_log)
    totals.setdefault(model, recs.Counts()).add(counts)


# -- actions ---------------------------------------------------------------------------------------


@dataclass
class ActionOutcome:
    ok: bool
    output: Any = None
    status_code: int = 200
    error: dict[str, Any] | None = None  # Nango's error body


async def run_action(
    ctx: RunContext, environment_id: int, connection_pk: int, name: str, action_input: Any
) -> ActionOutcome:
    """Run an action once and map its end to Nango's answer (output, or an error body and status)."""
    from nango_tui.dryrun import DryrunRequest, DryrunSetupError, start_dryrun

    def setup() -> tuple[conns.StoredConnection, Any, str, str]:
        with ctx.engine.connect() as conn:
            connection = conns.by_pk(conn, None, connection_pk)
            assert connection is not None  # the request found it a moment ago
            script = deps.active_script(conn, environment_id, connection.provider_config_key, name, "action")
            environment = conn.execute(
                sa.text("SELECT name FROM environments WHERE id = :i"), {"i": environment_id}
            ).scalar_one()
            return connection, script, environment, envs.secret_key(conn, ctx.vault, environment_id)

    connection, script, environment, key = await asyncio.to_thread(setup)
    if script is None:
        return ActionOutcome(
            False, status_code=404, error={"code": "not_found", "message": f"Action {name} not found"}
        )
    output: Any = None
    failure: dict[str, Any] | None = None
    status = "failed"
    try:
        folder = await asyncio.to_thread(materialize.script_folder, ctx.engine, ctx.data_dir, script.id)
        request = DryrunRequest(
            root=folder,
            name=name,
            connection_id=connection.connection_id,
            environment=environment,
            integration=script.integration,
            input=action_input,
            replay=True if connection.replay else None,
            timeout=ACTION_TIMEOUT,
            extra_env=_child_env(ctx, environment, key),
        )
        run = await start_dryrun(request, zygote=ctx.zygote() if ctx.zygote else None)
        async with run:
            async for event in run.events():
                kind = event.get("type")
                if kind == "result":
                    output = event.get("output")
                elif kind == "error" and failure is None:
                    failure = event
                elif kind == "done":
                    status = event.get("status", "failed")
    except DryrunSetupError as exc:
        return ActionOutcome(False, status_code=400, error={"code": "invalid_body", "message": str(exc)})
    if status == "ok":
        return ActionOutcome(True, output)
    return ActionOutcome(False, status_code=_status_for(failure), error=_error_body(failure))


def _status_for(failure: dict[str, Any] | None) -> int:
    if failure and failure.get("kind") == "http":
        return 424
    return 500


def _error_body(failure: dict[str, Any] | None) -> dict[str, Any]:
    if failure and failure.get("kind") == "action_error":
        payload = failure.get("payload")
        if not isinstance(payload, dict):
            payload = {"message": payload}
        return {
            "message": "The action script failed with a runtime error",
            "code": "action_script_runtime_error",
            "payload": payload,
        }
    if failure and failure.get("kind") == "http":
        return {
            "message": failure.get("message"),
            "code": "script_http_error",
            "payload": failure.get("payload") or {},
        }
    message = failure.get("message") if failure else "the action failed"
    return {
        "message": "The action script failed with a runtime error",
        "code": "action_script_runtime_error",
        "payload": {"message": message},
    }
