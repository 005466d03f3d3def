"""RunContext: everything one run of a script needs from the outside world.

The dryrun builds one per run (in the child process) and hands it to `NangoSync(ctx)` /
`NangoAction(ctx)`. A future deploy runtime builds the same object for its own runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .event_types import EventLike

if TYPE_CHECKING:  # pragma: no cover
    from .connections import Connection
    from .recording import Recorder, Replayer
    from .redaction import Redactor


@dataclass
class RunContext:
    """One run of one script against one connection.

    `emit` receives event dicts shaped as DESIGN.md "Dryrun events" (without "t": the emitter
    adds it). `models` maps model names to pydantic classes (models.py `MODELS`); `outputs` are
    the sync's output model names (for an action: its output, possibly empty). `metadata`, when
    not None, stubs the connection's metadata. `recorder` records every HTTP exchange
    (`--save-responses`); `replayer` answers every request from saved responses (`--replay`):
    with a replayer no request reaches the network and no credential is used.
    """

    root: Path
    integration: str
    script_name: str
    kind: str  # "sync" | "action"
    environment: str
    connection: Connection
    emit: Callable[[EventLike], None]
    models: dict[str, type] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    last_sync_date: datetime | None = None
    metadata: dict[str, Any] | None = None
    validation: bool = False
    max_records: int | None = None
    track_deletes: bool = (
        False  # nango.yaml's track_deletes: the run reports what the previous one had and it lacks
    )
    variant: str = "base"
    server_run: bool = False  # a run of the runtime server (dryrun.request.DryrunRequest.server_run)
    checkpoint: dict[str, Any] | None = None  # the sync's checkpoint when the run starts (a server run)
    recorder: Recorder | None = None
    replayer: Replayer | None = None

    # HTTP tuning (defaults suit real APIs; tests shrink them)
    http_timeout: float = 60.0  # seconds per request (connect, read, write, pool)
    http_deadline: float = 600.0  # seconds for one whole exchange (redirects and body included)
    default_retries: int = 0  # Nango's default when a call gives no `retries`
    backoff_base: float = 1.0  # seconds before the first retry; doubles each attempt, with jitter
    max_wait: float = 120.0  # cap on one wait (Retry-After or rate-limit reset included)
    environment_variables: dict[str, str] | None = None  # overrides the connection source's
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # retry waits (tests pass a recorder)

    # filled in __post_init__
    redactor: Redactor = field(init=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)  # free slot for the host

    def __post_init__(self) -> None:
        from .redaction import Redactor

        self.root = Path(self.root)
        self.redactor = Redactor.for_connection(self.connection)

    def redact(self, value: Any) -> Any:
        """`value` (text, or JSON-like data) with every secret of the connection replaced by ***."""
        return self.redactor.redact_value(value)
