"""Human output of a dryrun: a live progress line, log lines, then a summary and the first records.

Never floods the terminal: the progress line is redrawn in place at most ~10 times a second
(only on a terminal), log and invalid-record lines are capped, records are shown only a few.
"""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

from nango_tui.console import Out

from . import events as ev

MAX_LOG_LINES = 500
MAX_INVALID_LINES = 20
MAX_REQUEST_LINES = 20
FIRST_RECORDS = 3
REDRAW_EVERY = 0.1


class HumanRenderer:
    """Feed it every event; it prints as it goes and the summary at `done`."""

    def __init__(self, out: Out, live: bool | None = None, first_records: int = FIRST_RECORDS) -> None:
        self.out = out
        self.live = out.stream.isatty() if live is None and hasattr(out.stream, "isatty") else bool(live)
        self.first_records = first_records
        self.tally = ev.Tally()
        self.samples: list[tuple[str, dict[str, Any]]] = []
        self.start: dict[str, Any] = {}
        self.output: Any = None
        self.has_output = False
        self.errors: list[dict[str, Any]] = []
        self._shown = {"log": 0, "invalid": 0, "request": 0}
        self._hidden = {"log": 0, "invalid": 0, "request": 0}
        self._progress_shown = False
        self._last_draw = 0.0
        self._t0 = time.monotonic()

    # -- streaming ---------------------------------------------------------------------------

    def feed(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self.tally.feed(event)
        if kind == ev.START:
            self.start = event
            what = f"{event.get('kind')} {event.get('integration')}/{event.get('script')}"
            mode = " (replaying saved responses)" if event.get("replay") else ""
            self._line(
                self.out.style(
                    f"dryrun {what} on {event.get('connection')} [{event.get('environment')}]{mode}", "bold"
                )
            )
        elif kind == ev.BATCH:
            if len(self.samples) < self.first_records:
                for record in (event.get("records") or [])[: self.first_records - len(self.samples)]:
                    self.samples.append((f"{event.get('op')} {event.get('model')}", record))
        elif kind == ev.LOG:
            self._capped("log", self._log_text(event))
        elif kind == ev.INVALID:
            errors = "; ".join(
                f"{e.get('path') or '(record)'}: {e.get('message')}" for e in event.get("errors") or []
            )
            record = event.get("record")
            rid = record.get("id") if isinstance(record, dict) else None
            label = f" id={rid}" if rid is not None else ""
            self._capped(
                "invalid", self.out.style(f"invalid {event.get('model')}{label}: ", "yellow") + errors
            )
        elif kind == ev.REQUEST:
            status = event.get("status")
            if status is None or (isinstance(status, int) and status >= 400):
                attempt = event.get("attempt") or 1
                text = f"{event.get('method')} {event.get('url')} -> {status or 'no response'} (attempt {attempt}, {event.get('ms', 0):.0f} ms)"
                self._capped("request", self.out.style(text, "dim"))
        elif kind == ev.RESULT:
            self.output, self.has_output = event.get("output"), True
        elif kind == ev.ERROR:
            self.errors.append(event)
            self._line(self._error_text(event))
        elif kind == ev.DONE:
            self._clear_progress()
            self._summary(event)
            return
        self._progress()

    def _log_text(self, event: dict[str, Any]) -> str:
        level = str(event.get("level") or "info")
        colour = {"error": "red", "warn": "yellow", "warning": "yellow", "debug": "dim"}.get(level)
        tag = self.out.style(f"{level:<5}", colour) if colour else f"{level:<5}"
        stamp = self.out.style(f"{event.get('t', 0):7.2f}s", "dim")
        return f"{stamp} {tag} {event.get('message', '')}"

    def _error_text(self, event: dict[str, Any]) -> str:
        where = event.get("location")
        at = f" at {where['file']}:{where['line']}" if where else ""
        lines = [
            self.out.style(f"error ({event.get('kind')}){at}: ", "red", "bold")
            + str(event.get("message", ""))
        ]
        if event.get("payload") is not None and event.get("kind") != "http":
            lines.append("  payload: " + _short_json(event["payload"], 2000))
        trace = event.get("traceback")
        if trace:
            lines.extend(self.out.style("  " + t, "dim") for t in trace.splitlines()[-20:])
        return "\n".join(lines)

    def _capped(self, what: str, text: str) -> None:
        limit = {"log": MAX_LOG_LINES, "invalid": MAX_INVALID_LINES, "request": MAX_REQUEST_LINES}[what]
        if self._shown[what] < limit:
            self._shown[what] += 1
            self._line(text)
        else:
            self._hidden[what] += 1

    def _line(self, text: str) -> None:
        self._clear_progress()
        self.out.line(text)

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.out.stream.write("\r\x1b[K")
            self._progress_shown = False

    def _progress(self) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if self._progress_shown and now - self._last_draw < REDRAW_EVERY:
            return
        self._last_draw = now
        self._clear_progress()
        text = self.progress_text()[
            : max(20, shutil.get_terminal_size().columns - 1)
        ]  # one row, or \r cannot redraw it
        self.out.stream.write(self.out.style(text, "cyan"))
        self.out.stream.flush()
        self._progress_shown = True

    def tick(self) -> None:
        """Redraw the progress line (the elapsed time moves on while the script waits)."""
        if self.live and self._progress_shown:
            self._progress()

    def progress_text(self) -> str:
        models = (
            ", ".join(f"{m} {sum(ops.values()):,}" for m, ops in self.tally.counts.items())
            or "no records yet"
        )
        invalid = sum(self.tally.invalid.values())
        extra = f" · {invalid:,} invalid" if invalid else ""
        elapsed = time.monotonic() - self._t0
        return f"  {models}{extra} · {self.tally.requests} requests · {elapsed:.1f}s"

    # -- the end -----------------------------------------------------------------------------

    def _summary(self, done: dict[str, Any]) -> None:
        out = self.out
        for what, label in (
            ("log", "log lines"),
            ("invalid", "invalid records"),
            ("request", "failed requests"),
        ):
            if self._hidden[what]:
                out.line(
                    out.style(
                        f"... {self._hidden[what]:,} more {label} not shown (use --json to see them all)",
                        "dim",
                    )
                )
        counts = done.get("counts") or {}
        invalid = done.get("invalid") or {}
        models = list(dict.fromkeys([*counts, *invalid]))
        if models or self.start.get("kind") == "sync":
            rows = [("model", "added", "updated", "deleted", "invalid")]
            for m in models:
                ops = counts.get(m, {})
                rows.append(
                    (
                        m,
                        f"{ops.get('save', 0):,}",
                        f"{ops.get('update', 0):,}",
                        f"{ops.get('delete', 0):,}",
                        f"{invalid.get(m, 0):,}",
                    )
                )
            if len(rows) == 1:
                rows.append(("(no records)", "0", "0", "0", "0"))
            widths = [max(len(r[i]) for r in rows) for i in range(5)]
            out.line()
            for n, row in enumerate(rows):
                cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
                text = "  ".join(cells)
                out.line(out.style(text, "bold") if n == 0 else text)
        if self.has_output:
            out.line()
            out.line(out.style("output:", "bold"))
            out.line(_pretty(self.output, 60))
        status = done.get("status")
        colour = "green" if status == ev.OK else "red"
        reason = f" ({done['reason']})" if done.get("reason") else ""
        retries = done.get("retries", 0)
        out.line()
        out.line(
            out.style(f"{status}{reason}", colour, "bold")
            + f" · {done.get('requests', 0)} request{'s' if done.get('requests', 0) != 1 else ''}"
            + f" ({retries} retr{'ies' if retries != 1 else 'y'})"
            + (
                ""
                if self.start.get("kind") == "action" and not done.get("records")
                else f" · {done.get('records', 0):,} records"
            )
            + f" · {done.get('seconds', 0):.2f} s"
        )
        if self.samples:
            total = done.get("records", 0)
            out.line(out.style(f"first {len(self.samples)} of {total:,} records:", "bold"))
            for label, record in self.samples:
                out.line(out.style(f"  {label}: ", "dim") + _short_json(record, 400))
        records_file = self.start.get("records_file")
        if records_file and done.get("records"):
            out.line(out.style(f"every record: {records_file}", "dim"))
        out.flush()


def _short_json(value: Any, limit: int) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pretty(value: Any, max_lines: int) -> str:
    lines = json.dumps(value, ensure_ascii=False, indent=2, default=str).splitlines()
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines)"]
    return "\n".join(lines)
