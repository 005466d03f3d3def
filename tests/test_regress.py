"""`nango-tui test`: the comparison, and the command on copies of the samples changed on purpose."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nango_tui.console import Out
from nango_tui.dryrun.regress import MAX_SHOWN, Outcome, compare, json_diff, run_command
from tests.fake_providers import salesforce
from tests.fake_providers.samples import all_providers, connections_yaml
from tests.support import warm_cli
from tests.support.paths import SAMPLES

NANGO_TUI = [sys.executable, "-m", "nango_tui"]


def _outcome(records=None, output=None, error=None, deleted=None) -> Outcome:
    return Outcome(records=records or {}, deleted=deleted or {}, output=output, error=error)


def _run(root: Path, *names: str, as_json: bool = False) -> tuple[int, str]:
    buffer = io.StringIO()
    code = run_command(root, list(names), as_json=as_json, out=Out(buffer, colour=False))
    return code, buffer.getvalue()


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns(".nango", "__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


# -- compare --------------------------------------------------------------------------------------

A = {"id": "a", "name": "Ada", "email": "ada@x"}
B = {"id": "b", "name": "Bob", "email": None}
C = {"id": "c", "name": "Cy", "email": "cy@x"}


def test_same_records_in_another_order_match():
    assert compare(_outcome({"Contact": [A, B]}), _outcome({"Contact": [B, A]})) == []


def test_added_removed_and_changed_records_by_id():
    changed_b = {**B, "email": "bob@x"}
    del changed_b["name"]
    lines = compare(_outcome({"Contact": [A, B]}), _outcome({"Contact": [changed_b, C]}))
    assert lines[0] == "Contact (saved): 2 records (1 added, 1 removed, 1 changed)"
    assert '  + c  name="Cy", email="cy@x"' in lines
    assert '  - a  name="Ada", email="ada@x"' in lines
    assert '  ~ b: name: "Bob" -> (absent)' in lines
    assert '  ~ b: email: null -> "bob@x"' in lines


def test_a_model_only_on_one_side_and_deletes():
    lines = compare(
        _outcome({"Contact": [A]}, deleted={"Contact": [{"id": "z"}]}),
        _outcome({"Contact": [A], "Lead": [B]}),
    )
    assert "Lead (saved): expected 0 records, got 1 (1 added, 0 removed, 0 changed)" in lines
    assert (
        "Contact (deleted): expected 1 record, got 0 (0 added, 1 removed, 0 changed)" in lines
        and "  - z  " in lines
    )


def test_a_later_record_of_an_id_replaces_an_earlier_one_and_records_without_id():
    assert compare(_outcome({"M": [A]}), _outcome({"M": [A, A]})) == []  # Nango keeps one per id
    changed = {**A, "x": "later"} if isinstance(A, dict) else A
    assert compare(_outcome({"M": [changed]}), _outcome({"M": [A, changed]})) == []
    lines = compare(_outcome({"M": [{"x": 1}, {"x": 2}]}), _outcome({"M": [{"x": 1}, {"x": 3}]}))
    assert lines == ["M (saved): 2 records (0 added, 0 removed, 1 changed)", "  ~ #1: x: 2 -> 3"]


def test_output_differences_name_the_path():
    want = {"id": "1", "fields": [{"name": "Title", "value": "CTO"}, {"name": "Email", "value": None}]}
    got = {
        "id": "1",
        "fields": [{"name": "Title", "value": "CEO"}, {"name": "Email", "value": None}],
        "extra": True,
    }
    assert compare(_outcome(output=want), _outcome(output=got)) == [
        "action output differs:",
        '  output.fields[0].value: "CTO" -> "CEO"',
        "  output.extra: (absent) -> true",
    ]
    assert json_diff([1, 2], [1, 2, 3], "output") == ["output: [1, 2] -> [1, 2, 3]"]


def test_errors_compared_by_kind_message_and_payload():
    boom = {"kind": "exception", "message": "KeyError: 'Id'"}
    assert compare(_outcome(), _outcome(error=boom)) == ["the run failed: exception: KeyError: 'Id'"]
    assert compare(_outcome(error=boom), _outcome()) == [
        "expected the run to fail with exception: KeyError: 'Id', but it succeeded"
    ]
    assert compare(_outcome(error=boom), _outcome(error={**boom, "message": "KeyError: 'Name'"})) == [
        "error message: \"KeyError: 'Id'\" -> \"KeyError: 'Name'\""
    ]


def test_long_diffs_are_capped():
    many = [{"id": str(i)} for i in range(MAX_SHOWN + 15)]
    lines = compare(_outcome({"M": many}), _outcome({"M": []}))
    assert len(lines) == 1 + MAX_SHOWN + 1 and lines[-1] == "  ... and 15 more"


# -- the command on the samples -------------------------------------------------------------------


def test_a_deliberate_change_fails_with_a_readable_diff(samples):
    script = samples / "salesforce" / "syncs" / "contacts.py"
    _edit(script, 'last_name=record["LastName"],', 'last_name=record["LastName"].upper(),')
    _edit(
        script,
        "contacts = [to_contact(record) for record in records]",
        'contacts = [to_contact(record) for record in records if record["Email"]]',
    )
    done = warm_cli.run(
        [*NANGO_TUI, "test", "--dir", str(samples)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert "FAIL salesforce/contacts (sync)" in out
    assert "    Contact (saved): expected 24 records, got 19" in out
    assert '      - 0035g00000Xk005AAA  first_name="Edsger", last_name="Dijkstra", email=null' in out
    assert '      ~ 0035g00000Xk001AAA: last_name: "Lovelace" -> "LOVELACE"' in out
    assert "PASS salesforce/fetch-fields (action)" in out and "PASS linear/teams (sync)" in out
    assert out.splitlines()[-1].startswith("5 passed, 1 failed")


def test_a_changed_action_output_and_a_request_not_in_the_mocks(samples):
    _edit(
        samples / "github" / "actions" / "create-issue.py",
        'title=item["title"],',
        'title=item["title"].title(),',
    )
    _edit(
        samples / "salesforce" / "syncs" / "contacts.py", "FirstName, LastName", "FirstName, LastName, Title"
    )
    code, out = _run(samples, "create-issue", "contacts")
    assert code == 1
    assert 'output.title: "Widgets vanish after an import" -> "Widgets Vanish After An Import"' in out
    assert "FAIL salesforce/contacts (sync)" in out
    assert "Contact (saved): expected 24 records, got 0" in out
    assert "the run failed: replay:" in out  # the changed SOQL query has no saved response
    assert out.index("github/create-issue") < out.index("salesforce/contacts")  # the order asked for


def test_names_select_scripts(samples):
    code, out = _run(samples, "issues")
    assert code == 0 and "PASS github/issues" in out and "PASS linear/issues" in out and "contacts" not in out
    code, out = _run(samples, "linear/issues")
    assert code == 0 and out.count("PASS") == 1
    code, out = _run(samples, "nope", "contacts")
    assert code == 1 and "no sync or action called 'nope'" in out and "  salesforce/contacts  (sync)" in out


def test_json_output(samples):
    code, out = _run(samples, "teams", as_json=True)
    [result] = json.loads(out)
    assert code == 0 and result["passed"] is True and result["records"] == 2 and result["diff"] == []


def test_missing_and_broken_mocks_are_failures_with_a_clear_message(samples):
    (samples / "linear" / "mocks" / "teams.json").unlink()
    (samples / "github" / "mocks" / "issues.json").write_text('{"exchanges": [')
    code, out = _run(samples)
    assert code == 1
    assert "linear/teams" not in out  # without mocks a script is not regression-tested...
    code, out = _run(samples, "teams")  # ...unless asked for by name
    assert (
        code == 1 and "FAIL linear/teams (sync)" in out and "run the dryrun once with --save-responses" in out
    )
    code, out = _run(samples, "github/issues")
    assert code == 1 and "issues.json:1:" in out and "not valid JSON" in out and "Traceback" not in out


def test_nothing_to_test_bad_yaml_and_no_folder(tmp_path, samples):
    for mocks in samples.glob("*/mocks"):
        shutil.rmtree(mocks)
    code, out = _run(samples)
    assert code == 1 and "nothing to test" in out
    (samples / "nango.yaml").write_text(
        "integrations:\n  x:\n    syncs:\n      s:\n        runs: sometimes\n"
    )
    code, out = _run(samples)
    assert code == 1 and "nango.yaml:" in out and "fix them first" in out
    code, out = _run(tmp_path / "absent")
    assert code == 1 and "no nango.yaml" in out


def test_an_expected_action_error_must_happen_again(samples):
    """A run saved while failing (ActionError) passes only if the replay fails the same way."""
    from nango_tui.dryrun import DryrunRequest, start_dryrun

    async def record() -> dict:
        run = await start_dryrun(
            DryrunRequest(
                root=samples,
                name="fetch-fields",
                connection_id="salesforce-demo",
                input={"id": "003000000000000AAA"},
                save_responses=True,
                replay=False,
                timeout=60,
            )
        )
        return [e async for e in run.events()][-1]

    with all_providers() as servers:
        (samples / "connections.yaml").write_text(connections_yaml(servers))
        assert asyncio.run(record())["status"] == "failed"
    text = (samples / "salesforce" / "mocks" / "fetch-fields.json").read_text()
    assert salesforce.TOKEN not in text and "authorization" not in text.lower()
    mocks = json.loads(text)
    assert mocks["expected"]["error"]["kind"] == "action_error"
    assert mocks["exchanges"][0]["status"] == 404
    (samples / "connections.yaml").write_text("environments: {}\n")  # the replay needs no connection at all
    code, out = _run(samples, "fetch-fields")
    assert code == 0, out
    _edit(
        samples / "salesforce" / "actions" / "fetch-fields.py",
        "no Salesforce contact has the id",
        "unknown contact",
    )
    code, out = _run(samples, "fetch-fields")
    assert code == 1
    assert (
        "error message: \"ActionError: no Salesforce contact has the id '003000000000000AAA'\" -> \"ActionError: unknown contact '003000000000000AAA'\""
        in out
    )


def test_a_run_saved_with_last_sync_date_replays_with_it(samples):
    """The saved inputs are used: an incremental run's query (WHERE LastModifiedDate > ...) matches."""
    from datetime import datetime

    from nango_tui.dryrun import DryrunRequest, start_dryrun

    async def record() -> dict:
        run = await start_dryrun(
            DryrunRequest(
                root=samples,
                name="contacts",
                connection_id="salesforce-demo",
                save_responses=True,
                replay=False,
                timeout=60,
                last_sync_date=datetime(2024, 3, 1, tzinfo=UTC),
            )
        )
        return [e async for e in run.events()][-1]

    with all_providers() as servers:
        (samples / "connections.yaml").write_text(connections_yaml(servers))
        assert asyncio.run(record())["status"] == "ok"
    mocks = json.loads((samples / "salesforce" / "mocks" / "contacts.json").read_text())
    assert mocks["inputs"]["last_sync_date"].startswith("2024-03-01T00:00:00")
    assert "WHERE LastModifiedDate > 2024-03-01T00:00:00Z" in mocks["exchanges"][0]["query"]["q"]
    assert len(mocks["expected"]["records"]["Contact"]) == 9
    code, out = _run(samples, "contacts")
    assert code == 0 and "PASS salesforce/contacts (sync)  9 records" in out, out


