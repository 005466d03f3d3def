"""Stop latency on a fast stream (issue 10: "stop means stop", p99 < 1 s). Prints its figures:

    .venv/bin/python benchmarks/bench_stop.py [--runs N]

A sync saves batches of 1,000 records in an endless loop (the parent is the bottleneck, its
queue full). Three ways to stop it, each timed from the stop to the end:
1. `run.cancel()` through the API, consumer lagging: until the event stream has ended
   (cold children and children forked from a zygote);
2. one SIGINT (Ctrl-C) to `nango-tui dryrun --json` writing to a file: until the process exits;
3. escape in the workbench's dryrun pane (headless, Pilot), 5,000+ records streamed: until the
   app handles the pane's RunFinished (the run's end drawn).
After each stop the benchmark checks that no process of the run is left.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from nango_tui.dryrun import DryrunRequest, start_dryrun  # noqa: E402
from tests.support.dryrun_project import Api, write_project  # noqa: E402
from tests.test_dryrun_process import FLOOD, add_sync, gone, processes_in  # noqa: E402


def summary(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    print(
        f"{label}: p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms over {len(ordered)} stops (target p99 < 1000 ms)"
    )


async def api_cancel(root: Path, runs: int, zygote=None) -> list[float]:
    took = []
    for _ in range(runs):
        run = await start_dryrun(DryrunRequest(root, "flood", "local"), zygote=zygote)
        events = run.events()
        while (await anext(events))["type"] != "batch":
            pass
        await asyncio.sleep(0.3)  # the consumer lags: the queue fills up
        started = time.perf_counter()
        await run.cancel()
        async for _ in events:
            pass
        took.append(time.perf_counter() - started)
        assert run.done["status"] == "cancelled" and gone(run.pid)
    return took


def cli_ctrl_c(root: Path, runs: int, tmp: Path) -> list[float]:
    took = []
    for i in range(runs):
        out_path = tmp / f"out{i}.jsonl"
        with open(out_path, "wb") as out:
            cli = subprocess.Popen(
                [sys.executable, "-m", "nango_tui", "dryrun", "flood", "local", "--dir", str(root), "--json"],
                stdout=out,
                stderr=subprocess.DEVNULL,
            )
            while out_path.stat().st_size < 2_000_000:
                time.sleep(0.02)
            started = time.perf_counter()
            cli.send_signal(signal.SIGINT)
            code = cli.wait(30)
            took.append(time.perf_counter() - started)
        assert code == 130, code
        out_path.unlink()
    return took


async def pane_escape(root: Path, runs: int) -> list[float]:
    from nango_tui.tui.widgets.dryrun_pane import DryrunPane
    from tests.support.tui_dryrun import PaneApp, load

    class TimedApp(PaneApp):
        finished_at = 0.0

        def on_dryrun_pane_run_finished(self, message: DryrunPane.RunFinished) -> None:
            self.finished_at = time.perf_counter()  # when the app handles it, not when a poll sees it
            super().on_dryrun_pane_run_finished(message)

    project = load(root)
    took = []
    app = TimedApp(project)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(runs):
            app.messages.clear()
            app.pane.start(DryrunRequest(root, "flood", "local"))
            # records streaming (not a child still starting), then the pane lagging behind it
            while app.pane.shown is None or app.pane.shown.tally.records < 5000:
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            app.pane.focus()
            started = time.perf_counter()
            await pilot.press("escape")
            while not any(isinstance(m, DryrunPane.RunFinished) for m in app.messages):
                await pilot.pause(0.01)
            took.append(app.finished_at - started)
            await pilot.pause(1.0)  # the last rows drawn and the run's garbage collected
    return took


async def main(runs: int) -> None:
    from nango_tui.dryrun.zygote import Zygote

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp, Api(total=7, page_size=3) as api:
        root = write_project(Path(tmp) / "integrations", api.url)
        add_sync(root, "flood", FLOOD)
        summary("run.cancel(), cold child", await api_cancel(root, runs))
        zygote = Zygote.start()
        try:
            summary("run.cancel(), child forked from a zygote", await api_cancel(root, runs, zygote))
        finally:
            zygote.close()
        summary(
            "one Ctrl-C to `nango-tui dryrun --json`",
            await asyncio.to_thread(cli_ctrl_c, root, runs, Path(tmp)),
        )
        summary("escape in the workbench's dryrun pane", await pane_escape(root, runs))
        await asyncio.sleep(0.5)
        left = processes_in(root)
        print(f"processes of the runs left behind: {len(left)}")


if __name__ == "__main__":
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 20
    asyncio.run(main(runs))
