"""The served records of one model of one connection (`GET /records`), paged by the server's cursor.

    app.push_screen(ServedRecordsScreen(client, "acme", "c1", "Item", fields))

The same table, detail, inspector and search as the Dryrun pane's Records tab (cells, `pretty`,
the op marks, `InspectorScreen`): the row label is the record's `_nango_metadata.last_action`
(+ added, ~ updated, - deleted). `n` / `p` page (the server's `next_cursor`; earlier cursors are
kept for going back), `f` cycles the filter (all, added, updated, deleted), `m` edits
modified-after, `/` searches every record of the model (read page by page from the server, at
most `SEARCH_LIMIT` scanned). Every request runs in a thread worker.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from nango_tui.tui.inspection import record_lines
from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen
from nango_tui.tui.widgets.dryrun_records import OP_LABEL, cell, pretty

if TYPE_CHECKING:
    from nango_tui.remote.api import RecordsPage, ServerClient

PAGE = 200  # records a page (the server allows up to 10,000)
SEARCH_PAGE = 1000
SEARCH_LIMIT = 100_000  # records one search reads at most
SEARCH_SHOWN = 1000
FILTERS = ("all", "added", "updated", "deleted")
ACTION_OP = {"ADDED": "save", "UPDATED": "update", "DELETED": "delete"}


def last_action(record: dict[str, Any]) -> str:
    meta = record.get("_nango_metadata")
    return (
        ACTION_OP.get(str(meta.get("last_action", "")).upper(), "save") if isinstance(meta, dict) else "save"
    )


class SearchField(Input):
    """`/`: enter searches every record of the model; escape clears."""

    BINDINGS = [Binding("escape", "clear", "Clear search", id="served.clear_search")]

    def action_clear(self) -> None:
        screen = self.screen
        if isinstance(screen, ServedRecordsScreen):
            screen.clear_search()


def searchable_text(record: dict[str, Any]) -> str:
    """What `/` searches in a served record: its JSON, lowercased, without the opaque cursor of its
    `_nango_metadata` (base64 of a timestamp and an id: a search for `i42` matched it by chance in
    ~2% of timestamps, every record of a batch at once)."""
    meta = record.get("_nango_metadata")
    if isinstance(meta, dict) and "cursor" in meta:
        record = {**record, "_nango_metadata": {k: v for k, v in meta.items() if k != "cursor"}}
    return json.dumps(record, ensure_ascii=False).lower()


class ServedRecordsScreen(ModalScreen[None]):
    """One model's served records for one connection."""

    AUTO_FOCUS = "#served-table"
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="served.close"),
        Binding("n", "next_page", "Next page", id="served.next_page"),
        Binding("p", "previous_page", "Prev page", id="served.previous_page"),
        Binding("f", "next_filter", "Filter", id="served.filter"),
        Binding("m", "modified_after", "Modified after", id="served.modified_after"),
        Binding("slash", "search", "Search", key_display="/", id="served.search"),
        Binding("c", "copy", "Copy", id="served.copy", show=False),
        Binding("v", "cell_mode", "Cells", id="served.cells", show=False),
    ]

    def __init__(
        self, client: ServerClient, integration: str, connection: str, model: str, fields: list[str]
    ) -> None:
        super().__init__()
        self.client, self.integration, self.connection, self.model = client, integration, connection, model
        self.fields = list(fields)
        self.columns: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.cursors: list[str | None] = [None]  # the cursor of each page seen; the last is shown
        self.next_cursor: str | None = None
        self.filter = "all"
        self.modified_after: str | None = None
        self.search_text: str | None = None
        self.search_counts: tuple[int, int] = (0, 0)  # (matches, scanned)
        self.error: str | None = None
        self.loads = 0  # pages shown (tests read it)
        self.copied: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="served-box") as box:
            box.border_title = f"{self.model} · {self.connection} ({self.integration})"
            box.border_subtitle = "n/p pages · f filter · m modified after · / search · enter inspect · esc"
            yield Static("loading…", id="served-header")
            with Horizontal(id="served-options"):
                yield Label("modified after", classes="served-label")
                yield Input(placeholder="ISO date, enter applies", compact=True, id="served-modified")
                yield Label("search", classes="served-label")
                yield SearchField(
                    placeholder="text, enter searches every record", compact=True, id="served-search"
                )
            yield DataTable(id="served-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="served-detail"):
                yield Static("", id="served-json")

    def on_mount(self) -> None:
        self.query_one(DataTable).show_row_labels = True
        self._load(None)

    # -- loading --------------------------------------------------------------------------------

    def _load(self, cursor: str | None) -> None:
        self.search_text = None
        self._fetch(cursor, self.filter, self.modified_after)

    @work(thread=True, exclusive=True, group="served-page", exit_on_error=False)
    def _fetch(self, cursor: str | None, filter: str, modified_after: str | None) -> None:
        from nango_tui.remote.api import ServerError

        try:
            page = self.client.records(
                self.integration,
                self.connection,
                self.model,
                cursor=cursor,
                limit=PAGE,
                filters=None if filter == "all" else [filter],
                modified_after=modified_after,
            )
        except ServerError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show_page, page)

    def _failed(self, text: str) -> None:
        self.error = text
        self.query_one("#served-header", Static).update(Text(f"✘ {text}", "red"))

    def _show_page(self, page: RecordsPage) -> None:
        self.error = None
        self.next_cursor = page.next_cursor
        self._fill(page.records)
        self.loads += 1

    def _fill(self, records: list[dict[str, Any]]) -> None:
        self.rows = records
        table = self.query_one(DataTable)
        if not self.columns:
            keys = list(records[0].keys()) if records else []
            self.columns = [c for c in (self.fields or keys) if c != "_nango_metadata"]
            table.add_columns(*self.columns)
        table.clear()
        for record in records:
            table.add_row(
                *[cell(record.get(c)) for c in self.columns], label=OP_LABEL.get(last_action(record))
            )
        if records:
            table.move_cursor(row=0)
        self._show_record(0)
        self._header()

    def _header(self) -> None:
        text = Text()
        if self.search_text is not None:
            matches, scanned = self.search_counts
            text.append(f"“{self.search_text}”: {matches:,} of {scanned:,} records match", "yellow")
            if matches > len(self.rows):
                text.append(f" (first {len(self.rows):,} shown)", "dim")
            text.append(" · escape in the search clears", "dim")
        else:
            page = len(self.cursors)
            first = (page - 1) * PAGE
            text.append(f"page {page}", "bold")
            text.append(f" · records {first + 1 if self.rows else 0:,}-{first + len(self.rows):,}")
            text.append(" · more (n)" if self.next_cursor else " · last page", "dim")
        text.append(f" · filter {self.filter}", "cyan")
        if self.modified_after:
            text.append(f" · modified after {self.modified_after}", "cyan")
        self.query_one("#served-header", Static).update(text)

    # -- paging and filters ---------------------------------------------------------------------

    def action_next_page(self) -> None:
        if self.search_text is not None or not self.next_cursor:
            self.app.bell()
            return
        self.cursors.append(self.next_cursor)
        self._load(self.next_cursor)

    def action_previous_page(self) -> None:
        if self.search_text is not None or len(self.cursors) < 2:
            self.app.bell()
            return
        self.cursors.pop()
        self._load(self.cursors[-1])

    def action_next_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self._restart()

    def _restart(self) -> None:
        self.cursors = [None]
        self._load(None)

    def action_modified_after(self) -> None:
        self.query_one("#served-modified", Input).focus()

    @on(Input.Submitted, "#served-modified")
    def _modified_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        from nango_tui.tui.screens.dryrun_dialog import parse_date

        text = event.value.strip()
        if text:
            try:
                parse_date(text)
            except ValueError:
                self._failed(
                    f"modified after: {text!r} is not an ISO date (2024-01-31 or 2024-01-31T10:00:00Z)"
                )
                return
        self.modified_after = text or None
        self._restart()
        self.query_one(DataTable).focus()

    # -- search ---------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#served-search", Input).focus()

    @on(Input.Submitted, "#served-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        needle = event.value.strip()
        if not needle:
            self.clear_search()
            return
        self.query_one("#served-header", Static).update(Text(f"searching “{needle}”…", "yellow"))
        self._search(needle, self.filter, self.modified_after)

    def clear_search(self) -> None:
        self.query_one("#served-search", Input).value = ""
        self.query_one(DataTable).focus()
        if self.search_text is not None:
            self._load(self.cursors[-1])

    @work(thread=True, exclusive=True, group="served-page", exit_on_error=False)
    def _search(self, needle: str, filter: str, modified_after: str | None) -> None:
        from nango_tui.remote.api import ServerError

        wanted, found, scanned, cursor = needle.lower(), [], 0, None
        try:
            while scanned < SEARCH_LIMIT:
                page = self.client.records(
                    self.integration,
                    self.connection,
                    self.model,
                    cursor=cursor,
                    limit=SEARCH_PAGE,
                    filters=None if filter == "all" else [filter],
                    modified_after=modified_after,
                )
                for record in page.records:
                    if wanted in searchable_text(record):
                        found.append(record)
                scanned += len(page.records)
                cursor = page.next_cursor
                if not cursor:
                    break
        except ServerError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show_search, needle, found, scanned)

    def _show_search(self, needle: str, found: list[dict[str, Any]], scanned: int) -> None:
        self.search_text = needle
        self.search_counts = (len(found), scanned)
        self._fill(found[:SEARCH_SHOWN])
        self.query_one(DataTable).focus()

    # -- a record -------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_record(event.cursor_row)

    def _show_record(self, index: int) -> None:
        target = self.query_one("#served-json", Static)
        if 0 <= index < len(self.rows):
            record = self.rows[index]
            head = Text(
                f"{last_action(record)} {self.model} #{index + 1}  (enter: inspect, c: copy)\n", "dim"
            )
            target.update(head + Text(pretty(record)))
        else:
            target.update(Text("No records." if not self.error else "", "dim"))

    def _highlighted(self) -> dict[str, Any] | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @on(DataTable.RowSelected)
    @on(DataTable.CellSelected)
    def _selected(self, event: DataTable.RowSelected | DataTable.CellSelected) -> None:
        event.stop()
        record = self._highlighted()
        if record is None:
            return
        title = f"{last_action(record)} {self.model} of {self.connection}"
        self.app.push_screen(
            InspectorScreen(title, record_lines(title, record), [Copy("c", "Record", pretty(record))])
        )

    def action_copy(self) -> None:
        record = self._highlighted()
        if record is None:
            self.app.bell()
            return
        table = self.query_one(DataTable)
        if table.cursor_type == "cell":
            value = record.get(self.columns[table.cursor_column])
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        else:
            text = pretty(record)
        self.app.copy_to_clipboard(text)
        self.copied = text
        self.notify(f"Copied {len(text):,} characters to the clipboard", timeout=3)

    def action_cell_mode(self) -> None:
        table = self.query_one(DataTable)
        table.cursor_type = "cell" if table.cursor_type == "row" else "row"

    def action_close(self) -> None:
        self.dismiss(None)
