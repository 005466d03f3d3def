"""Snapshot tests of the workbench shell (fixed size, `textual-dark` theme, projects written here).

`pytest tests/test_tui_app_snapshots.py --snapshot-update` rewrites the SVGs; look at them first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nango_tui.tui.app import WorkbenchApp
from tests.support.pilot import until
from tests.support.tui_project import BROKEN_SCRIPT, BROKEN_YAML, copy_samples, write_project

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)

THEME = "textual-dark"
SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    """The user's own keymap and theme must not change what the tests see."""
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


def _app(root: Path, watch: bool = False) -> WorkbenchApp:
    return WorkbenchApp(root, watch=watch, theme=THEME)


async def _settled(pilot) -> None:
    app = pilot.app
    if app.watch_enabled:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
    await pilot.pause(0.2)


def test_clean_project_on_its_sync(snap_compare, tmp_path: Path) -> None:
    app = _app(write_project(tmp_path / "acme-demo"))

    async def run_before(pilot) -> None:
        await pilot.press("down", "down")
        await _settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_project_with_config_and_script_errors(snap_compare, tmp_path: Path) -> None:
    app = _app(write_project(tmp_path / "broken-demo", BROKEN_YAML, BROKEN_SCRIPT), watch=True)

    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("down", "down", "down", "down")  # create-customer

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_problems_pane_zoomed(snap_compare, tmp_path: Path) -> None:
    app = _app(write_project(tmp_path / "broken-demo", BROKEN_YAML, BROKEN_SCRIPT), watch=True)

    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("f4", "down", "z")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    app = _app(write_project(tmp_path / "acme-demo"))

    async def run_before(pilot) -> None:
        await pilot.press("f1")
        await _settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_80x24(snap_compare, tmp_path: Path) -> None:
    app = _app(write_project(tmp_path / "acme-demo"))

    async def run_before(pilot) -> None:
        await pilot.press("down", "down", "f3", "down", "down", "down")  # customers.py
        await _settled(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_unreadable_config_modal(snap_compare, tmp_path: Path) -> None:
    root = tmp_path / "bad-demo"
    root.mkdir()
    (root / "nango.yaml").write_text("integrations:\n  acme: [\n    oops: {\n")
    app = _app(root)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)


def test_sample_integrations(snap_compare, tmp_path: Path) -> None:
    """One of the real samples (update this snapshot when sample-integrations changes)."""
    if not (Path(__file__).parent.parent / "sample-integrations" / "nango.yaml").is_file():
        pytest.skip("no sample-integrations")
    app = _app(copy_samples(tmp_path / "sample-integrations"))

    async def run_before(pilot) -> None:
        await pilot.press("down", "down")
        await _settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