async def test_replays_fork_from_a_zygote_that_loads_no_http_transport_nor_yaml(samples):
    """`nango-tui test`'s zygote is prepared for replays only: neither it nor a replay forked from
    it (its requests answered from the mocks) loads an HTTP transport (ours, or httpx's: httpcore,
    h11, anyio, certifi), which only a request to a server needs, nor PyYAML and dotenv (~50 ms of
    CPU before the first fork): the fork gets its connection from the parent (the one
    connections.yaml holds, else the stand-in), not from connections.yaml."""
    from nango_tui.dryrun import DryrunRequest, start_dryrun
    from nango_tui.dryrun.regress import start_zygote
    from nango_tui.dryrun.zygote import WarmProcess

    _edit(
        samples / "linear" / "syncs" / "teams.py",
        '        after = teams["pageInfo"]["endCursor"]\n',
        '        after = teams["pageInfo"]["endCursor"]\n'
        "    import sys\n"
        "    loaded = set(sys.modules) | {m.split('.')[0] for m in sys.modules}\n"
        "    print('loaded:', sorted(loaded & {'httpcore', 'h11', 'anyio', 'certifi', 'yaml', 'dotenv', 'nango_tui.runtime.transport'}))\n"
        "    connection = await nango.get_connection()\n"
        "    print('connection:', connection['connection_id'], connection['connection_config'])\n",
    )
    _edit(
        samples / "connections.yaml",
        "            linear-demo:\n",
        "            linear-demo:\n                connection_config: {team: core}\n",
    )
    zygote = start_zygote()
    try:
        runs = []
        for connection in ("linear-demo", "not-in-connections-yaml"):
            run = await start_dryrun(DryrunRequest(samples, "teams", connection, replay=True), zygote=zygote)
            runs.append((run, [e async for e in run.events()]))
    finally:
        zygote.close()
    for (run, events), connection in zip(
        runs, ("linear-demo {'team': 'core'}", "not-in-connections-yaml {}")
    ):
        assert isinstance(run._proc, WarmProcess)  # forked from the zygote, not a cold child
        assert run.done["status"] == "ok" and run.done["requests"] == 1, events
        logs = [
            e["message"]
            for e in events
            if e["type"] == "log" and e["message"].startswith(("loaded:", "connection:"))
        ]
        assert logs == ["loaded: []", f"connection: {connection}"]


