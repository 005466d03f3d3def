"""What the workbench's own panes share: a bordered box, a body widget, a `/` filter, a help text."""

from __future__ import annotations

from textual import on
from textual.containers import Vertical
from textual.widget import Widget

from nango_tui.tui.messages import FilterChanged
from nango_tui.tui.widgets.filter_bar import FilterBar
from nango_tui.tui.widgets.focus_frame import FocusFrame


class Pane(FocusFrame, Vertical):
    """A titled pane; subclasses give `compose_body`, `apply_filter` and `HELP`."""

    TITLE = ""
    HELP = ""
    FILTER_PLACEHOLDER = "filter…"

    DEFAULT_CSS = """
    Pane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = self.TITLE
        self.filter_text = ""

    def compose(self):
        # no `/` bar here: `filter_bar` mounts it after the first frame (three hidden Inputs,
        # with their cursor timers, were ~2% of the workbench's first frame)
        yield from self.compose_body()

    def compose_body(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def body(self) -> Widget:
        """The widget that takes focus for this pane."""
        return self.query_one(".pane-body")

    def focus_body(self) -> None:
        self.body.focus()

    def filter_bar(self) -> FilterBar:
        """The pane's `/` bar, mounted (hidden) on first use: the workbench's warm-up after the
        first frame, or a `/` before it. `mount` registers it at once: it can take the focus."""
        bars = self.query(FilterBar)
        if bars:
            return bars.first()
        bar = FilterBar(self.FILTER_PLACEHOLDER, id=f"{self.id}-filter")
        self.mount(bar)
        return bar

    def open_filter(self) -> None:
        self.filter_bar().open()

    def help_parts(self) -> list[type]:
        """The classes whose keys the help lists: the pane's, its parts', and its `/` bar's
        (also before the bar is mounted)."""
        parts = [type(widget) for widget in (self, *self.query("*"))]
        return parts if FilterBar in parts else [*parts, FilterBar]

    @on(FilterChanged)
    def _filter_changed(self, event: FilterChanged) -> None:
        event.stop()
        self.filter_text = event.text
        self.apply_filter(event.text)

    def apply_filter(self, text: str) -> None:
        """Narrow the pane to what matches `text` ('' shows everything)."""
