"""The Records tab: a table per model (columns from the model's fields) and the selected record.

Each table holds at most `RECORDS_KEPT` rows: Textual's DataTable stalls on 100k rows. While
a run streams it shows the first records (kept in memory); `n` / `p` page through the rest,
read from the run's records file (`.nango/runs/*.jsonl`) one window at a time.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Static

from .dryrun_recordfile import RecordsFileIndex
from .dryrun_results import RECORDS_KEPT, RunResults

OP_LABEL = {"save": Text("+", "green"), "update": Text("~", "yellow"), "delete": Text("-", "red")}
CELL_WIDTH = 40
ROWS_PER_SYNC = 200


def cell(value: Any) -> Text | str:
    """A record value as a short table cell."""
    if value is None:
        return Text("null", "dim")
    if isinstance(value, bool):
        return Text("true" if value else "false", "magenta")
    if isinstance(value, (int, float)):
        return Text(str(value), "cyan")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class DryrunRecords(Vertical):
    """Tables of the run's records, one per model; `m` shows the next model."""

    BINDINGS = [
        # the header says "m: next" and "n/p: pages" where they apply; F1 lists them
        Binding("m", "next_model", "Next model", id="dryrun.next_model", show=False),
        Binding("n", "next_page", "Next 1,000", id="dryrun.records.next_page", show=False),
        Binding("p", "previous_page", "Prev 1,000", id="dryrun.records.previous_page", show=False),
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
        self.model_fields: dict[str, list[str]] = {}  # set by the pane from the Project

    def compose(self) -> ComposeResult:
        yield Static("No records yet.", id="records-header", classes="dryrun-header")
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
            table = DataTable(id=f"records-{_dom_id(model)}", cursor_type="row", zebra_stripes=True)
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
        if len(self._models) > 1:
            text.append(f" ({self._models.index(model) + 1}/{len(self._models)}, m: next)", "dim")
        text.append(f" · {total:,} record{'s' if total != 1 else ''}")
        if total > len(rows) or start:
            text.append(f" · {start + 1:,}-{start + len(rows):,} shown (n/p: pages)", "dim")
        header.update(text, layout=False)

    def _start(self, model: str) -> int:
        return self._pages[model][0] if model in self._pages else 0

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

    def _refill(self, model: str, rows: list) -> None:
        table = self._table(model)
        table.clear()
        self._add_rows(model, table, rows, 0)
        table.move_cursor(row=0)
        self._show_record(model, 0)
        self._update_header()

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
                model is not None
                and self._results is not None
                and self._results.model_total(model) > RECORDS_KEPT
            )
        return True

    def action_next_model(self) -> None:
        if len(self._models) < 2:
            return
        model = self.current_model
        index = (self._models.index(model) + 1) % len(self._models) if model in self._models else 0
        self.query_one(ContentSwitcher).current = f"records-{_dom_id(self._models[index])}"
        self._update_header()
        self._show_record(self._models[index], 0)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
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
                Text(f"{op} {model} #{self._start(model) + index + 1}\n", "dim") + Text(pretty(record))
            )
        else:
            target.update("")


def _dom_id(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
