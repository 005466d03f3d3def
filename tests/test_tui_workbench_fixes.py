"""Issue 15's workbench bugs, each reproduced with Pilot (each failed before its fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nango_tui.config import load_project
from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.messages import DiagnosticsSnapshot
from nango_tui.tui.screens.help_screen import HelpScreen
from nango_tui.tui.screens.init_screen import InitScreen
from tests.support.pilot import screen_text, until
from tests.support.tui_project import copy_samples, write_project

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    return write_project(tmp_path / "acme-demo")


def reload(app: WorkbenchApp) -> None:
    """What the dev engine does after a save of nango.yaml."""
    result = load_project(app.root)
    app.apply_diagnostics(DiagnosticsSnapshot(result.diagnostics, ["nango.yaml"], 0.0, result.project))


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_filter_shows_what_is_typed(acme: Path, size) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("slash", *"custo")
        await pilot.pause()
        assert app.focused.id == "config-filter"
        assert app.focused.region.height == 1
        assert "custo" in screen_text(app)


async def test_a_broken_nango_yaml_keeps_the_tree_its_expansion_and_cursor(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        tree = app.config_pane.tree
        assert tree.select_script("acme", "create-customer")
        tree.cursor_node.expand()
        await pilot.pause()
        good = (acme / "nango.yaml").read_text()
        (acme / "nango.yaml").write_text(good + "\n  oops: [\n")
        reload(app)
        await pilot.pause()
        labels = [str(n.label.plain) for n in _nodes(tree.root)]
        assert "create-customer" in labels and "customers" in labels
        assert any("cannot be read" in label for label in labels)
        (acme / "nango.yaml").write_text(good)
        reload(app)
        await pilot.pause()
        assert tree.selected is not None and tree.selected.name == "create-customer"
        assert tree.cursor_node.is_expanded
        assert not any("cannot be read" in str(n.label.plain) for n in _nodes(tree.root))


def _nodes(node):
    for child in node.children:
        yield child
        yield from _nodes(child)


async def test_an_empty_folder_offers_to_create_a_project(tmp_path: Path) -> None:
    root = tmp_path / "new"
    root.mkdir()
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, InitScreen)
        await pilot.press("enter")
        await until(lambda: (root / "nango.yaml").is_file() and app.load_result.project is not None, pilot)
        await pilot.pause()
        assert app.config_pane.tree.project is not None
        assert "github" in app.config_pane.tree.project.integrations
        assert app.script_pane.path == "nango.yaml"


async def test_not_now_leaves_an_empty_folder_alone(tmp_path: Path) -> None:
    app = WorkbenchApp(tmp_path, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not (tmp_path / "nango.yaml").exists()
        assert app.is_running


async def test_tab_stays_in_a_zoomed_pane(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "z")
        selected = app.config_pane.selected
        await pilot.press("tab")
        assert app.current_pane_id() == "problems"
        await pilot.press("shift+tab")
        assert app.current_pane_id() == "problems"
        assert app.config_pane.selected == selected


async def test_f1_in_the_dryrun_pane_lists_its_binding_ids(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f5", "f1")
        assert isinstance(app.screen, HelpScreen)
        ids = " ".join(text for _, text in app.screen.pane_keys)
        for binding_id in ("dryrun.save", "dryrun.stop", "dryrun.next_tab", "dryrun.next_model"):
            assert binding_id in ids


async def test_unknown_keymap_ids_are_reported(acme: Path, tmp_path: Path, monkeypatch) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("workbench.quit: ctrl+x\nworkbench.qiut: ctrl+y\n")
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(keymap))
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("workbench.qiut" in m and "unknown" in m for m in messages), messages
        assert not any("workbench.quit" in m for m in messages)


async def test_a_problem_takes_two_lines_at_80_columns(acme: Path) -> None:
    yaml_path = acme / "nango.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("every hour", "every 3 seconds"))
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        options = app.query_one("#problems-list")
        assert options.option_count >= 1
        text = screen_text(app)
        assert "invalid_runs" in text or "every 3 seconds" in text
        assert _option_heights(options)[0] <= 2


def _option_heights(options) -> list[int]:
    width = options.scrollable_content_region.width
    heights = []
    for index in range(options.option_count):
        prompt = options.get_option_at_index(index).prompt
        lines = options.app.console.render_lines(prompt, options.app.console.options.update_width(width))
        heights.append(len(lines))
    return heights


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_footer_fits(acme: Path, size) -> None:
    """At 80 columns the Dryrun pane's keys cut "Re-run" and left a stray character."""
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=size) as pilot:
        for key in ("f2", "f5", "f3"):
            await pilot.press(key)
            await pilot.pause()
            footer = screen_text(app).splitlines()[-1]
            assert "r Re-run" in footer and "f1 Help" in footer and "z Zoom" in footer, (key, footer)
            assert footer.rstrip().endswith("^p palette" if size[0] >= 100 else "z Zoom"), (key, footer)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_after_ctrl_j_the_keys_reach_the_records_table(tmp_path: Path, size) -> None:
    """The focus after ctrl+j landed on the tab bar: arrows never moved a row."""
    from textual.widgets import DataTable

    root = copy_samples(tmp_path / "samples")
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("down", "down", "d")  # salesforce > syncs > contacts
        await until(lambda: getattr(app.screen, "_connections", None), pilot)
        await pilot.press("ctrl+j")
        await until(lambda: "RunFinished" in app.messages_seen, pilot, timeout=30)
        await until(lambda: isinstance(app.focused, DataTable), pilot)
        table = app.focused
        assert table.id == "records-Contact" and table.cursor_row == 0
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("f2", "f5")  # and back in from elsewhere
        assert app.focused is table
        await pilot.press("z", "tab")  # zoomed: tab stays in the pane
        assert app.current_pane_id() == "dryrun"
