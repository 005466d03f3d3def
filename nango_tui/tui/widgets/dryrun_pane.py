"""The Dryrun pane: runs a sync or action and shows its records, logs, requests as they stream.

Contract with the app shell (nango_tui/tui/app.py)
--------------------------------------------------
Mount::

    DryrunPane(project=None, id="dryrun")     # `pane.project = project` when nango.yaml reloads

Methods (all synchronous; safe to call from actions and message handlers):

* ``start(request: DryrunRequest)`` starts a run of ``request`` (replacing a running one) in an
  exclusive async worker calling ``nango_tui.dryrun.start_dryrun``; the pane shows that script.
* ``stop() -> bool`` cancels the running run (the child is gone within 1 s); False when idle.
  Bound to ``escape`` while the pane has focus (only while a run is going).
* ``rerun_last() -> bool`` starts the last request again; False (and a toast) when there is none.
* ``save_records()`` writes every record of the shown run (JSON lines, ``{"op", "model",
  "record"}`` a line) to a new file under ``<root>/.nango/records/`` and toasts its path.
  Key ``s``.
* ``show_script(script)`` shows the last results of that script (a config ``Script``, or an
  ``"integration/name"`` key); a run's results stay until the next run of the same script.
* ``last_request`` (DryrunRequest | None), ``results_for(script)``, ``shown`` (RunResults | None).

Messages it posts (they bubble to the app):

* ``DryrunPane.RunStarted(request)``
* ``DryrunPane.RunFinished(status, counts)``: status "ok" | "failed" | "cancelled", counts per
  model and op as in the `done` event; also ``.request``, ``.done`` (the done event or None),
  ``.error`` (the error event that ended the run or None).
* ``DryrunPane.Progress(script_key, records, logs, requests)``: coalescing (``can_replace``),
  at most every 100 ms while a run streams; for a title or a footer.
* ``DryrunPane.RecordsSaved(path, count)`` after ``save_records``.

Other keys (footer/help): ``/`` filters the logs (also ``open_filter()``, for the app's ``/``),
``[`` / ``]`` previous / next tab, ``m`` next model and ``n`` / ``p`` next / previous 1,000
records (read from the records file) in Records. ``TITLE`` and ``HELP`` serve the help screen. The dialog that builds a request is ``screens.dryrun_dialog.DryrunDialog``.
Styles: ``nango_tui/tui/dryrun.tcss`` (add it to the app's CSS_PATH).

How it stays responsive: the worker feeds each event into the run's ``RunResults``, which
counts everything and keeps only bounded windows (first 1,000 records per model, newest 5,000
log lines, first 1,000 requests); a 100 ms timer drains what changed into the widgets in one
batch. Tables never hold more than the window; logs are drawn virtually (visible lines only).
The full record set is in the run's records file under ``.nango/runs/``.
A run's start holds the app's frames (``App.batch_update``) until its first records are drawn,
it ends, its child turns out to call a live API (no quick records then), or ``HOLD_SECONDS``
(0.15 s) pass, and a focus move into the pane asked for meanwhile waits for that moment: the
dialog closing, the pane's reset, the focus and the first rows then cost one layout and render,
and the first rows come sooner (issue 18: ctrl+j on a replaying connection).

Parts: ``tui/dryrun_stream.DryrunStream`` starts, streams and stops runs (no drawing);
``DryrunTabs`` holds the views; this pane draws what the stream gathered and owns the keys.
The process-wide garbage-collector policy while runs stream is ``tui/gc_policy.py``.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message

from nango_tui.config.names import PathOutsideFolder
from nango_tui.dryrun import events as ev
from nango_tui.tui.dryrun_stream import DryrunStream, Starter, script_key_of
from nango_tui.tui.messages import OpenFile
from nango_tui.tui.run_history import diff_runs

from .dryrun_records import DryrunRecords, RecordSearch
from .dryrun_results import RunResults
from .dryrun_status import DryrunStatus
from .dryrun_tabs import TABS, DryrunTabs
from .focus_frame import FocusFrame

DRAIN_SECONDS = 0.1  # how often streamed events reach the widgets
LABEL_SECONDS = 1.0  # how often the tab labels' counts follow a streaming run
SHORT_PANE = 16  # rows under which the record / request detail is hidden
HOLD_SECONDS = 0.15  # at most this long a run's start holds the frames for its first records

__all__ = ["TABS", "DryrunPane"]


class DryrunPane(FocusFrame, Vertical, can_focus=False):
    """Shows one script's last run (streaming or done); runs are the `DryrunStream`'s."""

    TITLE = "Dryrun"
    HELP = """\
