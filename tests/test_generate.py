"""`generate`: what it writes, what it never touches, and its command line."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nango_tui import check
from nango_tui.codegen import generate, scaffold_source
from nango_tui.config import load_project
from tests.support import warm_cli
from tests.support.models_module import load_models_module

REPO = Path(__file__).resolve().parent.parent

YAML = """\
integrations:
    acme:
        syncs:
            contacts:
                description: Fetches the contacts changed since the last run
                runs: every hour
                sync_type: incremental
                output: Contact
                endpoint: GET /contacts
            old-contacts:
                runs: every day
                output: [Contact, Company]
                endpoint: [GET /old-contacts, GET /companies]
        actions:
            create-contact:
                description: Creates a contact
                input: NewContact
                output: Contact
                endpoint: POST /contacts
            ping:
                output: boolean
                endpoint: GET /ping
            echo:
                input: string
                output: string
                endpoint: POST /echo
            bulk:
                input: NewContact[]
                output: Contact[]
                endpoint: POST /bulk
            either:
                input: NewContact | Company
                output: Company | null
                endpoint: POST /either
            fire:
                endpoint: POST /fire
models:
    Contact:
        id: string
        name: string
        email: string | null
        from?: string
    Company:
        id: string
    NewContact:
        name: string
"""

SCRIPTS = [
    "acme/actions/bulk.py",
    "acme/actions/create-contact.py",
    "acme/actions/echo.py",
    "acme/actions/either.py",
    "acme/actions/fire.py",
    "acme/actions/ping.py",
    "acme/syncs/contacts.py",
    "acme/syncs/old-contacts.py",
]


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_fresh_folder_gets_models_schema_and_a_scaffold_per_script(project_dir):
    root = project_dir(YAML)
    report = generate(root)
    assert report.ok and report.models_written and report.schema_written
    assert sorted(report.created) == sorted(["models.py", *SCRIPTS])
    assert report.left_alone == [] and report.orphaned == [] and report.backed_up == []
    schema = json.loads((root / ".nango/schema.json").read_text())
    assert set(schema["$defs"]) == {"Contact", "Company", "NewContact"}
    assert not [p for p in root.rglob("*.tmp")], "temporary files left behind"
    module = load_models_module(root / "models.py")
    assert module.MODELS["Contact"].model_validate({"id": "1", "name": "n", "email": None}).model_dump(
        by_alias=True, exclude_unset=True
    ) == {"id": "1", "name": "n", "email": None}


def _signature(source: str, name: str) -> tuple[list[str], str | None]:
    tree = ast.parse(source)
    func = next(n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == name)
    params = [f"{a.arg}: {ast.unparse(a.annotation)}" for a in func.args.args]
    return params, ast.unparse(func.returns) if func.returns else None


@pytest.mark.parametrize(
    "script, params, returns",
    [
        ("acme/syncs/contacts.py", ["nango: NangoSync"], "None"),
        ("acme/actions/create-contact.py", ["nango: NangoAction", "input: NewContact"], "Contact"),
        ("acme/actions/ping.py", ["nango: NangoAction"], "bool"),
        ("acme/actions/echo.py", ["nango: NangoAction", "input: str"], "str"),
        ("acme/actions/bulk.py", ["nango: NangoAction", "input: list[NewContact]"], "list[Contact]"),
        ("acme/actions/either.py", ["nango: NangoAction", "input: NewContact | Company"], "Company | None"),
        ("acme/actions/fire.py", ["nango: NangoAction"], "None"),
    ],
)
def test_scaffold_signatures_follow_the_script_api(project_dir, script, params, returns):
    root = project_dir(YAML)
    generate(root)
    source = (root / script).read_text()
    entry = "fetch_data" if "/syncs/" in script else "run_action"
    assert _signature(source, entry) == (params, returns)
    compile(source, script, "exec")


def test_sync_scaffold_content(project_dir):
    root = project_dir(YAML)
    generate(root)
    source = (root / "acme/syncs/contacts.py").read_text()
    assert source.startswith('"""Fetches the contacts changed since the last run')
    assert "from nango_tui.sdk import NangoSync\n" in source and "from models import Contact\n" in source
    assert '#     await nango.batch_save([to_contact(item) for item in page], "Contact")' in source
    assert "# async for page in nango.paginate(" in source and "nango.last_sync_date" in source
    assert "def to_contact(item: dict) -> Contact:" in source
    assert '# "from": item.get("from"),  # optional: string' in source  # optional keys only suggested
    two = (root / "acme/syncs/old-contacts.py").read_text()
    assert "from models import Company, Contact\n" in two and "def to_company(" in two


def test_scaffolds_pass_the_project_checks(project_dir):
    root = project_dir(YAML)
    generate(root)
    result = check.compile_project(root, jobs=1)
    assert not [d for d in result.diagnostics if d.is_error], [d.format() for d in result.diagnostics]
    on_scripts = [d for d in result.diagnostics if d.file != "nango.yaml"]
    assert on_scripts == [], [d.format() for d in on_scripts]