def _zygotes_marked(mark: str) -> list[int]:
    """Live processes whose environment holds `mark`: once the command has exited, its zygote
    (forked from it, or spawned as `python -m nango_tui.dryrun.zygote`) and anything forked from that."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and mark.encode() in (proc / "environ").read_bytes():
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.parametrize(
    "args,code",
    [(["--json"], 0), (["nope"], 1), (["--no-such-option"], 2)],
    ids=["passes", "unknown-script", "usage-error"],
)
def test_the_zygote_started_before_the_commands_imports_ends_with_it(samples, args, code):
    """`nango-tui test` spawns its zygote first thing (program.entry, before the command line is
    parsed); whether the command passes, reports a mistake or is refused by the parser, the zygote
    is gone once the command has exited."""
    import time
    import uuid

    mark = f"NANGO_TUI_TEST_MARK={uuid.uuid4().hex}"
    name, _, value = mark.partition("=")
    done = subprocess.run(
        [*NANGO_TUI, "test", "--dir", str(samples), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", name: value},
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    deadline = time.monotonic() + 10  # one refused by the parser finishes its imports, then ends
    while _zygotes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _zygotes_marked(mark) == []


INTERRUPTED_AT_IMPORT = """
import os, signal, sys
from importlib.abc import MetaPathFinder

