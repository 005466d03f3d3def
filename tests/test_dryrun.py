"""dryrun: the child process, the event stream, faults, cancel/timeout, options, save/replay, CLI.

Every test runs real child processes against a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import os
import subprocess
import sys
import time
import zlib
from datetime import UTC
from pathlib import Path

import pytest

from nango_tui.cli import main as cli_main
from nango_tui.dryrun import DryrunRequest, DryrunSetupError, start_dryrun
from tests.support.dryrun_project import TOKEN, Api, write_project
from tests.support.http_server import Reply

HANG_GUARD = 30  # seconds: a test fails rather than hangs


@pytest.fixture(autouse=True)
def _async_runs_fork_from_a_warm_child(request: pytest.FixtureRequest):
    """The async tests' runs fork from this process's zygote (the workbench's path; ~0.05 s of CPU
    a run instead of a cold interpreter's ~0.43 s): the child is the same `child.run`, with the same
    guard, limits and sandbox. The CLI tests (`def`: `nango-tui dryrun`'s early cold child) and the
    tests marked `cold_child` keep cold children, whose start is their subject."""
    if inspect.iscoroutinefunction(request.function) and not request.node.get_closest_marker("cold_child"):
        request.getfixturevalue("warm_dryrun_children")


@pytest.fixture
def api():
    with Api(total=7, page_size=3) as server:
        yield server


@pytest.fixture
def root(tmp_path: Path, api: Api) -> Path:
    return write_project(tmp_path / "integrations", api.url)


async def collect(root: Path, name: str, connection: str = "local", zygote=None, **options) -> list[dict]:
    async def go() -> list[dict]:
        run = await start_dryrun(DryrunRequest(root, name, connection, **options), zygote=zygote)
        return [event async for event in run.events()]

    return await asyncio.wait_for(go(), HANG_GUARD)


def only(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def check_stream(events: list[dict]) -> dict:
    """Shared shape: starts with `start`, ends with exactly one `done`, every event has a "t"."""
    assert events[0]["type"] == "start"
    assert [e["type"] for e in events].count("done") == 1
    assert events[-1]["type"] == "done"
    assert all(isinstance(e.get("t"), (int, float)) for e in events)
    return events[-1]


def records_of(events: list[dict]) -> list[dict]:
    return [r for e in only(events, "batch") for r in e["records"]]


# -- a good run -------------------------------------------------------------------------------


async def test_sync_streams_records_logs_and_requests(root: Path):
    events = await collect(root, "contacts")
    done = check_stream(events)
    assert done["status"] == "ok"
    assert [r["id"] for r in records_of(events)] == [f"c{i}" for i in range(7)]
    assert done["counts"] == {"Contact": {"save": 7, "update": 0, "delete": 0}}
    assert done["records"] == 7 and done["requests"] == 3
    assert len(only(events, "request")) == 3
    assert any(e["message"].startswith("starting") for e in only(events, "log"))
    lines = Path(events[0]["records_file"]).read_text().splitlines()
    assert [json.loads(line)["record"]["id"] for line in lines] == [f"c{i}" for i in range(7)]
    assert json.loads(lines[0])["model"] == "Contact" and json.loads(lines[0])["op"] == "save"
    assert Path(events[0]["records_file"]).parent == root / ".nango" / "runs"


async def test_metadata_stub_and_last_sync_date_reach_the_script(root: Path):
    from datetime import datetime

    events = await collect(
        root, "meta", metadata={"region": "eu"}, last_sync_date=datetime(2024, 5, 1, tzinfo=UTC)
    )
    assert check_stream(events)["status"] == "ok"
    message = only(events, "log")[0]["message"]
    assert '{"region": "eu"}' in message and "2024-05-01T00:00:00+00:00" in message


async def test_max_records_stops_cleanly(root: Path):
    events = await collect(root, "contacts", max_records=4)
    done = check_stream(events)
    assert done["status"] == "ok" and done["reason"] == "limit reached"
    assert len(records_of(events)) == 4
    assert not only(events, "error")
    # the page requested ahead when the limit stopped the loop is dropped without a word
    assert [e["message"] for e in only(events, "log") if e["level"] != "info"] == []


# -- setup errors (before any child starts) -----------------------------------------------------


async def test_unknown_script_lists_the_scripts(root: Path):
    with pytest.raises(DryrunSetupError) as err:
        await start_dryrun(DryrunRequest(root, "contact", "local"))
    assert "contacts" in str(err.value) and "fetch-fields" in str(err.value)


async def test_missing_connection_lists_the_connections(root: Path):
    with pytest.raises(DryrunSetupError) as err:
        await start_dryrun(DryrunRequest(root, "contacts", "nope"))
    assert "nope" in str(err.value) and "local" in str(err.value)


async def test_input_is_checked_against_the_input_model_before_the_run_with_validation(root: Path):
    with pytest.raises(DryrunSetupError) as err:
        await start_dryrun(
            DryrunRequest(root, "fetch-fields", "local", input={"ident": "x"}, validation=True)
        )
    text = str(err.value)
    assert "IdEntity" in text and "id: Field required" in text
    with pytest.raises(DryrunSetupError, match="takes an input"):
        await start_dryrun(DryrunRequest(root, "fetch-fields", "local", validation=True))
    assert (
        not list((root / ".nango" / "runs").glob("*.jsonl")) if (root / ".nango" / "runs").exists() else True
    )


# -- actions ----------------------------------------------------------------------------------


async def test_action_output_is_validated_and_returned(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "c1"})
    assert check_stream(events)["status"] == "ok"
    (result,) = only(events, "result")
    assert result["output"] == {"id": "c1", "fields": [{"name": "email", "label": "Email", "type": "string"}]}


async def test_action_error_shows_its_payload(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "boom"})
    assert check_stream(events)["status"] == "failed"
    (error,) = only(events, "error")
    assert error["kind"] == "action_error"
    assert error["payload"] == {"message": "cannot fetch boom", "code": 42}
    assert error["location"] == {"file": "demo/actions/fetch-fields.py", "line": 7}


async def test_action_output_not_matching_its_model_fails_with_validation(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "wrong"}, validation=True)
    assert check_stream(events)["status"] == "failed"
    (error,) = only(events, "error")
    assert error["kind"] == "invalid_output" and "fields" in error["message"]


async def test_without_validation_bad_input_and_output_are_warnings_as_in_nango(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "wrong"})
    assert check_stream(events)["status"] == "ok"
    assert only(events, "error") == []
    warnings = [e["message"] for e in only(events, "log") if e["level"] == "warn"]
    assert any("output does not match" in w and "fields" in w for w in warnings)
    assert only(events, "result")


async def test_http_error_carries_status_and_body(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "missing"})
    assert check_stream(events)["status"] == "failed"
    (error,) = only(events, "error")
    assert error["kind"] == "http" and error["payload"]["status"] == 404
    assert error["location"]["file"] == "demo/actions/fetch-fields.py"


# -- faults -----------------------------------------------------------------------------------

FAULTS = [
    # name, options, kind, line
    ("raises", {}, "exception", 3),
    ("exits", {}, "exit", 4),
    ("os-exits", {}, "exit", 4),
    ("memory", {"memory_limit": 768 << 20}, "memory", 4),
    ("selfkill", {}, "killed", 4),
    ("segfault", {}, "killed", 4),
    ("no-entry", {}, "script", 1),
    ("syntax", {}, "syntax", 2),
]


@pytest.mark.parametrize("name,options,kind,line", FAULTS, ids=[f[0] for f in FAULTS])
async def test_every_fault_ends_in_a_located_error_and_done(root: Path, name, options, kind, line):
    events = await collect(root, name, **options)
    done = check_stream(events)
    assert done["status"] == "failed"
    errors = only(events, "error")
    assert len(errors) == 1, errors
    assert errors[0]["kind"] == kind, errors[0]
    assert errors[0]["location"]["file"] == f"demo/syncs/{name}.py"
    if kind == "syntax":
        assert errors[0]["location"]["line"] in (2, 3)
    else:
        assert errors[0]["location"]["line"] == line, errors[0]


TIMEOUT_FAULTS = [("loops", 4), ("sleeps", 5)]
RUN_TIMEOUT = 3.0


@pytest.mark.parametrize("name,line", TIMEOUT_FAULTS, ids=[f[0] for f in TIMEOUT_FAULTS])
async def test_a_timeout_ends_in_an_error_at_the_script_line_and_done(root: Path, name, line):
    # The timeout counts from the spawn. A cold interpreter on a loaded machine can spend it all
    # before the script runs, so the run is forked from a zygote warmed by a first run: the same
    # child (guard, timer, locations) reaching the script at once.
    from nango_tui.dryrun.zygote import Zygote

    zygote = Zygote.start()
    try:
        assert check_stream(await collect(root, "contacts", zygote=zygote))["status"] == "ok"
        events = await collect(root, name, zygote=zygote, timeout=RUN_TIMEOUT)
    finally:
        zygote.close()
    done = check_stream(events)
    assert done["status"] == "failed"
    errors = only(events, "error")
    assert len(errors) == 1, errors
    assert errors[0]["kind"] == "timeout", errors[0]
    assert errors[0]["location"]["file"] == f"demo/syncs/{name}.py"
    assert errors[0]["location"]["line"] in (line - 1, line)
    assert done["seconds"] >= RUN_TIMEOUT  # ended by its own timeout (a hang fails by pytest-timeout)


async def test_prints_become_logs_and_cannot_corrupt_the_stream(root: Path):
    events = await collect(root, "prints")
    done = check_stream(events)
    assert done["status"] == "ok" and done["records"] == 1
    messages = [e["message"] for e in only(events, "log")]
    assert "hello from print" in messages
    assert '{"type": "done", "status": "ok"}' in messages  # a print, not an event
    assert "to stderr" in messages and "raw fd write" in messages


async def test_cancel_ends_the_child_within_a_second(root: Path):
    run = await start_dryrun(DryrunRequest(root, "loops", "local"))
    seen: list[dict] = []
    started = asyncio.Event()

    async def consume():
        async for event in run.events():
            seen.append(event)
            started.set()

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 30)  # the child is up and about to loop
    assert seen[0]["type"] == "start"
    pid = run.pid
    await run.cancel()
    await asyncio.wait_for(consumer, 10)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert seen[-1]["type"] == "done" and seen[-1]["status"] == "cancelled"
    assert [e["type"] for e in seen].count("done") == 1


async def test_leaving_the_stream_early_kills_the_child(root: Path):
    run = await start_dryrun(DryrunRequest(root, "loops", "local"))
    async for event in run.events():
        assert event["type"] == "start"
        break
    await asyncio.sleep(0)
    async with run:
        pass
    with pytest.raises(ProcessLookupError):
        os.kill(run.pid, 0)


# -- validation -------------------------------------------------------------------------------


async def test_invalid_records_are_reported_and_the_run_goes_on(root: Path):
    events = await collect(root, "invalid")
    done = check_stream(events)
    assert done["status"] == "ok"
    invalid = only(events, "invalid")
    assert len(invalid) == 2 and all(e["model"] == "Contact" and e["errors"] for e in invalid)
    # Nango's CLI warns and saves them anyway
    assert done["invalid"] == {"Contact": 2} and done["records"] == 3
    assert any(e["message"] == "after the batch" for e in only(events, "log"))


async def test_validation_fails_the_run_at_the_first_invalid_record(root: Path):
    events = await collect(root, "invalid", validation=True)
    done = check_stream(events)
    assert done["status"] == "failed"
    assert len(only(events, "invalid")) == 1
    (error,) = only(events, "error")
    assert error["kind"] == "validation" and error["location"] == {"file": "demo/syncs/invalid.py", "line": 3}
    assert not any(e["message"] == "after the batch" for e in only(events, "log"))


# -- save and replay ----------------------------------------------------------------------------


def _comparable(events: list[dict]) -> list[dict]:
    # a replay sends nothing and keeps only some response headers: headers differ, bodies do not
    drop = {
        "t",
        "ms",
        "records_file",
        "replay",
        "save_responses",
        "seconds",
        "bytes",
        "request_headers",
        "response_headers",
    }
    return [
        {k: v for k, v in e.items() if k not in drop}
        for e in events
        if e["type"] in ("batch", "result", "request", "invalid", "error")
    ]


async def test_save_then_replay_reproduces_the_run(root: Path, api: Api):
    saved = await collect(root, "contacts", save_responses=True, metadata={"a": 1})
    assert check_stream(saved)["status"] == "ok"
    mocks = json.loads((root / "demo" / "mocks" / "contacts.json").read_text())
    assert mocks["inputs"]["metadata"] == {"a": 1}
    assert len(mocks["exchanges"]) == 3
    assert [r["id"] for r in mocks["expected"]["records"]["Contact"]] == [f"c{i}" for i in range(7)]
    api.__exit__()  # no network from now on
    replayed = await collect(root, "contacts", replay=True, metadata={"a": 1})
    assert check_stream(replayed)["status"] == "ok"
    assert _comparable(replayed) == _comparable(saved)
    auto = await collect(root, "contacts", connection="demo-replay", metadata={"a": 1})  # `replay: true`
    assert auto[0]["replay"] is True and _comparable(auto) == _comparable(saved)


async def test_action_save_keeps_input_and_output(root: Path):
    events = await collect(root, "fetch-fields", input={"id": "c2"}, save_responses=True)
    assert check_stream(events)["status"] == "ok"
    mocks = json.loads((root / "demo" / "mocks" / "fetch-fields.json").read_text())
    assert mocks["inputs"]["input"] == {"id": "c2"}
    assert mocks["expected"]["output"]["id"] == "c2"
    replayed = await collect(root, "fetch-fields", input={"id": "c2"}, replay=True)
    assert (
        only(replayed, "result") == only(events, "result")
        or only(replayed, "result")[0]["output"] == only(events, "result")[0]["output"]
    )


async def test_replay_of_an_unsaved_request_names_it(root: Path):
    await collect(root, "fetch-fields", input={"id": "c2"}, save_responses=True)
    events = await collect(root, "fetch-fields", input={"id": "c3"}, replay=True)
    (error,) = only(events, "error")
    assert error["kind"] == "replay" and "/contact-fields" in error["message"]


# -- secrets ----------------------------------------------------------------------------------


async def test_the_token_appears_in_no_event_output_or_saved_file(root: Path, capsys):
    leaked = await collect(root, "leaks", save_responses=True)
    assert only(leaked, "error")[0]["kind"] == "exception"
    messages = [e["message"] for e in only(leaked, "log")]
    assert "token is ***" in messages and "raw stderr ***" in messages and "raw stdout ***" in messages
    await collect(root, "contacts", save_responses=True)
    assert await asyncio.to_thread(cli_main, ["dryrun", "leaks", "local", "--dir", str(root)]) == 1
    assert (
        await asyncio.to_thread(
            cli_main,
            [
                "dryrun",
                "contacts",
                "local",
                "--dir",
                str(root),
                "--json",
                "--output",
                str(root / "out.jsonl"),
            ],
        )
        == 0
    )
    captured = capsys.readouterr()
    assert TOKEN not in json.dumps(leaked) and TOKEN not in captured.out + captured.err
    for path in root.rglob("*"):
        if path.is_file() and path.name != "connections.yaml":
            assert TOKEN not in path.read_text(errors="replace"), path


# -- the command ------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    from nango_tui.cli import build_parser
    from nango_tui.dryrun.command import run_command

    args = build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = run_command(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_human_output_has_summary_and_first_records(root: Path):
    code, out, err = run_cli(["dryrun", "contacts", "local", "--dir", str(root)])
    assert code == 0, err
    assert "model" in out and "added" in out and "Contact" in out
    assert "ok · 3 requests (0 retries) · 7 records" in out
    assert "first 3 of 7 records" in out and '"id": "c0"' in out
    assert "\r" not in out  # no progress line when not on a terminal


def test_cli_output_file_and_json_stream(root: Path, tmp_path: Path):
    target = tmp_path / "records.jsonl"
    code, out, _ = run_cli(
        ["dryrun", "contacts", "local", "--dir", str(root), "--json", "--output", str(target)]
    )
    assert code == 0
    stream = [json.loads(line) for line in out.splitlines()]
    assert stream[0]["type"] == "start" and stream[-1]["type"] == "done"
    assert [json.loads(line)["id"] for line in target.read_text().splitlines()] == [f"c{i}" for i in range(7)]


def test_cli_json_passes_batches_on_as_the_runner_wrote_them(root: Path):
    """`--json` alone reads batches without decoding their records (issue 18): each line is the
    same event the API's decoded stream gives, `n` counting the records, and the tally holds."""
    code, out, err = run_cli(["dryrun", "contacts", "local", "--dir", str(root), "--json"])
    assert code == 0, err
    stream = [json.loads(line) for line in out.splitlines()]
    batches = only(stream, "batch")
    assert [r["id"] for b in batches for r in b["records"]] == [f"c{i}" for i in range(7)]
    assert all(b["n"] == len(b["records"]) and b["model"] == "Contact" for b in batches)
    assert stream[-1]["type"] == "done" and stream[-1]["records"] == 7
    everything = asyncio.run(collect(root, "contacts"))
    decoded = only(everything, "batch")
    assert [{k: v for k, v in b.items() if k != "t"} for b in batches] == [
        {k: v for k, v in b.items() if k != "t"} for b in decoded
    ]
    # the child's other events are passed on as their lines too: the same events
    assert [e["type"] for e in stream] == [e["type"] for e in everything]
    varying = ("t", "ms", "seconds", "records_file", "response_headers")  # (headers: the Date)
    for ours, theirs in zip(stream, everything):
        if ours["type"] in ("request", "log"):
            assert {k: v for k, v in ours.items() if k not in varying} == {
                k: v for k, v in theirs.items() if k not in varying
            }
            if ours["type"] == "request":
                assert ours["response_headers"].keys() == theirs["response_headers"].keys()
    assert '"_raw"' not in out


def test_json_output_passes_on_utf8_lines_as_bytes_and_nothing_else():
    """A line the runner wrote goes out as its bytes when it is UTF-8 (ASCII found so without
    decoding it); anything else is decoded with replacement characters, never passed on raw."""
    from nango_tui.dryrun.command import _JsonSink
    from nango_tui.dryrun.events import RAW

    class Stream(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.raw_out: list[bytes] = []

        def write_bytes(self, data: bytes) -> None:
            self.raw_out.append(data)

    stream = Stream()
    sink = _JsonSink(stream)
    for raw in (b'{"type":"log","message":"plain"}', '{"type":"log","message":"é ✓"}'.encode()):
        sink.feed({"type": "log", RAW: raw})
    sink.feed({"type": "log", RAW: b'{"type":"log","message":"\xff"}'})
    assert stream.raw_out == [
        b'{"type":"log","message":"plain"}\n',
        '{"type":"log","message":"é ✓"}\n'.encode(),
    ]
    assert stream.getvalue() == '{"type":"log","message":"\ufffd"}\n'


def test_a_raw_batch_head_is_read_only_from_a_well_formed_batch_line():
    from nango_tui.dryrun.events import RAW
    from nango_tui.dryrun.runner import _batch_head

    line = b'{"type":"batch","op":"save","model":"Contact","t":0.1,"n":2,"records":[{"id":"a"},{"id":"b"}]}'
    head = _batch_head(line)
    assert head is not None and head[RAW] == line
    assert {k: v for k, v in head.items() if k != RAW} == {
        "type": "batch",
        "op": "save",
        "model": "Contact",
        "t": 0.1,
        "n": 2,
    }
    assert _batch_head(b'{"type":"batch","op":"save","model":"C","records":[]}') is None  # no n
    assert _batch_head(b'{"type":"log","message":"{"type":"batch"}"}') is None
    assert _batch_head(b'{"type":"batch","n":"2","records":[]}') is None
    assert _batch_head(b'{"type":"batch",broken,"records":[]}') is None


def test_a_raw_request_head_is_read_without_its_headers_and_bodies():
    from nango_tui.dryrun.events import RAW
    from nango_tui.dryrun.runner import _request_head

    short = {"type": "request", "method": "GET", "url": 'http://a/x?q=","request_headers":', "status": 503}
    short |= {"ms": 1.5, "bytes": 2, "attempt": 2}
    line = json.dumps(
        {**short, "request_headers": {"a": "b"}, "response_body": "{}"}, separators=(",", ":")
    ).encode()
    head = _request_head(line)
    assert head is not None and head[RAW] == line
    assert {k: v for k, v in head.items() if k != RAW} == short  # (a quoted key in a value is no end)
    assert _request_head(b'{"type":"request","method":"GET","request_headers":{}}') is None  # no attempt
    assert _request_head(b'{"type":"request","attempt":"2","request_headers":{}}') is None
    assert _request_head(b'{"type":"request",broken,"request_headers":{}}') is None
    assert _request_head(b'{"type":"log","message":"x","request_headers":{}}') is None


def test_the_json_command_writes_the_runners_lines_to_a_pipe_as_the_text_path_does(root: Path):
    """The real command, its stdout a pipe: lines the runner wrote go out as bytes (cli's
    stdout takes them), the same events as the text path gives; a reader that goes away early
    leaves the run to finish with its real status, without a traceback."""
    command = [sys.executable, "-m", "nango_tui", "dryrun", "contacts", "local", "--dir", str(root), "--json"]
    done = subprocess.run(command, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    piped = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    code, out, err = run_cli(command[3:])
    assert code == 0, err
    texted = [json.loads(line) for line in out.splitlines()]
    varying = ("t", "ms", "seconds", "records_file", "response_headers", "peak_rss_kib")
    assert [{k: v for k, v in e.items() if k not in varying} for e in piped] == [
        {k: v for k, v in e.items() if k not in varying} for e in texted
    ]
    assert piped[-1]["requests"] == 3 and piped[-1]["records"] == 7
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    assert json.loads(reader.stdout.readline())["type"] == "start"
    reader.stdout.close()  # `| head -1`
    assert reader.wait(timeout=120) == 0
    assert b"Traceback" not in reader.stderr.read()
    reader.stderr.close()


def test_the_folder_is_read_off_a_dryrun_command_line_only_where_argparse_agrees():
    from nango_tui.dryrun.early import root_in_argv

    assert root_in_argv(["contacts", "local"]) == "."
    assert root_in_argv(["contacts", "local", "--dir", "a", "--json"]) == "a"
    assert root_in_argv(["--dir=a", "contacts", "--dir", "b", "local"]) == "b"  # the last one
    assert root_in_argv(["contacts", "local", "--dir=", "--json"]) == ""
    assert root_in_argv(["contacts", "local", "--di", "a"]) is None  # an abbreviation argparse takes
    assert root_in_argv(["contacts", "local", "--d=a"]) is None
    assert root_in_argv(["contacts", "local", "--dir"]) is None
    assert root_in_argv(["contacts", "--", "--dir", "a"]) == "."  # only positional arguments after --


def test_the_command_starts_its_child_before_parsing_and_never_runs_a_wrong_one(
    root: Path, monkeypatch, capsys
):
    """cli.main starts the run's child off the command line before argparse; the command uses it
    only when it serves the parsed request, else starts the right one; a command that fails to
    parse leaves no child behind."""
    from nango_tui.dryrun import early

    started: list[tuple[str | None, early.EarlyChild]] = []
    original = early.EarlyChild.start_in.__func__

    def spy(cls, cwd, env):
        child = original(cls, cwd, env)
        started.append((cwd, child))
        return child

    monkeypatch.setattr(early.EarlyChild, "start_in", classmethod(spy))
    assert cli_main(["dryrun", "contacts", "local", "--dir", str(root), "--json"]) == 0
    assert [cwd for cwd, _ in started] == [str(root)]  # one child, started off the command line
    assert started[0][1].adopted and started[0][1].popen.poll() is not None
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["records"] == 7

    started.clear()
    assert cli_main(["dryrun", "contacts", "local", "--di", str(root), "--json"]) == 0  # (abbreviated)
    assert [cwd for cwd, _ in started] == [str(root)]  # started once the arguments were parsed
    capsys.readouterr()

    started.clear()
    monkeypatch.chdir(root)
    monkeypatch.setenv("NANGO_TUI_TEST_MARK", "1")
    monkeypatch.setattr(early, "_env", lambda extra: {"WRONG": "1"})  # a child that does not serve
    monkeypatch.setattr(early, "child_env", lambda request: dict(os.environ))
    assert cli_main(["dryrun", "contacts", "local", "--json"]) == 0
    assert (
        len(started) == 2
        and started[0][1].popen.poll() is not None
        and not started[0][1].popen.returncode == 0
    )
    assert started[1][1].env.get("NANGO_TUI_TEST_MARK") == "1"
    capsys.readouterr()

    started.clear()
    with pytest.raises(SystemExit):
        cli_main(["dryrun", "--dir", str(root)])  # no NAME: argparse's usage error
    assert len(started) == 1 and started[0][1].popen.poll() is not None  # discarded, reaped
    started.clear()
    with pytest.raises(SystemExit):
        cli_main(["dryrun", "--help"])
    assert started == []  # no child for the help


def test_cli_errors_are_one_clear_message(root: Path):
    code, out, err = run_cli(["dryrun", "contacts", "nope", "--dir", str(root)])
    assert code == 1 and "local" in err and "Traceback" not in err + out and err.count("\n") == 1
    code, _, err = run_cli(["dryrun", "fetch-fields", "local", "--dir", str(root), "--input", "{bad"])
    assert code == 2 and "--input is not valid JSON" in err
    code, _, err = run_cli(
        ["dryrun", "fetch-fields", "local", "--dir", str(root), "--input", '{"id": 5}', "--validation"]
    )
    assert code == 1 and "id:" in err
    code, _, err = run_cli(
        ["dryrun", "contacts", "local", "--dir", str(root), "--last-sync-date", "yesterday"]
    )
    assert code == 2 and "ISO date" in err


def test_cli_failed_script_exits_1_and_shows_where(root: Path):
    code, out, _ = run_cli(["dryrun", "raises", "local", "--dir", str(root)])
    assert code == 1
    assert "error (exception) at demo/syncs/raises.py:3: ValueError: bad value here" in out


def test_cli_never_floods_the_terminal(root: Path):
    code, out, _ = run_cli(["dryrun", "chatty", "local", "--dir", str(root)])
    assert code == 0
    assert out.count("line ") <= 510 and "1,500 more log lines not shown" in out


def test_live_progress_line_is_redrawn_in_place():
    from nango_tui.console import Out
    from nango_tui.dryrun.render import HumanRenderer

    stream = io.StringIO()
    renderer = HumanRenderer(Out(stream, colour=False), live=True)
    renderer.feed(
        {
            "type": "start",
            "t": 0,
            "kind": "sync",
            "integration": "demo",
            "script": "s",
            "connection": "c",
            "environment": "dev",
        }
    )
    for i in range(1000):
        renderer.feed(
            {"type": "batch", "t": 0.1, "op": "save", "model": "Contact", "records": [{"id": str(i)}]}
        )
    assert stream.getvalue().count("\r\x1b[K") <= 5  # throttled to ~10 redraws a second, not one per event
    time.sleep(0.15)
    renderer.feed(
        {"type": "request", "t": 0.2, "method": "GET", "url": "/x", "status": 200, "ms": 1, "attempt": 1}
    )
    assert "Contact 1,000 · 1 requests" in stream.getvalue()
    renderer.feed(
        {
            "type": "done",
            "t": 1,
            "status": "ok",
            "counts": {"Contact": {"save": 1000}},
            "records": 1000,
            "requests": 1,
            "seconds": 1,
        }
    )
    assert stream.getvalue().endswith(
        "records:\n" + "".join(f'  save Contact: {{"id": "{i}"}}\n' for i in range(3))
    )


async def test_script_table_cache_follows_nango_yaml(root: Path):
    assert check_stream(await collect(root, "contacts"))["status"] == "ok"
    assert (root / ".nango" / "dryrun-scripts.json").is_file()
    yaml_text = (root / "nango.yaml").read_text()
    (root / "nango.yaml").write_text(yaml_text.replace("      contacts:\n", "      people:\n", 1))
    (root / "demo" / "syncs" / "people.py").write_text((root / "demo" / "syncs" / "contacts.py").read_text())
    with pytest.raises(DryrunSetupError, match="people"):
        await start_dryrun(DryrunRequest(root, "contacts", "local"))
    assert check_stream(await collect(root, "people"))["status"] == "ok"
    (root / "nango.yaml").write_text(yaml_text.replace("output: Contact", "output: Nope", 1))
    with pytest.raises(DryrunSetupError, match="nango.yaml has"):
        await start_dryrun(DryrunRequest(root, "contacts", "local"))


def test_a_current_script_table_cache_skips_the_config_loader(root: Path, monkeypatch):
    """The cache's key is nango.yaml's hash (a loop variable once overwrote it with an integration's
    key, so every dryrun loaded nango.yaml again: ~0.1-0.3 s of the parent's CPU)."""
    import nango_tui.config
    from nango_tui.dryrun.setup import script_table

    first = script_table(root)

    def no_loader(*args, **kwargs):
        raise AssertionError("the config loader ran although the cache is current")

    monkeypatch.setattr(nango_tui.config, "load_project", no_loader)
    assert script_table(root) == first
    (root / "nango.yaml").write_text((root / "nango.yaml").read_text() + "\n")
    with pytest.raises(AssertionError, match="cache is current"):
        script_table(root)


async def test_connection_from_a_nango_server(root: Path, api: Api, monkeypatch):
    from tests.support.dryrun_project import NANGO_SECRET

    for name in ("NANGO_SECRET_KEY_DEV", "NANGO_HOSTPORT"):
        monkeypatch.delenv(name, raising=False)
    (root / ".env").write_text(f"NANGO_SECRET_KEY_DEV={NANGO_SECRET}\nNANGO_HOSTPORT={api.url}\n")
    events = await collect(root, "meta", connection="remote", last_sync_date="2024-01-01T00:00:00")
    assert check_stream(events)["status"] == "ok"
    assert '{"from": "nango"}' in only(events, "log")[0]["message"]
    events = await collect(root, "contacts", connection="remote")
    assert check_stream(events)["records"] == 7
    assert NANGO_SECRET not in json.dumps(events) and TOKEN not in json.dumps(events)
    with pytest.raises(DryrunSetupError, match="local"):
        await start_dryrun(DryrunRequest(root, "contacts", "absent"))


@pytest.mark.cold_child
async def test_a_cold_or_forked_child_uses_the_connection_the_parent_resolved(
    root: Path, api: Api, monkeypatch
):
    """The parent looks the connection up (here on a Nango server) and hands it to the child: one
    GET /connection a run, where the child used to ask again. A child forked from a zygote gets it
    too, through a pipe of its own (never in the zygote's memory, which its later forks share:
    tests/test_dryrun_process.py reads that memory)."""
    from nango_tui.dryrun.zygote import Zygote
    from tests.support.dryrun_project import NANGO_SECRET

    for name in ("NANGO_SECRET_KEY_DEV", "NANGO_HOSTPORT"):
        monkeypatch.delenv(name, raising=False)
    (root / ".env").write_text(f"NANGO_SECRET_KEY_DEV={NANGO_SECRET}\nNANGO_HOSTPORT={api.url}\n")
    zygote = Zygote.start()
    try:
        for warm in (None, zygote):
            before = len(api.calls("GET", "/connection/remote"))
            events = await collect(root, "contacts", connection="remote", zygote=warm)
            assert check_stream(events)["records"] == 7
            assert len(api.calls("GET", "/connection/remote")) - before == 1
            assert NANGO_SECRET not in json.dumps(events) and TOKEN not in json.dumps(events)
    finally:
        zygote.close()


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        return []


def _states(pids: list[int]) -> dict[int, str]:
    states = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                states[pid] = next(line for line in status if line.startswith("State:")).strip()
        except (FileNotFoundError, StopIteration):
            states[pid] = "gone"
    return states


def _wait_blocking(condition, seconds: float = 20.0) -> bool:
    """Wait for `condition` with the event loop blocked (as a busy workbench blocks it)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


async def test_a_warm_child_is_forked_while_the_event_loop_is_busy(root: Path):
    """issue 18 (ctrl+j): the request is checked and the fork asked for in one thread, so the child
    starts while the caller's loop is busy (the workbench redrawing), not once it resumes the task."""
    from nango_tui.dryrun.zygote import Zygote

    zygote = Zygote.start()
    try:
        assert check_stream(await collect(root, "contacts", zygote=zygote))["status"] == "ok"  # warm
        starting = asyncio.ensure_future(
            start_dryrun(DryrunRequest(root, "contacts", "local"), zygote=zygote)
        )
        await asyncio.sleep(0)  # its first step: the thread starts; from here the loop is blocked
        assert _wait_blocking(lambda: _children_of(zygote._proc.pid)), "no child while the loop was busy"
        run = await starting
        events = [event async for event in run.events()]
        assert check_stream(events)["records"] == 7
    finally:
        zygote.close()


async def test_a_run_cancelled_while_its_child_forks_ends_that_child(root: Path):
    from nango_tui.dryrun.zygote import Zygote

    zygote = Zygote.start()
    try:
        assert check_stream(await collect(root, "contacts", zygote=zygote))["status"] == "ok"  # warm
        starting = asyncio.ensure_future(start_dryrun(DryrunRequest(root, "loops", "local"), zygote=zygote))
        await asyncio.sleep(0)
        assert _wait_blocking(lambda: _children_of(zygote._proc.pid))
        forked = _children_of(zygote._proc.pid)
        starting.cancel()  # before the task saw the thread's result
        with pytest.raises(asyncio.CancelledError):
            await starting
        deadline = time.monotonic() + 20
        while any(pid in _children_of(zygote._proc.pid) for pid in forked):  # killed, then reaped
            assert time.monotonic() < deadline, _states(forked)
            await asyncio.sleep(0.01)
        # the zygote still serves the next run
        assert check_stream(await collect(root, "contacts", zygote=zygote))["records"] == 7
    finally:
        zygote.close()


async def test_processes_the_script_leaves_behind_are_ended(root: Path):
    events = await collect(root, "spawns")
    assert check_stream(events)["status"] == "ok"
    pid = int(only(events, "log")[0]["message"].split()[1])

    def ended() -> bool:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/status") as status:  # a zombie waiting for its reaper is gone too
                return "zombie" in status.read()
        except (ProcessLookupError, FileNotFoundError):
            return True

    for _ in range(500):
        if ended():
            break
        await asyncio.sleep(0.01)
    assert ended()


async def test_a_name_in_two_integrations_needs_the_integration_id(root: Path):
    text = (root / "nango.yaml").read_text()
    other = "  other:\n    syncs:\n      contacts:\n        runs: every hour\n        output: Contact\n        endpoint: GET /other-contacts\n"
    (root / "nango.yaml").write_text(text.replace("models:\n", other + "models:\n", 1))
    (root / "other" / "syncs").mkdir(parents=True)
    (root / "other" / "syncs" / "contacts.py").write_text(
        "async def fetch_data(nango):\n    await nango.log('the other one')\n"
    )
    # the connection names its integration: no --integration-id needed (issue 15)
    events = await collect(root, "contacts", "local")
    assert events[0]["integration"] == "demo"
    with open(root / "connections.yaml", "a") as conns:
        conns.write(
            "      third-conn:\n        integration: third\n        provider: other\n        base_url: http://127.0.0.1:9\n"
        )
    with pytest.raises(
        DryrunSetupError, match=r"several integrations \(demo, other\): pass --integration-id"
    ):
        await start_dryrun(DryrunRequest(root, "contacts", "third-conn"))
    with pytest.raises(DryrunSetupError, match="belongs to integration `demo`"):
        await start_dryrun(DryrunRequest(root, "contacts", "local", integration="other"))
    with open(root / "connections.yaml", "a") as conns:
        conns.write(
            "      other-conn:\n        integration: other\n        provider: other\n        base_url: http://127.0.0.1:9\n"
        )
    events = await collect(root, "contacts", "other-conn", integration="other")
    assert events[0]["integration"] == "other" and only(events, "log")[0]["message"] == "the other one"
    code, _, _ = await asyncio.to_thread(
        run_cli, ["dryrun", "contacts", "local", "--dir", str(root), "--integration-id", "demo"]
    )
    assert code == 0


THROUGHPUT_SYNC = """\
async def fetch_data(nango):
    async for page in nango.paginate(endpoint="/contacts", paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}):
        await nango.batch_save(page, "Contact")
"""


async def test_the_parent_keeps_no_records_in_memory(tmp_path: Path):
    import tracemalloc

    with Api(total=40_000, page_size=1000) as api:
        root = write_project(tmp_path / "big", api.url, contacts_sync=THROUGHPUT_SYNC)
        await collect(root, "meta")  # imports and caches happen outside the measurement
        tracemalloc.start()
        try:
            run = await start_dryrun(DryrunRequest(root, "contacts", "local"))
            async for event in run.events():
                if event["type"] == "start":
                    await asyncio.sleep(
                        1.5
                    )  # a consumer that lags: the child must wait, not the parent hoard
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert run.done["records"] == 40_000
    assert peak < 10_000_000, f"{peak / 1e6:.1f} MB"  # the records alone would take ~25 MB
    assert sum(1 for _ in open(run.records_file)) == 40_000


def test_run_sync_for_synchronous_hosts(root: Path):
    from nango_tui.dryrun import run_sync

    seen: list[str] = []
    done = run_sync(DryrunRequest(root, "contacts", "local", max_records=2), lambda e: seen.append(e["type"]))
    assert done["status"] == "ok" and done["records"] == 2 and seen[0] == "start" and seen[-1] == "done"


def _processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is `folder` (a run's child starts there)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(folder):
                    found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_the_cli_early_child_runs_the_request_or_is_ended_with_no_process_left(root: Path):
    """`nango-tui dryrun` spawns its child before importing asyncio and the runner (early.py);
    a request the checks refuse ends that child, which never ran user code."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "nango_tui", "dryrun", "--dir", str(root)]
    ok = subprocess.run([*command, "contacts", "local", "--json"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.splitlines()[-1])["records"] == 7
    for args in (["nope", "local"], ["contacts", "absent"]):
        refused = subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    deadline = time.time() + 5
    while _processes_in(root.resolve()) and time.time() < deadline:
        time.sleep(0.05)
    assert _processes_in(root.resolve()) == []


def _gzip_of_zeros(chunks: int) -> bytes:
    """gzip of `chunks` x 16 MB of zeros, without compressing them all: each chunk is compressed
    and fully flushed (no reference to the one before), so every chunk's bytes after the header
    are the same and are repeated; the trailer gets the real CRC-32 and length."""
    chunk = bytes(1 << 24)
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.flush()[:-8]  # the final block, without the CRC-32 and length packer counted
    crc = 0
    for _ in range(chunks):
        crc = zlib.crc32(chunk, crc)
    size = (chunks << 24) & 0xFFFFFFFF
    return first + repeated * (chunks - 1) + tail + crc.to_bytes(4, "little") + size.to_bytes(4, "little")


GZIP_BOMB_SYNC = """\
async def fetch_data(nango):
    response = await nango.get("/bomb", base_url_override="{url}")
    await nango.log("got", len(response.content))
"""


@pytest.mark.cold_child
async def test_a_gzip_bomb_ends_in_the_memory_error_not_the_parent(root: Path, local_server):
    """Issue 10, what held up: a 1 MB response that inflates to 1 GB meets the child's memory cap
    (a located `memory` error, then `done`); the parent reads none of it."""
    bomb = _gzip_of_zeros(64)  # 1 GB
    assert (
        len(bomb) < 2 << 20 and len(zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(bomb[:4096])) > 1 << 20
    )
    local_server.route("GET", "/bomb", Reply(200, bomb, {"content-encoding": "gzip"}))
    (root / "demo" / "syncs" / "raises.py").write_text(GZIP_BOMB_SYNC.format(url=local_server.url))
    events = await collect(root, "raises", memory_limit=768 << 20)
    done = check_stream(events)
    assert done["status"] == "failed"
    (error,) = only(events, "error")
    assert error["kind"] == "memory", error
    assert error["location"]["file"] == "demo/syncs/raises.py"
    assert not any(e["type"] == "log" and str(e.get("message", "")).startswith("got") for e in events)
