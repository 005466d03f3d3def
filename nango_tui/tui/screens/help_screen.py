"""F1: help for the pane in focus, then every key of the workbench."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def reflow(text: str) -> str:
    """Join a paragraph's lines so it wraps to the sheet's width; indented lines (keys) stay."""
    out: list[str] = []
    for line in text.rstrip().splitlines():
        if out and line and not line.startswith(" ") and out[-1] and not out[-1].startswith(" "):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


class HelpScreen(ModalScreen[None]):
    """A scrollable sheet; any of escape, q or F1 closes it."""

    BINDINGS = [
        Binding("escape,q,f1", "dismiss", "Close help", id="help.close"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="help.up"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="help.down"),
    ]

    def __init__(
        self,
        pane_title: str,
        pane_help: str,
        keys: list[tuple[str, str]],
        pane_keys: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.pane_title = pane_title
        self.pane_help = pane_help
        self.keys = keys
        self.pane_keys = pane_keys or []

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = f"Help · {self.pane_title}"
            box.border_subtitle = "escape closes"
            with VerticalScroll(id="help-scroll"):
                yield Static(Text(reflow(self.pane_help)), id="help-pane")
                if self.pane_keys:
                    yield Static(
                        self._keys_text(f"{self.pane_title} keys (ids for keymap.yaml)", self.pane_keys),
                        id="help-pane-keys",
                    )
                yield Static(self._keys_text("Everywhere", self.keys), id="help-keys")

    def _keys_text(self, title: str, keys: list[tuple[str, str]]) -> Text:
        text = Text(title + "\n", style="bold")
        width = max((len(k) for k, _ in keys), default=8) + 2
        for key, description in keys:
            text.append(f"  {key:<{width}}", style="bold")
            text.append(description + "\n")
        return text

    def action_scroll(self, delta: int) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_relative(y=delta, animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
