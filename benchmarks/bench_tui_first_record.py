"""The workbench: from ctrl+j in the dryrun dialog to the first record in the Records table.

    .venv/bin/python benchmarks/bench_tui_first_record.py [--runs N]

Headless (`App.run_test`, 120x40) on a copy of the samples: salesforce/contacts on the replaying
connection `salesforce-demo` (24 records from saved responses). The workbench starts its warm
dryrun child (zygote) a second after the first frame; the benchmark waits for it, then times,
per run, the ctrl+j key press to the frame that paints the first row of the pane's records table
(the first `App._display` once the row is in the table and no `batch_update` holds the frames:
the frame composed; headless, it is not written to a terminal). The time to the row in the
table (stamped where the records tab adds it), before that frame, is printed too: it is what
this benchmark timed until session 6. The press is not awaited while timing:
`Pilot.press` returns only when the app is idle, i.e. after the run (that wait was most of the
2026-11-30 morning's 5 s). Also timed with the zygote switched off (a cold child per run) for
comparison. Target (issue 18): < 150 ms. Also printed: the workbench process's CPU
time (user + system, the app and this benchmark's polling, in one process) over the same
window, the fairer figure on a busy machine, and the load average.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def has_rows(app, previous) -> bool:
    """The new run's first row is in the records table. Cheap until the run has records: a DOM
    query every 2 ms would take the loop's time from the run it measures."""
    shown = app.dryrun_pane.shown
    if shown is previous or shown is None or not shown.tally.records:
        return False
    return any(t.row_count for t in app.dryrun_pane.query("#records-tables DataTable"))


CPU_MS: list[float] = []  # the workbench process's CPU from ctrl+j to the painted first row, per run
IN_TABLE: list[float] = []  # from ctrl+j to the first row in the table (before its frame), per run


def paint_timed_app(root: Path):
    """The workbench, noting the first frame it composes once the timed run's row is in the
    table (Textual's `App._display`, called with each frame: headless, it writes nothing)."""
    from nango_tui.tui.app import WorkbenchApp
    from nango_tui.tui.widgets.dryrun_records import DryrunRecords

    sync = DryrunRecords.sync

    def timed_sync(records: DryrunRecords) -> bool:
        """The records tab adding rows: when the timed run's first row is in the table."""
        pending = sync(records)
        app = records.app
        if isinstance(app, PaintTimedApp) and app.previous is not None and app.in_table is None:
            if has_rows(app, app.previous):
                app.in_table = time.perf_counter()
        return pending

    DryrunRecords.sync = timed_sync  # type: ignore[method-assign]

    class PaintTimedApp(WorkbenchApp):
        previous: object = None  # the shown results before the timed run; None: not timing
        painted: tuple[float, float] | None = None  # (perf_counter, process_time) of that frame
        in_table: float | None = None  # perf_counter when the run's first row was added

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            # a frame held by `batch_update` is not displayed (Textual's `_display` drops it)
            shown = renderable is not None and not self._batch_count
            if shown and self.previous is not None and self.painted is None:
                if has_rows(self, self.previous):
                    self.painted = (time.perf_counter(), time.process_time())

    return PaintTimedApp(root, watch=False)


async def first_records(root: Path, runs: int, warm: bool) -> list[float]:
    from nango_tui.dryrun.runner import use_zygote

    app = paint_timed_app(root)
    took = []
    async with app.run_test(size=(120, 40)) as pilot:
        if warm:
            while app._zygote is None:
                await pilot.pause(0.1)
            await pilot.pause(2.0)  # its imports done
        else:
            app.stop_warm_dryrun_child()
            app.start_warm_dryrun_child = lambda: None
            use_zygote(None)
        await pilot.press("down", "down")  # salesforce > syncs > contacts
        for _ in range(runs):
            await pilot.press("d")
            while type(app.screen).__name__ != "DryrunDialog" or not getattr(
                app.screen, "_connections", None
            ):
                await pilot.pause(0.02)
            finished = app.messages_seen.count("RunFinished")
            previous = app.dryrun_pane.shown
            app.painted, app.in_table = None, None
            app.previous = previous if previous is not None else False
            started = time.perf_counter()
            cpu = time.process_time()
            # not awaited: Pilot.press returns only once the app is idle (here: after the run)
            press = asyncio.ensure_future(pilot.press("ctrl+j"))
            while app.painted is None:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            IN_TABLE.append((app.in_table or app.painted[0]) - started)
            took.append(app.painted[0] - started)
            CPU_MS.append((app.painted[1] - cpu) * 1000)
            app.previous = None
            await press
            while app.messages_seen.count("RunFinished") == finished:
                await pilot.pause(0.05)
            app.config_pane.focus_body()
    return took


def line(label: str, took: list[float]) -> None:
    print(
        f"{label}: median {statistics.median(took) * 1000:.0f} ms, min {min(took) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms over {len(took)} runs (target < 150 ms)"
    )
    print(
        f"  to the row in the table, before its frame: median {statistics.median(IN_TABLE) * 1000:.0f} ms, min {min(IN_TABLE) * 1000:.0f} ms"
    )
    print(
        f"  the workbench process's CPU over the window: median {statistics.median(CPU_MS):.0f} ms; load average now {os.getloadavg()[0]:.1f}"
    )
    CPU_MS.clear()
    IN_TABLE.clear()


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 10
    os.environ["NANGO_TUI_KEYMAP"] = "/nonexistent"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "samples"
        shutil.copytree(REPO / "sample-integrations", root)
        line(
            "ctrl+j -> first record painted, child forked from the warm zygote",
            asyncio.run(first_records(root, runs, True)),
        )
        line("ctrl+j -> first record painted, cold child", asyncio.run(first_records(root, runs, False)))


if __name__ == "__main__":
    main()