Runs the selected sync or action in a child process against a connection and shows what it
streams: the status line (state, elapsed, records per model, records/s, requests, retries),
then the tabs Records, Logs, Requests, Invalid and Summary.

Where the keys go (the focus model):
  F5, tab        into the Dryrun pane: the active tab's content (a table, the logs, the summary)
  ] and [        next / previous tab; the focus follows into the new tab's content
  up/down, pgup/pgdn, home/end   move in a table (the detail below follows) or scroll a view
  enter          inspect the highlighted record, request or invalid record (scrollable; escape closes)
  tab, shift+tab leave the pane (next / previous pane); z zooms the pane, z again restores

Records: a table per model, m shows the next model; n / p page through every record, 1,000 at
a time, read from the run's records file; / searches every record of the run, all models, in
that file (enter searches, escape clears; the table jumps to a model with a match, m to the next); c copies the record (v switches to cells: c copies a value).
Requests: enter opens the inspector: method, URL, status, time, attempt, request and response
headers and bodies (secrets masked; each body cut at 64 KiB), JSON indented; in it c copies the
response body, u the request as a curl command, a the whole exchange (OSC 52: works over SSH).
Invalid: o opens the bad field's line of nango.yaml in the Script pane.
Summary: o opens the error's line (the innermost frame of the traceback in your folder); in
the traceback, up/down move between the frames of your scripts and enter opens that line.

d opens the dryrun dialog, r runs the last dryrun again, escape stops a running one.
D shows what changed since the previous run of this script and connection (the diff
`nango-tui test` prints); the last 10 runs of each are kept. w toggles watch: each save of the
script that compiles clean re-runs the last dryrun (replaying when its connection replays).
s saves every record of the shown run to .nango/records/<script>-<time>.jsonl.
/ filters the logs in the other tabs (text or a level: error, warn).

A records table holds 1,000 rows at a time, the Requests tab the first 1,000 requests (the
first 200 with their bodies), the logs the newest 5,000 lines: the counts are always complete
and s saves the full record set. A run's results stay until the next run of the same script.
"""

    BINDINGS = [
        # short descriptions, few shown: with the workbench's keys the footer must fit 80 columns
        Binding("escape", "stop", "Stop", id="dryrun.stop"),
        Binding("s", "save_records", "Save", id="dryrun.save"),
        Binding("slash", "filter_logs", "Filter logs", id="dryrun.filter", show=False),
        Binding("right_square_bracket", "next_tab", "Tab", key_display="]", id="dryrun.next_tab"),
        Binding("D", "diff", "Diff", id="dryrun.diff", show=False),
        Binding("w", "toggle_watch", "Watch", id="dryrun.watch", show=False),
        Binding("o", "open_location", "Open in Script", id="dryrun.open_location", show=False),
        Binding("left_square_bracket", "previous_tab", "Prev tab", id="dryrun.previous_tab", show=False),
    ]

    class RunStarted(Message):
        """A run was started (before its child process is up)."""

        def __init__(self, request: Any) -> None:
            super().__init__()
            self.request = request

    class RunFinished(Message):
        """A run ended: status "ok" | "failed" | "cancelled" and its counts per model and op."""

        def __init__(
            self,
            status: str,
            counts: dict,
            *,
            request: Any = None,
            done: dict | None = None,
            error: dict | None = None,
        ) -> None:
            super().__init__()
            self.status = status
            self.counts = counts
            self.request = request
            self.done = done
            self.error = error

    class Progress(Message):
        """Where the running run is; a newer one replaces an unhandled older one."""

        def __init__(self, script_key: str, records: int, logs: int, requests: int) -> None:
            super().__init__()
            self.script_key = script_key
            self.records = records
            self.logs = logs
            self.requests = requests

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DryrunPane.Progress)

    class RecordsSaved(Message):
        """`save_records` wrote `count` records to `path`."""

        def __init__(self, path: Path, count: int) -> None:
            super().__init__()
            self.path = path
            self.count = count

    def __init__(
        self,
        project: Any = None,
        *,
        starter: Starter | None = None,
        id: str | None = "dryrun",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.controller = DryrunStream(self, self, starter)
        self.controller.project = project
        self._shown: RunResults | None = None
        self._drawn: tuple | None = None  # what the widgets show, to skip idle drains
        self._placeholder: str | None = None  # the script shown when it has no results
        self._placeholder_key: str | None = None
        self._labelled = 0.0  # when the tab labels were last updated
        self.watching = False  # re-run the last dryrun on each clean save of its script
        self.last_diff: list[str] | None = None  # the last diff shown (tests read it)
        self._short = False  # too few rows for the record / request details (`on_resize`)
        self._hold: ExitStack | None = None  # the app's frames held for a run's first records
        self.hold_seconds = HOLD_SECONDS
        self._held_for: RunResults | None = None
        self._hold_timer: Any = None
        self._focus_on_release = False  # `focus_body` asked for while the frames were held
        self._after_release: list[Any] = []  # `after_start_drawn` callbacks waiting for the release

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DryrunStatus(id="dryrun-status")
        yield DryrunTabs(id="dryrun-tabs")

    def on_mount(self) -> None:
        self.tabs.on_view_mounted = self._view_mounted
        self._apply_project()
        self._show(self._shown)
        self.set_interval(DRAIN_SECONDS, self.drain, name="dryrun-drain")
        self.call_after_refresh(self.mount_views)  # after the first frame, which shows Records only

    def mount_views(self) -> None:
        """Mount the tabs' views the first frame left out."""
        self.tabs.mount_views()

    def _view_mounted(self, tab: str) -> None:
        """A tab's view was mounted late: show it the shown run, as `_show` and `drain` would."""
        results = self._shown
        view = self.tabs.view(tab)
        if tab == "dryrun-summary":
            self.tabs.summary.show(results)
        else:
            view.reset(results)  # type: ignore[attr-defined]
        self._apply_short()

    def on_resize(self) -> None:
        # a short pane (80x24 with four panes) keeps its rows for the tables; `z` zooms it
        short = self.size.height < SHORT_PANE
        if short != self._short:
            self._short = short
            self._apply_short()

    def _apply_short(self) -> None:
        # each detail's display, not a class on the pane: a class restyles all ~40 widgets under it
        for detail in self.query(".dryrun-detail"):
            detail.display = not self._short

    @property
    def tabs(self) -> DryrunTabs:
        return self.query_one(DryrunTabs)

    # -- public API (see the module docstring) ----------------------------------------------

    @property
    def project(self) -> Any:
        return self.controller.project

    @project.setter
    def project(self, project: Any) -> None:
        self.controller.project = project
        if self.is_mounted:
            self._apply_project()

    @property
    def shown(self) -> RunResults | None:
        return self._shown

    @property
    def last_request(self) -> Any:
        return self.controller.last_request

    @property
    def running(self) -> bool:
        return self.controller.running

    def results_for(self, script: Any) -> RunResults | None:
        return self.controller.results_for(script)

    def start(self, request: Any) -> asyncio.Future[Any] | None:
        """Start a dryrun of `request`; a run already going is stopped first. Returns the future
        its child's fork from the warm child completes, when there is one (`DryrunStream.forking`)."""
        self.controller.start(request)
        return self.controller.forking()

    def stop(self) -> bool:
        """Cancel the running run; False when nothing runs."""
        return self.controller.stop()

    def rerun_last(self) -> bool:
        if self.controller.last_request is None:
            self.notify("No dryrun to repeat yet: press d on a sync or action.", severity="warning")
            return False
        self.start(self.controller.last_request)
        return True

    def save_records(self) -> None:
        """Write the shown run's records to a JSON-lines file and toast its path."""
        results = self._shown
        if results is None or results.tally.records == 0:
            self.notify("No records to save.", severity="warning")
            return
        self._save(results)

    def show_script(self, script: Any) -> None:
        """Show the last results of `script` (a Script or an "integration/name" key)."""
        results = self.controller.find(script)
        self._show(results, placeholder=script_key_of(script) if results is None else None)

    # -- what the stream tells (DryrunStream's listener) ------------------------------------

    def run_started(self, results: RunResults) -> None:
        self.hold_frames(results)
        self.tabs.mount_views()  # a run fills every tab
        self._show(results)
        self.post_message(self.RunStarted(results.request))
        self.refresh_bindings()

    def run_child_started(self, results: RunResults, replaying: bool) -> None:
        if not replaying:
            self.release_frames(results)  # its first records wait for the API: draw the start now

    def run_progress(self, results: RunResults) -> None:
        tally = results.tally
        self.post_message(self.Progress(results.script_key, tally.records, tally.logs, tally.requests))

    def run_first_records(self, results: RunResults) -> None:
        if results is self._shown:
            self.drain()  # the first records on the screen now: the timer could be 100 ms away
        self.release_frames(results)

    def run_replaced(self, results: RunResults) -> None:
        self.post_message(self.RunFinished(ev.CANCELLED, {}, request=results.request, done=results.done))

    def run_finished(self, results: RunResults) -> None:
        self.release_frames(results)
        done = results.done or {}
        status = done.get("status", ev.FAILED)
        if results is self._shown:
            self.drain(force=True)
            if status == ev.FAILED or (results.kind == "action" and status == ev.OK):
                self.show_tab("dryrun-summary")
        self.refresh_bindings()
        self.post_message(
            self.RunFinished(
                status,
                done.get("counts", results.counts()),
                request=results.request,
                done=results.done,
                error=results.error,
            )
        )

    def hold_frames(self, results: RunResults) -> None:
        """Hold the app's frames while a run starts (until its first records, its end or
        `hold_seconds`): the dialog closing, the pane's reset and the first rows then take one
        layout and render, not one each."""
        self._held_for = results
        if self._hold is not None or not self.is_attached:
            return
        hold = ExitStack()
        hold.enter_context(self.app.batch_update())
        self._hold = hold
        self._hold_timer = self.set_timer(self.hold_seconds, self.release_frames, name="dryrun-hold")

    def after_start_drawn(self, callback: Any) -> None:
        """Call `callback` once the frame that shows the starting run is drawn (its first records,
        see `hold_frames`), or after the next frame when no run is starting: work that can wait
        (the dryrun dialog's teardown) stays off that frame's path."""
        if self._hold is not None:
            self._after_release.append(callback)
        elif self.is_attached:
            self.call_after_refresh(callback)
        else:
            callback()

    def release_frames(self, results: RunResults | None = None) -> None:
        """Draw what was held (see `hold_frames`); given `results`, only if held for that run
        (a replaced run ending does not end its successor's hold)."""
        if results is not None and results is not self._held_for:
            return
        hold, self._hold = self._hold, None
        self._held_for = None
        if hold is None:
            return
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        if self._focus_on_release and self.is_attached:
            self._focus_on_release = False
            self.focus_body()
        hold.close()
        waiting, self._after_release = self._after_release, []
        if self.is_attached:
            self.screen.check_idle()  # its idle handler lays out and renders what changed meanwhile
            for callback in waiting:
                self.call_after_refresh(callback)
        else:
            for callback in waiting:
                callback()

    def on_unmount(self) -> None:
        self._focus_on_release = False  # its parts are gone
        self.release_frames()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running
        return True

    def action_stop(self) -> None:
        self.stop()

    def action_save_records(self) -> None:
        self.save_records()

    def help_parts(self) -> list[type]:
        """The classes whose keys the help lists: the pane's, its parts', and the records'
        search field's (also before it is mounted)."""
        parts = [type(widget) for widget in (self, *self.query("*"))]
        return parts if RecordSearch in parts else [*parts, RecordSearch]

    def open_filter(self) -> None:
        """The app's `/`: filter the logs."""
        self.action_filter_logs()

    def action_filter_logs(self) -> None:
        """`/`: search the records in the Records tab, else filter the logs."""
        if self.tabs.active == "dryrun-records" and self._shown is not None and self._shown.tally.records:
            self.query_one(DryrunRecords).open_search()
            return
        self.show_tab("dryrun-logs")
        if self.tabs.ready("dryrun-logs"):
            self.tabs.logs.open_filter()
        else:
            self.run_worker(self._open_filter_when_mounted(), group="dryrun-logs-filter", exclusive=True)

    async def _open_filter_when_mounted(self) -> None:
        mounting = self.tabs.mount_view("dryrun-logs")
        if mounting is not None:
            await mounting
        if self.tabs.ready("dryrun-logs"):
            self.tabs.logs.open_filter()

    def focus_body(self) -> None:
        """F5 / Tab: focus the active tab's content (table, logs, summary), not the tab bar."""
        if self._hold is not None:
            # a run is starting: its records table may come with the held frame; one focus
            # move then (each move restyles the widgets it leaves and enters)
            self._focus_on_release = True
            return
        target = self.tabs.body_of(self.tabs.active or "dryrun-records")
        if target is not None:
            target.focus()

    # -- runs compared, watch, jumps --------------------------------------------------------

    def action_diff(self) -> None:
        """Show what changed since the previous run of this script and connection."""
        results = self._shown
        previous = self.controller.history.previous(results) if results is not None else None
        if results is None or previous is None:
            self.notify("No earlier run of this script and connection to compare with.", severity="warning")
            return
        if results.running or previous.running:
            self.notify("Compare once the run has ended.", severity="warning")
            return
        self._diff(previous, results)

    @work(thread=True, exclusive=True, group="dryrun-diff", exit_on_error=False)
    def _diff(self, previous: RunResults, results: RunResults) -> None:
        lines = diff_runs(previous, results)
        self.app.call_from_thread(self._show_diff, previous, results, lines)

    def _show_diff(self, previous: RunResults, results: RunResults, lines: list[str]) -> None:
        from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen  # when first asked

        self.last_diff = lines
        when = previous.started_at.astimezone().strftime("%H:%M:%S")
        title = f"{results.script_key.lstrip('/')} · changes since the run of {when}"
        shown = lines or ["No difference: the same records, output and error as the previous run."]
        self.app.push_screen(InspectorScreen(title, shown, [Copy("a", "Diff", "\n".join(lines))]))

    def action_toggle_watch(self) -> None:
        """Re-run the last dryrun on each clean save of its script (replaying if its connection does)."""
        if not self.watching and self.controller.last_request is None:
            self.notify("Run a dryrun first: watch re-runs the last one on each save.", severity="warning")
            return
        self.watching = not self.watching
        self.set_class(self.watching, "-watching")
        self._show_title()
        self.notify(
            "watch on: a clean save re-runs the last dryrun" if self.watching else "watch off", timeout=3
        )

    def files_saved(self, changed: list[str], clean: bool) -> bool:
        """The dev engine checked a save; re-run when watching, the script changed and all is clean."""
        request = self.controller.last_request
        if not self.watching or request is None or not clean or self.running:
            return False
        script_path = self._script_path(request)
        names = {Path(c).as_posix() for c in changed}
        if script_path is None or not any(n == script_path or n.endswith("/" + script_path) for n in names):
            return False
        self.start(request)
        return True

    def _script_path(self, request: Any) -> str | None:
        project = self.controller.project
        found = project.find_script(request.name, getattr(request, "integration", None)) if project else []
        return found[0].script_path if len(found) == 1 else None

    def action_open_location(self) -> None:
        """`o`: the error's line (Summary), an invalid record's field in nango.yaml (Invalid)."""
        tab = self.tabs.active
        target = None
        if tab == "dryrun-invalid" and self.tabs.ready(tab):
            target = self.tabs.invalid.location(self.controller.project)
        elif self._shown is not None:
            from .dryrun_summary import error_location

            target = error_location(self._shown.error)
        if target is None:
            self.notify("No place to open here.", severity="warning")
            return
        self.post_message(OpenFile(target[0], target[1], focus=True))

    def action_next_tab(self) -> None:
        self.tabs.step(1)

    def action_previous_tab(self) -> None:
        self.tabs.step(-1)

    def show_tab(self, tab: str) -> None:
        """Switch to `tab` ("dryrun-records", "dryrun-logs", ...); focus in a tab follows."""
        self.tabs.show(tab)

    @work(thread=True, group="dryrun-save", exit_on_error=False)
    def _save(self, results: RunResults) -> None:
        root = Path(getattr(results.request, "root", "."))
        try:
            path, count = results.save_to(root)
        except (OSError, PathOutsideFolder) as exc:
            self.app.call_from_thread(self.notify, f"Could not save the records: {exc}", severity="error")
            return
        try:
            shown = path.relative_to(root.resolve()) if path.is_absolute() else path
        except ValueError:
            shown = path
        if count < results.tally.records:
            message = f"Saved {count:,} of {results.tally.records:,} records to {shown}: the run's records file is gone (.nango/runs keeps the last 50 runs)"
            self.app.call_from_thread(self.notify, message, title="Records saved in part", severity="warning")
        else:
            self.app.call_from_thread(
                self.notify, f"Saved {count:,} records to {shown}", title="Records saved"
            )
        self.post_message(self.RecordsSaved(path, count))

    # -- drawing ----------------------------------------------------------------------------

    def drain(self, force: bool = False) -> None:
        """Move what the shown run gathered since the last drain into the widgets, in one go."""
        results = self._shown
        if results is None:
            if force or self._drawn is not None:
                self._drawn = None
                self.query_one(DryrunStatus).show(None, self._placeholder)
            return
        if results.running or force or self._drawn is None:
            self.query_one(DryrunStatus).show(results, self._placeholder)  # the elapsed time moves
        self._into_the_table()  # every tick: a table mounted by the last one can take focus now
        tally = results.tally
        drawn = (
            id(results),
            results.state,
            tally.records,
            tally.logs,
            tally.requests,
            len(results.invalid),
            tally.errors,
        )
        if drawn == self._drawn and not force:
            return
        previous, self._drawn = self._drawn, drawn
        if self.query_one(DryrunRecords).sync():
            self._drawn = None  # rows still to add: come back on the next tick
        tabs = self.tabs
        for tab in TABS[1:4]:
            if tabs.ready(tab):  # one mounted later catches up then (`_view_mounted`)
                tabs.view(tab).sync()  # type: ignore[attr-defined]
        state_changed = force or previous is None or previous[1] != results.state or not results.running
        if state_changed and tabs.ready(TABS[4]):
            tabs.summary.show(results)
        now = time.monotonic()
        if state_changed or now - self._labelled >= LABEL_SECONDS:
            # a label that grows re-lays the tab bar out: once a second is plenty while streaming
            self._labelled = now
            self.tabs.label(results)

    def _into_the_table(self) -> None:
        """Focus parked on the tab bar (the pane was entered before any table existed) moves
        into the records table once it appears."""
        focused = self.app.focused
        if focused is None or focused.parent is None or focused is not self.tabs.query_one("Tabs"):
            return
        if self.tabs.active == "dryrun-records":
            body = self.tabs.body_of("dryrun-records")
            if body is not None and body is not focused and body.display and body.is_mounted:
                body.focus()

    def _show_title(self) -> None:
        results = self._shown
        shown_key = results.script_key if results is not None else self._placeholder_key
        title = f"{self.TITLE} · {shown_key.lstrip('/')}" if shown_key else self.TITLE
        self.border_title = title + (" · watching" if self.watching else "")

    def _show(self, results: RunResults | None, placeholder: str | None = None) -> None:
        self._shown = results
        self._placeholder_key = placeholder
        self._show_title()
        self._drawn = None
        self._placeholder = placeholder.split("/")[-1] if placeholder else None
        if not self.is_mounted:
            return
        focused = self.app.focused
        focus_inside = focused is not None and self in focused.ancestors
        tabs = self.tabs
        tabs.records.reset(results)
        for tab in TABS[1:4]:
            if tabs.ready(tab):
                tabs.view(tab).reset(results)  # type: ignore[attr-defined]
        if tabs.ready(TABS[4]):
            tabs.summary.show(results)
        self.query_one(DryrunStatus).show(results, self._placeholder)
        self.tabs.label(results)
        if focus_inside:  # a re-run (watch, r) keeps the keyboard in the pane
            self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        if self.app.focused is None or not self.app.focused.display:
            self.focus_body()

    def _apply_project(self) -> None:
        fields: dict[str, list[str]] = {}
        project = self.controller.project
        if project is not None:
            for name, model in project.models.items():
                fields[name] = [f.name for f in model.fields]
        self.query_one(DryrunRecords).model_fields = fields
