"""The Problems pane: the dev engine's live diagnostics, errors first; Enter opens the place."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nango_tui.config import Diagnostic, sort_key
from nango_tui.tui.messages import OpenFile
from nango_tui.tui.widgets.pane import Pane

MAX_LISTED = 1000  # the title still counts every problem; a list this long is read by filtering
ICONS = {"error": ("●", "bold red"), "warning": ("▲", "bold yellow")}


def problems_title(diagnostics: list[Diagnostic], checking: bool = False) -> str:
    """`Problems · 2 errors, 1 warning` (or `No problems`)."""
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if checking and not diagnostics:
        return "Problems · checking…"
    if not diagnostics:
        return "Problems · none"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "Problems · " + ", ".join(parts)


def problem_text(diag: Diagnostic) -> Text:
    """The message first, then where and which check (as editors' problem lists do)."""
    icon, style = ICONS.get(diag.severity, ICONS["warning"])
    # two lines whatever the width (a long message wrapped over 5-6 lines at 80 columns);
    # the whole text is in the script pane at that line (enter) and in the zoomed pane (z)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(icon + " ", style=style)
    text.append(diag.message)
    if diag.hint:
        text.append(f" ({diag.hint})", style="italic")
    text.append(f"\n  {diag.file}:{diag.line}:{diag.column}", style="dim bold")
    text.append(f" {diag.code}", style="dim")
    return text


class ProblemsList(OptionList):
    """One option per diagnostic; the option id is its index in the pane's list."""


class ProblemsPane(Pane):
    """Errors first, then warnings; updated on every save by the dev engine."""

    TITLE = "Problems"
    FILTER_PLACEHOLDER = "filter problems…"
    HELP = """\
The live diagnostics of the dev engine (the same engine `nango-tui dev` runs): nango.yaml,
models.py and every script are re-checked on each save. Errors come first.

  up/down        move
  enter          open the file at that line and column in the script pane
  /              filter by file, code or message
"""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.diagnostics: list[Diagnostic] = []
        self.shown: list[Diagnostic] = []
        self.checking = True

    def compose_body(self):
        yield ProblemsList(id="problems-list", classes="pane-body")

    def show(self, diagnostics: list[Diagnostic], checking: bool = False) -> None:
        self.diagnostics = sorted(diagnostics, key=sort_key)
        self.checking = checking
        self._refill()

    def apply_filter(self, text: str) -> None:
        self._refill()

    def _refill(self) -> None:
        needle = self.filter_text.strip().lower()
        self.shown = [d for d in self.diagnostics if not needle or needle in d.format().lower()]
        self.border_title = problems_title(self.diagnostics, self.checking)
        options = self.query_one(ProblemsList)
        highlighted = options.highlighted
        options.clear_options()
        if self.shown:
            listed = self.shown[:MAX_LISTED]
            options.add_options([Option(problem_text(d), id=str(i)) for i, d in enumerate(listed)])
            if len(self.shown) > MAX_LISTED:
                more = len(self.shown) - MAX_LISTED
                options.add_option(
                    Option(Text(f"… and {more} more (narrow them with /)", style="dim"), disabled=True)
                )
            options.highlighted = min(highlighted or 0, len(listed) - 1)
        elif self.checking:
            options.add_option(Option(Text("checking…", style="dim"), disabled=True))
        elif self.diagnostics:
            options.add_option(Option(Text("no problem matches the filter", style="dim"), disabled=True))
        else:
            options.add_option(Option(Text("✓ No problems", style="green"), disabled=True))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is None:
            return
        diag = self.shown[int(event.option_id)]
        self.post_message(OpenFile(diag.file, diag.line, diag.column, focus=True))
