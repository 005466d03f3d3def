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
The full record set is in the run's records file under ``.nango/runs/``. The first run calls
``gc.freeze()`` once (see ``_freeze_long_lived_heap``): it keeps full collections from
stalling the UI while a run allocates millions of short-lived objects.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, TabbedContent, TabPane
from textual.widgets._tabbed_content import ContentTabs

from nango_tui.dryrun import events as ev

from .dryrun_invalid import DryrunInvalid
from .dryrun_logs import DryrunLogs, LogLines
from .dryrun_records import DryrunRecords
from .dryrun_requests import DryrunRequests
from .dryrun_results import RunResults, script_key
from .dryrun_status import DryrunStatus
from .dryrun_summary import DryrunSummary

DRAIN_SECONDS = 0.1  # how often streamed events reach the widgets
LABEL_SECONDS = 1.0  # how often the tab labels' counts follow a streaming run
YIELD_SECONDS = 0.008
CHILD_NICENESS = 5  # added to the dryrun child's scheduling niceness  # the worker gives the loop a turn after this much work
SHORT_PANE = 16  # rows under which the record / request detail is hidden
TABS = ("dryrun-records", "dryrun-logs", "dryrun-requests", "dryrun-invalid", "dryrun-summary")

Starter = Callable[[Any], Awaitable[Any]]
_heap_frozen = False
_streams = 0  # runs streaming now (a new run may start before the old one's worker ended)
_normal_thresholds: tuple[int, int, int] | None = None
FULL_GC_EVERY = 1000  # gen-1 collections between full collections while a run streams


