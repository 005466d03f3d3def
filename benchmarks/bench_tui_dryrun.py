"""The workbench stays responsive and small while a dryrun streams 100k records and 100k logs.

    .venv/bin/python benchmarks/bench_tui_dryrun.py [--records N] [--logs N] [--runs N] [--pane-only]

Runs the app headless (App.run_test) on a generated integrations folder whose sync makes
N records and N log lines in a real child process (no HTTP), starts the dryrun the way the
app does, and presses keys every 25 ms while it streams: right / left on the tab bar until the
records table appears, then down / up in the table (7 keys), `]` to the Logs tab, down twice
(scrolls the logs), `[` back to the table, and again. Percentiles are given for all keys and
apart for the keys that switch tabs (the focus follows the tab, and every focus change makes
Textual's Footer recompose: 13-60 ms in the workbench). Latency is from the key event's creation to the start of the action it is
bound to (App.run_action), so it includes the time the key waited in the app's queue behind
the stream. Prints the latency percentiles, the app's peak RSS (the child is a separate
process and is reported apart), and the stream's wall time.

--pane-only mounts the dryrun pane alone in a minimal App (without the shell's panes).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual import events  # noqa: E402

from nango_tui.dryrun import DryrunRequest  # noqa: E402
from nango_tui.tui.widgets.dryrun_pane import DryrunPane  # noqa: E402
from tests.support.tui_dryrun import PaneApp, load, write_project  # noqa: E402

# until the records table exists: the tab bar's and the pane's keys; then in the table and the logs
TAB_KEYS = ["right", "left", "right_square_bracket", "left_square_bracket"]
TABLE_KEYS = ["down"] * 5 + ["up"] * 2 + ["right_square_bracket", "down", "down", "left_square_bracket"]
SWITCHES = {"right", "left", "right_square_bracket", "left_square_bracket"}  # keys that change the tab
KEY_INTERVAL = 0.025


def rss_mb() -> float:
    """The current resident set of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(app_class):
    """`app_class` whose bound actions record when they start (for the key latency)."""

    import inspect

    here = Path(inspect.getfile(app_class)).parent
    paths = (
        app_class.CSS_PATH
        if isinstance(app_class.CSS_PATH, list)
        else [app_class.CSS_PATH]
        if app_class.CSS_PATH
        else []
    )

    class Timed(app_class):
        CSS_PATH = [str(here / p) for p in paths]  # relative paths resolve against the subclass's file

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.handled: asyncio.Event | None = None
            self.handled_at = 0.0

        async def run_action(self, action, default_namespace=None):
            if self.handled is not None and not self.handled.is_set():
                self.handled_at = time.monotonic()
                self.handled.set()
            return await super().run_action(action, default_namespace)

    return Timed


async def bench(root: Path, records: int, logs: int, runs: int, pane_only: bool) -> dict:
    if pane_only:
        app = timed(PaneApp)(load(root))
    else:
        from nango_tui.tui.app import WorkbenchApp

        app = timed(WorkbenchApp)(root)
    latencies: list[float] = []
    unhandled = 0
    peak_rss = 0.0
    walls: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        pane = app.query_one(DryrunPane)
        for _ in range(runs):
            finished = asyncio.Event()
            original = pane.post_message

            def post(message, _original=original, _finished=finished):
                if isinstance(message, DryrunPane.RunFinished):
                    _finished.set()
                return _original(message)

            pane.post_message = post  # type: ignore[method-assign]
            request = DryrunRequest(
                root=root, name="contacts", connection_id="local", metadata={"records": records, "logs": logs}
            )
            started = time.monotonic()
            if hasattr(app, "start_dryrun"):
                app.start_dryrun(request)
            else:
                pane.start(request)
            await pilot.pause(0.05)
            pane.query_one("Tabs").focus()
            index = 0
            keys = TAB_KEYS
            while not finished.is_set():
                if keys is TAB_KEYS and index % len(TAB_KEYS) == 0 and pane.query("#records-Contact"):
                    pane.query_one("#records-Contact").focus()
                    keys, index = TABLE_KEYS, 0
                    await asyncio.sleep(0)
                key = keys[index % len(keys)]
                index += 1
                app.handled = asyncio.Event()
                event = events.Key(key, None)
                sent = event.time
                app.post_message(event)
                try:
                    await asyncio.wait_for(app.handled.wait(), 2.0)
                    latencies.append((key, app.handled_at - sent))
                except TimeoutError:
                    unhandled += 1
                app.handled = None
                peak_rss = max(peak_rss, rss_mb())
                await asyncio.sleep(KEY_INTERVAL)
            walls.append(time.monotonic() - started)
            pane.post_message = original  # type: ignore[method-assign]
            shown = pane.shown
            assert shown is not None and shown.state == "done", (
                shown.state if shown else None,
                shown.error if shown else None,
            )
            assert shown.tally.records == records and shown.tally.logs >= logs, (
                shown.tally.records,
                shown.tally.logs,
            )
            peak_rss = max(peak_rss, rss_mb())
    return {"latencies": latencies, "unhandled": unhandled, "peak_rss": peak_rss, "walls": walls}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pane-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp) / "proj")
        result = asyncio.run(bench(root, args.records, args.logs, args.runs, args.pane_only))
    lat = [x * 1000 for _, x in result["latencies"]]
    switch_lat = [x * 1000 for key, x in result["latencies"] if key in SWITCHES]
    other_lat = [x * 1000 for key, x in result["latencies"] if key not in SWITCHES]
    app_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    what = "pane in a minimal app" if args.pane_only else "the workbench app"
    print(f"dryrun streaming {args.records:,} records + {args.logs:,} log lines, {args.runs} run(s), {what}")
    print(f"  stream wall time per run: {', '.join(f'{w:.1f}s' for w in result['walls'])}")
    if lat:
        print(
            f"  key-to-handled latency over {len(lat)} keys: median {statistics.median(lat):.1f} ms, "
            f"p95 {percentile(lat, 0.95):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms (target p99 < 100 ms)"
        )
        for label, values in (
            ("  moving in a table / the logs", other_lat),
            ("  switching tabs", switch_lat),
        ):
            if values:
                print(
                    f"  {label}: {len(values)} keys, median {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms"
                )
    print(f"  keys not handled within 2 s: {result['unhandled']}")
    print(
        f"  app peak RSS: {max(app_peak, result['peak_rss']):.0f} MB (target < 400 MB); dryrun child peak RSS: {child_peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
