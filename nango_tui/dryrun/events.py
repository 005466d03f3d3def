"""The dryrun event stream: event types, constructors and a running tally.

Every event is a dict with "type" and "t" (seconds since the run started), as DESIGN.md
"Dryrun events" fixes them. This module is imported by the child process too, so it only
uses the standard library and orjson.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final, cast

from nango_tui.runtime.event_types import (
    BatchEvent,
    DoneEvent,
    DoneStatus,
    ErrorEvent,
    Event,
    InvalidEvent,
    Location,
    LogEvent,
    RequestEvent,
    ResultEvent,
    StartEvent,
)

__all__ = [
    "BatchEvent",
    "DoneEvent",
    "DoneStatus",
    "ErrorEvent",
    "Event",
    "InvalidEvent",
    "Location",
    "LogEvent",
    "RequestEvent",
    "ResultEvent",
    "StartEvent",
]

START = "start"
LOG = "log"
REQUEST = "request"
BATCH = "batch"
INVALID = "invalid"
RESULT = "result"
ERROR = "error"
DONE = "done"
EVENT_TYPES = (START, LOG, REQUEST, BATCH, INVALID, RESULT, ERROR, DONE)
# Sent only by the child of a runtime-server run (`server_run`), which its server persists:
CHECKPOINT = "checkpoint"  # {"checkpoint": dict | None}: save_checkpoint / clear_checkpoint
DELETE_OUTDATED = "delete_outdated"  # {"model"}: delete_records_from_previous_executions

# `done` statuses
OK: Final = "ok"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
LIMIT_REACHED = "limit reached"  # the `reason` of a run stopped by max_records

# `error` kinds
ERROR_KINDS = {
    "exception": "the script raised an exception",
    "syntax": "the script does not compile",
    "script": "the script lacks its entry function",
    "exit": "the script called sys.exit or os._exit",
    "timeout": "the run took longer than its timeout",
    "memory": "the script ran out of memory",
    "killed": "the script's process was killed by a signal",
    "crash": "the script's process ended without finishing the run",
    "action_error": "the action raised ActionError",
    "invalid_output": "the action's output does not match its output model",
    "validation": "a record failed validation (--validation)",
    "http": "an HTTP call failed",
    "replay": "a request is not in the saved responses",
    "connection": "the connection could not be used",
    "setup": "models.py or the saved responses could not be loaded in the run",
}

# Records per `batch` event on the pipe at most: big enough for throughput, small enough to keep
# every line (and the parent's memory) bounded.
BATCH_CHUNK = 1000
BATCH_BYTES = 1 << 20  # ...and a line holds more than one record only up to about this many bytes

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
loads = json.loads
RAW = "_raw"  # a batch read without its records (DryrunRun.raw_batches): its line's JSON text, bytes
# Records are encoded with orjson (~6x the stdlib's C encoder a record: the largest part of a
# dryrun's per-record cost): the same JSON as `dumps` gives (NaN and ±Infinity as null, strings
# as they are, UTF-8), with datetimes and dataclasses through `str` as `dumps` does. A value
# orjson refuses (an int beyond 64 bits, a non-string key, a lone surrogate, depth > 254) is
# encoded by `dumps`, so the output never depends on which encoder took it. Numbers may be
# written differently (1e16 vs 1e+16): the same value. orjson is imported by the first call: the
# parent of a run that only passes batches on never needs it (~15 ms of its start-up).


def dumps(value: Any) -> str:
    """One JSON line. NaN and ±Infinity (not JSON) become null, as JSON.stringify does in Nango."""
    text = _encode(value)
    if "NaN" in text or "Infinity" in text:  # rare: only then walk the value
        return _encode(_finite(value))
    return text


def dumps_each(values: list[Any]) -> list[str]:
    """`dumps` of each value (the records of a batch), each in one orjson call."""
    import orjson

    encode, options = orjson.dumps, orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    try:
        return [encode(v, str, options).decode() for v in values]
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError: find which values
        return [_dumps_one(encode, options, v) for v in values]


def dumps_fast(value: Any) -> str:
    """`dumps` of one value by orjson (the child's events: a `request` event's 64 KiB body
    takes ~0.07 ms instead of ~0.3 ms)."""
    import orjson

    return _dumps_one(orjson.dumps, orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS, value)


def _dumps_one(encode: Any, options: int, value: Any) -> str:
    try:
        text: str = encode(value, str, options).decode()
    except (TypeError, ValueError):
        return dumps(value)
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def log_event(message: str, level: str = "info", **extra: Any) -> LogEvent:
    """A `log` event (`extra`: e.g. source="stderr")."""
    event: LogEvent = {"type": "log", "level": level, "message": message}
    event.update(extra)  # type: ignore[typeddict-item]
    return event


def plain(event: Event) -> dict[str, Any]:
    """A typed event as the parent's stream carries it: a dict (the child's events arrive as JSON)."""
    return cast(dict[str, Any], event)


def error_event(
    kind: str,
    message: str,
    *,
    payload: Any = None,
    location: Location | None = None,
    traceback: str | None = None,
) -> ErrorEvent:
    """An `error` event; `location` is {"file": path relative to the folder, "line": n}."""
    event: ErrorEvent = {"type": "error", "kind": kind, "message": message}
    if payload is not None:
        event["payload"] = payload
    if location:
        event["location"] = location
    if traceback:
        event["traceback"] = traceback
    return event


class Tally:
    """Counts of a run, fed every event: records per model and op, invalid records, requests."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.invalid: dict[str, int] = {}
        self.requests = 0
        self.retries = 0
        self.errors = 0
        self.logs = 0

    def feed(self, event: dict[str, Any]) -> None:
        """Count one event (as it came off the pipe: JSON, so untyped)."""
        kind = event.get("type")
        if kind == BATCH:
            per_model = self.counts.setdefault(event.get("model", "?"), {"save": 0, "update": 0, "delete": 0})
            op = event.get("op", "save")
            records = event.get("records")
            n = event.get("n")  # a batch read without its records (DryrunRun.raw_batches) says how many
            count = len(records or ()) if records is not None or not isinstance(n, int) else n
            per_model[op] = per_model.get(op, 0) + count
        elif kind == REQUEST:
            self.requests += 1
            if (event.get("attempt") or 1) > 1:
                self.retries += 1
        elif kind == INVALID:
            model = event.get("model", "?")
            self.invalid[model] = self.invalid.get(model, 0) + 1
        elif kind == ERROR:
            self.errors += 1
        elif kind == LOG:
            self.logs += 1

    @property
    def records(self) -> int:
        return sum(n for per_model in self.counts.values() for n in per_model.values())

    def done_event(self, status: DoneStatus, seconds: float, reason: str | None = None) -> DoneEvent:
        event: DoneEvent = {
            "type": "done",
            "status": status,
            "counts": {m: dict(ops) for m, ops in self.counts.items()},
            "invalid": dict(self.invalid),
            "records": self.records,
            "requests": self.requests,
            "retries": self.retries,
            "seconds": round(seconds, 3),
        }
        if reason:
            event["reason"] = reason
        return event


def last_per_id(records: list[Any]) -> list[Any]:
    """Each id once, holding its last record, in the order ids first appeared (Nango's records cache)."""
    by_id: dict[str, Any] = {}
    loose = []
    for record in records:
        if isinstance(record, dict) and record.get("id") is not None:
            by_id[str(record["id"])] = record
        else:
            loose.append(record)
    return list(by_id.values()) + loose
