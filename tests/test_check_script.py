"""Each script check with a script that trips it (line, column and code), and scripts that must not."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nango_tui import sdk
from nango_tui.check import SDK_COROUTINES, check_script, compile_project
from nango_tui.codegen import generate, scaffold_source
from nango_tui.config import load_project

YAML = """\
integrations:
  crm:
    syncs:
      contacts:
        runs: every hour
        output: Contact
        endpoint: GET /contacts
      deals:
        runs: every day
        output: [Deal, DealContact]
        endpoint: [GET /deals, GET /deal-contacts]
    actions:
      fetch-contact:
        input: IdEntity
        output: Contact
        endpoint: GET /contact
      ping:
        output: Pong
        endpoint: GET /ping
models:
  IdEntity:
    id: string
  Contact:
    id: string
    name: string
  Deal:
    id: string
    amount: number
  Pong:
    ok: boolean
  DealContact:
    id: string
"""

SYNC = "crm/syncs/contacts.py"
ACTION_WITH_INPUT = "crm/actions/fetch-contact.py"
ACTION_NO_INPUT = "crm/actions/ping.py"


@pytest.fixture
def project(tmp_path: Path):
    (tmp_path / "nango.yaml").write_text(YAML)
    report = generate(tmp_path)
    assert report.ok, report.diagnostics
    return load_project(tmp_path).project


def check(project, rel: str, source: str):
    return check_script(project.root, rel, textwrap.dedent(source), project)


def found(diags) -> list[tuple[int, int, str]]:
    return sorted((d.line, d.column, d.code) for d in diags)


def codes(diags) -> set[str]:
    return {d.code for d in diags}


GOOD_SYNC = """\
from nango_tui.sdk import NangoSync
from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    await nango.log("start")
    async for page in nango.paginate("/contacts"):
        await nango.batch_save([Contact(id=c["id"], name=c["name"]) for c in page], "Contact")
"""


def test_fresh_scaffolds_give_no_diagnostics(project):
    result = compile_project(project.root)
    assert result.diagnostics == []
    for script in project.scripts():
        source = scaffold_source(script, project)
        assert check_script(project.root, script.script_path, source, project) == []


def test_a_good_sync_is_clean(project):
    assert check(project, SYNC, GOOD_SYNC) == []


def test_syntax_error_at_the_position_python_reports(project):
    diags = check(project, SYNC, "async def fetch_data(nango):\n    x = 1 +\n")
    assert found(diags) == [(2, 12, "syntax_error")]
    assert diags[0].severity == "error"


def test_unclosed_paren_and_bad_indent(project):
    assert found(check(project, SYNC, 'async def fetch_data(nango):\n    await nango.log("a"\n')) == [
        (2, 20, "syntax_error")
    ]
    assert found(check(project, SYNC, "async def fetch_data(nango):\n  x = 1\n    y = 2\n")) == [
        (3, 4, "syntax_error")
    ]


def test_await_outside_async_is_a_syntax_error(project):
    source = """\
    async def fetch_data(nango):
        pass


    def helper(nango):
        await nango.log("x")
    """
    diags = check(project, SYNC, source)
    assert (6, 5, "syntax_error") in found(diags)
    assert "'await' outside async function" in [d.message for d in diags]


def test_parser_warnings_are_diagnostics_not_stderr(project, capfd):
    source = 'import re\n\n\nasync def fetch_data(nango):\n    await nango.log(re.match("\\d+", "1"))\n'
    diags = check(project, SYNC, source)
    assert found(diags) == [(5, 1, "syntax_warning")]
    assert "invalid escape sequence" in diags[0].message
    assert capfd.readouterr().err == ""


def test_nul_byte_is_reported_not_raised(project):
    diags = check(project, SYNC, "async def fetch_data(nango):\n    pass\x00\n")
    assert codes(diags) == {"syntax_error"}


def test_missing_entry_point_sync_and_action(project):
    diags = check(project, SYNC, "async def fetch(nango):\n    pass\n")
    assert found(diags) == [(1, 1, "missing_entry_point")]
    assert "async def fetch_data(nango: NangoSync)" in diags[0].message
    diags = check(project, ACTION_WITH_INPUT, "async def fetch_data(nango):\n    pass\n")
    assert found(diags) == [(1, 1, "missing_entry_point")]
    assert "run_action(nango: NangoAction, input)" in diags[0].message


def test_entry_not_async(project):
    source = """\
    import os


    def fetch_data(nango):
        return os.sep
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(4, 1, "entry_not_async")]
    assert "async def fetch_data" in diags[0].message


