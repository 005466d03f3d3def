"""The dev engine: watch an integrations folder and keep the full problem list current.

    async with DevEngine(root) as engine:
        engine.current                     # the latest DevUpdate
        async for update in engine.updates():
            ...                            # the current state first, then one per change

Checks run in a worker thread (`asyncio.to_thread`), never on the event loop. Only the worker
thread touches the engine's check state; the event loop only collects changed paths and
publishes finished updates.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchfiles import Change, awatch

from nango_tui.check import (
    SCRIPT_FOLDERS,
    ScriptChecker,
    discover_scripts,
    is_ignored_name,
    project_diagnostics,
    role_for,
    script_location,
)
from nango_tui.config import CONFIG_FILE, Diagnostic, Project, load_project, sort_key

from .codegen_hook import run_generate

MODELS_FILE = "models.py"
#: a batch this big is probably the start of a burst (git checkout, unzip): wait for it to end
BURST_CHANGES = 20
#: how long a deletion waits for the file to come back (an editor's save by rename)
DELETE_GRACE_SECONDS = 0.03
#: publish even if changes never stop arriving, so the screen does not freeze
MAX_HOLD_SECONDS = 1.0


@dataclass(frozen=True)
class DevUpdate:
    """The full problem list after a change, the files that triggered it, and how long it took."""

    diagnostics: list[Diagnostic]
    changed: list[str]
    ms: float
    project: Project | None  # None while nango.yaml has errors
    generated: list[str] = field(default_factory=list)  # files generate wrote for this update
    seq: int = 0  # 0 for the initial compile, then 1, 2, ...

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors

    def to_json(self) -> dict[str, Any]:
        """The `dev --json` line (DESIGN.md)."""
        return {
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "changed": list(self.changed),
            "ms": round(self.ms, 1),
        }


class DevEngine:
    """Watches `root`; every change ends in a DevUpdate with the complete, current diagnostics."""

    def __init__(self, root: Path, debounce_ms: int = 50, step_ms: int = 10) -> None:
        self.root = Path(root).resolve()
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.current: DevUpdate | None = None
        self.failed: str | None = None  # why watching stopped, when it failed
        self.last_good_project: Project | None = None
        # check state, touched by the worker thread only
        self._checker = ScriptChecker(self.root)
        self._config_diags: list[Diagnostic] = []
        self._generate_diags: list[Diagnostic] = []
        self._config_ok = False
        self._script_diags: dict[str, list[Diagnostic]] = {}
        self._own_writes: dict[str, bytes] = {}
        self._internal: list[Diagnostic] = []
        # event-loop state
        self._known_dirs: set[str] = set()
        self._pending: dict[str, float] = {}
        self._batches = 0
        self._seq = 0
        self._subscribers: list[asyncio.Queue[DevUpdate | None]] = []
        self._stop: asyncio.Event | None = None
        self._wake = asyncio.Event()  # bound to the loop on first use (start() makes a fresh one)
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start watching, then publish the initial full compile (changed == [])."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root} is not a folder")
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        watcher = asyncio.create_task(self._watch(), name="nango-dev-watch")
        self._tasks.append(watcher)
        # let awatch set its watches up first, so nothing written during the compile is missed
        for _ in range(3):
            await asyncio.sleep(0)
        started = time.time()
        try:
            generated = await asyncio.to_thread(self._refresh, None)
        except BaseException:  # cancelled (Ctrl-C) or failed: do not leave the watcher running
            await self.stop()
            raise
        self._publish([], generated, started)
        self._tasks.append(asyncio.create_task(self._process_loop(), name="nango-dev-process"))

    async def stop(self) -> None:
        """Stop watching; `updates()` iterators end."""
        if self._stop is not None:
            self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        for queue in self._subscribers:
            queue.put_nowait(None)

    async def __aenter__(self) -> DevEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def updates(self) -> UpdateStream:
        """The current state first (when there is one), then every update as it is published.

        An async iterator; cancelling a wait on it (e.g. `asyncio.wait_for(anext(stream), 1)`)
        loses nothing. It ends when the engine stops; `close()` unsubscribes earlier.
        """
        return UpdateStream(self)

    # -- watching (event loop) ---------------------------------------------------------------
    def _rel(self, path: str) -> str | None:
        prefix = str(self.root) + os.sep
        if not path.startswith(prefix):
            return None
        return path[len(prefix) :].replace(os.sep, "/")

    def _wanted(self, change: Change, path: str) -> bool:
        """Config, models.py, script files, and folders on the way to scripts; no editor litter."""
        rel = self._rel(path)
        if not rel:
            return False
        parts = rel.split("/")
        if any(is_ignored_name(p) for p in parts):
            return False
        if rel in (CONFIG_FILE, MODELS_FILE) or script_location(rel):
            return True
        if len(parts) == 1 and rel.endswith(".py"):  # a module of the folder that scripts may import
            return True
        if len(parts) <= 2:  # an integration folder or its syncs/ actions/ on-events/ folder
            return rel in self._known_dirs if change == Change.deleted else os.path.isdir(path)
        return False

    async def _watch(self) -> None:
        try:
            await self._watch_changes()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # e.g. the folder was removed, or too many files to watch
            self.failed = f"stopped watching {self.root}: {err}"
            self._internal = [
                Diagnostic(
                    CONFIG_FILE,
                    1,
                    1,
                    "error",
                    "watch_failed",
                    self.failed,
                    hint="fix the cause and start `dev` again",
                )
            ]
            if self.current is not None:
                self._publish([], [], time.time())
            for queue in self._subscribers:
                queue.put_nowait(None)

    async def _watch_changes(self) -> None:
        async for changes in awatch(
            self.root,
            watch_filter=self._wanted,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=self._stop,
            rust_timeout=2_000,
        ):
            now = time.time()
            for _, path in changes:
                rel = self._rel(path)
                if rel:
                    self._pending.setdefault(rel, now)
            self._batches += 1
            self._wake.set()

    async def _process_loop(self) -> None:
        held_changed: set[str] = set()
        held_generated: list[str] = []
        held_since: float | None = None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if len(self._pending) >= BURST_CHANGES:
                await self._settle()
            elif any(not os.path.lexists(self.root / rel) for rel in self._pending):  # noqa: ASYNC240 (lstat of a few paths)
                # a file is gone: maybe an editor's rename dance (vim, JetBrains) whose new file
                # follows within moments; one short wait saves an update that shows it missing
                await asyncio.sleep(DELETE_GRACE_SECONDS)
            batch, self._pending = self._pending, {}
            if not batch:
                continue
            started = min(batch.values())
            try:
                relevant, generated = await asyncio.to_thread(self._apply, batch)
                self._internal = []
            except Exception as err:  # a bug must not kill the watcher: show it and go on
                relevant, generated = list(batch), []
                self._internal = [
                    Diagnostic(
                        sorted(batch)[0],
                        1,
                        1,
                        "error",
                        "internal_error",
                        f"nango-tui failed to check this change: {err!r}",
                    )
                ]
            if not relevant and not held_changed:
                continue
            held_changed.update(relevant)
            held_generated.extend(generated)
            held_since = started if held_since is None else min(held_since, started)
            # more changes came in while checking: fold them into one update, unless held too long
            if self._pending and time.time() - held_since < MAX_HOLD_SECONDS:
                self._wake.set()
                continue
            self._publish(sorted(held_changed), held_generated, held_since, mtimes=True)
            held_changed, held_generated, held_since = set(), [], None

    async def _settle(self) -> None:
        """Wait until a burst of changes has been quiet for a moment (at most MAX_HOLD_SECONDS)."""
        quiet = max(self.debounce_ms, 60) / 1000
        deadline = time.monotonic() + MAX_HOLD_SECONDS
        seen = self._batches
        while time.monotonic() < deadline:
            await asyncio.sleep(quiet)
            if self._batches == seen:
                return
            seen = self._batches

    def _publish(
        self, changed: list[str], generated: list[str], started: float, mtimes: bool = False
    ) -> None:
        if mtimes:
            started = self._first_write(changed, started)
        project = self.last_good_project if self._config_ok else None
        self.current = DevUpdate(
            self._all_diagnostics(),
            changed,
            max(0.0, (time.time() - started) * 1000),
            project,
            list(generated),
            self._seq,
        )
        self._seq += 1
        for queue in self._subscribers:
            queue.put_nowait(self.current)

    def _first_write(self, changed: list[str], noticed: float) -> float:
        """When the change happened: the oldest recent modification time among the changed files."""
        earliest = noticed
        for rel in changed:
            try:
                mtime = os.stat(self.root / rel).st_mtime
            except OSError:
                continue
            if noticed - 5 < mtime < earliest:
                earliest = mtime
        return earliest

    # -- checking (worker thread) ------------------------------------------------------------
    def _apply(self, batch: dict[str, float]) -> tuple[list[str], list[str]]:
        """Bring the state up to date with the changed paths; return (relevant paths, generated)."""
        relevant = []
        for rel in batch:
            expected = self._own_writes.pop(rel, None)
            if expected is not None and _read(self.root / rel) == expected:
                continue  # our own generate's write coming back: nothing new
            relevant.append(rel)
        if not relevant:
            return [], []
        generated = self._refresh(relevant)
        return relevant, generated

    def _refresh(self, changed: list[str] | None) -> list[str]:
        """Re-validate / regenerate / re-check what `changed` affects (None: everything)."""
        generated: list[str] = []
        config_changed = changed is None or CONFIG_FILE in changed
        if config_changed:
            generated = self._reload_config()
        if changed is not None and not config_changed and all(script_location(rel) for rel in changed):
            for rel in changed:
                if (self.root / rel).is_file():
                    self._script_diags[rel] = self._checker.check_file(
                        rel, role_for(rel, self.last_good_project)
                    )
                else:
                    self._script_diags.pop(rel, None)
                    self._checker.forget(rel)
            return generated
        # structure, config or models changed: look at every script; unchanged ones hit the cache
        self._checker.rescan_local_modules()
        scripts = discover_scripts(self.root)
        self._known_dirs = _script_dirs(self.root)
        for gone in set(self._script_diags) - set(scripts):
            del self._script_diags[gone]
            self._checker.forget(gone)
        for rel in scripts:
            self._script_diags[rel] = self._checker.check_file(rel, role_for(rel, self.last_good_project))
        return generated

    def _reload_config(self) -> list[str]:
        loaded = load_project(self.root)
        self._config_diags = list(loaded.diagnostics)
        self._config_ok = loaded.project is not None
        if loaded.project is None:
            return []  # keep the last good project and models.py while nango.yaml is broken
        self.last_good_project = loaded.project
        generated = run_generate(self.root, loaded.project)
        self._generate_diags = generated.diagnostics
        for rel in generated.written:
            content = _read(self.root / rel)
            if content is not None:
                self._own_writes[rel] = content
        return generated.written

    def _all_diagnostics(self) -> list[Diagnostic]:
        diags = self._config_diags + self._internal
        if self._config_ok:
            diags.extend(self._generate_diags)
        diags.extend(
            project_diagnostics(self.last_good_project if self._config_ok else None, self._script_diags)
        )
        for items in self._script_diags.values():
            diags.extend(items)
        diags.sort(key=sort_key)
        return diags


class UpdateStream:
    """One subscriber's updates, in order, starting with the state when it subscribed."""

    def __init__(self, engine: DevEngine) -> None:
        self._engine = engine
        self._queue: asyncio.Queue[DevUpdate | None] = asyncio.Queue()
        self._first = engine.current
        self._ended = False
        engine._subscribers.append(self._queue)

    def __aiter__(self) -> UpdateStream:
        return self

    async def __anext__(self) -> DevUpdate:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        if self._ended:
            raise StopAsyncIteration
        update = await self._queue.get()
        if update is None:
            self.close()
            raise StopAsyncIteration
        return update

    def close(self) -> None:
        self._ended = True
        if self._queue in self._engine._subscribers:
            self._engine._subscribers.remove(self._queue)

    async def aclose(self) -> None:
        self.close()


def _read(path: Path) -> bytes | None:
    from nango_tui.config.files import read_user_file

    try:
        return read_user_file(path)  # a FIFO or a device is never read (it would block or never end)
    except OSError:
        return None


def _script_dirs(root: Path) -> set[str]:
    """Integration folders and their script folders (a deleted path can no longer say it was a folder)."""
    found: set[str] = set()
    try:
        entries = [e for e in os.scandir(root) if e.is_dir() and not is_ignored_name(e.name)]
    except OSError:
        return found
    for entry in entries:
        found.add(entry.name)
        found.update(
            f"{entry.name}/{f}" for f in SCRIPT_FOLDERS if os.path.isdir(os.path.join(entry.path, f))
        )
    return found
