"""The workbench's header (one widget) draws what Textual's Header (four widgets) draws, segment
for segment (the snapshots' SVG depends on it), and does what it did: the icon's hover, tooltip
and click (the command palette), a click elsewhere (tall), the title following the app's."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.widgets import Header

from nango_tui.tui.widgets.workbench_header import ICON_TOOLTIP, WorkbenchHeader
from tests.support.pilot import until


class HeaderApp(App[None]):
    TITLE = "nango-tui"

    def __init__(self, ours: bool) -> None:
        super().__init__()
        self.ours = ours

    def compose(self) -> ComposeResult:
        yield WorkbenchHeader(icon="≡") if self.ours else Header(icon="≡")


def rows(app: App, count: int = 1) -> list[list[tuple[str, str]]]:
    """The header's rows as the compositor has them: each segment's text and style."""
    strips = app.screen._compositor.render_strips()
    return [[(s.text, repr(s.style)) for s in strips[y]] for y in range(count)]


async def drawn(ours: bool, width: int, sub_title: str, steps=None, count: int = 1):
    app = HeaderApp(ours)
    app.sub_title = sub_title
    async with app.run_test(size=(width, 6)) as pilot:
        await pilot.pause()
        if steps is not None:
            await steps(app, pilot)
            await pilot.pause()
        header = app.query_one(WorkbenchHeader if ours else Header)
        return rows(app, count), {"tooltip": header.tooltip, "height": header.size.height}


@pytest.mark.parametrize(
    ("width", "sub_title"),
    [
        (100, "acme-demo · dev"),
        (81, "x"),
        (80, "samples · production"),
        (30, "a-long-name · dev"),
        (19, ""),
        (18, "x"),
    ],
)
async def test_draws_what_textuals_header_draws(width: int, sub_title: str) -> None:
    theirs, _ = await drawn(False, width, sub_title)
    ours, _ = await drawn(True, width, sub_title)
    assert ours == theirs


async def test_the_icon_under_the_mouse_is_highlighted_with_its_tooltip() -> None:
    async def hover_icon(app, pilot) -> None:
        await pilot.hover(offset=(3, 0))

    theirs, _ = await drawn(False, 100, "acme · dev", hover_icon)
    ours, seen = await drawn(True, 100, "acme · dev", hover_icon)
    assert ours == theirs
    assert seen["tooltip"] == ICON_TOOLTIP
    assert ours != (await drawn(True, 100, "acme · dev"))[0]  # the highlight shows


async def test_a_click_beside_the_icon_makes_it_tall_and_a_second_one_not() -> None:
    async def click_title(app, pilot) -> None:
        await pilot.click(offset=(50, 0))

    theirs, _ = await drawn(False, 100, "acme · dev", click_title, count=4)
    ours, seen = await drawn(True, 100, "acme · dev", click_title, count=4)
    assert ours == theirs
    assert seen["height"] == 3

    async def click_twice(app, pilot) -> None:
        await pilot.click(offset=(50, 0))
        await pilot.pause()
        await pilot.click(offset=(50, 1))

    _, seen = await drawn(True, 100, "acme · dev", click_twice)
    assert seen["height"] == 1


async def test_the_icon_opens_the_command_palette() -> None:
    app = HeaderApp(True)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.click(offset=(1, 0))
        await until(lambda: isinstance(app.screen, CommandPalette), pilot)


async def test_the_title_follows_the_apps() -> None:
    async def rename(app, pilot) -> None:
        app.sub_title = "other · prod"
        app.title = "renamed"

    theirs, _ = await drawn(False, 100, "acme · dev", rename)
    ours, _ = await drawn(True, 100, "acme · dev", rename)
    assert ours == theirs
    assert "renamed" in "".join(text for text, _ in ours[0])
