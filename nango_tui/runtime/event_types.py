"""The dryrun events as types (DESIGN.md "Dryrun events"): one TypedDict per `type`.

The runtime emits `request` and `log`, the SDK `batch`, `invalid` and `log`, the dryrun child
the rest; the parent adds "t" (seconds since the start) to each. Standard library only: the
child process imports this before any user code.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

DoneStatus = Literal["ok", "failed", "cancelled"]  # how a run ended


class Location(TypedDict):
    file: str  # relative to the integrations folder
    line: int


class StartEvent(TypedDict):
    type: Literal["start"]
    t: NotRequired[float]
    script: str
    integration: str
    kind: str  # "sync" | "action"
    file: NotRequired[str]
    connection: str
    environment: str
    replay: NotRequired[bool]
    save_responses: NotRequired[bool]
    validation: NotRequired[bool]
    max_records: NotRequired[int | None]
    records_file: NotRequired[str]


class LogEvent(TypedDict):
    type: Literal["log"]
    t: NotRequired[float]
    level: str
    message: str
    source: NotRequired[str]  # "stdout" | "stderr" | "child"


class RequestEvent(TypedDict):
    type: Literal["request"]
    t: NotRequired[float]
    method: str
    url: str  # redacted
    status: int | None  # None: no response (network error, timeout)
    ms: float
    bytes: NotRequired[int]
    attempt: int
    error: NotRequired[str]


class BatchEvent(TypedDict):
    type: Literal["batch"]
    t: NotRequired[float]
    op: Literal["save", "update", "delete"]
    model: str
    n: NotRequired[int]  # the number of records: written by the dryrun runner on the pipe
    records: list[dict[str, Any]]


class InvalidError(TypedDict):
    path: str
    message: str


class InvalidEvent(TypedDict):
    type: Literal["invalid"]
    t: NotRequired[float]
    model: str
    record: Any
    errors: list[InvalidError]


class ResultEvent(TypedDict):
    type: Literal["result"]
    t: NotRequired[float]
    output: Any


class ErrorEvent(TypedDict):
    type: Literal["error"]
    t: NotRequired[float]
    kind: str  # one of dryrun.events.ERROR_KINDS
    message: str
    payload: NotRequired[Any]
    location: NotRequired[Location]
    traceback: NotRequired[str]


class DoneEvent(TypedDict):
    type: Literal["done"]
    t: NotRequired[float]
    status: DoneStatus
    reason: NotRequired[str]
    counts: dict[str, dict[str, int]]  # model -> op -> records
    invalid: dict[str, int]
    records: int
    requests: int
    retries: int
    seconds: float
    peak_rss_kib: NotRequired[int]


Event = (
    StartEvent | LogEvent | RequestEvent | BatchEvent | InvalidEvent | ResultEvent | ErrorEvent | DoneEvent
)

#: What an emitter takes: an event built by a typed constructor, or a dict built in place (the
#: runtime's and the SDK's `request`/`log`/`batch`) or read back from JSON.
EventLike = Event | dict[str, Any]
