"""Messages the workbench's panes post; the app routes them (panes never call each other)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from nango_tui.config import Diagnostic


class OpenFile(Message):
    """Show `path` (relative to the project root) in the script pane, at a line (and column);
    `focus` moves the focus there too."""

    def __init__(self, path: str, line: int = 1, column: int | None = None, *, focus: bool = False) -> None:
        super().__init__()
        self.path = path
        self.line = line
        self.column = column
        self.focus = focus


class ScriptSelected(Message):
    """A sync or action was picked in the config tree."""

    def __init__(self, integration: str, name: str, kind: str, script_path: str) -> None:
        super().__init__()
        self.integration = integration
        self.name = name
        self.kind = kind
        self.script_path = script_path


@dataclass
class DiagnosticsSnapshot:
    """What the problems pane shows: one update of the dev engine (or of the loader alone)."""

    diagnostics: list[Diagnostic]
    changed: list[str]
    ms: float
    project: Any = None  # Project | None


class DiagnosticsUpdated(Message):
    """The dev engine published a new set of diagnostics."""

    def __init__(self, snapshot: DiagnosticsSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class EngineFailed(Message):
    """The dev engine could not start or stopped with an error (shown in a modal)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class FileChanged(Message):
    """A file the script pane shows changed on disk."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path


class FilterChanged(Message):
    """The `/` filter of a pane changed (empty text clears it)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
