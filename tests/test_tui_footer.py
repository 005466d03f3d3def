"""The workbench's footer (one widget) draws what Textual's compact Footer (a widget per key)
draws, and does what its keys did: hover, tooltip, click, a disabled key's bell, the wheel."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from nango_tui.tui.widgets.workbench_footer import WorkbenchFooter
from tests.support.pilot import until


class KeysApp(App[None]):
    """A few keys of each kind: shown, hidden, one disabled (`check_action` None), one per action."""

    BINDINGS = [
        Binding("q", "note('quit')", "Quit"),
        Binding("g", "note('generate')", "Generate"),
        Binding("x", "blocked", "Blocked"),
        Binding("h", "note('hidden')", "Hidden", show=False),
        Binding("f1", "note('help')", "Help"),
        Binding("f9", "note('help')", "Help again"),  # the same action: Footer shows the first only
        Binding("z", "note('zoom')", "Zoom"),
    ]

    def __init__(self, ours: bool, palette: bool = True) -> None:
        super().__init__()
        self.ours = ours
        self.palette = palette
        self.noted: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        if self.ours:
            yield WorkbenchFooter(show_command_palette=self.palette)
        else:
            yield Footer(compact=True, show_command_palette=self.palette)

    def action_note(self, what: str) -> None:
        self.noted.append(what)

    def action_blocked(self) -> None:
        self.noted.append("blocked")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "blocked" else True  # None: shown, disabled (dim)

    def bell(self) -> None:
        self.bells += 1


def footer_line(app: App) -> list[tuple[str, str]]:
    """The footer's row as drawn on the screen: (text, style) runs, adjacent equal styles merged."""
    strip = app.screen._compositor.render_strips()[app.size.height - 1]
    return [(s.text, str(s.style)) for s in Segment.simplify(list(strip))]


async def drawn(ours: bool, size: tuple[int, int], palette: bool = True, hover: int | None = None):
    app = KeysApp(ours, palette)
    async with app.run_test(size=size) as pilot:
        footer = app.query_one(WorkbenchFooter if ours else Footer)
        if ours:
            await until(lambda: footer.keys, pilot)
        else:
            await until(lambda: footer.query("FooterKey"), pilot)
        await pilot.pause()
        if hover is not None:
            await pilot.hover(footer, offset=(hover, 0))
            await pilot.pause()
        return footer_line(app), app


@pytest.mark.parametrize(
    ("size", "palette", "hover"),
    [((100, 10), True, None), ((100, 10), False, None), ((40, 10), False, None), ((100, 10), True, 9)],
    ids=["wide", "no-palette", "narrow", "hovered"],
)
async def test_it_draws_the_cells_textuals_compact_footer_draws(size, palette, hover) -> None:
    theirs, _ = await drawn(False, size, palette, hover)
    ours, _ = await drawn(True, size, palette, hover)
    assert ours == theirs
    text = "".join(t for t, _ in ours)
    assert "Quit" in text and "Hidden" not in text and "Help again" not in text
    assert ("palette" in text) == (palette and size[0] >= 100)


async def test_a_click_presses_the_key_and_a_disabled_one_rings() -> None:
    app = KeysApp(ours=True)
    async with app.run_test(size=(100, 10)) as pilot:
        footer = app.query_one(WorkbenchFooter)
        await until(lambda: footer.keys, pilot)
        starts = {k.description: k.start for k in footer.keys}
        quit_key = footer.keys[0]
        await pilot.click(footer, offset=(starts["Generate"] + 3, 0))
        await until(lambda: app.noted == ["generate"], pilot)
        await pilot.click(footer, offset=(starts["Blocked"], 0))
        await pilot.pause()
        assert app.noted == ["generate"] and app.bells == 1
        await pilot.click(footer, offset=(quit_key.start + quit_key.width, 0))  # the gap after Quit
        await pilot.pause()
        assert app.noted == ["generate"]


async def test_the_hovered_key_shows_its_tooltip_and_the_palette_key_its_own() -> None:
    app = KeysApp(ours=True)
    async with app.run_test(size=(100, 10)) as pilot:
        footer = app.query_one(WorkbenchFooter)
        await until(lambda: footer.keys, pilot)
        palette = footer.keys[-1]
        assert palette.palette
        await pilot.hover(footer, offset=(100 - 3, 0))
        assert footer.tooltip == palette.tooltip and palette.tooltip
        await pilot.hover(footer, offset=(60, 0))  # no key there
        assert footer.tooltip is None


async def test_the_wheel_scrolls_keys_that_do_not_fit() -> None:
    app = KeysApp(ours=True, palette=False)
    async with app.run_test(size=(20, 10)) as pilot:
        footer = app.query_one(WorkbenchFooter)
        await until(lambda: footer.keys, pilot)
        assert "Zoom" not in "".join(t for t, _ in footer_line(app))
        for _ in range(10):
            footer.post_message(events.MouseScrollDown(footer, 1, 0, 0, 1, 0, False, False, False))
            await pilot.pause()
        assert "Zoom" in "".join(t for t, _ in footer_line(app))
        for _ in range(10):
            footer.post_message(events.MouseScrollUp(footer, 1, 0, 0, -1, 0, False, False, False))
            await pilot.pause()
        assert "".join(t for t, _ in footer_line(app)).startswith("q Quit")


async def test_keys_follow_the_focus_and_unchanged_keys_draw_nothing_new() -> None:
    app = KeysApp(ours=True)
    async with app.run_test(size=(100, 10)) as pilot:
        footer = app.query_one(WorkbenchFooter)
        await until(lambda: footer.keys, pilot)
        before = footer.recomposes
        footer.bindings_changed(app.screen)  # the same keys
        assert footer.recomposes == before
        app.bind("k", "note('k')", description="Kay")
        app.screen.bindings_updated_signal.publish(app.screen)
        await until(lambda: any(k.description == "Kay" for k in footer.keys), pilot)
        assert footer.recomposes == before + 1
