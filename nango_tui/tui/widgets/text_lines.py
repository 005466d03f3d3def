"""A read-only view of many lines that draws only the visible ones (a 5 MB body stays fast)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

MAX_LINE = 2000  # characters of one line drawn (the rest is cut; copying gives everything)


class TextLines(ScrollView, can_focus=True):
    """Lines of `Text` (or plain strings), scrolled with arrows, page keys, home and end."""

    BINDINGS = [
        Binding("up", "scroll_up", "Up", show=False, id="lines.up"),
        Binding("down", "scroll_down", "Down", show=False, id="lines.down"),
        Binding("left", "scroll_left", "Left", show=False, id="lines.left"),
        Binding("right", "scroll_right", "Right", show=False, id="lines.right"),
        Binding("pageup", "page_up", "Page up", show=False, id="lines.page_up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="lines.page_down"),
        Binding("home", "scroll_home", "Top", show=False, id="lines.top"),
        Binding("end", "scroll_end", "Bottom", show=False, id="lines.bottom"),
    ]

    DEFAULT_CSS = """
    TextLines { height: 1fr; }
    """

    def __init__(self, lines: Sequence[Text | str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: Sequence[Text | str] = ()
        self.set_lines(lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line(self, index: int) -> str:
        item = self._lines[index]
        return item.plain if isinstance(item, Text) else item

    def set_lines(self, lines: Sequence[Text | str]) -> None:
        self._lines = lines
        width = max((len(self.line(i)) for i in range(min(len(lines), 2000))), default=0)
        self.virtual_size = Size(min(width, MAX_LINE) + 1, len(lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        item = self._lines[index]
        if isinstance(item, Text):
            text = item[:MAX_LINE] if len(item) > MAX_LINE else item
            segments = list(text.render(self.app.console))
        else:
            segments = [Segment(item[:MAX_LINE], Style())]
        return (
            Strip(segments)
            .crop(scroll_x, scroll_x + width)
            .simplify()
            .extend_cell_length(width)
            .apply_style(self.rich_style)
        )
