"""`nango-tui validate` and the command line's conventions, as a user runs them."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from tests.support import warm_cli
from tests.support.paths import SAMPLES

BROKEN = """\
integrations:
    sf:
        syncs:
            contacts:
                runs: every 30min
                output: Contat
                endpoint: GET /contacts
models:
    Contact:
        id: string
    Address:
        city: string
        __extends: Nowhere
"""


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "", "FORCE_COLOR": ""}
    full_env.update(env or {})
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


def test_validate_samples_is_clean():
    proc = run("validate", "--dir", str(SAMPLES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no problems" in proc.stdout


def test_validate_errors_plain_when_piped(project_dir):
    root = project_dir(BROKEN)
    proc = run("validate", "--dir", str(root))
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert "nango.yaml:6:25: error model_not_found: " in proc.stdout
    assert any(line.startswith("nango.yaml:13:20: error model_extends_not_found:") for line in lines)
    assert "    hint: did you mean `Contact`?" in lines
    assert lines[-1] == "2 errors"
    assert "Traceback" not in proc.stderr


def test_validate_json_is_the_diagnostic_records(project_dir):
    root = project_dir(BROKEN)
    proc = run("validate", "--dir", str(root), "--json")
    assert proc.returncode == 1
    records = json.loads(proc.stdout)
    assert [(r["line"], r["column"], r["code"]) for r in records] == [
        (6, 25, "model_not_found"),
        (13, 20, "model_extends_not_found"),
    ]
    assert set(records[0]) == {"file", "line", "column", "severity", "code", "message", "hint"}
    assert records[0]["file"] == "nango.yaml" and records[0]["severity"] == "error"


def test_validate_colours_when_forced(project_dir):
    root = project_dir(BROKEN)
    proc = run("validate", "--dir", str(root), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in proc.stdout


def test_warnings_only_exit_zero(project_dir):
    root = project_dir("integrations: {}\nmodels:\n  A:\n    b: B\n  B:\n    a: A\n")
    proc = run("validate", "--dir", str(root))
    assert proc.returncode == 0
    assert "warning cyclic_model" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 warning"


def test_missing_folder_is_a_clear_error(tmp_path):
    proc = run("validate", "--dir", str(tmp_path / "nowhere"))
    assert proc.returncode == 1
    assert "no nango.yaml" in proc.stdout and "Traceback" not in proc.stderr


def test_usage_errors_exit_2():
    proc = run("validate", "--no-such-flag")
    assert proc.returncode == 2
    assert "unrecognized arguments" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_for_every_command():
    proc = run("--help")
    assert proc.returncode == 0
    assert "validate" in proc.stdout
    from nango_tui.cli import _command_names, build_parser

    for name in sorted(_command_names(build_parser())):
        sub = run(name, "--help")
        assert sub.returncode == 0, name
        assert "usage: nango-tui " + name in sub.stdout


def test_the_command_names_the_workbench_is_told_apart_from_are_the_parsers():
    from nango_tui.cli import COMMAND_NAMES, _command_names, build_parser

    assert _command_names(build_parser()) == COMMAND_NAMES


def test_a_command_line_naming_a_command_builds_only_its_parser_and_the_same_one():
    from nango_tui.cli import COMMAND_NAMES, _command_names, build_parser

    def subparser(parser, name):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return action.choices[name]

    full = build_parser()
    for name in sorted(COMMAND_NAMES):
        alone = build_parser(name)
        assert _command_names(alone) == {name}
        assert subparser(alone, name).format_help() == subparser(full, name).format_help(), name
    args = build_parser("test").parse_args(["test", "--dir", "x", "a/b", "--json"])
    assert (args.dir, args.names, args.json) == ("x", ["a/b"], True)


def test_help_imports_nothing_heavy():
    code = "import sys; from nango_tui.cli import build_parser; build_parser().format_help(); print(sorted(m for m in ('pydantic', 'yaml', 'textual', 'httpx', 'watchfiles') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]"
