"""The workbench with a hostile nango.yaml (issue 10 item 7): NUL in names at start and on save."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nango_tui.tui.app import WorkbenchApp

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)

NUL_YAML = (
    'integrations:\n  "g\\0h":\n    actions:\n      a:\n        output: M\n'
    '  gh:\n    actions:\n      "b\\0c":\n        output: M\n'
    'models:\n  M:\n    id: string\n  "N\\0":\n    id: string\n'
)
CLEAN_YAML = (
    "integrations:\n  gh:\n    actions:\n      ok:\n        output: M\nmodels:\n  M:\n    id: string\n"
)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


async def _until(predicate, pilot, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate.__doc__}"
        await pilot.pause(0.05)


@pytest.mark.parametrize(
    "text",
    [
        'integrations:\n  "g\\0h":\n    actions:\n      a:\n        output: M\nmodels:\n  M:\n    id: string\n',
        'integrations:\n  gh:\n    actions:\n      "a\\0b":\n        output: M\nmodels:\n  M:\n    id: string\n',
        NUL_YAML,
    ],
    ids=["integration", "script", "all"],
)
async def test_workbench_starts_on_names_with_nul(tmp_path: Path, text: str) -> None:
    (tmp_path / "nango.yaml").write_text(text)
    (tmp_path / "models.py").write_text("MODELS = {}\n")  # the script pane then looks for the scripts
    app = WorkbenchApp(tmp_path, watch=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause(0.5)
        for _ in range(4):
            await pilot.press("down")
        await pilot.press("g")
        await pilot.pause(1.0)
        assert app.problems_pane.border_title != "Problems · none"
        await pilot.press("q")
    assert app.return_value == 0  # was: ValueError: embedded null byte


async def test_saving_names_with_nul_while_open_is_reported(tmp_path: Path) -> None:
    (tmp_path / "nango.yaml").write_text(CLEAN_YAML)
    app = WorkbenchApp(tmp_path, watch=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        (tmp_path / "nango.yaml").write_text(NUL_YAML)

        def reported() -> bool:
            """the problems pane to show the NUL names"""
            return app.problems_pane.border_title != "Problems · none"

        await _until(reported, pilot)
        assert app.is_running
        await pilot.press("q")
    assert app.return_value == 0
