"""The Records tab: a table per model (columns from the model's fields) and the selected record.

Each table holds at most `RECORDS_KEPT` rows: Textual's DataTable stalls on 100k rows. While
a run streams it shows the first records (kept in memory); `n` / `p` page through the rest,
read from the run's records file (`.nango/runs/*.jsonl`) one window at a time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Input, Static

if TYPE_CHECKING:
    from textual.widgets import DataTable

from .dryrun_recordfile import ModelHits, RecordsFileIndex, search_file
from .dryrun_results import RECORDS_KEPT, RunResults

OP_LABEL = {"save": Text("+", "green"), "update": Text("~", "yellow"), "delete": Text("-", "red")}
CELL_WIDTH = 40
ROWS_PER_SYNC = 200


def cell(value: Any) -> Text:
    """A record value as a short table cell, shown as it is: a `str` cell would be read as Rich
    markup (a value with `[/x]` ended the app with a MarkupError, `[bold]` styled it)."""
    if value is None:
        return Text("null", "dim")
    if isinstance(value, bool):
        return Text("true" if value else "false", "magenta")
    if isinstance(value, (int, float)):
        return Text(str(value), "cyan")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", " ")
    return Text(text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…")


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class DryrunRecords(Vertical):
    """Tables of the run's records, one per model; `m` shows the next model."""

    BINDINGS = [
        # the header says "m: next" and "n/p: pages" where they apply; F1 lists them
        Binding("m", "next_model", "Next model", id="dryrun.next_model", show=False),
        Binding("n", "next_page", "Next 1,000", id="dryrun.records.next_page", show=False),
        Binding("p", "previous_page", "Prev 1,000", id="dryrun.records.previous_page", show=False),
        Binding("c", "copy", "Copy", id="dryrun.records.copy", show=False),
        Binding("v", "cell_mode", "Cells", id="dryrun.records.cells", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._results: RunResults | None = None
        self._columns: dict[str, list[str]] = {}  # model -> field names shown
        self._models: list[str] = []
        self._pages: dict[str, tuple[int, list]] = {}  # model -> (first index, rows) read from the file
        self._index: RecordsFileIndex | None = None
        self._pageable = False  # some model has more records than a window (n/p enabled)
        # one table per model ever shown, kept and reused: removing tables is asynchronous, so
        # a quick switch back would mount a second table with the same id (DuplicateIds)
        self._tables: dict[str, DataTable] = {}
        self._search: RecordsSearchResult | None = None  # what `/` found, shown instead of pages
        self.copied: str | None = None  # the last text `c` copied (tests read it)
        self.model_fields: dict[str, list[str]] = {}  # set by the pane from the Project

    def compose(self) -> ComposeResult:
        yield Static("No records yet.", id="records-header", classes="dryrun-header")
        # the `/` search field comes after the first frame (`search_field`)
        yield ContentSwitcher(id="records-tables")
        with VerticalScroll(id="records-detail", classes="dryrun-detail"):
            yield Static("", id="records-json")

    # -- feeding ----------------------------------------------------------------------------

    def reset(self, results: RunResults | None) -> None:
        """Show another run (or none): drop the tables and rebuild them from its kept records."""
        self._results = results
        self._columns.clear()
        self._models = []
        self._pages.clear()
        self._index = None
        self._pageable = False
        self._search = None
        for field in self.query(RecordSearch):
            field.display = False
        self.query_one(ContentSwitcher).current = None
        for table in self._tables.values():
            table.clear(columns=True)
            table.display = False
        self.query_one("#records-json", Static).update("")
        self.sync()

    def sync(self) -> bool:
        """Add the rows kept since the last call (cheap when nothing changed); True when some
        kept rows still wait for a later call."""
        results = self._results
        pending = False
        if results is not None:
            for model, kept in results.records.items():
                table = self._table(model)
                if model in self._pages:
                    continue  # showing a page read from the file: the kept rows wait
                if table.row_count < len(kept):
                    first = table.row_count == 0
                    # a few hundred rows a drain: DataTable measures new rows when idle, and
                    # 1,000 at once stall the loop ~50 ms
                    self._add_rows(model, table, kept[: table.row_count + ROWS_PER_SYNC], table.row_count)
                    pending = pending or table.row_count < len(kept)
                    if first and model == self.current_model:
                        self._show_record(model, 0)
            pageable = any(results.model_total(m) > RECORDS_KEPT for m in self._models)
            if pageable != self._pageable:
                self._pageable = pageable
                self.refresh_bindings()
        self._update_header()
        return pending

    def _table(self, model: str) -> DataTable:
        if model in self._columns:
            return self._tables[model]
        kept = self._results.records.get(model, []) if self._results else []
        columns = list(self.model_fields.get(model) or [])
        if not columns:  # a model the project does not know: the first record's keys
            columns = list(kept[0][1].keys()) if kept else []
        self._columns[model] = columns
        self._models.append(model)
        self.refresh_bindings()
        switcher = self.query_one(ContentSwitcher)
        table = self._tables.get(model)
        if table is None:
            from .records_table import RecordsTable  # DataTable's module: not for the first frame

            table = RecordsTable(id=f"records-{_dom_id(model)}", cursor_type="row", zebra_stripes=True)
            table.show_row_labels = True
            table.display = False
            self._tables[model] = table
            switcher.mount(table)
        table.add_columns(*columns)
        if switcher.current is None:
            switcher.current = table.id
        return table

    def _add_rows(self, model: str, table: DataTable, kept: list, start: int) -> None:
        columns = self._columns[model]
        for op, record in kept[start:]:
            values = (
                [cell(record.get(c)) for c in columns] if isinstance(record, dict) else [""] * len(columns)
            )
            table.add_row(*values, label=OP_LABEL.get(op, Text(str(op)[:1])))

    def _update_header(self) -> None:
        header = self.query_one("#records-header", Static)
        results = self._results
        model = self.current_model
        if results is None or model is None:
            header.update(Text("No records yet.", "dim"), layout=False)
            return
        total = results.model_total(model)
        start, rows = self._start(model), self._rows(model)
        text = Text()
        text.append(model, "bold cyan")
        search = self._search
        if search is not None:
            hit = search.of(model)
            text.append(f" · “{search.needle}”: {hit.matches:,} of {hit.scanned:,} match", "yellow")
            if hit.matches > len(hit.found):
                text.append(f" (first {len(hit.found):,} shown)", "dim")
            elsewhere = [h for h in search.with_matches() if h.model != model]
            if elsewhere:
                shown = ", ".join(f"{h.model} {h.matches:,}" for h in elsewhere[:4])
                more = "…" if len(elsewhere) > 4 else ""
                text.append(f" · also {shown}{more} (m: next)", "yellow")
            elif not search.with_matches():
                text.append(" · no record of the run matches", "yellow")
            text.append(" · escape in / clears", "dim")
            header.update(text, layout=False)
            return
        if len(self._models) > 1:
            text.append(f" ({self._models.index(model) + 1}/{len(self._models)}, m: next)", "dim")
        text.append(f" · {total:,} record{'s' if total != 1 else ''}")
        if total > len(rows) or start:
            text.append(f" · {start + 1:,}-{start + len(rows):,} shown (n/p: pages)", "dim")
        header.update(text, layout=False)

    def _start(self, model: str) -> int:
        return self._pages[model][0] if model in self._pages else 0

    def _position(self, model: str, row: int) -> int:
        """The record's place in its model (what "#n" shows), for a page or a search result."""
        search = self._search
        if search is not None:
            found = search.of(model).found
            if 0 <= row < len(found):
                return found[row][0]
        return self._start(model) + row

    def _rows(self, model: str) -> list:
        if model in self._pages:
            return self._pages[model][1]
        return self._results.records.get(model, []) if self._results else []

    # -- paging through the records file ----------------------------------------------------

    def action_next_page(self) -> None:
        model = self.current_model
        if model is None or self._results is None:
            return
        start = self._start(model) + RECORDS_KEPT
        if start >= self._results.model_total(model):
            self.app.bell()
            return
        self._load_page(self._results, model, start)

    def action_previous_page(self) -> None:
        model = self.current_model
        if model is None or self._results is None or self._start(model) == 0:
            self.app.bell()
            return
        start = self._start(model) - RECORDS_KEPT
        if start <= 0:  # back to the rows kept in memory
            self._pages.pop(model, None)
            self._refill(model, self._rows(model))
        else:
            self._load_page(self._results, model, start)

    @work(thread=True, exclusive=True, group="records-page", exit_on_error=False)
    def _load_page(self, results: RunResults, model: str, start: int) -> None:
        path = results.records_file
        rows: list = []
        if path is not None:
            if self._index is None or self._index.path != path:
                self._index = RecordsFileIndex(path)
            self._index.update()
            rows = self._index.read(model, start, RECORDS_KEPT)
        self.app.call_from_thread(self._show_page, results, model, start, rows)

    def _show_page(self, results: RunResults, model: str, start: int, rows: list) -> None:
        if results is not self._results or model not in self._columns:
            return  # another run is shown now
        if not rows:
            self.notify(
                "Those records are not readable: the run's records file is gone or not written yet.",
                severity="warning",
            )
            return
        self._pages[model] = (start, rows)
        self._refill(model, rows)

    def _refill(self, model: str, rows: list, show: bool = True) -> None:
        table = self._table(model)
        table.clear()
        self._add_rows(model, table, rows, 0)
        table.move_cursor(row=0)
        if show:
            self._show_record(model, 0)
            self._update_header()

    # -- search, inspect, copy ---------------------------------------------------------------

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_search)  # after the first frame, which does not show it

    def _mount_search(self) -> None:
        if self.is_attached:  # not when the app closed at its first frame
            self.search_field()

    def search_field(self) -> RecordSearch:
        """The `/` search field, mounted hidden under the header on first use."""
        fields = self.query(RecordSearch)
        if fields:
            return fields.first()
        field = RecordSearch(
            placeholder="search every record of the run, all models (enter); escape clears",
            id="records-search",
        )
        field.display = False
        self.mount(field, after="#records-header")
        return field

    def open_search(self) -> None:
        """Show the search field (the pane's `/` in the Records tab)."""
        field = self.search_field()
        field.display = True
        field.focus()

    def clear_search(self) -> None:
        field = self.search_field()
        field.value = ""
        field.display = False
        search, self._search = self._search, None
        if search is not None:
            for model in search.hits:
                if model in self._columns and self._pages.pop(model, None) is not None:
                    self._refill(model, self._rows(model), show=model == self.current_model)
        model = self.current_model
        if model is not None:
            self._tables[model].focus()
        self._update_header()

    def search(self, needle: str) -> None:
        """Find `needle` in every record of the run, all models (read from the records file)."""
        if self._results is None or not needle.strip():
            return
        self._search_worker(self._results, needle.strip())

    @on(Input.Submitted, "#records-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)

    @work(thread=True, exclusive=True, group="records-search", exit_on_error=False)
    def _search_worker(self, results: RunResults, needle: str) -> None:
        path = results.records_file
        models = list(results.tally.counts) or list(results.records)
        if path is None or not path.is_file():
            hits = search_kept(results, needle, models)
        else:
            hits = search_file(path, needle, RECORDS_KEPT, models)
        self.app.call_from_thread(self._show_search, results, RecordsSearchResult(needle, hits))

    def _show_search(self, results: RunResults, result: RecordsSearchResult) -> None:
        if results is not self._results:
            return  # another run is shown now
        if self._search is not None:
            for model in self._search.hits:
                self._pages.pop(model, None)
        self._search = result
        current = self.current_model
        for model in self._models:
            rows = result.of(model).rows
            self._pages[model] = (0, rows)
            self._refill(model, rows, show=model == current)
        with_matches = [h.model for h in result.with_matches() if h.model in self._columns]
        if with_matches and current not in with_matches:
            self._switch_to(with_matches[0])  # jump to the first model where something matched
        model = self.current_model
        if model is not None:
            self._tables[model].focus()
        self._update_header()

    def _highlighted_record(self) -> tuple[str, int, str, Any] | None:
        model = self.current_model
        if model is None:
            return None
        row = self._tables[model].cursor_row
        rows = self._rows(model)
        if not 0 <= row < len(rows):
            return None
        op, record = rows[row]
        return model, row, op, record

    # DataTable's messages reach these by Textual's handler names (an @on would import DataTable's
    # module with this one's, for the workbench's first frame, which has no table)
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.inspect()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.inspect()

    def inspect(self) -> None:
        """Open the highlighted record in the inspector (enter)."""
        found = self._highlighted_record()
        if found is None:
            return
        model, row, op, record = found
        text = pretty(record)
        title = f"{op} {model} #{self._position(model, row) + 1}"
        from nango_tui.tui.inspection import record_lines
        from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen  # when first asked

        self.app.push_screen(InspectorScreen(title, record_lines(title, record), [Copy("c", "Record", text)]))

    def action_copy(self) -> None:
        """Copy the highlighted record as JSON, or the highlighted cell in cell mode (OSC 52)."""
        found = self._highlighted_record()
        if found is None:
            self.app.bell()
            return
        model, _, _, record = found
        table = self._tables[model]
        if table.cursor_type == "cell" and isinstance(record, dict):
            column = self._columns[model][table.cursor_column]
            value = record.get(column)
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            what = f"{column} of this record"
        else:
            text, what = pretty(record), "the record"
        self.app.copy_to_clipboard(text)
        self.copied = text
        self.notify(f"Copied {what} ({len(text):,} characters) to the clipboard", timeout=3)

    def action_cell_mode(self) -> None:
        """Switch the table between moving by record (rows) and by value (cells, for `c`)."""
        model = self.current_model
        if model is None:
            return
        table = self._tables[model]
        table.cursor_type = "cell" if table.cursor_type == "row" else "row"
        self.notify(
            "cells: left/right pick a value, c copies it" if table.cursor_type == "cell" else "rows",
            timeout=2,
        )

    # -- reading ----------------------------------------------------------------------------

    @property
    def current_model(self) -> str | None:
        current = self.query_one(ContentSwitcher).current
        if current is None:
            return None
        for model in self._models:
            if f"records-{_dom_id(model)}" == current:
                return model
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_model":
            return len(self._models) > 1
        if action in ("next_page", "previous_page"):
            model = self.current_model
            return (
                self._search is None  # a search shows its matches, not pages
                and model is not None
                and self._results is not None
                and self._results.model_total(model) > RECORDS_KEPT
            )
        return True

    def action_next_model(self) -> None:
        """`m`: the next model; while a search is shown, the next model with matches."""
        models = self._models
        if self._search is not None:
            models = [h.model for h in self._search.with_matches() if h.model in self._columns] or models
        if len(models) < 2 and self.current_model in models:
            return
        model = self.current_model
        index = (models.index(model) + 1) % len(models) if model in models else 0
        self._switch_to(models[index])

    def _switch_to(self, model: str) -> None:
        self.query_one(ContentSwitcher).current = f"records-{_dom_id(model)}"
        self._update_header()
        self._show_record(model, self._tables[model].cursor_row if model in self._tables else 0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        model = self.current_model
        if model is not None:
            self._show_record(model, event.cursor_row)

    def _show_record(self, model: str, index: int) -> None:
        rows = self._rows(model)
        target = self.query_one("#records-json", Static)
        if 0 <= index < len(rows):
            op, record = rows[index]
            target.update(
                Text(f"{op} {model} #{self._position(model, index) + 1}  (enter: inspect, c: copy)\n", "dim")
                + Text(pretty(record))
            )
        else:
            target.update("")


def _dom_id(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


# -- search, inspect, copy (issue 15) ----------------------------------------------------------


class RecordSearch(Input):
    """`/` in the Records tab: enter searches the run's records file; escape clears."""

    BINDINGS = [Binding("escape", "close", "Clear search", id="dryrun.records.clear_search")]

    def action_close(self) -> None:
        records = self.parent
        if isinstance(records, DryrunRecords):
            records.clear_search()


class RecordsSearchResult:
    """What one search found in the run, by model (the first matches of each, and counts)."""

    def __init__(self, needle: str, hits: dict[str, ModelHits]) -> None:
        self.needle = needle
        self.hits = hits
        self._shown: dict[str, SearchedModel] = {}

    def of(self, model: str) -> SearchedModel:
        shown = self._shown.get(model)
        if shown is None:
            shown = self._shown[model] = SearchedModel(self.hits.get(model) or ModelHits(model))
        return shown

    def with_matches(self) -> list[ModelHits]:
        return [hit for hit in self.hits.values() if hit.matches]

    @property
    def matches(self) -> int:
        return sum(hit.matches for hit in self.hits.values())

    @property
    def scanned(self) -> int:
        return sum(hit.scanned for hit in self.hits.values())


class SearchedModel:
    """One model's part of a search, as the table shows it."""

    def __init__(self, hit: ModelHits) -> None:
        self.model = hit.model
        self.found = hit.found
        self.matches = hit.matches
        self.scanned = hit.scanned
        self.rows = [(op, record) for _, op, record in hit.found]


def search_kept(results: RunResults, needle: str, models: list[str]) -> dict[str, ModelHits]:
    """The search over the records kept in memory (when the run has no records file)."""
    wanted = needle.lower()
    hits: dict[str, ModelHits] = {}
    for model in dict.fromkeys([*models, *results.records]):
        kept = results.records.get(model, [])
        hit = hits[model] = ModelHits(model, scanned=len(kept))
        for i, (op, record) in enumerate(kept):
            if wanted in json.dumps(record, ensure_ascii=False, default=str).lower():
                hit.matches += 1
                if len(hit.found) < RECORDS_KEPT:
                    hit.found.append((i, op, record))
    return hits
