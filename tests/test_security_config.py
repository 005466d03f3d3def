"""Hostile nango.yaml files (issue 10 items 2, 6, 7, 9): diagnostics, never a crash or a write elsewhere.

Names that become paths or code go through one validator (config.names.name_problem); every
file generate and init write is checked to lie inside the folder (config.names.inside_folder);
YAML is parsed with bounds (aliases, depth, special files); scaffolds escape what they copy.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nango_tui.codegen import generate
from nango_tui.config import load_project, load_text
from nango_tui.config.files import UnsafeFileError, read_user_file
from nango_tui.config.names import PathOutsideFolder, inside_folder, name_problem
from tests.support import warm_cli

MODELS = "models:\n  Thing:\n    id: string\n"


def _codes(text: str) -> list[str]:
    return [d.code for d in load_text(text).diagnostics if d.is_error]


def _files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def _yaml_str(value: str) -> str:
    """A YAML double-quoted scalar for any text (NUL, newlines...)."""
    import json

    return json.dumps(value)


HOSTILE_NAMES = [
    "../../evil",
    "../escape",
    "/tmp/absolute",
    "..",
    ".",
    "",
    " ",
    "a/b",
    "a\\b",
    "nul\0byte",
    "new\nline",
    "carriage\rreturn",
    "tab\there",
    ".hidden",
    " padded",
    "x" * 300,
    "c:drive",
    'quote"name',
    "line\u2028separator",
]


# -- the validator ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
@pytest.mark.parametrize("kind", ["integration", "script", "model"])
def test_name_problem_refuses_hostile_names(name: str, kind: str):
    problem = name_problem(name, kind)
    assert problem is not None and problem.startswith(("an integration key", "a script name", "a model name"))


@pytest.mark.parametrize(
    "name,rule",
    [
        ("", "cannot be empty"),
        ("a\0b", "cannot hold NUL"),
        ("a\nb", "cannot hold a newline"),
        ("..", "cannot be `..`"),
        (".git", "cannot start with a dot"),
        ("a/b", "cannot hold /"),
        ("x" * 201, "at most 200 characters"),
        (" a", "cannot start or end with a space"),
    ],
)
def test_name_problem_names_the_rule(name: str, rule: str):
    assert rule in (name_problem(name, "script") or "")


@pytest.mark.parametrize(
    "name", ["__name__", "__builtins__", "__annotations__", "__module__", "__doc__", "__x__"]
)
def test_dunder_model_names_are_refused(name: str):
    assert "two underscores" in (name_problem(name, "model") or "")
    result = load_text(f"integrations: {{}}\nmodels:\n  {name}:\n    id: string\n")
    assert [d.code for d in result.diagnostics if d.is_error] == ["invalid_model_name"]


@pytest.mark.parametrize("name", ["github", "my-api_2", "Google.Calendar", "hubspot-v3"])
def test_ordinary_names_pass(name: str):
    assert name_problem(name, "integration") is None and name_problem(name, "script") is None
    assert name_problem("Contact_2", "model") is None and name_problem("_Private", "model") is None


# -- validate and generate -----------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_integration_key_is_a_diagnostic_and_generate_writes_nothing_outside(tmp_path: Path, name):
    root = tmp_path / "project"
    root.mkdir()
    text = f"integrations:\n  {_yaml_str(name)}:\n    actions:\n      a:\n        output: Thing\n{MODELS}"
    (root / "nango.yaml").write_text(text)
    result = load_project(root)
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["invalid_integration_key"], errors
    assert "an integration key" in errors[0].message and errors[0].line == 2
    report = generate(root)
    assert not report.ok and report.created == []
    assert _files_under(tmp_path) == {"project", "project/nango.yaml"}
    assert not Path("/actions/a.py").exists()


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_script_name_is_a_diagnostic(tmp_path: Path, name):
    text = f"integrations:\n  gh:\n    actions:\n      {_yaml_str(name)}:\n        output: Thing\n{MODELS}"
    root = tmp_path / "project"
    root.mkdir()
    (root / "nango.yaml").write_text(text)
    assert "invalid_script_name" in _codes(text)
    assert generate(root).created == []
    assert _files_under(tmp_path) == {"project", "project/nango.yaml"}


def test_hostile_on_events_script_names_are_diagnostics():
    text = f"integrations:\n  gh:\n    on-events:\n      post-connection-creation: ['../x', 'ok']\n{MODELS}"
    assert _codes(text) == ["invalid_script_name"]


def test_validate_cli_reports_the_rule_and_exits_1(tmp_path: Path, capsys):
    from nango_tui.cli import main

    (tmp_path / "nango.yaml").write_text(
        f"integrations:\n  ../../evil:\n    actions:\n      a:\n        output: Thing\n{MODELS}"
    )
    assert main(["validate", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "an integration key" in out.out + out.err and "hold /" in out.out + out.err


def test_generate_refuses_a_symlinked_folder_that_leads_outside(tmp_path: Path):
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "gh").symlink_to(outside, target_is_directory=True)
    (root / "nango.yaml").write_text(
        f"integrations:\n  gh:\n    actions:\n      a:\n        output: Thing\n{MODELS}"
    )
    report = generate(root)
    assert not report.ok
    assert any("outside the folder" in d.message for d in report.diagnostics)
    assert list(outside.iterdir()) == []


def test_inside_folder(tmp_path: Path):
    assert inside_folder(tmp_path, "a/b.py") == tmp_path / "a/b.py"
    for bad in ("../x", "/etc/passwd", "a/../../x"):
        with pytest.raises(PathOutsideFolder):
            inside_folder(tmp_path, bad)
    (tmp_path / "link").symlink_to("/tmp")
    with pytest.raises(PathOutsideFolder):
        inside_folder(tmp_path, "link/x")


# -- YAML bounds and crashing inputs --------------------------------------------------------------


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        _bomb(),
        "integrations: {}\nmodels:\n  " + _bomb(10, 10).replace("\n", "\n  ").rstrip() + "\n",
        "base: &b {x: 1}\n"
        + "".join(
            f"l{i}: &l{i} {{<<: [*{'b' if i == 0 else f'l{i - 1}'}], y{i}: [*b, *b]}}\n" for i in range(60)
        ),
    ],
    ids=["sequence bomb", "bomb in models", "merge-key chain"],
)
def test_alias_bombs_are_refused_quickly(text: str):
    assert len(text) < 5000
    started = time.monotonic()
    result = load_text(text)
    assert time.monotonic() - started < 10  # was 38 s and 2.3 GB for 380 bytes
    assert "yaml_alias_bomb" in [d.code for d in result.diagnostics] or result.ok is False


def test_reasonable_aliases_and_merge_keys_still_work():
    text = (
        "integrations:\n  gh:\n    syncs:\n      s: &sync\n        runs: every hour\n        output: Thing\n"
        "        endpoint: GET /a\n      t:\n        <<: *sync\n        endpoint: GET /b\n" + MODELS
    )
    result = load_text(text)
    assert result.ok, result.diagnostics
    assert result.project.integrations["gh"].syncs["t"].runs == "every hour"


@pytest.mark.parametrize(
    "value",
    [
        "!!bool maybe",
        "!!bool ''",
        "!!int ''",
        "!!float ''",
        "!!int 0x",
        "!!float .",
        "!!int 99999999999999999999999",
    ],
)
def test_odd_scalar_tags_give_diagnostics(value: str):
    for text in (
        f"integrations: {value}\n",
        f"integrations:\n  gh: {value}\n",
        f"integrations: {{}}\nmodels:\n  M:\n    id: {value}\n",
    ):
        result = load_text(text)  # never raises
        assert result.diagnostics or result.ok


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_flow_nesting_is_a_diagnostic(depth: int):
    text = "integrations: {}\nmodels:\n  M:\n    f: " + "[" * depth + "]" * depth + "\n"
    result = load_text(text)
    assert result.diagnostics and not result.ok


def test_long_model_reference_chain_loads_and_generates(tmp_path: Path):
    n = 3000  # past Python's recursion limit: every walk over the models must be iterative
    body = "".join(f"  M{i}:\n    id: string\n    next: M{i + 1}\n" for i in range(n))
    text = f"integrations:\n  gh:\n    syncs:\n      s:\n        runs: every hour\n        output: M0\nmodels:\n{body}  M{n}:\n    id: string\n"
    (tmp_path / "nango.yaml").write_text(text)
    result = load_project(tmp_path)
    assert result.ok, result.diagnostics[:3]
    report = generate(tmp_path)
    assert report.ok and "models.py" in report.created
    check = subprocess.run(
        [sys.executable, "-c", "import models"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr[-500:]


def test_long_extends_chain_is_a_diagnostic_not_a_crash():
    n = 1100  # generate would flatten it into n * n / 2 fields
    body = "".join(f"  M{i}:\n    __extends: M{i + 1}\n    f{i}: string\n" for i in range(n))
    result = load_text(f"integrations: {{}}\nmodels:\n{body}  M{n}:\n    id: string\n")
    assert [d.code for d in result.diagnostics] == ["model_extends_too_large"]


def test_extends_cycle_in_a_long_chain_is_reported():
    body = "".join(f"  M{i}:\n    __extends: M{(i + 1) % 500}\n    f{i}: string\n" for i in range(500))
    assert "cyclic_extends" in _codes(f"integrations: {{}}\nmodels:\n{body}")


def test_nul_in_names_and_raw_nul_bytes():
    assert _codes(f'integrations:\n  "g\\0h":\n    actions: {{}}\n{MODELS}') == ["invalid_integration_key"]
    assert "invalid_model_name" in _codes('integrations: {}\nmodels:\n  "M\\0":\n    id: string\n')
    result = load_text("integrations: {}\nmodels:\n  M\0:\n    id: string\n")
    assert [d.code for d in result.diagnostics] == ["yaml_syntax"]


# -- special files --------------------------------------------------------------------------------


def _validate_in_a_process(root: Path) -> subprocess.CompletedProcess:
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", "validate", "--dir", str(root)],
        capture_output=True,
        text=True,
        timeout=30,  # a FIFO used to block here forever
    )


def test_fifo_and_device_as_nango_yaml_are_one_line_errors(tmp_path: Path):
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "nango.yaml")
    done = _validate_in_a_process(fifo)
    assert done.returncode == 1 and "FIFO" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    zero = tmp_path / "zero"
    zero.mkdir()
    (zero / "nango.yaml").symlink_to("/dev/zero")
    done = _validate_in_a_process(zero)
    assert done.returncode == 1 and "a device" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_dangling_nango_yaml_link_says_where_it_points(tmp_path: Path):
    (tmp_path / "nango.yaml").symlink_to(tmp_path / "moved-away.yaml")
    result = load_project(tmp_path)
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("missing_file", f"nango.yaml is a link to {tmp_path / 'moved-away.yaml'}, which does not exist")
    ]
    done = _validate_in_a_process(tmp_path)
    assert done.returncode == 1 and "moved-away.yaml, which does not exist" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "init" not in done.stdout + done.stderr


def test_read_user_file_bounds(tmp_path: Path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(UnsafeFileError, match="limit"):
        read_user_file(big, limit=1000)
    assert read_user_file(big, limit=2000) == b"x" * 2000
    with pytest.raises(IsADirectoryError):
        read_user_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_user_file(tmp_path / "missing")


def test_fifo_dotenv_connections_and_input_do_not_hang(tmp_path: Path):
    from nango_tui.dryrun.command import UsageError, json_argument
    from nango_tui.runtime.connections import read_dotenv

    os.mkfifo(tmp_path / ".env")
    assert read_dotenv(tmp_path) == {}
    with pytest.raises(UsageError, match="FIFO"):
        json_argument("--input", f"@{tmp_path / '.env'}", tmp_path)
    with pytest.raises(UsageError, match="a device"):
        json_argument("--input", "@/dev/zero", tmp_path)


# -- scaffolds -------------------------------------------------------------------------------------


def test_newline_in_an_input_type_is_refused():
    text = (
        "integrations:\n  gh:\n    syncs:\n      s:\n        runs: every hour\n        output: Thing\n"
        "        input: \"A | B\\nimport os; os.system('touch /tmp/pwned')\"\n" + MODELS
    )
    result = load_text(text)
    assert [d.code for d in result.diagnostics if d.is_error] == ["invalid_type"]
    assert "newline" in result.diagnostics[0].message


@pytest.mark.parametrize(
    "description",
    [
        "nul\0inside",
        "cr\rinside",
        "ls\u2028inside",
        'quotes """ and \\ backslash',
        "a\nmultiline\n\ttext",
        "\x0c\x1b[31m",
    ],
)
def test_scaffolds_parse_whatever_the_description(tmp_path: Path, description: str):
    text = (
        f"integrations:\n  gh:\n    syncs:\n      s:\n        runs: every hour\n        output: Thing\n"
        f"        description: {_yaml_str(description)}\n"
        f"    actions:\n      a:\n        output: Thing\n        description: {_yaml_str(description)}\n"
        'models:\n  Thing:\n    id: string\n    kind: "x\\nimport os"\n'
    )
    (tmp_path / "nango.yaml").write_text(text)
    report = generate(tmp_path)
    assert report.ok, report.diagnostics
    for rel in ("gh/syncs/s.py", "gh/actions/a.py", "models.py"):
        source = (tmp_path / rel).read_text()
        tree = ast.parse(source)  # a NUL made it unparseable
        assert "\0" not in source
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import) and n.names[0].name == "os"], rel


