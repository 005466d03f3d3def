"""A DataTable that draws its lines with less work: the records tab's table of a model.

Textual's DataTable (8.2.8, pinned) renders each cell through Rich (`Styled(Padding(Text))`:
~0.25 ms a cell here) and, for each line, walks the widget's ancestors three times for its Rich
styles (`DOMNode.rich_style`). A run's first records are drawn in one frame that ctrl+j waits
for (issue 18), where the table's first render was ~20 ms of the ~60. Here:

* a one-line cell that is a plain `Text` (no spans, printable, fits its column) is built
  directly as the same segments Rich gives (same text, same styles, same meta); anything else
  goes through DataTable's own path. `tests/test_tui_records_table.py` holds the two equal;
* the table's and its components' Rich styles are computed once per render pass (styles do
  not change while a frame is drawn).

Importing this module imports DataTable's: not for the workbench's first frame (no table).
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.css.styles import RenderStyles
from textual.widgets import DataTable

__all__ = ["RecordsTable"]


class _PassStyles(RenderStyles):
    """Component styles whose Rich style was computed once, for one render pass."""

    def __init__(self, styles: RenderStyles) -> None:
        super().__init__(styles.node, styles.base, styles.inline)  # type: ignore[arg-type]
        self._pass_rich_style = styles.rich_style

    @property
    def rich_style(self) -> Style:
        return self._pass_rich_style


class RecordsTable(DataTable):
    """DataTable with a direct path for plain one-line cells and styles kept per render pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pass_styles: dict[Any, Any] | None = None  # during `render_lines` only

    def render_lines(self, crop: Any) -> Any:
        self._pass_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._pass_styles = None

    @property
    def rich_style(self) -> Style:
        memo = self._pass_styles
        if memo is None:
            return super().rich_style
        style = memo.get(None)
        if style is None:
            style = memo[None] = super().rich_style
        return style

    def get_component_styles(self, *names: str) -> RenderStyles:
        memo = self._pass_styles
        if memo is None:
            return super().get_component_styles(*names)
        styles = memo.get(names)
        if styles is None:
            styles = memo[names] = _PassStyles(super().get_component_styles(*names))
        return styles

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        lines = self._plain_cell(row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return lines

    def _plain_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool
    ) -> list[list[Segment]] | None:
        """The cell's lines built directly, as DataTable's `_render_cell` would render them, or
        None when the cell is not a plain one-line `Text` that fits (then DataTable renders it)."""
        is_header = row_index == -1
        is_label = column_index == -1
        if is_header:
            row_key = self._header_row_key
            if self.header_height != 1:
                return None
        else:
            row_key = self._row_locations.get_key(row_index)
            row = self.rows.get(row_key) if row_key is not None else None
            if row is None or row.height != 1:
                return None
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_label, row_cells = self._get_row_renderables(row_index)
        cell = row_label if is_label else row_cells[column_index]
        if is_label and cell is None:
            cell = Text("")
        padding = self.cell_padding
        inner = width - 2 * padding
        if (
            type(cell) is not Text
            or cell._spans
            or cell.justify is not None
            or cell.overflow is not None
            or cell.no_wrap is not None
            or cell.end != "\n"
            or inner < 1
        ):
            return None
        plain = cell.plain
        if not (plain.isprintable() and plain == plain.strip()):
            return None
        text_width = cell_len(plain)
        if text_width > inner:
            return None
        is_fixed = (
            not is_header
            and not is_label
            and (row_index < self.fixed_rows or column_index < self.fixed_columns)
        )
        component_style, post_style = self._get_styles_to_render_cell(
            is_header,
            is_label,
            is_fixed,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        pre_style = pre_style + component_style
        around = _apply(pre_style, None, post_style)
        text_style = self.app.console.get_style(cell.style) if cell.style else None
        line = [Segment(" " * padding, around)] if padding else []
        line.append(Segment(plain, _apply(pre_style, text_style, post_style)))
        if text_width < inner:
            line.append(Segment(" " * (inner - text_width), around))
        if padding:
            line.append(Segment(" " * padding, around))
        lines = [line]
        self._cell_render_cache[cache_key] = lines
        return lines


def _apply(pre_style: Style, style: Style | None, post_style: Style) -> Style | None:
    """A segment's style once `Segment.apply_style(style=pre_style, post_style=post_style)`
    has run on it (what Textual's `Styled` does)."""
    if pre_style:
        style = pre_style + style
    if post_style:
        style = style + post_style if style else post_style
    return style
