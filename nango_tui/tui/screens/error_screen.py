"""A modal for errors that need attention; its text can be selected and copied."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


class ErrorScreen(ModalScreen[None]):
    """Shows a title and a read-only text; `c` copies all of it to the clipboard (OSC 52)."""

    AUTO_FOCUS = "#error-text"
    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="error.close"),
        Binding("c", "copy", "Copy text", id="error.copy"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "c copies · escape closes"
            yield TextArea(
                self.text, read_only=True, soft_wrap=True, show_line_numbers=False, id="error-text"
            )
            with Horizontal(id="error-buttons"):
                yield Button("Copy", id="error-copy", variant="primary")
                yield Button("Close", id="error-close")
            yield Static("", id="error-status")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "error-copy":
            self.action_copy()
        else:
            self.action_close()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.query_one("#error-status", Static).update("copied to the clipboard")

    def action_close(self) -> None:
        self.dismiss(None)
