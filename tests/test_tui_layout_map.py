"""The workbench screen's compositor arranges the screen once a layout (tui/layout_map.py)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from nango_tui.tui import layout_map
from nango_tui.tui.layout_map import WorkbenchCompositor, compositor_for_this_textual


class TableScreen(Screen):
    def __init__(self, ours: bool) -> None:
        super().__init__()
        if ours:
            self._compositor = compositor_for_this_textual()

    def compose(self) -> ComposeResult:
        yield Static("hidden until shown", id="hidden")
        yield DataTable(id="table")


class TableApp(App):
    CSS = "#table { height: 8; } #hidden { display: none; }"

    def __init__(self, ours: bool) -> None:
        super().__init__()
        self.ours = ours
        self.arrangements: list[int] = []  # screen arrangements per layout

    def on_mount(self) -> None:
        self.push_screen(TableScreen(self.ours))


async def arrangements_and_screen(ours: bool, monkeypatch) -> tuple[list[int], str]:
    """The layouts after a hidden table is shown with rows (its scrollbars appear) while a hidden
    widget asked for a repaint: how many times the screen was arranged in each."""
    from textual._compositor import Compositor

    app = TableApp(ours)
    arranged = [0]
    arrange_root = Compositor._arrange_root

    def counted(self, *args, **kwargs):
        arranged[0] += 1
        return arrange_root(self, *args, **kwargs)

    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        table.add_columns("id", "name", "email " * 8)
        table.display = False  # shown with its first rows, as a dryrun's records table
        await pilot.pause()
        monkeypatch.setattr(Compositor, "_arrange_root", counted)
        refresh_layout = Screen._refresh_layout

        def layout(screen, *args, **kwargs):
            arranged[0] = 0
            refresh_layout(screen, *args, **kwargs)
            app.arrangements.append(arranged[0])

        monkeypatch.setattr(Screen, "_refresh_layout", layout)
        app.screen.query_one("#hidden").update("asked for a repaint while hidden")
        for i in range(30):
            table.add_row(i, f"name {i}", "x" * 70)
        table.display = True
        await pilot.pause(0.2)
        monkeypatch.undo()
        return app.arrangements, app.export_screenshot()


async def test_one_arrangement_a_layout_and_the_same_screen(monkeypatch):
    ours, ours_screen = await arrangements_and_screen(True, monkeypatch)
    textuals, textuals_screen = await arrangements_and_screen(False, monkeypatch)
    assert ours and max(ours) == 1
    assert max(textuals) == 2, "Textual's compositor arranged twice (the case this fixes)"
    assert ours_screen == textuals_screen


def test_only_for_the_textual_it_was_written_for(monkeypatch):
    import textual
    from textual._compositor import Compositor

    assert isinstance(compositor_for_this_textual(), WorkbenchCompositor)
    monkeypatch.setattr(textual, "__version__", "9.0.0")
    compositor = compositor_for_this_textual()
    assert type(compositor) is Compositor
    assert layout_map.TEXTUAL_VERSION != "9.0.0"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_workbench_screen_uses_it(tmp_path, size):
    import shutil
    from pathlib import Path

    from nango_tui.tui.app import WorkbenchApp

    root = tmp_path / "samples"
    shutil.copytree(Path(__file__).resolve().parent.parent / "sample-integrations", root)
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen._compositor, WorkbenchCompositor)
