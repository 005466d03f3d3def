"""The dryrun child as a process: stopping, the parent surviving the child, big lines, process trees,
the private event channel (issue 10 items 5, 8, 11, 13).

Every test runs real child processes; scripts are hostile on purpose.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nango_tui.dryrun import DryrunRequest, start_dryrun
from tests.support import warm_cli
from tests.support.dryrun_project import Api, write_project

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
    except (FileNotFoundError, ProcessLookupError):  # (a read while it is being reaped: ESRCH)
        return True


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return gone(pid)


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
    assert await wait_gone([run.pid]) == []


CANCELLED_IN_A_LOOP_OF_ITS_OWN = """
import asyncio, gc, sys
from pathlib import Path
from nango_tui.dryrun import DryrunRequest, start_dryrun

errors = []
sys.unraisablehook = lambda unraisable: errors.append(repr(unraisable.exc_value))

async def main():
    run = await start_dryrun(DryrunRequest(Path(sys.argv[1]), "flood", "local"))
    events = run.events()
    await anext(events), await anext(events)
    await asyncio.sleep(0.5)  # the pipes fill up: their reading is paused
    await run.cancel()
    [event async for event in events]

asyncio.run(main())
gc.collect()  # the run's process transport, collected after its loop closed
print(errors)
"""


def test_a_cancelled_run_leaves_no_pipe_open_after_its_loop(root: Path):
    """A run cancelled with its pipes full reads them to their end once the child is gone: its
    process transport closes while its loop runs, not when collected later ("Event loop is
    closed", seen in the suite's output)."""
    add_sync(root, "flood", FLOOD)
    done = subprocess.run(
        [sys.executable, "-c", CANCELLED_IN_A_LOOP_OF_ITS_OWN, str(root)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


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
    assert await wait_gone([run.pid]) == []  # the kill is sent; the kernel reaps a moment later
    # the stream's own clean-up (the abandoned generator's aclose, a task of its own) sets `done`
    # once it has seen the child end: a moment after the process is gone
    for _ in range(500):
        if run.done is not None:
            break
        await asyncio.sleep(0.01)
    assert run.done is not None and run.done["status"] == "cancelled"


def test_one_ctrl_c_stops_the_cli_on_a_fast_stream(root: Path, tmp_path: Path):
    add_sync(root, "flood", FLOOD)
    out = open(tmp_path / "out.jsonl", "wb")
    cli = warm_cli.popen(
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
    assert time.monotonic() - started < 20.0  # the quadratic reader took 183 s here


async def test_big_records_travel_one_per_line_and_small_ones_in_batches(root: Path):
    add_sync(root, "big-records", BIG_RECORDS)
    run = await start_dryrun(DryrunRequest(root, "big-records", "local"))
    batches = [len(e["records"]) async for e in run.events() if e["type"] == "batch"]
    assert run.done["status"] == "ok" and run.done["records"] == 3008
    assert batches == [1] * 8 + [1000, 1000, 1000]
    assert sum(1 for _ in open(run.records_file)) == 3008


# -- items 8 and 13: the parent survives the child, nothing outlives the run -------------------------


def namespaces_available() -> bool:
    from nango_tui.dryrun import sandbox

    return sandbox.namespaces_available()


needs_namespaces = pytest.mark.skipif(
    not namespaces_available(), reason="the kernel allows no unprivileged user + PID namespaces here"
)

KILLS_PARENT = (
    "import os, signal\n\n"
    "async def fetch_data(nango):\n"
    "    os.kill(os.getppid(), signal.{sig})\n"
    "    await nango.batch_save([{{'id': 'after', 'first_name': 'A', 'last_name': 'B'}}], 'Contact')\n"
)

KILLS_ANCESTORS = (  # walks up through /proc and sends SIGKILL to every ancestor it finds
    "import os, signal\n\n"
    "def ppid(pid):\n"
    "    with open(f'/proc/{pid}/status') as status:\n"
    "        return int(next(line for line in status if line.startswith('PPid:')).split()[1])\n\n"
    "async def fetch_data(nango):\n"
    "    pid, tried = int(os.readlink('/proc/self')), []\n"
    "    while True:\n"
    "        pid = ppid(pid)\n"
    "        if pid <= 1:\n"
    "            break\n"
    "        tried.append(pid)\n"
    "    for pid in tried:\n"
    "        try:\n"
    "            os.kill(pid, signal.SIGKILL)\n"
    "        except OSError:\n"
    "            pass\n"
    "    await nango.log('tried', len(tried))\n"
)


def run_cli(root: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", "dryrun", name, "local", "--dir", str(root), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_script_killing_its_parent_does_not_end_the_cli(root: Path, sig: str):
    add_sync(root, "kills-parent", KILLS_PARENT.format(sig=sig))
    done = run_cli(root, "kills-parent")
    assert done.returncode in (0, 1), done
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["type"] == "done"


@needs_namespaces
def test_a_script_killing_every_ancestor_it_finds_in_proc_does_not_end_the_cli(root: Path):
    add_sync(root, "kills-ancestors", KILLS_ANCESTORS)
    done = run_cli(root, "kills-ancestors")
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and events[-1]["status"] == "ok", done
    assert [e["message"] for e in events if e["type"] == "log"] != ["tried 0"]  # it did find them


SPAWNS = (  # starts processes that report their pid outside the run's namespace, then {then}
    "import os, subprocess, sys\n\n"
    "CHILD = 'import os, time; print(os.readlink(\"/proc/self\"), flush=True); time.sleep(60)'\n\n"
    "async def fetch_data(nango):\n"
    "    same = subprocess.Popen([sys.executable, '-c', CHILD], stdout=subprocess.PIPE)\n"
    "    session = subprocess.Popen([sys.executable, '-c', CHILD], stdout=subprocess.PIPE, start_new_session=True)\n"
    "    daemon = subprocess.Popen([sys.executable, '-c', 'import os, subprocess, sys; os.setsid(); p = subprocess.Popen([sys.executable, \"-c\", sys.argv[1]], stdout=sys.stdout); print(end=\"\", flush=True); os._exit(0)', CHILD], stdout=subprocess.PIPE)\n"
    "    pids = [int(p.stdout.readline()) for p in (same, session, daemon)]\n"
    "    await nango.log('pids', *pids)\n"
    "    {then}\n"
)


def pids_logged(events: list[dict]) -> list[int]:
    message = next(e["message"] for e in events if e["type"] == "log" and e["message"].startswith("pids"))
    return [int(p) for p in message.split()[1:]]


async def wait_gone(pids: list[int]) -> list[int]:
    """The pids still alive after waiting up to 5 s for them to go (a condition, not a latency bound)."""
    for _ in range(100):
        alive = [pid for pid in pids if not gone(pid)]
        if not alive:
            return []
        await asyncio.sleep(0.05)
    return alive


@needs_namespaces
async def test_processes_in_new_sessions_do_not_survive_the_run(root: Path):
    add_sync(root, "spawns-sessions", SPAWNS.format(then="return"))
    run = await start_dryrun(DryrunRequest(root, "spawns-sessions", "local"))
    events = [e async for e in run.events()]
    assert run.done["status"] == "ok", events
    pids = pids_logged(events)
    assert len(pids) == 3
    assert await wait_gone(pids) == []


@needs_namespaces
async def test_a_cancel_leaves_no_process_of_the_run_behind(root: Path):
    add_sync(root, "spawns-loops", SPAWNS.format(then="while True: pass"))
    run = await start_dryrun(DryrunRequest(root, "spawns-loops", "local"))
    seen: list[dict] = []
    async for event in run.events():
        seen.append(event)
        if event["type"] == "log" and event["message"].startswith("pids"):
            await run.cancel()
    assert run.done["status"] == "cancelled"
    assert await wait_gone(pids_logged(seen)) == []


# -- item 13: the event channel is private; forks make no noise ----------------------------------------

FORGES = (
    "import os\n\n"
    "FORGED = [\n"
    '    b\'{"type":"batch","op":"save","model":"Contact","records":[{"id":"forged","first_name":"F","last_name":"G"}]}\\n\',\n'
    '    b\'{"type":"done","status":"ok"}\\n\',\n'
    "]\n\n"
    "def forge():\n"
    "    for fd in range(0, 256):\n"
    "        for line in FORGED:\n"
    "            try:\n"
    "                os.write(fd, line)\n"
    "            except OSError:\n"
    "                pass\n\n"
    "async def fetch_data(nango):\n"
    "    forge()\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        forge()\n"
    "        os._exit(0)\n"
    "    os.waitpid(pid, 0)\n"
    '    os.system(\'for fd in 3 4 5 6 7 8 9; do echo \\\'{"type":"done","status":"ok"}\\\' >&$fd; done 2>/dev/null\')\n'
    "    raise RuntimeError('the real ending')\n"
)


async def test_lines_written_to_inherited_descriptors_are_not_events(root: Path):
    add_sync(root, "forges", FORGES)
    run = await start_dryrun(DryrunRequest(root, "forges", "local"))
    events = [e async for e in run.events()]
    assert run.done["status"] == "failed" and run.done["records"] == 0, events
    assert [e["kind"] for e in events if e["type"] == "error"] == ["exception"]
    assert not [e for e in events if e["type"] == "batch"]
    assert any(e.get("source") == "channel" for e in events if e["type"] == "log")


FORKS = (
    "import asyncio, os, sys\n\n"
    "async def fetch_data(nango):\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        print('in the fork')\n"
    "        sys.exit(0)\n"
    "    await asyncio.sleep(0.2)\n"
    "    os.waitpid(pid, 0)\n"
    "    await nango.batch_save([{'id': 'a', 'first_name': 'A', 'last_name': 'B'}], 'Contact')\n"
)


async def test_a_script_that_forks_gets_one_clean_run(root: Path):
    add_sync(root, "forks", FORKS)
    run = await start_dryrun(DryrunRequest(root, "forks", "local"))
    events = [e async for e in run.events()]
    assert run.done["status"] == "ok" and run.done["records"] == 1, events
    messages = [e["message"] for e in events if e["type"] in ("log", "error")]
    assert not [m for m in messages if "Exception ignored" in m or "Event loop is closed" in m], messages
    assert [e for e in events if e["type"] == "error"] == []


# -- warm children: forked from a zygote, the same run ----------------------------------------------


@pytest.fixture
def zygote():
    from nango_tui.dryrun.zygote import Zygote

    warm = Zygote.start()
    yield warm
    warm.close()
    assert warm._proc.returncode is not None  # the zygote ends with its socket


async def test_a_warm_run_is_the_same_run(root: Path, zygote):
    cold = await start_dryrun(DryrunRequest(root, "contacts", "local"))
    cold_events = [e async for e in cold.events()]
    for _ in range(2):
        warm = await start_dryrun(DryrunRequest(root, "contacts", "local"), zygote=zygote)
        warm_events = [e async for e in warm.events()]
        assert [e["type"] for e in warm_events] == [e["type"] for e in cold_events]
        assert warm.done["counts"] == cold.done["counts"] and warm.done["requests"] == 3
        assert warm.pid != cold.pid and gone(warm.pid)
    from nango_tui.dryrun.zygote import WarmProcess

    assert isinstance(warm._proc, WarmProcess)


ENV_SEEN = (
    "import json, os, subprocess\n\n"
    "async def fetch_data(nango):\n"
    "    c_env = subprocess.run(['env', '-0'], capture_output=True).stdout.decode().split('\\0')[:-1]\n"
    "    with open('env_seen.json', 'w') as seen:\n"
    "        json.dump({'python': list(os.environ.items()), 'c': c_env}, seen)\n"
)


async def test_a_warm_run_gets_exactly_the_environment_a_cold_one_gets(root: Path, monkeypatch):
    """The zygote's fork changes only the variables that differ from the zygote's environment
    (which the parent had when it started it): what the script sees (os.environ, and the C
    environment a program it runs inherits, in the same order) is what a cold child sees."""
    from nango_tui.dryrun.zygote import Zygote

    add_sync(root, "env_seen", ENV_SEEN)
    monkeypatch.setenv("NANGO_TUI_T_GONE", "1")
    monkeypatch.setenv("NANGO_TUI_T_CHANGED", "old")
    zygote = Zygote.start()
    seen = []
    try:
        monkeypatch.delenv("NANGO_TUI_T_GONE")
        monkeypatch.setenv("NANGO_TUI_T_CHANGED", "new")
        monkeypatch.setenv("NANGO_TUI_T_NEW", "2")
        for warm in (zygote, None):
            request = DryrunRequest(root, "env_seen", "local", extra_env={"NANGO_TUI_T_EXTRA": "x"})
            run = await start_dryrun(request, zygote=warm)
            events = [e async for e in run.events()]
            assert run.done["status"] == "ok", events
            seen.append(json.loads((root / "env_seen.json").read_text()))
    finally:
        zygote.close()
    warm_seen, cold_seen = seen
    assert warm_seen == cold_seen
    python = dict(warm_seen["python"])
    assert "NANGO_TUI_T_GONE" not in python and python["NANGO_TUI_T_CHANGED"] == "new"
    assert [k for k in python if k.startswith("NANGO_TUI_T_")] == [
        "NANGO_TUI_T_CHANGED",
        "NANGO_TUI_T_NEW",
        "NANGO_TUI_T_EXTRA",
    ]
    assert warm_seen["c"] == [f"{k}={v}" for k, v in warm_seen["python"]]


def _runs_dir_files(root: Path) -> set[str]:
    runs = root / ".nango" / "runs"
    return {p.name for p in runs.iterdir()} if runs.is_dir() else set()


async def test_begin_dryrun_forks_before_it_is_awaited(root: Path, zygote):
    """issue 18 (ctrl+j): the workbench asks for the fork while its loop is still busy with the
    key; the child runs (it opens its records file) while this loop is blocked, before the await."""
    from nango_tui.dryrun import begin_dryrun

    add_sync(root, "flood", FLOOD)
    before = _runs_dir_files(root)
    starting = begin_dryrun(DryrunRequest(root, "flood", "local"), zygote=zygote)
    deadline = time.monotonic() + HANG_GUARD
    while _runs_dir_files(root) == before and time.monotonic() < deadline:
        time.sleep(0.02)  # noqa: ASYNC251 - on purpose: the loop must not turn; only the thread and child work
    assert _runs_dir_files(root) != before, "no child ran before the await"
    run = await starting
    events = run.events()
    while (await anext(events))["type"] != "batch":
        pass
    await run.cancel()
    await events.aclose()
    assert await asyncio.to_thread(gone_within, run.pid, HANG_GUARD)


async def test_a_begun_dryrun_never_awaited_ends_its_child_when_closed(root: Path, zygote):
    from nango_tui.dryrun import begin_dryrun

    add_sync(root, "flood", FLOOD)
    starting = begin_dryrun(DryrunRequest(root, "flood", "local"), zygote=zygote)
    pid = await asyncio.wait_for(asyncio.shield(starting._started), HANG_GUARD)  # forked, running
    assert not gone(pid)
    starting.close()  # the caller gave up on it before awaiting (a replaced workbench run)
    assert await asyncio.to_thread(gone_within, pid, HANG_GUARD)
    run = await start_dryrun(DryrunRequest(root, "contacts", "local"), zygote=zygote)
    assert [e async for e in run.events()][-1]["status"] == "ok"  # the zygote serves on


def test_the_suites_shared_zygote_serves_app_after_app_and_ends_what_each_forked(
    root: Path, _warm_child_pool
):
    """tests/support/warm_child.py: the workbench tests' apps borrow one zygote per test process.
    Each handle forks real runs on its own event loop (one app's after another's), and closing a
    handle ends the runs it forked, as the end of an app's own zygote would, but not the zygote."""
    from nango_tui.dryrun.zygote import WarmProcess
    from tests.support import warm_child

    add_sync(root, "flood", FLOOD)

    async def complete_run(handle):
        run = await start_dryrun(DryrunRequest(root, "contacts", "local"), zygote=handle)
        return run, [e async for e in run.events()]

    async def app_closes_while_its_run_streams(handle):
        run = await start_dryrun(DryrunRequest(root, "flood", "local"), zygote=handle)
        events = run.events()
        while (await anext(events))["type"] != "batch":
            pass
        parent = int(Path(f"/proc/{run.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        handle.close()  # what the app does when it ends
        assert await asyncio.to_thread(gone_within, run.pid, HANG_GUARD)
        await events.aclose()
        return parent

    parents = set()
    for _ in range(2):  # an app, another app: each its own event loop and handle, one zygote
        handle = warm_child.borrow()
        run, events = asyncio.run(complete_run(handle))
        assert isinstance(run._proc, WarmProcess) and run.done["status"] == "ok", run.done
        assert run.done["counts"] and run.done["requests"] == 3
        handle.close()
        handle = warm_child.borrow()
        parents.add(asyncio.run(app_closes_while_its_run_streams(handle)))
        assert handle._shared.alive
    assert parents == {handle._shared._proc.pid}


def _memory_holds(pid: int, needle: bytes) -> bool:
    """Whether any readable page of process `pid` holds `needle`."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except OSError:  # a region that cannot be read (guard pages)
                continue
    return False


async def test_a_forked_run_gets_its_connection_through_a_pipe_the_zygote_never_reads(root: Path, zygote):
    """The parent hands a forked child the connection it resolved, credentials included, through a
    pipe of the child's own: the run authenticates (the API answers only the token), and the
    zygote's memory, which every later fork inherits, never holds the token."""
    from tests.support.dryrun_project import TOKEN

    for _ in range(2):
        run = await start_dryrun(DryrunRequest(root, "contacts", "local"), zygote=zygote)
        events = [e async for e in run.events()]
        assert run.done["status"] == "ok" and run.done["counts"]["Contact"]["save"] == 7, events
    assert not _memory_holds(zygote._proc.pid, TOKEN.encode())
    assert _memory_holds(os.getpid(), TOKEN.encode())  # the search finds what is there


async def test_a_connection_too_big_for_a_pipe_is_looked_up_by_the_forked_child(root: Path, zygote):
    """A connection over a pipe's ~64 KB is not sent: the forked child reads connections.yaml itself."""
    blob = "m" * 100_000
    text = (root / "connections.yaml").read_text()
    (root / "connections.yaml").write_text(
        text.replace("        credentials:", f"        metadata: {{blob: {blob}}}\n        credentials:", 1)
    )
    add_sync(
        root,
        "blob-metadata",
        "async def fetch_data(nango):\n"
        "    blob = (await nango.get_metadata())['blob']\n"
        "    await nango.batch_save([{'id': 'm', 'first_name': str(len(blob)), 'last_name': blob[:3]}], 'Contact')\n",
    )
    run = await start_dryrun(DryrunRequest(root, "blob-metadata", "local"), zygote=zygote)
    events = [e async for e in run.events()]
    assert run.done["status"] == "ok", events
    [batch] = [e for e in events if e["type"] == "batch"]
    assert batch["records"][0]["first_name"] == "100000" and batch["records"][0]["last_name"] == "mmm"


@pytest.mark.parametrize(
    "name,kind", [("raises", "exception"), ("selfkill", "killed"), ("segfault", "killed")]
)
async def test_a_warm_run_reports_faults_as_a_cold_one(root: Path, zygote, name: str, kind: str):
    run = await start_dryrun(DryrunRequest(root, name, "local"), zygote=zygote)
    events = [e async for e in run.events()]
    errors = [e for e in events if e["type"] == "error"]
    assert [e["kind"] for e in errors] == [kind] and errors[0]["location"]["file"] == f"demo/syncs/{name}.py"
    assert run.done["status"] == "failed"


async def test_a_warm_run_stops_within_a_second_and_the_zygote_survives_its_script(root: Path, zygote):
    add_sync(root, "flood", FLOOD)
    add_sync(root, "kills-parent", KILLS_PARENT.format(sig="SIGKILL"))
    run = await start_dryrun(DryrunRequest(root, "kills-parent", "local"), zygote=zygote)
    [e async for e in run.events()]
    assert zygote.alive
    run = await start_dryrun(DryrunRequest(root, "flood", "local"), zygote=zygote)
    events = run.events()
    while (await anext(events))["type"] != "batch":
        pass
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await run.cancel()
    rest = [e async for e in events]
    assert time.monotonic() - started < 1.0 and rest[-1]["status"] == "cancelled"
    assert gone(run.pid) and zygote.alive


# -- soak: hostile scripts in a loop leave no process and no descriptor behind -----------------------


def processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is `folder` (a run's child and whatever it started)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(folder):
                    found.append(int(entry))
            except OSError:
                pass
    return [pid for pid in found if not gone(pid)]


@pytest.mark.slow
async def test_soak_hostile_scripts_leave_nothing_behind(root: Path, zygote):
    add_sync(root, "flood", FLOOD)
    add_sync(root, "kills-parent", KILLS_PARENT.format(sig="SIGTERM"))
    add_sync(root, "forges", FORGES)
    add_sync(root, "forks", FORKS)
    add_sync(root, "spawns-loops", SPAWNS.format(then="while True: pass"))
    add_sync(root, "spawns-sessions", SPAWNS.format(then="return"))
    scripts = [
        "flood",
        "kills-parent",
        "forges",
        "forks",
        "spawns-loops",
        "spawns-sessions",
        "selfkill",
        "segfault",
    ]
    for warm in (None, zygote):  # imports, caches and the zygote's first fork happen before counting
        run = await start_dryrun(DryrunRequest(root, "forks", "local"), zygote=warm)
        [e async for e in run.events()]
    await asyncio.sleep(1.0)
    fds_before = len(os.listdir("/proc/self/fd"))
    for round_ in range(3):
        for name in scripts:
            warm = zygote if round_ % 2 else None
            run = await start_dryrun(DryrunRequest(root, name, "local"), zygote=warm)
            async for event in run.events():
                if event["type"] in ("batch", "log") and name in ("flood", "spawns-loops"):
                    if name == "flood" or event["message"].startswith("pids"):
                        await run.cancel()
            assert run.done is not None
    left: list[int] = []
    for _ in range(20):
        left = processes_in(root)
        if not left:
            break
        await asyncio.sleep(0.1)
    assert left == []
    assert len(os.listdir("/proc/self/fd")) == fds_before


def test_a_runs_first_request_needs_no_import_of_httpcore_h11_or_anyio(local_server):
    """A run's requests go through runtime/transport.py: after the child's warm-up (while the parent
    still checks the request), the script's first request imports none of httpcore, h11, anyio or
    certifi (~80 modules, ~0.1 s of CPU on the run's critical path with httpx's own transport)."""
    local_server.route("GET", "/ping", {"ok": True})
    probe = textwrap.dedent(
        """
        import asyncio, sys
        from nango_tui.dryrun import child
        child._warm_up()
        from nango_tui.sdk import NangoAction
        from tests.support.runtime_ctx import make_ctx
        async def first():
            nango = NangoAction(make_ctx(sys.argv[1])[0])
            assert (await nango.get("/ping")).status_code == 200
            await nango.aclose()
        asyncio.run(first())
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("httpcore", "h11", "anyio", "certifi")))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run(
        [sys.executable, "-c", probe, local_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,  # (the probe imports tests.support)
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


_COLD_IMPORTS_THEN_COLLECTOR = """
import gc, sys
if sys.argv[1] == "cold":
    gc.disable()  # as a cold child imports (child.py)
import nango_tui.sdk
from nango_tui.config import heap

made_by_imports = nango_tui.sdk.__dict__
heap.collect_from_here()
walked = any(o is made_by_imports for o in gc.get_objects())
print(gc.isenabled(), walked, gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize("start, expected", [("cold", "True False True"), ("warm", "True True False")])
def test_a_cold_childs_imports_are_frozen_before_the_collector_goes_on(start: str, expected: str):
    """What a cold child imported with the collector off is frozen when it goes on (the first
    young collection would walk it all: ~20-30 ms before the script starts); a process whose
    collector was on (a zygote's fork) is left as it is. In processes of their own: a freeze
    lasts."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD_IMPORTS_THEN_COLLECTOR, start],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == expected, done.stdout + done.stderr


@pytest.mark.cold_child
async def test_a_cold_childs_script_runs_with_the_collector_on(root: Path):
    add_sync(
        root,
        "collector",
        "import gc\n\nasync def fetch_data(nango):\n    await nango.log('collector', gc.isenabled())\n",
    )
    run = await start_dryrun(DryrunRequest(root, "collector", "local"))
    events = [event async for event in run.events()]
    assert run.done["status"] == "ok", events
    assert [
        e["message"] for e in events if e.get("type") == "log" and "collector" in e.get("message", "")
    ] == ["collector True"]


# -- the `dryrun` command's child, forked at the program's start (dryrun/prefork.py) ---------------

HOW_STARTED = (
    "import gc, os, signal, sys\n\n"
    "async def fetch_data(nango):\n"
    "    await nango.log('started', {'argv0': os.path.basename(sys.argv[0]), 'cwd': os.getcwd(), 'path1': sys.path[1],\n"
    "        'by': sys.orig_argv[1:3], \n"
    "        'sigint': signal.getsignal(signal.SIGINT) == signal.SIG_IGN, 'fds': sorted(int(f) for f in os.listdir('/proc/self/fd'))[:3]})\n"
)


def _started(events: list[dict]) -> dict:
    [log] = [e for e in events if e.get("type") == "log" and str(e.get("message", "")).startswith("started")]
    return json.loads(log["message"][len("started ") :])


async def test_the_commands_forked_child_runs_as_a_spawned_one(root: Path, tmp_path: Path):
    """`nango-tui dryrun` forks its child at the program's start (no second interpreter start): the
    script sees what a child spawned as `python -m nango_tui.dryrun.child` sees (argv, working folder
    and import path, SIGINT ignored, fds 0-2 only to start with). (Its own session: the Ctrl-C and
    cancel tests, whose CLI forks its child too.)"""
    add_sync(root, "how", HOW_STARTED)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = await asyncio.to_thread(
        subprocess.run,  # a real process (not warm_cli's fork): the program's own start
        [sys.executable, "-m", "nango_tui", "dryrun", "how", "local", "--dir", str(root), "--json"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=elsewhere,
    )
    assert done.returncode == 0, done.stderr
    forked = _started([json.loads(line) for line in done.stdout.splitlines()])
    run = await start_dryrun(DryrunRequest(root, "how", "local"))
    spawned = _started([event async for event in run.events()])
    assert forked.pop("by") == ["-m", "nango_tui"]  # the program's own command line: a fork
    assert spawned.pop("by") == ["-m", "nango_tui.dryrun.child"]
    assert (
        forked
        == spawned
        == {
            "argv0": "child.py",
            "cwd": str(root),
            "path1": str(root),
            "sigint": True,
            "fds": [0, 1, 2],
        }
    )


def test_a_usage_error_ends_the_forked_child(root: Path):
    """The child is forked before the arguments are parsed: a usage error (exit 2) leaves nothing."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nango_tui",
            "dryrun",
            "contacts",
            "local",
            "--dir",
            str(root),
            "--no-such-option",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    deadline = time.monotonic() + 5
    while processes_in(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_in(root) == []


def test_the_forked_child_ends_when_the_command_is_killed_before_it_sends_the_request(root: Path):
    """A command killed at once (before it sent the checked request) leaves no child behind: its
    stdin closes with the parent and it exits without running anything."""
    cli = subprocess.Popen(
        [sys.executable, "-m", "nango_tui", "dryrun", "contacts", "local", "--dir", str(root), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + HANG_GUARD
    while not processes_in(root) and cli.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    cli.kill()
    cli.wait()
    deadline = time.monotonic() + 5
    while processes_in(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_in(root) == []


def test_no_fork_where_a_spawned_child_would_differ():
    """The interpreter's own options (a spawned child would not have them), help, or a folder
    argparse might read otherwise: no child is forked (the command spawns one as before)."""
    probe = textwrap.dedent(
        """
        import sys
        from nango_tui.dryrun.prefork import fork_child
        print(fork_child(sys.argv[1:]))
        """
    )
    for options, args in (
        (["-O"], ["contacts", "local"]),
        (["-X", "importtime"], ["contacts", "local"]),
        ([], ["contacts", "local", "--help"]),
        ([], ["contacts", "local", "--di", "x"]),
    ):
        done = subprocess.run(
            [sys.executable, *options, "-c", probe, *args], capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "None", (options, args, done.stderr)


def test_what_the_command_imports_before_its_fork_both_processes_import(root: Path):
    """`prefork.SHARED_IMPORTS` are imported once, before the fork, instead of in each process:
    only what the parent's dryrun path (the command line, the request's check, the run) and the
    child's warm-up both import, so neither pays for a module it would not have imported."""
    from nango_tui.dryrun.prefork import SHARED_IMPORTS

    probe = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        if sys.argv[1] == "child":
            from nango_tui.dryrun import child
            child._warm_up()
        else:
            import nango_tui.cli, nango_tui.dryrun.command
            from nango_tui.dryrun import runner, setup
            from nango_tui.dryrun.request import DryrunRequest
            nango_tui.cli.build_parser("dryrun").parse_args(["dryrun", "contacts", "local", "--json"])
            secrets = []
            spec, connection = setup.resolve_run(DryrunRequest(Path(sys.argv[2]), "contacts", "local"), secrets)
            runner.DryrunRun(spec, DryrunRequest(Path(sys.argv[2]), "contacts", "local"), secrets, connection)
        print(" ".join(sorted(sys.modules)))
        """
    )
    for side in ("child", "parent"):
        done = subprocess.run(
            [sys.executable, "-c", probe, side, str(root)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        missing = set(SHARED_IMPORTS) - set(done.stdout.split())
        assert not missing, (side, missing)


def test_a_cold_childs_warm_up_leaves_the_models_nothing_to_import(tmp_path: Path):
    """What the first model class imports lazily (pydantic.fields, pydantic.types, annotated_types)
    and the pager come with the child's warm-up: imported then, they come from boot.py's cache and
    are frozen with the rest; after the launch, models.py imports only itself."""
    from tests.support.dryrun_project import MODELS_PY

    (tmp_path / "models.py").write_text(MODELS_PY)
    probe = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from nango_tui.dryrun import child
        child._warm_up()
        before = set(sys.modules)
        from nango_tui.dryrun.iotypes import load_models
        import nango_tui.runtime.pagination, nango_tui.dryrun.unawaited
        load_models(Path(sys.argv[1]), as_module="models")
        print(sorted(set(sys.modules) - before))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['models']"


async def test_a_cancel_before_the_child_leads_its_process_group_ends_it_at_once():
    """A run cancelled right after its child was forked from the zygote, before the child called
    setsid (no process group of its own yet), ends at the SIGTERM, not KILL_GRACE later at the
    SIGKILL: the child itself is signalled when its group does not exist."""
    from nango_tui.dryrun.runner import KILL_GRACE, DryrunRun

    child = await asyncio.create_subprocess_exec(  # in this process's group, as before setsid
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    run = object.__new__(DryrunRun)  # (only its process matters to _kill)
    run._proc = child
    began = time.monotonic()
    try:
        await run._kill()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode == -signal.SIGTERM, child.returncode
    assert time.monotonic() - began < KILL_GRACE + 5
