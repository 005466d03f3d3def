"""Infer a script's models: the proposed nango.yaml diff and mapping, applied with `a` or left alone.

The work is `infer.proposal` (the same as `nango-tui infer`), run in a thread worker: the
screen shows "inferring…" until the proposal (or a clear error) is ready.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from nango_tui.infer.proposal import ApplyResult, InferError, Proposal, SourceKind, apply, propose

MAX_SHOWN_LINES = 2_000  # a diff longer than this is cut on screen (the CLI shows all of it)
SOURCES: tuple[SourceKind, ...] = ("auto", "run", "recording")


def proposal_text(proposal: Proposal) -> Text:
    """The diff (coloured) then the mapping, as one Rich text."""
    text = Text()
    text.append(f"inferred from {proposal.source.described}\n\n", style="dim")
    diff = proposal.diff()
    if not diff:
        text.append(f"nango.yaml already holds {', '.join(proposal.unchanged)}: nothing to change\n")
    lines = diff.splitlines()
    for line in lines[:MAX_SHOWN_LINES]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        if line.startswith("@@"):
            style = "cyan"
        text.append(line + "\n", style=style)
    if len(lines) > MAX_SHOWN_LINES:
        text.append(
            f"… {len(lines) - MAX_SHOWN_LINES} more lines (`nango-tui infer` shows all)\n", style="dim"
        )
    text.append("\n")
    text.append(proposal.mapping, style="italic")
    return text


class InferScreen(ModalScreen[ApplyResult | None]):
    """The models inferred for one script: `a` writes nango.yaml and models.py, escape leaves them."""

    CSS_PATH = "infer_screen.tcss"
    AUTO_FOCUS = "#infer-body"
    BINDINGS = [
        Binding("a", "apply", "Apply", id="infer.apply"),
        Binding("s", "next_source", "Source", id="infer.source"),
        Binding("c", "copy_mapping", "Copy mapping", id="infer.copy"),
        Binding("escape", "cancel", "Cancel", id="infer.cancel"),
    ]

    def __init__(self, root: Path, integration: str, name: str) -> None:
        super().__init__()
        self.root = Path(root)
        self.integration = integration
        self.script_name = name
        self.source: SourceKind = "auto"
        self.proposal: Proposal | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="infer-box") as box:
            box.border_title = f"infer · {self.integration}/{self.script_name}"
            box.border_subtitle = "a applies · s source · c copies the mapping · escape cancels"
            with VerticalScroll(id="infer-body"):
                yield Static("inferring…", id="infer-text")
            yield Static("", id="infer-status")

    def on_mount(self) -> None:
        self._propose()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#infer-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    @work(thread=True, exclusive=True, group="infer", exit_on_error=False)
    def _propose(self) -> None:
        self.busy = True
        try:
            proposal = propose(self.root, self.script_name, integration=self.integration, source=self.source)
        except InferError as err:
            self.app.call_from_thread(self._failed, str(err))
        else:
            self.app.call_from_thread(self._show, proposal)
        finally:
            self.busy = False

    def _show(self, proposal: Proposal) -> None:
        self.proposal = proposal
        self.query_one("#infer-text", Static).update(proposal_text(proposal))
        if proposal.changed:
            changed = ", ".join(proposal.replaced + proposal.added)
            self._status(f"a writes {changed} to nango.yaml and regenerates models.py")
        else:
            self._status("nothing to apply")

    def _failed(self, message: str) -> None:
        self.proposal = None
        self.query_one("#infer-text", Static).update(Text(message))
        self._status(f"source: {self.source} · s tries another", error=True)

    def action_next_source(self) -> None:
        if self.busy:
            return
        self.source = SOURCES[(SOURCES.index(self.source) + 1) % len(SOURCES)]
        self.query_one("#infer-text", Static).update(f"inferring from the {self.source} source…")
        self._propose()

    def action_copy_mapping(self) -> None:
        if self.proposal is not None:
            self.app.copy_to_clipboard(self.proposal.mapping)
            self._status("the mapping is on the clipboard")

    def action_apply(self) -> None:
        if self.proposal is None or self.busy:
            return
        if not self.proposal.changed:
            self.dismiss(None)
            return
        self._status("writing…")
        self._apply(self.proposal)

    @work(thread=True, exclusive=True, group="infer", exit_on_error=False)
    def _apply(self, proposal: Proposal) -> None:
        self.busy = True
        try:
            result = apply(proposal)
        except InferError as err:
            self.app.call_from_thread(self._status, str(err), True)
        else:
            self.app.call_from_thread(self._applied, result)
        finally:
            self.busy = False

    def _applied(self, result: ApplyResult) -> None:
        proposal = self.proposal
        assert proposal is not None
        written = ", ".join(proposal.replaced + proposal.added)
        text = f"wrote {written} to nango.yaml" + (" and models.py" if result.models_py_written else "")
        if result.pending:
            text += f"; models.py waits for {len(result.pending)} other error(s) in nango.yaml"
        self.app.notify(text, title="infer", severity="warning" if result.problems else "information")
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
