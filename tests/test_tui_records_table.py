"""RecordsTable draws what Textual's DataTable draws, with its direct path for plain cells."""

from __future__ import annotations

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.widgets import DataTable

from nango_tui.tui.widgets.dryrun_records import OP_LABEL, cell
from nango_tui.tui.widgets.records_table import RecordsTable

VALUES = [
    1,
    -2.5,
    None,
    True,
    False,
    "",
    "x",
    "hello world",
    "a  b",
    " leading",
    "trailing ",
    "tab\there",
    "日本語のテキスト",
    "emoji 🎉 ok",
    "[bold]not markup[/]",
    "x" * 60,  # cut by `cell` to 40 with an ellipsis
    {"nested": [1, 2]},
    "wider than its column " * 3,
]


def rows() -> list[tuple[Text, list]]:
    ops = ["save", "update", "delete"]
    out = []
    for i in range(0, len(VALUES), 3):
        values = (VALUES[i : i + 3] + [None, None])[:3]
        other = "str cell" if i % 2 else Text.assemble(("spans", "red"), " and ", ("more", "bold"))
        out.append((OP_LABEL[ops[i % 3]], [cell(v) for v in values] + [Text("plain"), other]))
    return out


class TwoTables(App):
    CSS = "DataTable { width: 1fr; height: 1fr; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield DataTable(id="reference", cursor_type="row", zebra_stripes=True)
            yield RecordsTable(id="ours", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.show_row_labels = True
            table.add_columns("id", "first_name", "last_name", "email", "raw")
            table.add_column("narrow", width=3)
            for label, values in rows():
                table.add_row(*values, Text("abcdef"), label=label)


def lines_of(table: DataTable) -> list[list[tuple[str, Style | None]]]:
    width, height = table.size
    strips = table.render_lines(Region(0, 0, width, height))
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


@pytest.mark.parametrize("cursor_type", ["row", "cell"])
async def test_the_same_lines_as_datatable(cursor_type):
    app = TwoTables()
    async with app.run_test(size=(200, 20)) as pilot:
        reference, ours = app.query_one("#reference", DataTable), app.query_one("#ours", RecordsTable)
        app.set_focus(None)
        for table in (reference, ours):
            table.cursor_type = cursor_type
            table.move_cursor(row=2, column=1)
        await pilot.pause()
        assert reference.size == ours.size
        assert lines_of(ours) == lines_of(reference)  # neither focused
        ours.focus()
        await pilot.pause()
        ours_focused = lines_of(ours)
        reference.focus()
        await pilot.pause()
        assert ours_focused == lines_of(reference)
        assert lines_of(ours) != ours_focused  # focus changes the styles: the comparison sees them
        for table in (reference, ours):  # the cursor on the last row, hover off
            table.move_cursor(row=table.row_count - 1, column=4)
        await pilot.pause()
        app.set_focus(None)
        await pilot.pause()
        assert lines_of(ours) == lines_of(reference)


async def test_plain_cells_skip_rich(monkeypatch):
    """The direct path is taken for the records tab's plain cells (Rich only for the rest)."""
    app = TwoTables()
    async with app.run_test(size=(200, 20)) as pilot:
        await pilot.pause()
        ours = app.query_one("#ours", RecordsTable)
        through_rich: list[tuple[int, int]] = []
        render_cell = DataTable._render_cell

        def counted(self, row_index, column_index, *args, **kwargs):
            if self is ours:
                through_rich.append((row_index, column_index))
            return render_cell(self, row_index, column_index, *args, **kwargs)

        monkeypatch.setattr(DataTable, "_render_cell", counted)
        ours._cell_render_cache.clear()
        ours._row_render_cache.clear()
        ours._line_cache.clear()
        ours._styles_cache.clear()
        lines_of(ours)
        assert through_rich, "the cells that are not plain one-line Text go through DataTable"
        every_row = range(ours.row_count)
        plain = {(-1, c) for c in range(-1, 5)} | {(r, c) for r in every_row for c in (-1, 3)}
        assert not plain & set(through_rich)
        # `str` cells, Text with spans, and cells wider than their column
        assert {(r, c) for r in every_row for c in (4, 5)} <= set(through_rich)
