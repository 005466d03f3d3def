"""The Summary tab: how the run ended, its counts, its error (with location) or its output."""

from __future__ import annotations

import re

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from nango_tui.dryrun import events as ev

from .dryrun_records import pretty
from .dryrun_results import RunResults
from .traceback_view import TracebackView

_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')


def error_location(error: dict | None) -> tuple[str, int] | None:
    """Where an error happened in the project: the innermost traceback frame in the folder
    (paths there are relative), else the error's `location`; None when neither says."""
    if not error:
        return None
    frames = [m for m in (_FRAME.match(line) for line in str(error.get("traceback") or "").splitlines()) if m]
    inside = [(m.group(1), int(m.group(2))) for m in frames if not m.group(1).startswith(("/", "<"))]
    if inside:
        return inside[-1]
    location = error.get("location")
    if isinstance(location, dict) and location.get("file"):
        return str(location["file"]), int(location.get("line") or 1)
    return None


_STATUS = {
    ev.OK: ("✔ ok", "bold green"),
    ev.FAILED: ("✘ failed", "bold red"),
    ev.CANCELLED: ("■ cancelled", "bold yellow"),
}


def summary_renderable(results: RunResults | None):
    """The summary of a run as a Rich renderable (the error's traceback is the TracebackView's)."""
    if results is None:
        return Text("No dryrun yet.", "dim")
    request = results.request
    head = Text()
    head.append(f"{results.kind} ", "dim")
    head.append(results.script_key.lstrip("/"), "bold")
    head.append(
        f" · connection {getattr(request, 'connection_id', '?')} · {getattr(request, 'environment', 'dev')}",
        "dim",
    )
    parts: list = [head]
    if results.setup_error:
        parts.append(Text("✘ the dryrun could not start", "bold red"))
        parts.append(Text(results.setup_error))
        return Group(*parts)
    done = results.done
    if done is None:
        parts.append(
            Text(
                f"● running for {results.elapsed:.1f}s: the summary is complete when the run ends.", "yellow"
            )
        )
    else:
        label, style = _STATUS.get(done.get("status"), (str(done.get("status")), "bold"))
        line = Text(label, style)
        if done.get("reason"):
            line.append(f" ({done['reason']})", "dim")
        seconds = done.get("seconds")  # the engine's own measure; the pane's when it has none
        line.append(f" in {seconds if isinstance(seconds, (int, float)) else results.elapsed:.2f}s")
        parts.append(line)

    counts = results.counts()
    if counts:
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for column in ("model", "saved", "updated", "deleted", "invalid"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for model, ops in counts.items():
            table.add_row(
                model,
                f"{ops.get('save', 0):,}",
                f"{ops.get('update', 0):,}",
                f"{ops.get('delete', 0):,}",
                f"{results.tally.invalid.get(model, 0):,}",
            )
        parts.append(table)
    elif results.kind == "sync":
        parts.append(Text("no records", "dim"))
    tally = results.tally
    stats = Text(f"{tally.requests:,} requests · {tally.retries:,} retries · {tally.logs:,} log lines")
    parts.append(stats)
    if tally.records:
        parts.append(Text("s saves every record to a JSON-lines file", "dim"))

    error = results.error
    if error is not None:
        parts.append(Text(""))
        title = Text("✘ ", "bold red")
        title.append(f"{error.get('kind', 'error')}: ", "bold red")
        title.append(str(error.get("message", "")))
        parts.append(title)
        location = error.get("location")
        if isinstance(location, dict) and location.get("file"):
            where = f"{location['file']}:{location.get('line', 1)}"
            if location.get("column"):
                where += f":{location['column']}"
            parts.append(Text(f"  at {where}  (o: open it in the Script pane)", "cyan"))
        if "payload" in error:
            parts.append(Text("ActionError payload:", "bold"))
            parts.append(Text(pretty(error["payload"])))
        if error.get("traceback"):
            parts.append(Text("traceback (up/down: the script's frames, enter opens one):", "dim"))
    output = None
    if done is not None and "output" in done:
        output = done["output"]
    elif results.result is not None:
        output = results.result.get("output")
    if results.kind == "action" and (output is not None or (done and done.get("status") == ev.OK)):
        parts.append(Text(""))
        parts.append(Text("output:", "bold"))
        parts.append(Text(pretty(output)))
    return Group(*parts)


class DryrunSummary(VerticalScroll):
    """Scrollable summary; refreshed by the pane when the run changes or ends.

    While its tab is hidden it only remembers what to show: a new text re-lays the whole screen
    out (tens of ms), which a run starting in the Records tab must not wait for (issue 18:
    ctrl+j to the first record). `catch_up` draws it when the tab is shown."""

    _UNSET = object()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pending: object = self._UNSET  # the results to draw once shown

    def compose(self):
        yield Static("", id="summary-text")
        view = TracebackView(id="summary-traceback")
        view.display = False
        yield view

    def show(self, results: RunResults | None) -> None:
        tab = self.parent
        if tab is not None and not tab.display:  # its TabPane, hidden by the tab switcher
            self._pending = results
            return
        self._pending = self._UNSET
        self._draw(results)

    def catch_up(self) -> None:
        """The tab is shown: draw what `show` was given meanwhile."""
        pending, self._pending = self._pending, self._UNSET
        if pending is not self._UNSET and self.is_mounted:
            self._draw(pending)  # type: ignore[arg-type]

    def on_show(self) -> None:
        self.catch_up()  # shown some other way than through the tab bar

    def _draw(self, results: RunResults | None) -> None:
        self.query_one("#summary-text", Static).update(summary_renderable(results))
        error = results.error if results is not None and not results.setup_error else None
        self.traceback.show(str(error.get("traceback") or "") if error else None)

    @property
    def traceback(self) -> TracebackView:
        return self.query_one(TracebackView)

    @property
    def focus_target(self):
        """What takes the focus in the Summary tab: the traceback's frames when there are any."""
        self.catch_up()  # asked for as the tab is shown: the traceback must be the run's
        view = self.traceback
        return view if view.display and view.openable else self
