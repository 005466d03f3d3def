"""The dryrun pane's one-line status: state, elapsed, records per model, rate, requests, retries."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from .dryrun_results import CANCELLED, DONE, FAILED, RunResults

_STATE_LABEL = {
    "starting": ("◌ starting", "bold yellow"),
    "running": ("● running", "bold yellow"),
    DONE: ("✔ done", "bold green"),
    FAILED: ("✘ failed", "bold red"),
    CANCELLED: ("■ stopped", "bold yellow"),
}


def status_text(results: RunResults | None, script_name: str | None = None) -> Text:
    """The status line for a run (or the hint shown when there is none for `script_name`)."""
    if results is None:
        if script_name:
            return Text.from_markup(
                f"[dim]No dryrun of [b]{script_name}[/b] yet: press [b]d[/b] to start one.[/]"
            )
        return Text.from_markup("[dim]No dryrun yet: select a sync or action and press [b]d[/b].[/]")
    label, style = _STATE_LABEL.get(results.state, (results.state, "bold"))
    text = Text()
    text.append(label, style)
    text.append(f" {results.elapsed:.1f}s", "bold")
    tally = results.tally
    for model in tally.counts:
        text.append(" · ")
        text.append(model, "cyan")
        text.append(f" {results.model_total(model):,}")
    if not tally.counts and results.kind == "sync":
        text.append(" · 0 records", "dim")
    if tally.records:
        text.append(f" · {results.rate:,.0f} rec/s")
    text.append(f" · {tally.requests:,} req")
    if tally.retries:
        text.append(f" · {tally.retries:,} retries", "yellow")
    invalid = sum(tally.invalid.values())
    if invalid:
        text.append(f" · {invalid:,} invalid", "red")
    if tally.errors:
        text.append(f" · {tally.errors} error{'s' if tally.errors > 1 else ''}", "red")
    return text


class DryrunStatus(Static):
    """Shows `status_text` of the run the pane displays; refreshed by the pane's timer."""

    DEFAULT_CSS = """
    DryrunStatus { height: 1; padding: 0 1; }
    """

    def show(self, results: RunResults | None, script_name: str | None = None) -> None:
        self.update(status_text(results, script_name), layout=False)  # one fixed line: no reflow
