"""Reader threads for the API's hot reads (a page of `GET /records`), off the event loop, cheaply.

`asyncio.to_thread` plus a pooled SQLAlchemy connection cost ~130 us of CPU a call (a context copy,
two futures chained, the pool's checkout and reset), a tenth of a page's whole cost. Here a few
threads take calls from one C queue and answer through `call_soon_threadsafe`; on SQLite each
thread holds its own connection for good (WAL: readers never block the writer, and a statement's
read snapshot ends with it, so a held connection does not hold back checkpoints). On PostgreSQL a
call checks a connection out of the engine's pool (pre-ping: a restarted database is survived).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")


@dataclass
class DriverConnection:
    """A DBAPI connection (sqlite3 or psycopg) with its SQLAlchemy dialect, for statements that are
    compiled once per dialect and run on the driver's cursor (storage/records.py)."""

    driver: Any
    dialect: sa.Dialect


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Readers:
    """`await readers.run(fn)` calls `fn(DriverConnection)` in one of `threads` reader threads."""

    def __init__(self, engine: sa.Engine, threads: int | None = None) -> None:
        if threads is None:  # one a core, 2 to 4: on 2 cores, 2 served more pages than 1 or 4 (A/B)
            threads = min(4, max(2, os.cpu_count() or 2))
        self.engine = engine
        self._held = engine.dialect.name == "sqlite"
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"nango-reader-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, fn: Callable[[DriverConnection], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((future, loop, fn))
        return await future

    def close(self) -> None:
        for _ in self._threads:
            self._calls.put(None)

    def _serve(self) -> None:
        held = None
        try:
            while (call := self._calls.get()) is not None:
                future, loop, fn = call
                try:
                    if self._held:
                        if held is None:
                            held = self.engine.raw_connection()
                        result = fn(DriverConnection(held.driver_connection, self.engine.dialect))
                    else:
                        pooled = self.engine.raw_connection()
                        try:
                            result = fn(DriverConnection(pooled.driver_connection, self.engine.dialect))
                        finally:
                            pooled.close()
                    outcome: tuple[Any, BaseException | None] = (result, None)
                except BaseException as exc:  # handed to the awaiting handler, raised there
                    outcome = (None, exc)
                try:
                    loop.call_soon_threadsafe(_settle, future, *outcome)
                except RuntimeError:  # the loop has closed (the server is stopping)
                    pass
        finally:
            if held is not None:
                held.close()
