"""The one-line `/` filter shown at the bottom of a pane."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from nango_tui.tui.messages import FilterChanged


class FilterBar(Input):
    """Typing filters the pane live; Enter keeps the filter, Escape clears it."""

    BINDINGS = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
        Binding("enter", "done", "Keep filter", id="filter.keep"),
    ]

    # compact: a focused Input's border would take the one row the text needs
    DEFAULT_CSS = """
    FilterBar { display: none; height: 1; padding: 0 1; background: $boost; }
    FilterBar.-open { display: block; }
    """

    def __init__(self, placeholder: str = "filter…", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()

    def action_done(self) -> None:
        if not self.value:
            self.remove_class("-open")
        self._return_focus()

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(FilterChanged(""))
        self.remove_class("-open")
        self._return_focus()

    def _return_focus(self) -> None:
        pane = self.parent
        if pane is not None and hasattr(pane, "focus_body"):
            pane.focus_body()
