"""The stream controller of the Dryrun pane: starts, streams, stops and remembers runs.

No drawing here. A `DryrunStream` feeds each event of the running dryrun into that run's
`RunResults` inside a worker of its host widget, and tells its `StreamListener` (the pane)
when a run starts, makes progress (at most every `PROGRESS_SECONDS`) and ends. It keeps each
script's last results and the last request. The garbage-collector policy while runs stream is
`gc_policy`'s.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from textual.widget import Widget

from nango_tui.dryrun import events as ev
from nango_tui.tui import gc_policy
from nango_tui.tui.run_history import RunHistory
from nango_tui.tui.widgets.dryrun_results import RunResults, script_key

PROGRESS_SECONDS = 0.1  # how often the listener hears about a streaming run
YIELD_SECONDS = 0.008  # the worker gives the loop a turn after this much work
CHILD_NICENESS = 5  # added to the dryrun child's scheduling niceness
NICE_AFTER = 0.15  # seconds after its start at most before the child is niced
STREAM_GROUP = "dryrun"

Starter = Callable[[Any], Awaitable[Any]]


class StreamListener(Protocol):
    """What the controller tells the view (all called on the event loop)."""

    def run_started(self, results: RunResults) -> None: ...
    def run_child_started(self, results: RunResults, replaying: bool) -> None: ...
    def run_progress(self, results: RunResults) -> None: ...
    def run_first_records(self, results: RunResults) -> None: ...
    def run_finished(self, results: RunResults) -> None: ...
    def run_replaced(self, results: RunResults) -> None: ...


def default_starter(request: Any) -> Awaitable[Any]:
    """Start a real dryrun child (`workflows.begin_dryrun`: what `nango-tui dryrun` runs, its
    fork from the warm child asked for at once)."""
    from nango_tui import workflows

    return workflows.begin_dryrun(request)


def lower_priority(pid: int | None) -> None:
    """Let the workbench win the CPU over the script it runs (2 cores, a script at 100%):
    the child leads its own process group, so its own children are niced too."""
    if pid is None or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PGRP, pid, CHILD_NICENESS)
    except OSError:  # already gone, or not allowed: the run goes on at normal priority
        pass


def script_key_of(script: Any) -> str:
    """The results key of a config `Script` or an "integration/name" (or bare name) string."""
    if isinstance(script, str):
        return script if "/" in script else script_key(None, script)
    return script_key(getattr(script, "integration", None), script.name)


class DryrunStream:
    """Runs one dryrun at a time in `host`'s workers; keeps each script's last results."""

    def __init__(self, host: Widget, listener: StreamListener, starter: Starter | None = None) -> None:
        self._host = host
        self._listener = listener
        self._starter: Starter = starter or default_starter
        self.project: Any = None
        self.results: dict[str, RunResults] = {}  # script key -> its last run
        self.active: RunResults | None = None  # the run the worker streams
        self.run: Any = None  # the DryrunRun of the active run (None while it starts)
        self.last_request: Any = None
        self.history = RunHistory()  # the last runs of each (script, connection), to compare
        self._last_progress = 0.0
        self._starting: Any = None  # the last run's start, until its worker awaits it

    @property
    def running(self) -> bool:
        return self.active is not None and self.active.running

    def results_for(self, script: Any) -> RunResults | None:
        return self.results.get(script_key_of(script))

    def find(self, script: Any) -> RunResults | None:
        """The last results of `script`, matching on the name when the integration is unknown."""
        key = script_key_of(script)
        found = self.results.get(key)
        if found is not None:
            return found
        integration, _, name = key.rpartition("/")
        for results in self.results.values():
            other_integration, _, other_name = results.script_key.rpartition("/")
            if other_name == name and (
                not integration or not other_integration or integration == other_integration
            ):
                return results
        return None

    def start(self, request: Any) -> RunResults:
        """Start a dryrun of `request` (a run going is replaced); returns its new results."""
        gc_policy.freeze_long_lived_heap()
        key, kind = self._resolve(request)
        previous = self.active
        if previous is not None and previous.running and not previous.streaming:
            # its worker is replaced before it ever ran: end it here, or it stays "starting"
            previous.finish(previous.tally.done_event(ev.CANCELLED, previous.elapsed, "cancelled"))
            self._listener.run_replaced(previous)
        results = RunResults(request=request, script_key=key, kind=kind)
        self.results[key] = results
        self.history.add(results)
        self.last_request = request
        self.active = results
        self.run = None
        self._abandon_start()  # a worker replaced before it ran never awaits its start
        try:
            # asked for now, not when the worker first runs: with the warm child, its fork
            # starts while the loop is still busy with the key (the dialog closing)
            starting: Any = self._starter(request)
        except Exception as exc:  # said by the worker, as a failure inside the starter would be
            starting = exc
        self._starting = starting
        self._listener.run_started(results)
        # a callable, not a coroutine: a worker replaced before it ran leaves nothing un-awaited
        self._host.run_worker(
            partial(self._stream, results, starting),
            group=STREAM_GROUP,
            exclusive=True,
            exit_on_error=False,
        )
        return results

    def forking(self) -> asyncio.Future[Any] | None:
        """While the last run's worker has not run yet: the future its warm child's fork
        completes (None without one: a cold child, a stand-in starter)."""
        return getattr(self._starting, "forked", None)

    def _abandon_start(self) -> None:
        starting, self._starting = self._starting, None
        close = getattr(starting, "close", None)
        if close is not None:
            close()  # a coroutine closes unrun; a child forked for it is ended

    def stop(self) -> bool:
        """Cancel the running run; False when nothing runs."""
        if not self.running:
            return False
        if self.run is not None:
            self._host.run_worker(self.run.cancel(), group="dryrun-stop", exit_on_error=False)
        else:  # still starting: no child yet, cancel the worker itself
            self._abandon_start()
            self._host.workers.cancel_group(self._host, STREAM_GROUP)
        return True

    def _resolve(self, request: Any) -> tuple[str, str]:
        """The script key and kind of a request (the integration looked up when not given)."""
        integration = getattr(request, "integration", None)
        name = request.name
        kind = "sync"
        if self.project is not None:
            found = self.project.find_script(name, integration)
            if len(found) == 1:
                integration, kind = found[0].integration, found[0].kind
        return script_key(integration, name), kind

    async def _stream(self, results: RunResults, starting: Any) -> None:
        from nango_tui.dryrun import DryrunSetupError

        if self._starting is starting:
            self._starting = None  # awaited here from now on
        run = None
        nice_later: asyncio.TimerHandle | None = None
        results.streaming = True
        gc_policy.streaming_started()
        try:
            try:
                if isinstance(starting, Exception):
                    raise starting
                run = await starting
            except DryrunSetupError as exc:
                results.fail_setup(str(exc))
                return
            except Exception as exc:  # the engine failed to start the child: say so, don't crash
                results.fail_setup(f"the dryrun could not start: {type(exc).__name__}: {exc}")
                return
            self.run = run
            # niced once its first records are in (or after NICE_AFTER): until then the child
            # is the run's critical path and the workbench mostly waits for it
            pid = getattr(run, "pid", None)
            nice_later = asyncio.get_running_loop().call_later(NICE_AFTER, lower_priority, pid)
            results.records_file = getattr(run, "records_file", None)
            results.kind = getattr(run, "kind", results.kind)
            # a live run's first records wait for its API; a replaying one's come within ms
            self._listener.run_child_started(results, getattr(getattr(run, "spec", None), "replay", True))
            worked_since = time.perf_counter()
            first_records = True
            async for event in run.events():
                results.feed(event)
                if first_records and results.tally.records:
                    first_records = False
                    self._listener.run_first_records(results)  # shown at once, not on the next tick
                    if not nice_later.cancelled():
                        nice_later.cancel()
                        lower_priority(pid)
                now = time.perf_counter()
                if now - self._last_progress >= PROGRESS_SECONDS:
                    self._last_progress = now
                    self._listener.run_progress(results)
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
            if nice_later is not None:
                nice_later.cancel()
            last = gc_policy.streaming_ended()
            if self.active is results:
                self.run = None
                self.active = None
            if self._host.is_attached:  # else the pane is gone (the app is closing): nothing to show
                self._listener.run_finished(results)
                if last:
                    self._host.call_after_refresh(gc_policy.collect)  # the run's garbage, once shown
