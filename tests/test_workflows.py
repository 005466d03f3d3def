"""One place for the workflows: the workbench and the command line leave a folder in the same state."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nango_tui import workflows
from nango_tui.tui.app import WorkbenchApp
from tests.support import warm_cli
from tests.support.pilot import wait_for
from tests.support.projects import CRM_YAML, write_crm_project


def folder_state(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes), caches left out."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def cli_compile(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": ""}
    return warm_cli.run(
        [sys.executable, "-m", "nango_tui", "compile", "--dir", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


async def workbench_compile(root: Path) -> WorkbenchApp:
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        app.action_compile()
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.problems_pane.diagnostics is not None)
        await pilot.pause()
    return app


async def test_workbench_compile_writes_what_the_cli_compile_writes(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    by_cli = write_crm_project(tmp_path / "cli", generated=False)
    by_workbench = write_crm_project(tmp_path / "workbench", generated=False)
    proc = cli_compile(by_cli)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    await workbench_compile(by_workbench)
    written = folder_state(by_workbench)
    assert "models.py" in written and "crm/syncs/contacts.py" in written  # regenerated, scaffolded
    assert written == folder_state(by_cli)


async def test_workbench_compile_regenerates_a_stale_models_py(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    root = write_crm_project(tmp_path / "crm")
    (root / "nango.yaml").write_text(
        CRM_YAML.replace("    name: string\n", "    name: string\n    email: string\n")
    )
    assert "email" not in (root / "models.py").read_text()
    await workbench_compile(root)
    assert "email: str" in (root / "models.py").read_text()


def test_compile_workflow_is_the_cli_compile(tmp_path: Path):
    by_workflow = write_crm_project(tmp_path / "workflow", generated=False)
    by_cli = write_crm_project(tmp_path / "cli", generated=False)
    result, generated = workflows.compile_project(by_workflow)
    assert cli_compile(by_cli).returncode == 0
    assert [d for d in result.diagnostics if d.is_error] == []
    assert "models.py" in generated.written and "crm/actions/ping.py" in generated.created
    assert folder_state(by_workflow) == folder_state(by_cli)
