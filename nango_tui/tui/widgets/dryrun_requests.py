"""The Requests tab: the run's HTTP exchanges (already redacted by the runtime) and one in detail."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from .dryrun_records import pretty
from .dryrun_results import RunResults

URL_WIDTH = 60
PREVIEW_LEFT_OUT = {"type", "request_headers", "request_body", "response_headers", "response_body"}


def status_cell(status) -> Text:
    """The HTTP status, coloured; a dash for an exchange without one (a network error)."""
    if not isinstance(status, int):
        return Text("—" if status is None else str(status), "red")
    style = "green" if 200 <= status < 300 else "yellow" if status < 400 else "red"
    return Text(str(status), style)


def size_cell(n) -> str:
    if not isinstance(n, (int, float)):
        return ""
    return f"{n:.0f} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"


class DryrunRequests(Vertical):
    """The first `REQUESTS_KEPT` requests of the run in a table; the highlighted one below."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._results: RunResults | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="requests-header", classes="dryrun-header")
        table: DataTable = DataTable(id="requests-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("method", "url", "status", "ms", "bytes")
        yield table
        with VerticalScroll(id="requests-detail", classes="dryrun-detail"):
            yield Static("", id="requests-json")

    @property
    def table(self) -> DataTable:
        return self.query_one("#requests-table", DataTable)

    def reset(self, results: RunResults | None) -> None:
        self._results = results
        self.table.clear()
        self.query_one("#requests-json", Static).update("")
        self.sync()

    def sync(self) -> None:
        results = self._results
        table = self.table
        kept = results.requests if results else []
        for event in kept[table.row_count :]:
            url = str(event.get("url", ""))
            attempt = event.get("attempt") or 1
            if attempt > 1:
                table.show_row_labels = True  # the retry marks
            label = Text(f"↻{attempt}", "yellow") if attempt > 1 else None
            table.add_row(
                Text(str(event.get("method", ""))),  # Text: a str cell is read as markup
                Text(url if len(url) <= URL_WIDTH else url[: URL_WIDTH - 1] + "…"),
                status_cell(event.get("status")),
                f"{event.get('ms') or 0:,.0f}",
                size_cell(event.get("bytes")),
                label=label,
            )
        total = results.tally.requests if results else 0
        text = (
            Text(f"{total:,} request{'s' if total != 1 else ''}")
            if results
            else Text("No requests yet.", "dim")
        )
        if results and results.tally.retries:
            text.append(f" · {results.tally.retries:,} retries", "yellow")
        if total > len(kept):
            text.append(f" · first {len(kept):,} shown", "dim")
        self.query_one("#requests-header", Static).update(text, layout=False)

    @on(DataTable.RowSelected, "#requests-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.inspect(event.cursor_row)

    def inspect(self, row: int) -> None:
        """Open the request inspector on the `row`th exchange (enter on the table)."""
        kept = self._results.requests if self._results else []
        if not 0 <= row < len(kept):
            return
        event = kept[row]
        from nango_tui.tui.inspection import as_curl
        from nango_tui.tui.screens.inspector_screen import Copy, RequestInspector  # when first asked

        copies = [
            Copy("c", "Response body", event.get("response_body") or ""),
            Copy("u", "Curl command", as_curl(event)),
            Copy("a", "Exchange as JSON", pretty({k: v for k, v in event.items() if k != "type"})),
        ]
        title = f"Request {row + 1} · {event.get('method', '')} {event.get('status') or 'no response'}"
        self.app.push_screen(RequestInspector(event, title, copies))

    @on(DataTable.RowHighlighted, "#requests-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        kept = self._results.requests if self._results else []
        if 0 <= event.cursor_row < len(kept):
            # the preview leaves the bodies out: enter opens the whole exchange
            exchange = {k: v for k, v in kept[event.cursor_row].items() if k not in PREVIEW_LEFT_OUT}
            preview = Text(pretty(exchange))
            preview.append("\nenter: headers and bodies (inspector)", "dim")
            self.query_one("#requests-json", Static).update(preview)
