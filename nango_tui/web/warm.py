"""A workbench started before the browser asks for one, so a new tab draws at once.

textual-serve starts the app when the websocket connects, so every tab waits for Python and
Textual to start (most of a second on a quiet machine, several on a busy one). `SparePool`
keeps one workbench started ahead (at 80x24); `WarmAppService` adopts it on connect, tells it
the browser's size, and the pool starts the next one. A spare that died is skipped (a cold
start then). This overrides `AppService._open_app_process` of textual-serve 1.1.3 (pinned).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from asyncio.subprocess import Process
from collections.abc import Iterable
from typing import Any

from textual_serve.app_service import AppService

START_WAIT = 30.0  # seconds a tab waits for the spare being started before starting its own


class WarmAppService(AppService):
    """An AppService that adopts a spare workbench process when one is ready."""

    def __init__(self, *args: Any, spare: Process | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spare = spare
        self.adopted = False

    @property
    def process(self) -> Process | None:
        """The tab's workbench process (textual-serve keeps it private)."""
        return self._process

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        spare = self.spare
        if spare is not None and spare.returncode is None and spare.stdin is not None:
            self._process = spare
            self._stdin = spare.stdin
            self.adopted = True
            await self.set_terminal_size(width, height)
            return spare
        return await super()._open_app_process(width, height)


class SparePool:
    """Keeps one workbench process started ahead of the next browser tab."""

    def __init__(self, command: str, debug: bool = False) -> None:
        self.command = command
        self.debug = debug
        self.spare: Process | None = None
        self.starting: asyncio.Task[None] | None = None

    async def _start(self) -> None:
        service = AppService(
            self.command,
            write_bytes=_nowhere,
            write_str=_nowhere,
            close=_nothing,
            download_manager=None,  # type: ignore[arg-type]  # never used: only the process is taken
            debug=self.debug,
        )
        self.spare = await service._open_app_process(80, 24)

    def refill(self) -> None:
        """Start the next spare in the background (one at a time)."""
        if self.starting is None or self.starting.done():
            self.starting = asyncio.create_task(self._start())

    async def take(self) -> Process | None:
        """The spare (waiting for one being started: it is further along than a new one), then start another."""
        if self.starting is not None and not self.starting.done():
            with contextlib.suppress(asyncio.TimeoutError, OSError):
                await asyncio.wait_for(asyncio.shield(self.starting), START_WAIT)
        spare, self.spare = self.spare, None
        self.refill()
        if spare is None or spare.returncode is not None:
            return None
        return spare

    async def close(self) -> None:
        """End the spare that no tab took."""
        if self.starting is not None:
            self.starting.cancel()
            with contextlib.suppress(BaseException):
                await self.starting
        spare, self.spare = self.spare, None
        if spare is not None and spare.returncode is None and spare.stdin is not None:
            # the quit packet a tab's workbench gets when its tab closes
            with contextlib.suppress(OSError, RuntimeError):
                spare.stdin.write(AppService.encode_packet(b"M", json.dumps({"type": "quit"}).encode()))
                spare.stdin.close()
        await end_processes([spare])


async def end_processes(processes: Iterable[Process | None], grace: float = 3.0) -> None:
    """End workbenches still running after their tab closed (or the spare no tab took): `grace`
    seconds to exit on their own (the quit message is on its way), then SIGTERM, then SIGKILL.
    Nothing `web` started outlives it (a workbench a tab had closed was seen running on, orphaned)."""
    alive = [p for p in processes if p is not None and p.returncode is None]
    for signal_name in ("wait", "terminate", "kill"):
        if signal_name != "wait":
            for process in alive:
                with contextlib.suppress(ProcessLookupError):
                    getattr(process, signal_name)()
        waits = [asyncio.wait_for(process.wait(), grace) for process in alive]
        results = await asyncio.gather(*waits, return_exceptions=True)
        alive = [p for p, r in zip(alive, results) if isinstance(r, BaseException) and p.returncode is None]
        if not alive:
            return


async def _nowhere(_data: Any) -> None:
    return None


async def _nothing() -> None:
    return None