def test_entry_signature_wrong_count(project):
    diags = check(project, SYNC, "async def fetch_data(nango, extra):\n    pass\n")
    assert found(diags) == [(1, 1, "entry_signature")]
    assert "expected `async def fetch_data(nango: NangoSync) -> None`" in diags[0].message


def test_action_runs_with_or_without_input_whatever_the_config_says(project):
    # issue 10 item 3: run_action(nango) and run_action(nango, input) both run
    assert check(project, ACTION_NO_INPUT, "async def run_action(nango, input):\n    return None\n") == []
    assert check(project, ACTION_NO_INPUT, "async def run_action(nango):\n    return None\n") == []
    with_input = check(project, ACTION_WITH_INPUT, "async def run_action(nango):\n    return None\n")
    assert [(d.severity, d.code) for d in with_input] == [("warning", "input_not_taken")]
    three = check(project, ACTION_NO_INPUT, "async def run_action(nango, a, b):\n    return None\n")
    assert found(three) == [(1, 1, "entry_signature")]
    assert check(project, ACTION_WITH_INPUT, "async def run_action(nango, input):\n    return input\n") == []
    assert (
        check(project, ACTION_NO_INPUT, "async def run_action(nango, input=None):\n    return input\n") == []
    )


def test_sdk_calls_not_awaited(project):
    source = """\
    async def fetch_data(nango):
        nango.log("start")
        response = nango.get("/contacts")
        await nango.batch_save(response.json(), "Contact")
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(2, 5, "sdk_call_not_awaited"), (3, 16, "sdk_call_not_awaited")]
    assert "await nango.log(...)" in diags[0].hint


def test_sdk_calls_awaited_later_or_elsewhere_are_fine(project):
    source = """\
    import asyncio

    from nango_tui.sdk import NangoSync


    def request(client: NangoSync, path):
        return client.get(path)


    async def fetch_data(nango):
        first, second = await asyncio.gather(nango.get("/a"), *[nango.get(p) for p in ("/b",)])
        await request(nango, "/c")
        async for page in nango.paginate("/d"):
            await nango.batch_save(page, "Contact")
        await nango.log(first, second)
    """
    assert check(project, SYNC, source) == []


def test_sdk_receiver_named_otherwise(project):
    source = """\
    from nango_tui.sdk import NangoSync


    async def fetch_data(n):
        n.log("x")


    async def helper(client: NangoSync):
        client.batch_delete([], "Contact")
    """
    assert found(check(project, SYNC, source)) == [
        (5, 5, "sdk_call_not_awaited"),
        (9, 5, "sdk_call_not_awaited"),
    ]


def test_batch_with_a_model_that_is_not_an_output(project):
    source = """\
    from models import Deal


    async def fetch_data(nango):
        await nango.batch_save([], "Contacts")
        await nango.batch_update([], model="Contact")
        await nango.batch_delete([], Deal)
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(5, 32, "unknown_output_model"), (7, 34, "unknown_output_model")]
    assert diags[0].hint == "did you mean 'Contact'?"
    assert "(outputs: Contact)" in diags[0].message
    # the same calls in a sync that outputs both models are fine
    fixed = source.replace('"Contacts"', '"DealContact"').replace('"Contact"', '"Deal"')
    assert check(project, "crm/syncs/deals.py", fixed) == []


def test_batch_in_an_action_and_without_a_model(project):
    action = check(
        project, ACTION_NO_INPUT, 'async def run_action(nango):\n    await nango.batch_save([], "Pong")\n'
    )
    assert found(action) == [(2, 11, "batch_in_action")]
    sync = check(project, SYNC, "async def fetch_data(nango):\n    await nango.batch_save([])\n")
    assert found(sync) == [(2, 11, "batch_model_missing")]


def test_import_of_a_name_models_py_does_not_define(project):
    source = """\
    from models import Contact, Contat


    async def fetch_data(nango):
        await nango.batch_save([Contact(id="1", name="a"), Contat], "Contact")
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(1, 29, "unknown_model_import")]
    assert diags[0].hint == "did you mean Contact?"


def test_models_import_without_models_py(project):
    (project.root / "models.py").unlink()
    diags = check(
        project,
        SYNC,
        "from models import Contact\n\n\nasync def fetch_data(nango):\n    await nango.log(Contact)\n",
    )
    assert found(diags) == [(1, 1, "unresolved_import")]
    assert "generate" in diags[0].hint


def test_undefined_name_and_unused_import(project):
    source = """\
    import json
    import os


    async def fetch_data(nango):
        await nango.log(json.dumps(contacts))
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(2, 1, "unused_import"), (6, 32, "undefined_name")]
    by_code = {d.code: d for d in diags}
    assert by_code["undefined_name"].severity == "error"
    assert by_code["unused_import"].severity == "warning"


