"""Build a RunContext for runtime/sdk tests: events collected in a list, retry waits recorded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from nango_tui.runtime.connections import Connection, Credentials
from nango_tui.runtime.context import RunContext

TOKEN = "tok_SuperSecret_0123456789"
REFRESH = "rft_AlsoSecret_9876543210"


class Events(list):
    """The events a run emitted, with helpers; `waits` are the retry waits asked for (not slept)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    async def record_wait(self, seconds: float) -> None:
        """The run's `sleep`: remember the wait, yield to the loop, return at once."""
        self.waits.append(seconds)
        await asyncio.sleep(0)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self if e.get("type") == kind]

    def text(self) -> str:
        return json.dumps(self, default=str)


def make_ctx(
    base_url: str | None,
    *,
    credentials: Credentials | None = None,
    provider: str = "unauthenticated",
    root: Path | None = None,
    connection: Connection | None = None,
    **options: Any,
) -> tuple[RunContext, Events]:
    events = Events()
    conn = connection or Connection(
        id="test-conn",
        integration="test-integration",
        provider=provider,
        base_url=base_url,
        credentials=credentials or Credentials("OAUTH2", access_token=TOKEN),
    )
    options.setdefault("backoff_base", 0.01)
    options.setdefault("max_wait", 2.0)
    options.setdefault("http_timeout", 5.0)
    options.setdefault("sleep", events.record_wait)
    ctx = RunContext(
        root=root or Path("."),
        integration=conn.integration,
        script_name="test-script",
        kind=options.pop("kind", "sync"),
        environment="dev",
        connection=conn,
        emit=events.append,
        **options,
    )
    return ctx, events