def _extends_chain(length: int, base_fields: int = 1, extending: int = 0) -> str:
    lines = ["integrations:", "  x:", "    syncs:", "      s:", "        runs: every hour"]
    lines += ["        output: M0", "        endpoint: GET /x", "models:", "  M0:", "    id: string"]
    lines += [f"    b{i}: string" for i in range(base_fields)]
    for i in range(1, length):
        lines += [f"  M{i}:", f"    __extends: M{i - 1}", f"    f{i}: string"]
    for i in range(extending):  # models extending the base directly: linear, always fine
        lines += [f"  Wide{i}:", "    __extends: M0", "    own: number"]
    return "\n".join(lines) + "\n"


def test_a_long_extends_chain_is_refused_before_it_multiplies_the_output():
    # each model repeats every field of the chain above it: 1,000 models would write 500,000
    # fields into models.py and schema.json (36 MB of schema from a 44 KB nango.yaml)
    result = load_text(_extends_chain(1000))
    [problem] = [d for d in result.diagnostics if d.code == "model_extends_too_large"]
    assert problem.severity == "error" and "extend the base models directly" in (problem.hint or "")
    assert result.project is None
    # the chain of 5,000 is refused as well, and resolving it stays linear past the limit
    assert any(d.code == "model_extends_too_large" for d in load_text(_extends_chain(5000)).diagnostics)


def test_ordinary_extends_stay_within_the_budget():
    assert load_text(_extends_chain(100)).ok
    assert load_text(_extends_chain(2, base_fields=60, extending=2000)).ok
