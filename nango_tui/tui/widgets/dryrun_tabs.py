"""The Dryrun pane's tabs: Records, Logs, Requests, Invalid and Summary, with counts in labels."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import DataTable, TabbedContent, TabPane

from nango_tui.dryrun import events as ev

from .dryrun_invalid import DryrunInvalid
from .dryrun_logs import DryrunLogs, LogLines
from .dryrun_records import DryrunRecords
from .dryrun_requests import DryrunRequests
from .dryrun_results import RunResults
from .dryrun_summary import DryrunSummary

TABS = ("dryrun-records", "dryrun-logs", "dryrun-requests", "dryrun-invalid", "dryrun-summary")


class DryrunTabs(TabbedContent):
    """One tab per view of a run; `show` moves focus along when it was inside a tab."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(initial="dryrun-records", id=id)
        for title, tab_id, view in (
            ("Records", "dryrun-records", DryrunRecords(id="dryrun-records-view")),
            ("Logs", "dryrun-logs", DryrunLogs(id="dryrun-logs-view")),
            ("Requests", "dryrun-requests", DryrunRequests(id="dryrun-requests-view")),
            ("Invalid", "dryrun-invalid", DryrunInvalid(id="dryrun-invalid-view")),
            ("Summary", "dryrun-summary", DryrunSummary(id="dryrun-summary-view")),
        ):
            self.compose_add_child(TabPane(title, view, id=tab_id))

    def step(self, step: int) -> None:
        """Show the next (1) or previous (-1) tab."""
        index = TABS.index(self.active) if self.active in TABS else 0
        self.show(TABS[(index + step) % len(TABS)])

    def show(self, tab: str) -> None:
        """Switch to `tab`. Focus inside the old tab follows to the new one (a focused widget
        in a hidden tab would drag it back)."""
        focused = self.app.focused
        focus_was_in_a_tab = focused is not None and any(p.id in TABS for p in focused.ancestors)
        self.active = tab
        if focus_was_in_a_tab:
            target = self.body_of(tab)
            if target is not None:
                target.focus()

    def body_of(self, tab: str) -> Widget | None:
        """The widget that takes focus in `tab`."""
        if tab == "dryrun-records":
            records = self.query_one(DryrunRecords)
            model = records.current_model
            tables = records.query(DataTable)
            return next(
                (t for t in tables if model and t.id and t.id.endswith(model)), None
            ) or self.query_one("Tabs")
        if tab == "dryrun-logs":
            return self.query_one(LogLines)
        if tab == "dryrun-requests":
            return self.query_one(DryrunRequests).table
        if tab == "dryrun-invalid":
            return self.query_one(DryrunInvalid).table
        return self.query_one(DryrunSummary).focus_target

    def label(self, results: RunResults | None) -> None:
        """Put the run's counts in the tab labels."""
        tally = results.tally if results else ev.Tally()
        invalid = sum(tally.invalid.values())
        labels = {
            "dryrun-records": f"Records {tally.records:,}" if tally.records else "Records",
            "dryrun-logs": f"Logs {tally.logs:,}" if tally.logs else "Logs",
            "dryrun-requests": f"Requests {tally.requests:,}" if tally.requests else "Requests",
            "dryrun-invalid": f"Invalid {invalid:,}" if invalid else "Invalid",
        }
        relabelled = False
        for pane_id, label in labels.items():
            tab = self.get_tab(pane_id)
            if str(tab.label) != label:
                tab.label = label
                relabelled = True
        if relabelled:
            # Textual 8.2 places the underline before the relabelled tab is laid out again, so
            # it keeps the old width: place it once more after the next refresh
            self.call_after_refresh(self.call_after_refresh, self._place_underline)

    def _place_underline(self) -> None:
        if self.active:
            self.show_tab(self.active)  # showing the shown tab re-places the underline
