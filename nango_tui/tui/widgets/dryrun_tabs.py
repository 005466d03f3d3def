"""The Dryrun pane's tabs: Records, Logs, Requests, Invalid and Summary, with counts in labels.

Only Records' view is made and mounted with the tabs: the others are made (their modules
imported) and mounted into their tab when first needed (`mount_view`: a run to show, the tab shown, the workbench's warm-up after
its first frame). Each is ~10 widgets the first frame would mount and style for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, cast

from textual import on
from textual.widget import AwaitMount, Widget
from textual.widgets import TabbedContent, TabPane

from nango_tui.dryrun import events as ev

from .dryrun_records import DryrunRecords
from .dryrun_results import RunResults

if TYPE_CHECKING:
    from .dryrun_invalid import DryrunInvalid
    from .dryrun_logs import DryrunLogs
    from .dryrun_requests import DryrunRequests
    from .dryrun_summary import DryrunSummary

TABS = ("dryrun-records", "dryrun-logs", "dryrun-requests", "dryrun-invalid", "dryrun-summary")
TITLES = ("Records", "Logs", "Requests", "Invalid", "Summary")
# the views made (and their modules imported) when first needed: tab -> (module, class)
LATER_VIEWS = {
    "dryrun-logs": ("dryrun_logs", "DryrunLogs"),
    "dryrun-requests": ("dryrun_requests", "DryrunRequests"),
    "dryrun-invalid": ("dryrun_invalid", "DryrunInvalid"),
    "dryrun-summary": ("dryrun_summary", "DryrunSummary"),
}


class DryrunTabs(TabbedContent):
    """One tab per view of a run; `show` moves focus along when it was inside a tab."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(initial="dryrun-records", id=id)
        self.records = DryrunRecords(id="dryrun-records-view")
        self._views: dict[str, Widget] = {"dryrun-records": self.records}  # the others: `view`
        self._mounting: dict[str, AwaitMount] = {}
        self.on_view_mounted: Callable[[str], None] | None = None  # the pane catches the view up
        for title, tab_id in zip(TITLES, TABS, strict=True):
            eager = (self.records,) if tab_id == "dryrun-records" else ()
            self.compose_add_child(TabPane(title, *eager, id=tab_id))

    def view(self, tab: str) -> Widget:
        """`tab`'s view, made when first asked for (its module imported then: not for the
        workbench's first frame, which shows Records only)."""
        view = self._views.get(tab)
        if view is None:
            module, name = LATER_VIEWS[tab]
            view = getattr(import_module(f"{__package__}.{module}"), name)(id=f"{tab}-view")
            self._views[tab] = view
        return view

    @property
    def logs(self) -> DryrunLogs:
        return cast("DryrunLogs", self.view("dryrun-logs"))

    @property
    def requests(self) -> DryrunRequests:
        return cast("DryrunRequests", self.view("dryrun-requests"))

    @property
    def invalid(self) -> DryrunInvalid:
        return cast("DryrunInvalid", self.view("dryrun-invalid"))

    @property
    def summary(self) -> DryrunSummary:
        return cast("DryrunSummary", self.view("dryrun-summary"))

    def ready(self, tab: str) -> bool:
        """`tab`'s view is mounted (composed: its parts can be queried)."""
        view = self._views.get(tab)
        return view is not None and view.is_mounted

    def mount_view(self, tab: str) -> AwaitMount | None:
        """Mount `tab`'s view into its tab, once; the awaitable of that mount (None: it was
        mounted with the tabs). `on_view_mounted(tab)` is called when it is."""
        view = self.view(tab)
        if view.parent is None and tab not in self._mounting:
            pane = self.get_pane(tab)
            if not pane.is_attached:  # the app is closing
                return None
            self._mounting[tab] = pane.mount(view)
            self.run_worker(self._mounted(tab), group="dryrun-view-mount", exit_on_error=False)
        return self._mounting.get(tab)

    def mount_views(self) -> None:
        """Mount every view not mounted yet (a run is starting, or the workbench is idle)."""
        for tab in TABS:
            self.mount_view(tab)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content is self and event.pane.id in TABS:
            self.mount_view(event.pane.id)  # a click or a key on the tab bar
            if event.pane.id == "dryrun-summary" and self.ready("dryrun-summary"):
                self.summary.catch_up()  # drawn in the frame that shows the tab

    async def _mounted(self, tab: str) -> None:
        await self._mounting[tab]
        if self.on_view_mounted is not None:
            self.on_view_mounted(tab)

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
        if not self.ready(tab):
            self.mount_view(tab)
            if focus_was_in_a_tab:
                self.run_worker(self._focus_when_mounted(tab), group="dryrun-view-focus", exclusive=True)
            return
        if focus_was_in_a_tab:
            target = self.body_of(tab)
            if target is not None:
                target.focus()

    async def _focus_when_mounted(self, tab: str) -> None:
        mounting = self._mounting.get(tab)
        if mounting is None:
            return
        await mounting
        target = self.body_of(tab) if self.active == tab else None
        if target is not None:
            target.focus()

    def body_of(self, tab: str) -> Widget | None:
        """The widget that takes focus in `tab` (None while its view is not mounted yet)."""
        if not self.ready(tab):
            return None
        if tab == "dryrun-records":
            records = self.records
            model = records.current_model
            tables = records.query("DataTable")
            return next(
                (t for t in tables if model and t.id and t.id.endswith(model)), None
            ) or self.query_one("Tabs")
        if tab == "dryrun-logs":
            from .dryrun_logs import LogLines

            return self.logs.query_one(LogLines)
        if tab == "dryrun-requests":
            return self.requests.table
        if tab == "dryrun-invalid":
            return self.invalid.table
        return self.summary.focus_target

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
