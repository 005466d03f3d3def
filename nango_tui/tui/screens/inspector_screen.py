"""The inspector: one request (or record, or invalid record) in full, scrollable, copyable.

Copies go to the clipboard with OSC 52 (`App.copy_to_clipboard`), so they work over SSH and
tmux (with `set -g set-clipboard on`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from nango_tui.tui.inspection import pretty_body, request_lines
from nango_tui.tui.widgets.text_lines import TextLines


@dataclass(frozen=True)
class Copy:
    """One thing the inspector copies: its key, what the footer calls it, the text."""

    key: str
    label: str
    text: str


class InspectorScreen(ModalScreen[None]):
    """A titled, scrollable sheet of lines; `c`, `u`, `a` copy what the caller offers."""

    AUTO_FOCUS = "TextLines"
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="inspector.close"),
        Binding("c", "copy('c')", "Copy body", id="inspector.copy"),
        Binding("u", "copy('u')", "Copy as curl", id="inspector.copy_curl"),
        Binding("a", "copy('a')", "Copy all", id="inspector.copy_all"),
    ]

    def __init__(self, title: str, lines: Sequence[Text | str], copies: Sequence[Copy] = ()) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.copies = {c.key: c for c in copies}
        self.copied: str | None = None  # the last text copied (tests read it)

    def compose(self) -> ComposeResult:
        with Vertical(id="inspector-box") as box:
            box.border_title = self.title_text
            keys = "  ".join(f"{c.key}: {c.label.lower()}" for c in self.copies.values())
            box.border_subtitle = f"{keys}  escape: close" if keys else "escape: close"
            yield TextLines(self.lines, id="inspector-lines")
            yield Static("", id="inspector-status")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return parameters[0] in self.copies
        return True

    def action_copy(self, key: str) -> None:
        chosen = self.copies.get(key)
        if chosen is None:
            return
        self.app.copy_to_clipboard(chosen.text)
        self.copied = chosen.text
        self.query_one("#inspector-status", Static).update(
            Text(f"{chosen.label}: {len(chosen.text):,} characters copied to the clipboard (OSC 52)", "green")
        )

    @property
    def view(self) -> TextLines:
        return self.query_one(TextLines)


class RequestInspector(InspectorScreen):
    """One HTTP exchange."""

    def __init__(self, event: dict, title: str, copies: Sequence[Copy]) -> None:
        self.event = event
        super().__init__(title, request_lines(event, pretty_body(event.get("response_body"))), copies)
