"""Issue 10 item 13 (sec's part): hostile outputs and exceptions reported with a location, JSON that
is JSON, --timeout bounds, exit status through a closed pipe, init over a broken nango.yaml,
malformed mocks files as one-line errors.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nango_tui.runtime.errors import MocksFileError
from nango_tui.runtime.recording import load_mocks
from tests.support import warm_cli

SCRIPTS = {
    "badstr": 'class E(Exception):\n    def __str__(self):\n        raise RuntimeError("no str")\n\n\nasync def run_action(nango, input=None):\n    raise E("x")\n',
    "custombase": 'class Stop(BaseException):\n    pass\n\n\nasync def run_action(nango, input=None):\n    raise Stop("custom")\n',
    "genexit": "async def run_action(nango, input=None):\n    raise GeneratorExit()\n",
    "importbase": 'class Stop(BaseException):\n    pass\n\n\nraise Stop("at import")\n',
    "cyclic": 'async def run_action(nango, input=None):\n    d = {"a": 1}\n    d["self"] = d\n    return d\n',
    "deep": "async def run_action(nango, input=None):\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n",
    "nonser": 'async def run_action(nango, input=None):\n    return {"s": {1, 2}}\n',
    "obj": 'async def run_action(nango, input=None):\n    return {"o": object()}\n',
    "nan": 'async def run_action(nango, input=None):\n    await nango.log("n", {"x": 1})\n    return {"n": float("nan"), "i": float("inf"), "m": -float("inf"), "ok": 1.5}\n',
}
# name -> (error kind or None for ok, line the error points at)
EXPECTED = {
    "badstr": ("exception", 7),
    "custombase": ("exception", 6),
    "genexit": ("exception", 2),
    "importbase": ("exception", 5),
    "cyclic": ("invalid_output", 1),
    "deep": ("invalid_output", 1),
    "nonser": ("invalid_output", 1),
    "obj": ("invalid_output", 1),
    "nan": (None, None),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    actions = "".join(f"      {name}: {{endpoint: GET /{name}}}\n" for name in SCRIPTS)
    (root / "nango.yaml").write_text(
        f"integrations:\n  demo:\n    actions:\n{actions}models:\n  X:\n    id: string\n"
    )
    (root / "models.py").write_text("MODELS = {}\n")
    (root / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      c:\n        integration: demo\n"
        "        provider: unauthenticated\n        base_url: http://127.0.0.1:9\n        credentials: {type: NONE}\n"
    )
    (root / "demo" / "actions").mkdir(parents=True)
    for name, source in SCRIPTS.items():
        (root / "demo" / "actions" / f"{name}.py").write_text(source)
    return root


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    from nango_tui.cli import build_parser
    from nango_tui.dryrun.command import run_command

    out, err = io.StringIO(), io.StringIO()
    code = run_command(build_parser().parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _strict_json(line: str):
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_hostile_action_is_reported_with_its_location_as_strict_json(project: Path, name: str):
    code, out, err = _run_cli(["dryrun", name, "c", "--dir", str(project), "--json"])
    events = [_strict_json(line) for line in out.splitlines()]
    kind, line = EXPECTED[name]
    errors = [e for e in events if e["type"] == "error"]
    assert "internal error" not in out + err and "Traceback (most recent" not in err
    if kind is None:
        assert code == 0 and not errors
        [result] = [e for e in events if e["type"] == "result"]
        assert result["output"] == {"n": None, "i": None, "m": None, "ok": 1.5}  # as JSON.stringify
        return
    assert code == 1
    [error] = errors
    assert error["kind"] == kind, error
    assert error["location"] == {"file": f"demo/actions/{name}.py", "line": line}, error
    assert len(error["message"]) < 400


def test_human_output_of_a_cyclic_output_is_one_message(project: Path):
    code, out, err = _run_cli(["dryrun", "cyclic", "c", "--dir", str(project)])
    assert code == 1 and "contains itself (a cycle)" in out + err and "demo/actions/cyclic.py:1" in out + err


def test_nan_in_records_file_and_events_is_null():
    from nango_tui.dryrun import events as ev

    assert ev.dumps({"a": float("nan"), "b": [float("inf")], "c": "NaN"}) == '{"a":null,"b":[null],"c":"NaN"}'
    assert ev.dumps({"ok": 1.0}) == '{"ok":1.0}'


@pytest.mark.parametrize("value", ["inf", "-inf", "1e300", "nan", "NaN", "0", "-1", "1e9", "x"])
def test_timeout_out_of_range_is_a_usage_error(value: str, capsys):
    from nango_tui.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["dryrun", "s", "c", "--timeout", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "Traceback" not in err


def test_timeout_in_range_is_accepted():
    from nango_tui.cli import build_parser

    assert build_parser().parse_args(["dryrun", "s", "c", "--timeout", "604800"]).timeout == 604800.0


def test_exit_status_survives_a_closed_pipe(tmp_path: Path):
    lines = "".join(f"  M{i}:\n    f: Array<string>\n" for i in range(20000))  # ~1.7 MB of errors
    (tmp_path / "nango.yaml").write_text("integrations: {}\nmodels:\n" + lines)
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m nango_tui validate --dir {tmp_path} | head -1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "type_syntax_error" in done.stdout
    assert done.returncode == 1, done.stderr  # was 0: a failure looked like success
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_init_force_over_an_invalid_nango_yaml_fails(tmp_path: Path, capsys):
    from nango_tui.cli import main

    (tmp_path / "nango.yaml").write_text("integrations:\n  gh:\n    syncs: [oops\n")
    (tmp_path / "models.py").write_text("MODELS = {}\n")
    assert main(["init", str(tmp_path), "--force"]) == 1
    assert "yaml_syntax" in capsys.readouterr().out


MALFORMED_MOCKS = {
    "exchange not a mapping": {"exchanges": [1]},
    "method a list": {"exchanges": [{"method": ["GET"], "url": "/x", "status": 200}]},
    "url a number": {"exchanges": [{"method": "GET", "url": 5, "status": 200}]},
    "status a bool": {"exchanges": [{"method": "GET", "url": "/x", "status": True}]},
    "status 99999": {"exchanges": [{"method": "GET", "url": "/x", "status": 99999}]},
    "query a list": {"exchanges": [{"method": "GET", "url": "/x", "status": 200, "query": [1]}]},
    "query nested": {"exchanges": [{"method": "GET", "url": "/x", "status": 200, "query": {"a": {"b": 1}}}]},
    "headers a list": {"exchanges": [{"method": "GET", "url": "/x", "status": 200, "headers": ["a"]}]},
    "header newline": {
        "exchanges": [{"method": "GET", "url": "/x", "status": 200, "headers": {"a": "b\nc"}}]
    },
    "header not ascii": {"exchanges": [{"method": "GET", "url": "/x", "status": 200, "headers": {"é": "b"}}]},
    "bad encoding": {"exchanges": [{"method": "GET", "url": "/x", "status": 200, "body_encoding": "rot13"}]},
    "bad base64": {
        "exchanges": [{"method": "GET", "url": "/x", "status": 200, "body": "%%%", "body_encoding": "base64"}]
    },
    "inputs a list": {"exchanges": [], "inputs": []},
    "bad last_sync_date": {"exchanges": [], "inputs": {"last_sync_date": "yesterday"}},
    "expected a string": {"exchanges": [], "expected": "x"},
    "expected records a list": {"exchanges": [], "expected": {"records": [1]}},
}


@pytest.mark.parametrize("document", MALFORMED_MOCKS.values(), ids=MALFORMED_MOCKS.keys())
def test_malformed_mocks_are_one_clear_error(tmp_path: Path, document):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    with pytest.raises(MocksFileError) as caught:
        load_mocks(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_nango_tui_test_with_malformed_mocks_has_no_traceback(project: Path):
    (project / "demo" / "mocks").mkdir(exist_ok=True)
    (project / "demo" / "mocks" / "nan.json").write_text(json.dumps(MALFORMED_MOCKS["status 99999"]))
    done = warm_cli.run(
        [sys.executable, "-m", "nango_tui", "test", "--dir", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "status" in done.stdout + done.stderr
