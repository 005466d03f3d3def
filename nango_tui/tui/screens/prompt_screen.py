"""A one-line question (the Deployments pane's frequency): enter answers, escape cancels.

answer = await app.push_screen_wait(PromptScreen("Frequency of items for c1", "every 1h"))
# the text typed (maybe empty), or None when cancelled
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen["str | None"]):
    """Dismissed with the text (enter) or None (escape)."""

    AUTO_FOCUS = "#prompt-input"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", note: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.note = title, value, placeholder, note

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter: ok · escape: cancel"
            yield Input(self.value, placeholder=self.placeholder, compact=True, id="prompt-input")
            if self.note:
                yield Static(self.note, id="prompt-note")

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