def test_unresolved_imports(project):
    (project.root / "helpers.py").write_text("X = 1\n")
    source = """\
    import surely_no_such_module_xyz
    from also_missing_abc.sub import thing
    from helpers import X
    import httpx
    try:
        import optional_missing_qq
    except ImportError:
        optional_missing_qq = None


    async def fetch_data(nango):
        await nango.log(surely_no_such_module_xyz, thing, X, httpx, optional_missing_qq)
    """
    diags = check(project, SYNC, source)
    assert found(diags) == [(1, 1, "unresolved_import"), (2, 1, "unresolved_import")]
    assert "also_missing_abc.sub" in diags[1].message or "also_missing_abc.sub" in diags[0].message


def test_relative_import_is_unresolved(project):
    diags = check(
        project,
        SYNC,
        "from . import helpers\n\n\nasync def fetch_data(nango):\n    await nango.log(helpers)\n",
    )
    assert found(diags) == [(1, 1, "unresolved_import")]


def test_print_is_a_warning_pointing_to_log(project):
    diags = check(project, SYNC, 'async def fetch_data(nango):\n    print("hello")\n')
    assert found(diags) == [(2, 5, "print_call")]
    assert diags[0].severity == "warning"
    assert "nango.log" in diags[0].hint


def test_missing_and_orphan_scripts(project):
    (project.root / SYNC).unlink()
    (project.root / "crm/syncs/old-sync.py").write_text("async def fetch_data(nango):\n    pass\n")
    (project.root / "gone/actions").mkdir(parents=True)
    (project.root / "gone/actions/x.py").write_text("async def run_action(nango):\n    pass\n")
    result = compile_project(project.root)
    got = sorted((d.file, d.line, d.column, d.severity, d.code) for d in result.diagnostics)
    assert got == [
        ("crm/syncs/old-sync.py", 1, 1, "warning", "orphan_script"),
        ("gone/actions/x.py", 1, 1, "warning", "orphan_script"),
        ("nango.yaml", 4, 7, "error", "missing_script"),
    ]
    missing = [d for d in result.diagnostics if d.code == "missing_script"][0]
    assert "generate" in missing.hint
    assert not result.ok


def test_config_diagnostics_are_in_the_same_list(project):
    (project.root / "nango.yaml").write_text(YAML.replace("output: Pong", "output: Pongg"))
    result = compile_project(project.root)
    assert result.project is None
    assert any(d.file == "nango.yaml" and d.code == "model_not_found" for d in result.diagnostics)
    # scripts are still checked without the config: a syntax error shows up too
    (project.root / SYNC).write_text("async def fetch_data(nango:\n")
    result = compile_project(project.root)
    assert (SYNC, "syntax_error") in {(d.file, d.code) for d in result.diagnostics}


def test_sdk_member_lists_match_the_sdk():
    from nango_tui.check.script import SDK_MEMBERS, SYNC_ONLY

    methods = set()
    for cls in (sdk.NangoSync, sdk.NangoAction):
        # (the SDK's coroutine methods are wrapped to record their origin: sdk/origins.py)
        coroutines = inspect.getmembers(cls, lambda m: inspect.iscoroutinefunction(inspect.unwrap(m)))
        for name, member in coroutines:
            if not name.startswith("_") and name != "aclose":
                methods.add(name)
    assert methods == set(SDK_COROUTINES)
    ctx_members = _instance_members(sdk)
    assert ctx_members["sync"] == set(SDK_MEMBERS)
    assert ctx_members["sync"] - ctx_members["action"] == set(SYNC_ONLY)


def _instance_members(sdk) -> dict[str, set[str]]:
    from tests.support.runtime_ctx import make_ctx

    out = {}
    for kind, cls in (("sync", sdk.NangoSync), ("action", sdk.NangoAction)):
        ctx, _ = make_ctx("http://127.0.0.1:9", kind=kind)
        nango = cls(ctx)
        out[kind] = {n for n in dir(nango) if not n.startswith("_") and n != "aclose"}
    return out


