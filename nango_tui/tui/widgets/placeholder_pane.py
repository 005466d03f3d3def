"""Stands in the dryrun slot until the DryrunPane widget is installed."""

from __future__ import annotations

from textual.widgets import Static


class DryrunPlaceholder(Static, can_focus=True):
    """Says what the pane will show; the app swaps in `DryrunPane` when it can import it."""

    DEFAULT_CSS = """
    DryrunPlaceholder { border: round $panel-lighten-2; border-title-color: $text-muted; padding: 0 1; color: $text-muted; }
    DryrunPlaceholder:focus { border: round $primary; }
    """

    def __init__(self) -> None:
        super().__init__("Dryrun results appear here. This build has no dryrun pane yet.", id="dryrun")
        self.border_title = "Dryrun"