class CtrlCAt(MetaPathFinder):  # a real SIGINT, delivered as the command line's module is imported
    def find_spec(self, name, path=None, target=None):
        if name == "nango_tui.cli":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlCAt())
sys.argv = ["nango-tui", *sys.argv[1:]]
from nango_tui.program import entry
entry()
"""


@pytest.mark.parametrize(
    "command",
    [["test", "--dir"], ["dryrun", "contacts", "salesforce-demo", "--dir"], []],
    ids=["test", "dryrun", "workbench"],
)
def test_a_ctrl_c_during_the_imports_exits_130_without_a_traceback(samples, command):
    """A Ctrl-C before the command's own handler is in place (its imports) ends the command with
    130 and no traceback, and what it started first (the test zygote, the dryrun child) ends too."""
    import time
    import uuid

    mark = f"NANGO_TUI_TEST_MARK={uuid.uuid4().hex}"
    name, _, value = mark.partition("=")
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_AT_IMPORT, *command, str(samples)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", name: value},
    )
    assert done.returncode == 130, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "KeyboardInterrupt" not in done.stderr
    deadline = time.monotonic() + 10
    while _zygotes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _zygotes_marked(mark) == []


def test_the_zygote_is_spawned_before_typing_and_the_collector_paused_for_the_imports(samples):
    """`program.entry` spawns `nango-tui test`'s zygote before `typing` (and the `re` and `enum`
    it imports) is loaded, then turns the collector off for the command's imports; the command
    turns it on again, with the modules the replays use imported, before the first replay."""
    code = f"""