def _freeze_long_lived_heap() -> None:
    """Move everything alive now (Textual, pydantic, the project: it lives as long as the app)
    out of the collector's reach, once, so a full collection walks only what came later.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()  # no gc.collect() first: it would stall this keypress ~100 ms


def _streaming_gc(on: bool) -> None:
    """While a run streams, no automatic full collection (each took 30-190 ms of the UI's
    loop, 25 times in five 100k-record runs); the events are acyclic and freed by reference
    counting, so little waits for the collector. When the last run ends, the usual thresholds
    come back and the pane collects once, after the final frame is drawn.
    """
    global _streams, _normal_thresholds
    _streams += 1 if on else -1
    if on and _streams == 1:
        _normal_thresholds = gc.get_threshold()
        gc.set_threshold(_normal_thresholds[0], _normal_thresholds[1], FULL_GC_EVERY)
    elif not on and _streams == 0 and _normal_thresholds is not None:
        gc.set_threshold(*_normal_thresholds)


def _default_starter(request):
    from nango_tui.dryrun import start_dryrun

    return start_dryrun(request)


def _lower_priority(pid: int | None) -> None:
    """Let the workbench win the CPU over the script it runs (2 cores, a script at 100%):
    the child leads its own process group, so its own children are niced too."""
    if pid is None or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PGRP, pid, CHILD_NICENESS)
    except OSError:  # already gone, or not allowed: the run goes on at normal priority
        pass


class DryrunPane(Vertical, can_focus=False):
    """Streams one dryrun at a time; keeps each script's last results."""

    TITLE = "Dryrun"
    HELP = """\
Runs the selected sync or action in a child process against a connection and shows what it
streams: the status line (state, elapsed, records per model, records/s, requests, retries),
then the tabs Records (a table per model, the selected record below as JSON), Logs, Requests
(the selected exchange below; secrets are redacted), Invalid records (with their errors) and
Summary (counts, the error and where it happened, an action's output or ActionError payload).

d opens the dryrun dialog for the selected script, r runs the last dryrun again.
escape stops the running dryrun (the child is gone within a second).
s saves every record of the shown run to .nango/records/<script>-<time>.jsonl.
/ filters the logs (text or a level: error, warn); escape in the filter clears it.
] and [ move between the tabs (or left / right on the tab bar); m shows the next model;
n and p show the next / previous 1,000 records, read from the run's records file.

A records table holds 1,000 rows at a time (the first ones while the run streams), the Requests
tab the first 1,000 requests, the logs the newest 5,000 lines: the counts are always complete
and s saves the full record set. A run's results stay until the next run of the same script;
selecting a script shows its last run.
"""

    BINDINGS = [
        Binding("escape", "stop", "Stop run", id="dryrun.stop"),
        Binding("s", "save_records", "Save records", id="dryrun.save"),
        Binding("slash", "filter_logs", "Filter logs", id="dryrun.filter"),
        Binding("right_square_bracket", "next_tab", "Next tab", id="dryrun.next_tab"),
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
        self._project = project
        self._starter: Starter = starter or _default_starter
        self._results: dict[str, RunResults] = {}  # script key -> its last run
        self._shown: RunResults | None = None
        self._active: RunResults | None = None  # the run the worker streams
        self._run: Any = None  # the DryrunRun of the active run
        self._last_request: Any = None
        self._drawn: tuple | None = None  # what the widgets show, to skip idle drains
        self._placeholder: str | None = None  # the script shown when it has no results
        self._last_progress = 0.0
        self._labelled = 0.0  # when the tab labels were last updated

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DryrunStatus(id="dryrun-status")
        with TabbedContent(initial="dryrun-records", id="dryrun-tabs"):
            with TabPane("Records", id="dryrun-records"):
                yield DryrunRecords(id="dryrun-records-view")
            with TabPane("Logs", id="dryrun-logs"):
                yield DryrunLogs(id="dryrun-logs-view")
            with TabPane("Requests", id="dryrun-requests"):
                yield DryrunRequests(id="dryrun-requests-view")
            with TabPane("Invalid", id="dryrun-invalid"):
                yield DryrunInvalid(id="dryrun-invalid-view")
            with TabPane("Summary", id="dryrun-summary"):
                yield DryrunSummary(id="dryrun-summary-view")

    def on_mount(self) -> None:
        self._apply_project()
        self._show(self._shown)
        self.set_interval(DRAIN_SECONDS, self._drain, name="dryrun-drain")

    def on_resize(self) -> None:
        # a short pane (80x24 with four panes) keeps its rows for the tables; `z` zooms it
        self.set_class(self.size.height < SHORT_PANE, "-short")

    # -- public API (see the module docstring) ----------------------------------------------

    @property
    def project(self) -> Any:
        return self._project

    @project.setter
    def project(self, project: Any) -> None:
        self._project = project
        if self.is_mounted:
            self._apply_project()

    @property
    def shown(self) -> RunResults | None:
        return self._shown

    @property
    def last_request(self) -> Any:
        return self._last_request

    @property
    def running(self) -> bool:
        return self._active is not None and self._active.running

    def results_for(self, script: Any) -> RunResults | None:
        return self._results.get(self._key_of(script))

    def start(self, request: Any) -> None:
        """Start a dryrun of `request`; a run already going is stopped first."""
        _freeze_long_lived_heap()
        key, kind = self._resolve(request)
        previous = self._active
        if previous is not None and previous.running and not previous.streaming:
            # its worker is replaced before it ever ran: end it here, or it stays "starting"
            previous.finish(previous.tally.done_event(ev.CANCELLED, previous.elapsed, "cancelled"))
            self.post_message(
                self.RunFinished(ev.CANCELLED, {}, request=previous.request, done=previous.done)
            )
        results = RunResults(request=request, script_key=key, kind=kind)
        self._results[key] = results
        self._last_request = request
        self._active = results
        self._run = None
        self._show(results)
        self.post_message(self.RunStarted(request))
        self._stream(results)
        self.refresh_bindings()

    def stop(self) -> bool:
        """Cancel the running run; False when nothing runs."""
        if not self.running:
            return False
        run = self._run
        if run is not None:
            self.run_worker(run.cancel(), group="dryrun-stop", exit_on_error=False)
        else:  # still starting: no child yet, cancel the worker itself
            self.workers.cancel_group(self, "dryrun")
        return True

    def rerun_last(self) -> bool:
        if self._last_request is None:
            self.notify("No dryrun to repeat yet: press d on a sync or action.", severity="warning")
            return False
        self.start(self._last_request)
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
        key = self._key_of(script)
        results = self._results.get(key)
        if results is None:
            results = self._find_by_name(key)
        self._show(results, placeholder=key if results is None else None)

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running
        return True

    def action_stop(self) -> None:
        self.stop()

    def action_save_records(self) -> None:
        self.save_records()

    def open_filter(self) -> None:
        """The app's `/`: filter the logs."""
        self.action_filter_logs()

    def action_filter_logs(self) -> None:
        self.show_tab("dryrun-logs")
        self.query_one(DryrunLogs).open_filter()

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        index = TABS.index(tabs.active) if tabs.active in TABS else 0
        self.show_tab(TABS[(index + step) % len(TABS)])

    def show_tab(self, tab: str) -> None:
        """Switch to `tab` ("dryrun-records", "dryrun-logs", ...). Focus inside the old tab
        follows to the new one (a focused widget in a hidden tab would drag it back)."""
        tabbed = self.query_one(TabbedContent)
        focused = self.app.focused
        focus_was_in_a_tab = focused is not None and any(p.id in TABS for p in focused.ancestors)
        tabbed.active = tab
        if focus_was_in_a_tab:
            target = self._tab_body(tab)
            if target is not None:
                target.focus()

    def _tab_body(self, tab: str) -> Widget | None:
        if tab == "dryrun-records":
            model = self.query_one(DryrunRecords).current_model
            tables = self.query_one(DryrunRecords).query(DataTable)
            return next(
                (t for t in tables if model and t.id and t.id.endswith(model)), None
            ) or self.query_one("#dryrun-tabs Tabs")
        if tab == "dryrun-logs":
            return self.query_one(LogLines)
        if tab == "dryrun-requests":
            return self.query_one(DryrunRequests).table
        if tab == "dryrun-invalid":
            return self.query_one(DryrunInvalid).table
        return self.query_one(DryrunSummary)

    # -- the worker -------------------------------------------------------------------------

    @work(exclusive=True, group="dryrun", exit_on_error=False)
    async def _stream(self, results: RunResults) -> None:
        from nango_tui.dryrun import DryrunSetupError

        run = None
        results.streaming = True
        _streaming_gc(True)
        try:
            try:
                run = await self._starter(results.request)
            except DryrunSetupError as exc:
                results.fail_setup(str(exc))
                return
            except Exception as exc:  # the engine failed to start the child: say so, don't crash
                results.fail_setup(f"the dryrun could not start: {type(exc).__name__}: {exc}")
                return
            self._run = run
            _lower_priority(getattr(run, "pid", None))
            results.records_file = getattr(run, "records_file", None)
            results.kind = getattr(run, "kind", results.kind)
            worked_since = time.perf_counter()
            async for event in run.events():
                results.feed(event)
                now = time.perf_counter()
                if now - self._last_progress >= DRAIN_SECONDS:
                    self._last_progress = now
                    tally = results.tally
                    self.post_message(
                        self.Progress(results.script_key, tally.records, tally.logs, tally.requests)
                    )
                if now - worked_since >= YIELD_SECONDS:
                    # a fast child fills the pipe faster than we read: give keys and frames a turn
                    await asyncio.sleep(0)
                    worked_since = time.perf_counter()
            if results.done is None:
                results.finish(
                    results.tally.done_event(
                        ev.FAILED, results.elapsed, "the event stream ended without `done`"
                    )
                )
        except asyncio.CancelledError:
            if run is not None:
                await asyncio.shield(run.cancel())
            if results.done is None:
                results.finish(results.tally.done_event(ev.CANCELLED, results.elapsed, "cancelled"))
            raise
        finally:
            _streaming_gc(False)
            if self._active is results:
                self._run = None
                self._active = None
            self._finished(results)
            if _streams == 0 and self.is_attached:
                self.call_after_refresh(gc.collect)  # the run's garbage, once the result shows

    def _finished(self, results: RunResults) -> None:
        if not self.is_attached:  # the pane is gone (the app is closing): nothing to show
            return
        done = results.done or {}
        status = done.get("status", ev.FAILED)
        if results is self._shown:
            self._drain(force=True)
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

    @work(thread=True, group="dryrun-save", exit_on_error=False)
    def _save(self, results: RunResults) -> None:
        root = Path(getattr(results.request, "root", "."))
        try:
            path, count = results.save_to(root / ".nango" / "records")
        except OSError as exc:
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

    def _drain(self, force: bool = False) -> None:
        """Move what the shown run gathered since the last drain into the widgets, in one go."""
        results = self._shown
        if results is None:
            if force or self._drawn is not None:
                self._drawn = None
                self.query_one(DryrunStatus).show(None, self._placeholder)
            return
        if results.running or force or self._drawn is None:
            self.query_one(DryrunStatus).show(results, self._placeholder)  # the elapsed time moves
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
        self.query_one(DryrunLogs).sync()
        self.query_one(DryrunRequests).sync()
        self.query_one(DryrunInvalid).sync()
        state_changed = force or previous is None or previous[1] != results.state or not results.running
        if state_changed:
            self.query_one(DryrunSummary).show(results)
        now = time.monotonic()
        if state_changed or now - self._labelled >= LABEL_SECONDS:
            # a label that grows re-lays the tab bar out: once a second is plenty while streaming
            self._labelled = now
            self._label_tabs(results)

    def _label_tabs(self, results: RunResults | None) -> None:
        tabs = self.query_one(TabbedContent)
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
            tab = tabs.get_tab(pane_id)
            if str(tab.label) != label:
                tab.label = label
                relabelled = True
        if relabelled:
            # Textual 8.2 places the underline before the relabelled tab is laid out again, so
            # it keeps the old width: place it once more after the next refresh
            self.call_after_refresh(self.call_after_refresh, self._place_underline)

    def _place_underline(self) -> None:
        bar = self.query_one(TabbedContent).query_one(ContentTabs)
        place = getattr(bar, "_highlight_active", None)
        if place is not None:
            place(animate=False)

    def _show(self, results: RunResults | None, placeholder: str | None = None) -> None:
        shown_key = results.script_key if results is not None else placeholder
        self.border_title = f"{self.TITLE} · {shown_key.lstrip('/')}" if shown_key else self.TITLE
        self._shown = results
        self._drawn = None
        self._placeholder = placeholder.split("/")[-1] if placeholder else None
        if not self.is_mounted:
            return
        self.query_one(DryrunRecords).reset(results)
        self.query_one(DryrunLogs).reset(results)
        self.query_one(DryrunRequests).reset(results)
        self.query_one(DryrunInvalid).reset(results)
        self.query_one(DryrunSummary).show(results)
        self.query_one(DryrunStatus).show(results, self._placeholder)
        self._label_tabs(results)

    def _apply_project(self) -> None:
        fields: dict[str, list[str]] = {}
        project = self._project
        if project is not None:
            for name, model in project.models.items():
                fields[name] = [f.name for f in model.fields]
        self.query_one(DryrunRecords).model_fields = fields

    # -- keys of scripts --------------------------------------------------------------------

    def _resolve(self, request: Any) -> tuple[str, str]:
        """The script key and kind of a request (the integration looked up when not given)."""
        integration = getattr(request, "integration", None)
        name = request.name
        kind = "sync"
        if self._project is not None:
            found = self._project.find_script(name, integration)
            if len(found) == 1:
                integration, kind = found[0].integration, found[0].kind
        return script_key(integration, name), kind

    def _key_of(self, script: Any) -> str:
        if isinstance(script, str):
            return script if "/" in script else script_key(None, script)
        return script_key(getattr(script, "integration", None), script.name)

    def _find_by_name(self, key: str) -> RunResults | None:
        integration, _, name = key.rpartition("/")
        for results in self._results.values():
            other_integration, _, other_name = results.script_key.rpartition("/")
            if other_name == name and (
                not integration or not other_integration or integration == other_integration
            ):
                return results
        return None
