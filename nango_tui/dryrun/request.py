"""What a dryrun is asked to do, and the error for a request that cannot run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_MEMORY_LIMIT = 2 << 30  # bytes of address space for the child (RLIMIT_AS)


class DryrunSetupError(Exception):
    """A request that cannot start: unknown script, missing connection, invalid input...

    The message is one clear paragraph meant for the user; no child process was started.
    """


@dataclass
class DryrunRequest:
    """One dryrun: which script, which connection, and the run's options.

    `replay` None means auto: replay the saved responses when the connection says `replay: true`.
    `input` and `metadata` are parsed JSON values (the CLI reads `--input JSON|@file`).
    """

    root: Path
    name: str
    connection_id: str
    environment: str = "dev"
    integration: str | None = None
    input: Any = None
    metadata: dict[str, Any] | None = None
    last_sync_date: datetime | None = None
    validation: bool = False
    save_responses: bool = False
    replay: bool | None = None
    max_records: int | None = None
    timeout: float | None = None
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    extra_env: dict[str, str] = field(default_factory=dict)  # added to the child's environment
    webhook: Any = None  # run the sync's webhook handler with this payload instead of fetch_data
    # A run of the runtime server (nango_tui.server): records go only to the event stream (no
    # .nango/runs file); the run starts from `checkpoint` and reports checkpoint and
    # delete-from-previous-executions events for the server to persist; the server applies
    # track_deletes; get_records_by_ids reads the server's records cache.
    server_run: bool = False
    checkpoint: dict[str, Any] | None = None


@dataclass
class ChildSpec:
    """The resolved run, as the child process receives it (JSON on its stdin)."""

    root: str
    integration: str
    name: str
    kind: str  # "sync" | "action"
    script_path: str  # relative to root
    environment: str
    connection_id: str
    outputs: list[str]
    input_type: str | None
    output_type: str | None
    input: Any
    has_input: bool
    metadata: dict[str, Any] | None
    last_sync_date: str | None
    validation: bool
    save_responses: bool
    replay: bool
    max_records: int | None
    timeout: float | None
    memory_limit: int | None
    records_file: str
    mocks_file: str
    started_at: float  # time.time() of the parent's start, so both sides share "t"
    track_deletes: bool = False  # nango.yaml's track_deletes for a sync
    webhook: Any = None  # the payload for a webhook handler run (`--webhook`)
    entry: str | None = None  # the function to call when not the kind's default (on-events, webhooks)
    server_run: bool = False  # see DryrunRequest.server_run
    checkpoint: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildSpec:
        return cls(**data)