import gc, sys
import nango_tui.program as program, nango_tui.dryrun.prespawn
print('typing' in sys.modules, gc.isenabled())
import nango_tui.cli as cli

def run():
    print(gc.isenabled())
    zygote = program.take_test_zygote()
    from nango_tui.dryrun import regress

    regress._collect_from_now_on()
    print(gc.isenabled(), 'nango_tui.runtime.connections' in sys.modules, zygote.alive)
    zygote.close()

cli.entry = run
sys.argv = ['nango-tui', 'test', '--dir', {str(samples)!r}]
program.entry()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True", "False", "True", "True", "True"], done.stderr


WHERE_FROM = (
    "import json as _json, os as _os, sys as _sys\n"
    "from pathlib import Path as _Path\n"
    "_Path(__file__).with_name('where.json').write_text(_json.dumps({'argv0': _os.path.basename(_sys.argv[0]),"
    " 'path1': _sys.path[1], 'by': _sys.orig_argv[1:3]}))\n"
)


@pytest.mark.parametrize("options", [[], ["-X", "importtime"]], ids=["forked", "spawned"])
def test_the_zygote_is_forked_at_the_start_and_replays_as_a_spawned_one(samples, tmp_path, options):
    """`program.entry` forks `nango-tui test`'s zygote (no second interpreter start) where a spawned
    one would be the same (no interpreter options of its own), else spawns it: either way a replay
    sees what one forked from `python -m nango_tui.dryrun.zygote` sees (argv, import path), and the
    results are the same."""
    teams = samples / "linear" / "syncs" / "teams.py"
    teams.write_text(WHERE_FROM + teams.read_text())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, *options, "-m", "nango_tui", "test", "--dir", str(samples)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=elsewhere,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0 and "6 passed" in done.stdout, done.stdout + done.stderr
    where = json.loads((teams.with_name("where.json")).read_text())
    assert where.pop("by") == (["-m", "nango_tui"] if not options else ["-m", "nango_tui.dryrun.zygote"])
    assert where == {"argv0": "zygote.py", "path1": str(elsewhere)}


