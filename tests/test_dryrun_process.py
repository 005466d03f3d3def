"""The dryrun child as a process: stopping, the parent surviving the child, big lines, process trees,
the private event channel (issue 10 items 5, 8, 11, 13).

Every test runs real child processes; scripts are hostile on purpose.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dryrun_support import Api, write_project

from nango_tui.dryrun import DryrunRequest, start_dryrun

HANG_GUARD = 30

FLOOD = (
    "import itertools\n\n"
    "async def fetch_data(nango):\n"
    "    ids = itertools.count()\n"
    "    while True:\n"
    "        await nango.batch_save([{'id': str(next(ids)), 'first_name': 'F' * 40, 'last_name': 'L'} for _ in range(1000)], 'Contact')\n"
)


def add_sync(root: Path, name: str, source: str, action: bool = False) -> None:
    """Declare one more sync (or action) in the test project and write its script."""
    text = (root / "nango.yaml").read_text()
    if action:
        entry = f"      {name}:\n        endpoint: POST /{name}\n"
        text = text.replace("    actions:\n", "    actions:\n" + entry, 1)
        (root / "demo" / "actions" / f"{name}.py").write_text(source)
    else:
        entry = f"      {name}:\n        runs: every hour\n        output: Contact\n        endpoint: GET /{name}\n"
        text = text.replace("    syncs:\n", "    syncs:\n" + entry, 1)
        (root / "demo" / "syncs" / f"{name}.py").write_text(source)
    (root / "nango.yaml").write_text(text)


@pytest.fixture
def api():
    with Api(total=7, page_size=3) as server:
        yield server


@pytest.fixture
def root(tmp_path: Path, api: Api) -> Path:
    return write_project(tmp_path / "integrations", api.url)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()
    except FileNotFoundError:
        return True


# -- item 5: stop means stop, even when the queue is full ------------------------------------------


async def test_cancel_with_a_full_queue_ends_the_stream_within_a_second(root: Path):
    add_sync(root, "flood", FLOOD)
    run = await start_dryrun(DryrunRequest(root, "flood", "local"))
    events = run.events()
    assert (await anext(events))["type"] == "start"
    assert (await anext(events))["type"] in ("batch", "log")
    await asyncio.sleep(0.5)  # a consumer that lags: the parent's queue fills up
    started = time.monotonic()
    await asyncio.wait_for(run.cancel(), 2)

    async def rest() -> list[dict]:
        return [event async for event in events]

    remaining = await asyncio.wait_for(rest(), 5)
    assert time.monotonic() - started < 1.0
    assert remaining[-1]["type"] == "done" and remaining[-1]["status"] == "cancelled"
    assert gone(run.pid)


async def test_a_consumer_cancelled_mid_stream_leaves_nothing_behind(root: Path):
    """What asyncio.run does on Ctrl-C: the task iterating the events is cancelled."""
    add_sync(root, "flood", FLOOD)
    run = await start_dryrun(DryrunRequest(root, "flood", "local"))

    async def consume() -> None:
        async for _ in run.events():
            await asyncio.sleep(0.01)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.7)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 1.0
    assert gone(run.pid)
    assert run.done is not None and run.done["status"] == "cancelled"


def test_one_ctrl_c_stops_the_cli_on_a_fast_stream(root: Path, tmp_path: Path):
    add_sync(root, "flood", FLOOD)
    out = open(tmp_path / "out.jsonl", "wb")
    cli = subprocess.Popen(
        [sys.executable, "-m", "nango_tui", "dryrun", "flood", "local", "--dir", str(root), "--json"],
        stdout=out,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while (tmp_path / "out.jsonl").stat().st_size < 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        cli.send_signal(signal.SIGINT)
        code = cli.wait(HANG_GUARD)
        took = time.monotonic() - started
    finally:
        if cli.poll() is None:
            cli.kill()
        out.close()
    assert code == 130, cli.stderr.read().decode()
    assert took < 1.0, f"{took:.2f} s"
    assert b"cancelled" in cli.stderr.read()


# -- item 11: big lines go through the parent in linear time ----------------------------------------

BIG_OUTPUT = "async def run_action(nango, input=None):\n    return {'blob': 'x' * (20 << 20)}\n"
BIG_RECORDS = (
    "async def fetch_data(nango):\n"
    "    for i in range(8):\n"
    "        await nango.batch_save([{'id': str(i), 'first_name': 'F' * (4 << 20), 'last_name': 'L'}], 'Contact')\n"
    "    await nango.batch_save([{'id': f'small{i}', 'first_name': 'F', 'last_name': 'L'} for i in range(3000)], 'Contact')\n"
)


async def test_a_big_action_output_arrives_whole(root: Path):
    add_sync(root, "big-output", BIG_OUTPUT, action=True)
    run = await start_dryrun(DryrunRequest(root, "big-output", "local"))
    results = [e async for e in run.events() if e["type"] == "result"]
    assert run.done["status"] == "ok", run.done
    assert len(results[0]["output"]["blob"]) == 20 << 20


async def test_a_long_line_is_read_in_linear_time():
    """64 MB arriving in 64 KB pieces: ~0.1 s when each piece is joined once; re-joining the
    growing line at every read copies ~32 GB (the 74 s of issue 10 item 11)."""
    from nango_tui.dryrun.runner import read_lines

    reader = asyncio.StreamReader(limit=1 << 16)
    piece = b"x" * (64 << 10)

    async def feed() -> None:
        for _ in range(1024):
            reader.feed_data(piece)
            await asyncio.sleep(0)
        reader.feed_data(b"\nshort\nlast")
        reader.feed_eof()

    started = time.monotonic()
    feeding = asyncio.create_task(feed())
    lines = [len(line) async for line in read_lines(reader, 1 << 16)]
    await feeding
    assert lines == [64 << 20, 5, 4]
    assert time.monotonic() - started < 3.0


async def test_big_records_travel_one_per_line_and_small_ones_in_batches(root: Path):
    add_sync(root, "big-records", BIG_RECORDS)
    run = await start_dryrun(DryrunRequest(root, "big-records", "local"))
    batches = [len(e["records"]) async for e in run.events() if e["type"] == "batch"]
    assert run.done["status"] == "ok" and run.done["records"] == 3008
    assert batches == [1] * 8 + [1000, 1000, 1000]
    assert sum(1 for _ in open(run.records_file)) == 3008
