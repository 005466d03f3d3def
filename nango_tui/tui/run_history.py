"""Runs compared: a bounded history per (script, connection) and the diff of two runs.

No Textual here. The diff is `nango-tui test`'s own (`dryrun.regress.compare`): records added,
removed and changed by field, per model and op, then the action's output and the error. A
run's records come from its records file (all of them), or from the pane's window when the
file is gone (`.nango/runs` keeps the last 50 runs).
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nango_tui.tui.widgets.dryrun_results import RunResults

if TYPE_CHECKING:
    from nango_tui.dryrun.regress import Outcome

HISTORY_KEPT = 10  # runs kept per (script, connection)


def history_key(results: RunResults) -> tuple[str, str]:
    return results.script_key, str(getattr(results.request, "connection_id", ""))


class RunHistory:
    """The last `HISTORY_KEPT` runs of each (script, connection), oldest first."""

    def __init__(self, kept: int = HISTORY_KEPT) -> None:
        self.kept = kept
        self._runs: dict[tuple[str, str], deque[RunResults]] = {}

    def add(self, results: RunResults) -> None:
        self._runs.setdefault(history_key(results), deque(maxlen=self.kept)).append(results)

    def runs(self, results: RunResults) -> list[RunResults]:
        return list(self._runs.get(history_key(results), ()))

    def previous(self, results: RunResults) -> RunResults | None:
        """The run of the same script and connection just before `results` (None: the first)."""
        runs = self.runs(results)
        if results in runs:
            index = runs.index(results)
            return runs[index - 1] if index > 0 else None
        return runs[-1] if runs else None


def outcome_of(results: RunResults) -> Outcome:
    """What a run produced, as `nango-tui test` compares it."""
    from nango_tui.dryrun.regress import Outcome  # imported by the first diff, not at start

    outcome = Outcome()
    section = {"save": outcome.records, "update": outcome.updated, "delete": outcome.deleted}
    if not _read_records_file(results.records_file, section):
        for model, kept in results.records.items():
            for op, record in kept:
                section.get(op, outcome.records).setdefault(model, []).append(record)
    done = results.done or {}
    if "output" in done:
        outcome.output = done["output"]
    elif results.result is not None:
        outcome.output = results.result.get("output")
    if results.error is not None:
        outcome.error = {k: results.error[k] for k in ("kind", "message", "payload") if k in results.error}
    return outcome


def _read_records_file(path: Any, section: dict[str, dict[str, list]]) -> bool:
    if path is None:
        return False
    try:
        handle = open(Path(path), "rb")
    except OSError:
        return False
    with handle:
        for line in handle:
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line the child was still writing
            section.get(str(item.get("op", "save")), section["save"]).setdefault(
                str(item.get("model")), []
            ).append(item.get("record"))
    return True


def diff_runs(previous: RunResults, current: RunResults) -> list[str]:
    """The lines `nango-tui test` would print comparing `previous` (expected) with `current`."""
    from nango_tui.dryrun.regress import compare

    return compare(outcome_of(previous), outcome_of(current))
