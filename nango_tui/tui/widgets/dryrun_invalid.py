"""The Invalid records tab: each record that failed its model, with its errors."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from .dryrun_records import pretty
from .dryrun_results import RunResults


def errors_line(errors) -> str:
    parts = []
    for err in errors or ():
        if isinstance(err, dict):
            path = err.get("path") or "(record)"
            parts.append(f"{path}: {err.get('message', 'invalid')}")
        else:
            parts.append(str(err))
    return "; ".join(parts)


def invalid_renderable(item: dict) -> Text:
    """An invalid record's errors (one a line), then the record."""
    text = Text()
    for err in item.get("errors") or ():
        path = err.get("path") if isinstance(err, dict) else None
        message = err.get("message") if isinstance(err, dict) else str(err)
        text.append(f"✘ {path or '(record)'}: ", "bold red")
        text.append(f"{message}\n")
    text.append("o: open the field in nango.yaml · enter: inspect\n", "dim")
    text.append(pretty(item.get("record")))
    return text


def invalid_text(item: dict) -> str:
    return invalid_renderable(item).plain


class DryrunInvalid(Vertical):
    """Invalid records in a table (model, id, errors); the highlighted one with its errors below."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._results: RunResults | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="invalid-header", classes="dryrun-header")
        table: DataTable = DataTable(id="invalid-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("model", "id", "errors")
        yield table
        with VerticalScroll(id="invalid-detail", classes="dryrun-detail"):
            yield Static("", id="invalid-json")

    @property
    def table(self) -> DataTable:
        return self.query_one("#invalid-table", DataTable)

    def reset(self, results: RunResults | None) -> None:
        self._results = results
        self.table.clear()
        self.query_one("#invalid-json", Static).update("")
        self.sync()

    def sync(self) -> None:
        results = self._results
        table = self.table
        kept = results.invalid if results else []
        for event in kept[table.row_count :]:
            record = event.get("record")
            record_id = record.get("id") if isinstance(record, dict) else None
            errors = errors_line(event.get("errors"))
            table.add_row(
                Text(str(event.get("model", "?"))),  # Text: a str cell is read as markup
                Text("—", "dim") if record_id is None else Text(str(record_id)[:24]),
                Text(errors if len(errors) <= 80 else errors[:79] + "…", "red"),
            )
        total = sum(results.tally.invalid.values()) if results else 0
        if total == 0:
            text = Text("No invalid records.", "dim")
        else:
            text = Text(f"{total:,} invalid record{'s' if total != 1 else ''}", "red")
            if total > len(kept):
                text.append(f" · first {len(kept):,} shown", "dim")
        self.query_one("#invalid-header", Static).update(text, layout=False)

    def location(self, project: Any) -> tuple[str, int] | None:
        """Where the highlighted invalid record's first bad field is declared in nango.yaml."""
        kept = self._results.invalid if self._results else []
        row = self.table.cursor_row
        if project is None or not 0 <= row < len(kept):
            return None
        item = kept[row]
        model = project.models.get(str(item.get("model")))
        if model is None:
            return None
        for err in item.get("errors") or ():
            path = str(err.get("path") or "") if isinstance(err, dict) else ""
            name = path.split(".")[0].split("[")[0]
            for field in model.fields:
                if field.name == name:
                    return project.config_file, field.line
        return project.config_file, model.line

    @on(DataTable.RowSelected, "#invalid-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        kept = self._results.invalid if self._results else []
        if 0 <= event.cursor_row < len(kept):
            item = kept[event.cursor_row]
            title = f"Invalid {item.get('model', '?')} #{event.cursor_row + 1}"
            lines = [*invalid_text(item).split("\n")]
            from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen  # when first asked

            self.app.push_screen(
                InspectorScreen(title, lines, [Copy("c", "Record", pretty(item.get("record")))])
            )

    @on(DataTable.RowHighlighted, "#invalid-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        kept = self._results.invalid if self._results else []
        if 0 <= event.cursor_row < len(kept):
            item = kept[event.cursor_row]
            self.query_one("#invalid-json", Static).update(invalid_renderable(item))
