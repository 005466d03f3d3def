"""Offered when the folder has no nango.yaml: create the example project (`nango-tui init`)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class InitScreen(ModalScreen[bool]):
    """Dismissed with True (create the project) or False (not now)."""

    BINDINGS = [
        Binding("enter,y", "create", "Create project", id="init.create"),
        Binding("escape,n", "cancel", "Not now", id="init.cancel"),
    ]

    def __init__(self, root: Path, empty: bool) -> None:
        super().__init__()
        self.root = root
        self.empty = empty

    def compose(self) -> ComposeResult:
        text = Text()
        text.append(f"There is no nango.yaml in {self.root}.\n\n", "bold")
        text.append(
            "Create an example project here (what `nango-tui init` writes): a GitHub issues sync "
            "and action, their models, a connections.yaml with an offline demo connection, a "
            ".gitignore and a README of next steps.\n"
        )
        if not self.empty:
            text.append(
                "The folder is not empty: only missing files are added, nothing is overwritten.\n", "yellow"
            )
        text.append("\nenter: create the project    escape: not now", "bold")
        with Vertical(id="init-box") as box:
            box.border_title = "No project here"
            yield Static(text, id="init-text")

    def action_create(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