def test_what_the_command_imports_before_its_zygotes_fork_both_processes_import(samples):
    """`prespawn.SHARED_IMPORTS` are imported once, before the zygote's fork, instead of in each
    process: only what the command's own path (its command line and parser, the replays' requests
    and runs, the comparison) and the replay zygote's warm-up both import."""
    from nango_tui.dryrun.prespawn import SHARED_IMPORTS

    probe = textwrap.dedent(
        """
        import sys
        if sys.argv[1] == "zygote":
            import nango_tui.dryrun.zygote
            from nango_tui.config import heap
            from nango_tui.dryrun import child, sandbox
            child.warm_up_zygote(replay=True)
        else:
            import io
            import nango_tui.cli
            nango_tui.cli.build_parser("test").parse_args(["test", "--dir", sys.argv[2]])
            from nango_tui.console import Out
            from nango_tui.dryrun import regress
            assert regress.run_command(sys.argv[2], [], out=Out(io.StringIO())) == 0
        print(" ".join(sorted(sys.modules)))
        """
    )
    for side in ("zygote", "command"):
        done = subprocess.run(
            [sys.executable, "-c", probe, side, str(samples)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        missing = set(SHARED_IMPORTS) - set(done.stdout.split())
        assert not missing, (side, missing)


def test_a_forked_zygote_keeps_no_descriptor_of_the_command(tmp_path):
    """The forked zygote has /dev/null as stdin, the command's stdout and stderr, its socket and
    nothing else of the command's (the command's end of the socket closed: closing it ends the
    zygote), in a session of its own, as a spawned one."""
    probe = tmp_path / "probe.py"  # a script, not `-c`: an interpreter without options of its own
    probe.write_text(
        textwrap.dedent(
            """
            import os, sys, time
            from nango_tui.dryrun.prespawn import spawn_zygote

            keep = os.open(sys.argv[1], os.O_RDONLY)  # a descriptor of the command's own
            os.set_inheritable(keep, True)
            proc, fd = spawn_zygote(replay=True)
            time.sleep(0.5)  # (its imports: descriptors come and go meanwhile)
            fds = [os.readlink(f"/proc/{proc.pid}/fd/{n}") for n in sorted(os.listdir(f"/proc/{proc.pid}/fd"), key=int)]
            stat = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
            cmdline = open(f"/proc/{proc.pid}/cmdline", "rb").read()
            print(fds[0], fds[3].startswith("socket:"), sys.argv[1] in fds, int(stat[1]) == os.getpid(),
                  int(stat[3]) == proc.pid, b"nango_tui.dryrun.zygote" in cmdline)
            os.close(fd)
            print(proc.wait(5))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(probe), str(probe)], capture_output=True, text=True, timeout=60
    )
    # stdin /dev/null, fd 3 its socket, the command's file not open in it, a child of the command,
    # its own session, forked (the command's command line)
    assert done.stdout.splitlines() == ["/dev/null True False True True False", "0"], done.stderr


async def test_an_adopted_zygote_forks_replays_and_is_reaped_when_closed(samples):
    """The zygote `program.entry` spawns without subprocess (dryrun/prespawn.py), adopted as a
    Zygote: replays fork from it as from one `Zygote.start` made, and closing it ends and reaps it."""
    from nango_tui.dryrun import DryrunRequest, start_dryrun
    from nango_tui.dryrun.prespawn import spawn_zygote
    from nango_tui.dryrun.zygote import WarmProcess, Zygote

    zygote = Zygote.adopt(spawn_zygote(replay=True))
    pid = zygote._proc.pid
    try:
        run = await start_dryrun(DryrunRequest(samples, "teams", "linear-demo", replay=True), zygote=zygote)
        events = [e async for e in run.events()]
    finally:
        zygote.close()
    assert isinstance(run._proc, WarmProcess) and run.done["status"] == "ok", events
    assert zygote._proc.returncode is not None and not Path(f"/proc/{pid}").exists()
    still_importing = Zygote.adopt(spawn_zygote(replay=True))
    still_importing.close()  # killed while it imports, and reaped
    assert still_importing._proc.returncode is not None
    assert not Path(f"/proc/{still_importing._proc.pid}").exists()


def test_saved_inputs_of_a_script(samples):
    from nango_tui.dryrun.regress import saved_inputs

    assert saved_inputs(samples, "salesforce", "fetch-fields")["input"] == {"id": "0035g00000Xk001AAA"}
    assert saved_inputs(samples, "github", "issues")["metadata"] == {"owner": "acme", "repo": "widgets"}
    (samples / "linear" / "mocks" / "teams.json").write_text("not json")
    assert (
        saved_inputs(samples, "linear", "teams") is None and saved_inputs(samples, "linear", "nope") is None
    )


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4))
_records = st.lists(
    st.fixed_dictionaries({"name": _scalars, "tags": st.lists(_scalars, max_size=2)}), max_size=6
).map(lambda rows: [{"id": f"r{i}", **row} for i, row in enumerate(rows)])


@settings(max_examples=150, deadline=None)
@given(records=_records, data=st.data())
def test_compare_property_order_never_matters_and_any_field_change_is_named(records, data):
    shuffled = data.draw(st.permutations(records))
    assert compare(_outcome({"M": records}), _outcome({"M": list(shuffled)})) == []
    if records:
        victim = data.draw(st.sampled_from(records))
        changed = [dict(r, name=["changed"]) if r is victim else r for r in records]
        lines = compare(_outcome({"M": records}), _outcome({"M": changed}))
        assert any(line.startswith(f"  ~ {victim['id']}: name") for line in lines), lines
