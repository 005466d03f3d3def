"""The Logs tab: a virtual view of the run's newest log lines, levels coloured, filterable.

Only the visible lines are rendered (Textual's line API), so 100k lines streaming in cost
the same as 100: the pane hands over the run's bounded deque and the view draws what fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static

from .dryrun_results import LogLine, RunResults

LEVEL_STYLES = {
    "debug": Style(dim=True),
    "info": Style(),
    "warn": Style(color="yellow"),
    "warning": Style(color="yellow"),
    "error": Style(color="red", bold=True),
}
_TIME_STYLE = Style(dim=True)
MAX_LINE = 1000  # characters of one log line drawn (the rest is cut)


def log_matches(line: LogLine, needle: str) -> bool:
    """Case-insensitive match of the filter against the level and the message."""
    return needle in line.message.lower() or needle == line.level.lower()


class LogLines(ScrollView, can_focus=True):
    """Draws `lines` (any sequence of LogLine), following the end unless scrolled up."""

    DEFAULT_CSS = """
    LogLines { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: Sequence[LogLine] = ()
        self._width = 0
        self.following = True  # show the newest lines; off once the user scrolls up, on at the end
        self._scrolling_myself = False

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def set_lines(self, lines: Sequence[LogLine], dropped: int = 0) -> None:
        """Show `lines`; `dropped` lines left the top since the last call (keeps the view still)."""
        self._lines = lines
        for line in islice(reversed(lines), 200):  # the newest lines set the scroll width
            self._width = max(self._width, min(len(line.message) + 15, MAX_LINE))
        self._resize_virtually(Size(self._width, len(lines)))
        if self.following:
            self._scroll_myself(len(lines) - self.size.height)
        elif dropped:
            self._scroll_myself(self.scroll_y - dropped)
        self.refresh()

    def _scroll_myself(self, y: float) -> None:
        self._scrolling_myself = True
        try:
            self.scroll_to(y=max(0, y), animate=False, immediate=True)
        finally:
            self._scrolling_myself = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._scrolling_myself:  # the user's scroll: follow again only at the end
            self.following = new_value >= self.max_scroll_y

    def on_resize(self) -> None:
        if self.following:  # shown for the first time (a hidden tab has no height), or resized
            self._scroll_myself(len(self._lines) - self.size.height)

    def reset_view(self) -> None:
        self.following = True
        self._scroll_myself(0)

    def _resize_virtually(self, size: Size) -> None:
        """Set the scrollable size without a layout of the whole screen when only the line
        count grew (10 times a second while a run streams); scrollbars appearing is a layout."""
        old = self.virtual_size
        if size == old:
            return
        height = self.container_size.height
        scrollbars_change = (
            size.width != old.width or (size.height > height) != (old.height > height) or not self.is_mounted
        )
        if scrollbars_change:
            self.virtual_size = size
        else:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)  # the scrollbar's thumb follows, no reflow

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if self.following:  # the tail, even before the scroll position could catch up
            index = max(0, len(self._lines) - self.size.height) + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[index]
        message = line.message.replace("\n", " ⏎ ")[:MAX_LINE]
        level = line.level.lower()
        style = LEVEL_STYLES.get(level, Style())
        segments = [
            Segment(f"{line.t:8.3f} ", _TIME_STYLE),
            Segment(f"{level.upper()[:5]:<5} ", style + Style(bold=True)),
            Segment(message, style),
        ]
        return (
            Strip(segments)
            .crop(scroll_x, scroll_x + width)
            .simplify()
            .extend_cell_length(width)
            .apply_style(self.rich_style)
        )


class LogFilter(Input):
    """The `/` filter of the logs; escape clears and hides it."""

    BINDINGS = [Binding("escape", "close", "Close filter", id="dryrun.logs.close_filter")]

    def action_close(self) -> None:
        self.value = ""
        self.display = False
        self.parent.query_one(LogLines).focus()  # type: ignore[union-attr]


class DryrunLogs(Vertical):
    """Log lines of the run the pane shows; `/` filters them."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._results: RunResults | None = None
        self._seen = 0  # tally.logs at the last sync
        self._evicted = 0  # lines the run's deque had dropped at the last sync
        self._needle = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="logs-header", classes="dryrun-header")
        filter_input = LogFilter(placeholder="filter logs (text or level), escape clears", id="logs-filter")
        filter_input.display = False
        yield filter_input
        yield LogLines(id="logs-lines")

    @property
    def lines_view(self) -> LogLines:
        return self.query_one(LogLines)

    @property
    def filter_text(self) -> str:
        return self._needle

    def reset(self, results: RunResults | None) -> None:
        self._results = results
        self._seen = 0
        self._evicted = 0
        self.lines_view.reset_view()
        self.sync(force=True)

    def sync(self, force: bool = False) -> None:
        """Show the lines that arrived since the last call (nothing to do when none did)."""
        results = self._results
        total = results.tally.logs if results else 0
        if not force and total == self._seen:
            return
        dropped = 0
        if results is None:
            lines: Sequence[LogLine] = ()
        elif self._needle:
            lines = [line for line in results.logs if log_matches(line, self._needle)]
        else:
            lines = results.logs
            evicted = total - len(lines)
            dropped = 0 if force else max(0, evicted - self._evicted)
            self._evicted = evicted
        self._seen = total
        self.lines_view.set_lines(lines, dropped)
        self._update_header(len(lines), total)

    def _update_header(self, shown: int, total: int) -> None:
        results = self._results
        text = Text()
        if results is None:
            text.append("No logs yet.", "dim")
        else:
            text.append(f"{total:,} log line{'s' if total != 1 else ''}")
            if self._needle:
                text.append(f" · {shown:,} match “{self._needle}”", "yellow")
            elif total > shown:
                text.append(f" · newest {shown:,} kept", "dim")
            text.append(" · / filters", "dim")
        self.query_one("#logs-header", Static).update(text, layout=False)

    def open_filter(self) -> None:
        filter_input = self.query_one(LogFilter)
        filter_input.display = True
        filter_input.focus()

    def set_filter(self, text: str) -> None:
        filter_input = self.query_one(LogFilter)
        if filter_input.value != text:
            filter_input.value = text
        self._apply(text)

    def _apply(self, text: str) -> None:
        self._needle = text.strip().lower()
        self.sync(force=True)

    @on(Input.Changed, "#logs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply(event.value)

    @on(Input.Submitted, "#logs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.lines_view.focus()