def test_nango_names_and_unknown_members_are_errors_with_the_python_name(project):
    source = """\
    async def fetch_data(nango):
        await nango.batchSave([], "Contact")
        since = nango.lastSyncDate
        rows = await nango.getRecordsByIds(["1"], "Contact")
        await nango.batch_sav([], "Contact")
        url = await nango.getWebhookURL()
        x = nango.frobnicate
    """
    diags = check(project, SYNC, source)
    by_line = {d.line: d for d in diags if d.code in ("nango_name", "unknown_sdk_member")}
    assert by_line[2].code == "nango_name" and "use `batch_save`" in by_line[2].message
    assert "use `last_sync_date`" in by_line[3].message
    assert "use `get_records_by_ids`" in by_line[4].message
    assert by_line[5].code == "unknown_sdk_member" and "did you mean `batch_save`" in by_line[5].hint
    assert "use `get_webhook_url`" in by_line[6].message
    assert by_line[7].code == "unknown_sdk_member" and by_line[7].severity == "error"


def test_sync_only_members_in_an_action_are_errors(project):
    source = "async def run_action(nango):\n    return nango.last_sync_date\n"
    diags = check(project, ACTION_NO_INPUT, source)
    assert [(d.line, d.code) for d in diags] == [(2, "sync_only_member")]


def test_compile_in_worker_processes_gives_the_same_result(project):
    (project.root / SYNC).write_text('async def fetch_data(nango):\n    nango.log("x")\n    print(1)\n')
    one = compile_project(project.root, jobs=1)
    two = compile_project(project.root, jobs=2)
    assert one.diagnostics == two.diagnostics
    assert {d.code for d in one.diagnostics} == {"sdk_call_not_awaited", "print_call"}


def test_without_a_config_the_generic_checks_still_run(tmp_path: Path):
    (tmp_path / "crm/actions").mkdir(parents=True)
    # no nango.yaml: an action may or may not take `input`, but it must define run_action
    assert (
        check_script(
            tmp_path, "crm/actions/a.py", "async def run_action(nango, input):\n    return input\n", None
        )
        == []
    )
    assert (
        check_script(tmp_path, "crm/actions/a.py", "async def run_action(nango):\n    return 1\n", None) == []
    )
    diags = check_script(tmp_path, "crm/actions/a.py", "def run_action(nango):\n    nango.log(1)\n", None)
    assert found(diags) == [(1, 1, "entry_not_async"), (2, 5, "sdk_call_not_awaited")]
    diags = check_script(
        tmp_path,
        "crm/syncs/s.py",
        'async def fetch_data(nango):\n    await nango.batch_save([], "Anything")\n',
        None,
    )
    assert diags == []  # outputs unknown without the config


def test_source_as_bytes_and_bad_encoding(project):
    assert check_script(project.root, SYNC, GOOD_SYNC.encode(), project) == []
    diags = check_script(project.root, SYNC, b"async def fetch_data(nango):\n    x = '\xff\xfe'\n", project)
    assert codes(diags) == {"syntax_error"}
    assert diags[0].line == 2


def test_a_helper_module_in_the_folder_resolves_and_its_removal_is_seen(project):
    source = "import helpers\n\n\nasync def fetch_data(nango):\n    await nango.log(helpers.X)\n"
    assert found(check(project, SYNC, source)) == [(1, 1, "unresolved_import")]
    (project.root / "helpers.py").write_text("X = 1\n")
    assert check(project, SYNC, source) == []
    (project.root / "helpers.py").unlink()
    assert found(check(project, SYNC, source)) == [(1, 1, "unresolved_import")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mangled_scripts_never_crash_the_checks(project, data):
    """Any edit of a good script (mid-typing states) gives diagnostics with real positions, never an exception."""
    source = GOOD_SYNC
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(source)))
        if data.draw(st.booleans()):
            source = (
                source[:at]
                + data.draw(st.text(alphabet="()[]{}:=.,'\"\\ \nabx_0#@*", max_size=4))
                + source[at:]
            )
        else:
            source = source[:at] + source[at + data.draw(st.integers(1, 12)) :]
    lines = source.count("\n") + 2
    for diag in check_script(project.root, SYNC, source, project):
        assert 1 <= diag.line <= lines and diag.column >= 1
        assert diag.severity in ("error", "warning") and diag.code and diag.message
