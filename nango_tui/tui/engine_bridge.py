"""The dev engine (`watch.DevEngine`) run off the app's event loop, its updates coalesced.

The engine gets a thread and an event loop of its own, so its checks never delay a key press.
Each update becomes a `DiagnosticsSnapshot`; while one waits to be handled, a newer one
replaces it instead of queueing behind it (a burst of saves costs the screen one redraw).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from nango_tui.tui.messages import DiagnosticsSnapshot, DiagnosticsUpdated


class EngineBridge:
    """`run()` blocks (call it in a thread worker) until `stop()`; `take()` gives the newest update."""

    def __init__(self, root: Path, post: Callable[[DiagnosticsUpdated], object]) -> None:
        self.root = root
        self._post = post
        self._pending: DiagnosticsSnapshot | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_requested = False
        self.running = False

    def run(self) -> None:
        """Run the engine until `stop()`; its exceptions propagate to the caller."""
        asyncio.run(self._main())

    async def _main(self) -> None:
        from nango_tui import workflows

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested:
            return
        self.running = True
        try:
            async with workflows.dev_engine(self.root) as engine:
                updates = engine.updates().__aiter__()
                stopped = asyncio.ensure_future(self._stop.wait())
                while True:
                    following = asyncio.ensure_future(updates.__anext__())
                    done, _ = await asyncio.wait({following, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    if stopped in done:
                        following.cancel()
                        break
                    try:
                        update = following.result()
                    except StopAsyncIteration:
                        break
                    self.deliver(
                        DiagnosticsSnapshot(
                            list(update.diagnostics), list(update.changed), float(update.ms), update.project
                        )
                    )
        finally:
            self.running = False

    def deliver(self, snapshot: DiagnosticsSnapshot) -> None:
        """Keep only the newest snapshot; post a message only when none is waiting."""
        with self._lock:
            waiting = self._pending is not None
            self._pending = snapshot
        if not waiting:
            self._post(DiagnosticsUpdated(snapshot))

    def take(self, fallback: DiagnosticsSnapshot) -> DiagnosticsSnapshot:
        """The newest snapshot (the message's own when none is pending); clears the pending one."""
        with self._lock:
            snapshot, self._pending = self._pending or fallback, None
        return snapshot

    def stop(self) -> None:
        """Ask the engine to stop (from any thread); it ends within one turn of its loop."""
        self._stop_requested = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop closed meanwhile
                pass
