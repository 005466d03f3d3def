"""`nango-tui compile`, as a user runs it: regenerates, checks every script, prints, exits 0 or 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import warm_cli
from tests.support.paths import SAMPLES
from tests.support.projects import CRM_YAML as YAML


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": ""}
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_compile_writes_models_and_scaffolds_then_is_clean(tmp_path: Path):
    (tmp_path / "nango.yaml").write_text(YAML)
    proc = run("compile", "--dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "models.py").is_file()
    assert (tmp_path / "crm/syncs/contacts.py").is_file()
    assert (tmp_path / "crm/actions/ping.py").is_file()
    assert "created crm/syncs/contacts.py" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("2 scripts checked: no problems (")
    assert proc.stderr == ""


def test_compile_reports_script_problems_and_exits_1(tmp_path: Path):
    (tmp_path / "nango.yaml").write_text(YAML)
    script = tmp_path / "crm/syncs/contacts.py"
    script.parent.mkdir(parents=True)
    script.write_text('async def fetch_data(nango):\n    nango.log("x")\n    print(1)\n')
    proc = run("compile", "--dir", str(tmp_path))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert (
        "crm/syncs/contacts.py:2:5: error sdk_call_not_awaited: `nango.log(...)` is a coroutine and is not awaited: it does nothing"
        in lines
    )
    assert (
        "crm/syncs/contacts.py:3:5: warning print_call: print() output does not reach the script's logs"
        in lines
    )
    assert lines[-1].startswith("2 scripts checked: 1 error, 1 warning (")
    assert "Traceback" not in proc.stderr
    # the existing script was not touched by the regeneration
    assert script.read_text() == 'async def fetch_data(nango):\n    nango.log("x")\n    print(1)\n'


def test_compile_json_is_a_list_of_diagnostics(tmp_path: Path):
    (tmp_path / "nango.yaml").write_text(YAML)
    (tmp_path / "crm/actions").mkdir(parents=True)
    (tmp_path / "crm/actions/ping.py").write_text("def run_action(nango):\n    return undefined_x\n")
    proc = run("compile", "--dir", str(tmp_path), "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert [(d["file"], d["line"], d["column"], d["code"]) for d in data] == [
        ("crm/actions/ping.py", 1, 1, "entry_not_async"),
        ("crm/actions/ping.py", 2, 12, "undefined_name"),
    ]
    assert set(data[0]) >= {"file", "line", "column", "severity", "code", "message"}


def test_compile_with_a_broken_config_keeps_models_and_exits_1(tmp_path: Path):
    (tmp_path / "nango.yaml").write_text(YAML)
    assert run("compile", "--dir", str(tmp_path)).returncode == 0
    models = (tmp_path / "models.py").read_bytes()
    (tmp_path / "nango.yaml").write_text(YAML.replace("output: Pong", "output: Pongg"))
    proc = run("compile", "--dir", str(tmp_path))
    assert proc.returncode == 1
    assert "nango.yaml:10:17: error model_not_found" in proc.stdout
    assert (tmp_path / "models.py").read_bytes() == models


def test_compile_samples_is_clean(tmp_path: Path):
    shutil.copytree(SAMPLES, tmp_path / "s")
    proc = run("compile", "--dir", str(tmp_path / "s"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no problems" in proc.stdout


def test_compile_of_a_missing_folder_says_so(tmp_path: Path):
    proc = run("compile", "--dir", str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert "does not exist" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_compile_usage_error_exits_2():
    proc = run("compile", "--bogus")
    assert proc.returncode == 2