def test_scaffolds_run_without_failing_where_they_should_not(project_dir):
    """The live body of a scaffold: a sync logs and saves nothing; an action says it is not written."""
    import asyncio
    import importlib.util

    from nango_tui.sdk import ActionError

    root = project_dir(YAML)
    generate(root)
    logged: list[tuple] = []

    class Recorder:  # only what the scaffolds' live bodies call
        async def log(self, *args, level="info"):
            logged.append(args)

    sys.path.insert(0, str(root))
    sys.modules.pop("models", None)
    try:
        for rel in ("acme/syncs/contacts.py", "acme/actions/create-contact.py"):
            spec = importlib.util.spec_from_file_location(
                f"scaffold_{rel.replace('/', '_').replace('-', '_')}", root / rel
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if "syncs" in rel:
                asyncio.run(module.fetch_data(Recorder()))
                assert logged and "not written yet" in logged[0][0]
                record = module.to_contact({"id": "1", "name": "Ann", "email": None, "from": "x"})
                assert record.model_dump(by_alias=True, exclude_unset=True) == {
                    "id": "1",
                    "name": "Ann",
                    "email": None,
                }
            else:
                with pytest.raises(ActionError) as info:
                    asyncio.run(module.run_action(Recorder(), module.NewContact(name="n")))
                assert "create-contact is not written yet" in str(
                    info.value.payload if hasattr(info.value, "payload") else info.value
                )
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("models", None)


def test_generating_again_changes_nothing(project_dir):
    root = project_dir(YAML)
    generate(root)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    contents = files_of(root)
    report = generate(root)
    assert report.created == [] and not report.models_written and not report.schema_written
    assert report.left_alone == SCRIPTS
    assert files_of(root) == contents
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_a_hand_written_script_survives_any_nango_yaml_change(project_dir):
    root = project_dir(YAML)
    generate(root)
    mine = "# my own work\nasync def fetch_data(nango):\n    pass\n"
    (root / "acme/syncs/contacts.py").write_text(mine)
    changed = YAML.replace(
        "output: Contact\n                endpoint: GET /contacts",
        "output: Company\n                endpoint: GET /contacts",
    )
    changed = changed.replace(
        "        name: string\n        email", "        full_name: string\n        email"
    )
    (root / "nango.yaml").write_text(changed)
    report = generate(root)
    assert report.ok and report.models_written
    assert "acme/syncs/contacts.py" in report.left_alone
    assert (root / "acme/syncs/contacts.py").read_text() == mine
    assert "full_name: str" in (root / "models.py").read_text()


def test_scripts_that_left_nango_yaml_are_reported_not_deleted(project_dir):
    root = project_dir(YAML)
    generate(root)
    without = YAML.replace(
        "            ping:\n                output: boolean\n                endpoint: GET /ping\n", ""
    )
    (root / "nango.yaml").write_text(without)
    (root / "gone/syncs").mkdir(parents=True)
    (root / "gone/syncs/legacy.py").write_text("# an integration nango.yaml dropped\n")
    report = generate(root)
    assert report.orphaned == ["acme/actions/ping.py", "gone/syncs/legacy.py"]
    assert (root / "acme/actions/ping.py").exists() and (root / "gone/syncs/legacy.py").exists()


def test_a_hand_edited_models_py_is_kept_as_bak(project_dir):
    root = project_dir(YAML)
    generate(root)
    original = (root / "models.py").read_text()
    edited = original.replace("    name: str\n", "    name: str\n    nickname: str = 'my addition'\n", 1)
    (root / "models.py").write_text(edited)
    report = generate(root)
    assert report.backed_up == ["models.py.bak"] and report.models_written
    assert (root / "models.py.bak").read_text() == edited
    assert (root / "models.py").read_text() == original
    # a second edit never overwrites the first backup
    (root / "models.py").write_text(edited + "# again\n")
    report = generate(root)
    assert report.backed_up == ["models.py.bak.2"]
    assert (root / "models.py.bak").read_text() == edited
    assert (root / "models.py.bak.2").read_text() == edited + "# again\n"


def test_a_models_py_written_by_the_user_without_header_is_kept(project_dir):
    root = project_dir(YAML, {"models.py": "class Contact:\n    pass\n"})
    report = generate(root)
    assert report.backed_up == ["models.py.bak"]
    assert (root / "models.py.bak").read_text() == "class Contact:\n    pass\n"


def test_a_generated_models_py_from_an_older_nango_yaml_is_simply_replaced(project_dir):
    root = project_dir(YAML)
    generate(root)
    (root / "nango.yaml").write_text(
        YAML.replace(
            "    NewContact:\n        name: string\n",
            "    NewContact:\n        name: string\n        age?: integer\n",
        )
    )
    report = generate(root)
    assert report.models_written and report.backed_up == []
    assert "age: int = None" in (root / "models.py").read_text()


def test_nango_yaml_with_errors_generates_nothing(project_dir):
    root = project_dir(
        YAML.replace(
            "output: Contact\n                endpoint: GET /contacts",
            "output: Missing\n                endpoint: GET /contacts",
        )
    )
    report = generate(root)
    assert not report.ok
    assert any(d.code == "model_not_found" for d in report.diagnostics)
    assert sorted(files_of(root)) == ["nango.yaml"]
    assert report.created == [] and not report.models_written


def test_a_write_failure_is_a_diagnostic_not_a_traceback(project_dir):
    root = project_dir(YAML)
    (root / "acme").mkdir()
    (root / "acme/syncs").write_text("a file where the syncs folder goes")
    report = generate(root)
    assert not report.ok
    (diag,) = [d for d in report.diagnostics if d.is_error]
    assert diag.code == "generate_failed" and "could not write" in diag.message
    assert not [p for p in root.rglob("*.tmp")]


def test_scaffold_source_is_deterministic():
    project = load_project(REPO / "sample-integrations").project
    for script in project.scripts():
        assert scaffold_source(script, project) == scaffold_source(script, project)


# -- the command line -----------------------------------------------------------------------


def test_cli_generate_reports_created_kept_and_orphaned(project_dir):
    root = project_dir(YAML)
    first = run_cli("generate", "--dir", str(root))
    assert first.returncode == 0, first.stderr
    assert "created   models.py" in first.stdout and "created   acme/syncs/contacts.py" in first.stdout
    (root / "acme/syncs/stale.py").write_text("# nothing names me\n")
    second = run_cli("generate", "--dir", str(root))
    assert second.returncode == 0
    assert "kept      acme/syncs/contacts.py (exists: never touched)" in second.stdout
    assert "orphaned  acme/syncs/stale.py" in second.stdout
    assert "unchanged models.py" in second.stdout


def test_cli_generate_json(project_dir):
    root = project_dir(YAML)
    result = run_cli("generate", "--dir", str(root), "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["models_written"] and "acme/actions/ping.py" in data["created"]


def test_cli_generate_with_errors_exits_1_with_located_messages(project_dir):
    root = project_dir(
        "integrations:\n    acme:\n        syncs:\n            s:\n                runs: every hour\n                output: Nope\n                endpoint: GET /s\nmodels: {}\n"
    )
    result = run_cli("generate", "--dir", str(root))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "nango.yaml:6:" in result.stdout and "nothing was generated" in result.stdout
    assert not (root / "models.py").exists()


def test_cli_generate_usage_and_missing_folder(tmp_path):
    assert run_cli("generate", "--bogus").returncode == 2
    missing = run_cli("generate", "--dir", str(tmp_path / "nowhere"))
    assert (
        missing.returncode == 1 and "is not a folder" in missing.stderr and "Traceback" not in missing.stderr
    )


def _many_scripts_yaml(syncs: int, models: int) -> str:
    lines = ["integrations:", "  crm:", "    syncs:"]
    for i in range(syncs):
        lines += [
            f"      s{i}:",
            "        runs: every hour",
            f"        output: M{i}",
            f"        endpoint: GET /m{i}",
        ]
    lines.append("models:")
    for m in range(models):
        lines += [f"  M{m}:", "    id: string", "    name?: string | null", "    tags: string[]"]
    return "\n".join(lines) + "\n"


def test_generate_killed_mid_write_leaves_no_half_written_file(tmp_path: Path):
    """Issue 10, what held up: `kill -9` of generate at any moment leaves every file it writes
    either absent or whole (written beside and renamed); a later generate completes the set."""
    text = _many_scripts_yaml(300, 3000)
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "nango.yaml").write_text(text)
    assert generate(reference).ok
    expected = {p.relative_to(reference): p.read_text() for p in reference.rglob("*.py")}
    root = tmp_path / "project"
    root.mkdir()
    (root / "nango.yaml").write_text(text)
    env = {**os.environ, "NO_COLOR": "1"}
    killed_with_files = 0
    for _ in range(3):
        process = warm_cli.popen(
            [sys.executable, "-m", "nango_tui", "generate", "--dir", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        while process.poll() is None and not any((root / "crm").glob("syncs/*.py")):
            time.sleep(0.001)  # kill as soon as the scaffolds start to appear: amid the writes
        process.kill()
        process.wait()
        written = [p for p in root.rglob("*.py") if not p.name.startswith(".")]
        killed_with_files += bool(written)
        for path in written:
            assert path.read_text() == expected[path.relative_to(root)], f"{path} is half written"
    assert killed_with_files, "every kill came before the first file: nothing was checked"
    assert run_cli("generate", "--dir", str(root)).returncode == 0
    assert {
        p.relative_to(root): p.read_text() for p in root.rglob("*.py") if not p.name.startswith(".")
    } == expected
