"""What the dryrun pane keeps of one run: bounded state fed by the event stream.

No Textual here: `RunResults` is plain state so it can be tested and reasoned about alone.
Memory stays bounded whatever the run streams: the first `RECORDS_KEPT` records per model,
the last `LOGS_KEPT` log lines, the first `REQUESTS_KEPT` requests and `INVALID_KEPT` invalid
records are kept; everything is counted. The full record set is in the run's records file
(`.nango/runs/...`, one `{"op", "model", "record"}` object a line), which `save_to` copies.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nango_tui.config.names import inside_folder
from nango_tui.dryrun import events as ev

clock = time.monotonic  # tests freeze it to draw elapsed times deterministically

RECORDS_KEPT = 1000  # per model, shown in the table
LOGS_KEPT = 5000  # the newest log lines (the filter searches these)
REQUESTS_KEPT = 1000
REQUEST_BODIES_KEPT = 200  # the first requests keep their bodies (at most 64 KiB each side)
INVALID_KEPT = 500
SAVED_RECORDS_FOLDER = Path(".nango") / "records"  # where `s` writes, inside the project folder

RUNNING, DONE, FAILED, CANCELLED, STARTING = "running", "done", "failed", "cancelled", "starting"


@dataclass
class LogLine:
    t: float
    level: str
    message: str


@dataclass
class RunResults:
    """One run of one script: its request, counts, and bounded windows of what it streamed."""

    request: Any  # DryrunRequest
    script_key: str  # "integration/name" (or "/name" when the integration is not known)
    kind: str = "sync"
    state: str = STARTING
    started: float = field(default_factory=lambda: clock())
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # offered as next last_sync_date
    finished: float | None = None
    tally: ev.Tally = field(default_factory=ev.Tally)
    records: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)  # model -> [(op, record)]
    logs: deque[LogLine] = field(default_factory=lambda: deque(maxlen=LOGS_KEPT))
    requests: list[dict] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    result: dict | None = None
    done: dict | None = None
    records_file: Path | None = None
    setup_error: str | None = None
    streaming: bool = False  # its worker has started

    # -- feeding ----------------------------------------------------------------------------

    def feed(self, event: dict) -> None:
        """Count one event and keep it if its window has room (called for every event)."""
        kind = event.get("type")
        self.tally.feed(event)
        if kind == ev.BATCH:
            model = event.get("model", "?")
            kept = self.records.setdefault(model, [])
            room = RECORDS_KEPT - len(kept)
            if room > 0:
                op = event.get("op", "save")
                kept.extend((op, r) for r in (event.get("records") or ())[:room])
        elif kind == ev.LOG:
            self.logs.append(
                LogLine(event.get("t", 0.0), str(event.get("level", "info")), str(event.get("message", "")))
            )
        elif kind == ev.REQUEST:
            if len(self.requests) < REQUEST_BODIES_KEPT:
                self.requests.append(event)
            elif len(self.requests) < REQUESTS_KEPT:  # later exchanges: no bodies (memory)
                self.requests.append({k: v for k, v in event.items() if not k.endswith("_body")})
        elif kind == ev.INVALID:
            if len(self.invalid) < INVALID_KEPT:
                self.invalid.append(event)
        elif kind == ev.ERROR:
            self.errors.append(event)
        elif kind == ev.RESULT:
            self.result = event
        elif kind == ev.START:
            self.state = RUNNING
            self.kind = event.get("kind", self.kind)
            if event.get("records_file"):
                self.records_file = Path(event["records_file"])
        elif kind == ev.DONE:
            self.finish(event)

    def finish(self, done: dict) -> None:
        self.done = done
        self.finished = clock()
        status = done.get("status")
        self.state = DONE if status == ev.OK else CANCELLED if status == ev.CANCELLED else FAILED

    def fail_setup(self, message: str) -> None:
        """The run could not start (DryrunSetupError): no child, no events."""
        self.setup_error = message
        self.finish(
            {"type": ev.DONE, "status": ev.FAILED, "counts": {}, "requests": 0, "retries": 0, "seconds": 0.0}
        )

    # -- reading ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state in (STARTING, RUNNING)

    @property
    def elapsed(self) -> float:
        return (self.finished if self.finished is not None else clock()) - self.started

    @property
    def rate(self) -> float:
        """Records per second so far."""
        seconds = self.elapsed
        return self.tally.records / seconds if seconds > 0 else 0.0

    def counts(self) -> dict[str, dict[str, int]]:
        return {m: dict(ops) for m, ops in self.tally.counts.items()}

    def model_total(self, model: str) -> int:
        return sum(self.tally.counts.get(model, {}).values())

    @property
    def error(self) -> dict | None:
        """The error that ended the run (the last one), if any."""
        return self.errors[-1] if self.errors else None

    # -- saving -----------------------------------------------------------------------------

    def save_to(self, root: Path, now: datetime | None = None) -> tuple[Path, int]:
        """Write every record of the run (JSON lines) to a new file in `root`'s .nango/records;
        (path, count).

        Copies the run's records file when there is one (it holds the full set); otherwise
        (no file, or one already rotated away) writes the kept records, so `count` may be
        below `tally.records`. Never overwrites: a taken name gets a numeric suffix. The folder
        and the file are checked to lie inside `root` (a symlinked `.nango` or `records` that
        leads elsewhere raises PathOutsideFolder and nothing is written).
        """
        folder = inside_folder(root, SAVED_RECORDS_FOLDER)
        folder.mkdir(parents=True, exist_ok=True)
        folder = inside_folder(root, folder)  # again: a symlink may have been put there meanwhile
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        base = self.script_key.replace("/", "-").strip("-") or "dryrun"
        target = folder / f"{base}-{stamp}.jsonl"
        n = 1
        while target.exists() or target.is_symlink():
            n += 1
            target = folder / f"{base}-{stamp}-{n}.jsonl"
        target = inside_folder(root, target)
        count = 0
        with open(target, "x", encoding="utf-8") as out:
            if self.records_file is not None and self.records_file.is_file():
                with open(self.records_file, encoding="utf-8") as source:
                    for line in source:
                        if line.strip():
                            out.write(line if line.endswith("\n") else line + "\n")
                            count += 1
            else:
                for model, kept in self.records.items():
                    for op, record in kept:
                        out.write(
                            json.dumps(
                                {"op": op, "model": model, "record": record}, ensure_ascii=False, default=str
                            )
                            + "\n"
                        )
                        count += 1
        return target, count


def script_key(integration: str | None, name: str) -> str:
    return f"{integration or ''}/{name}"
