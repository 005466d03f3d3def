"""The workbench's header: one widget drawing what Textual's Header draws with four (the header,
its icon, its title and the clock's space): ~3% of the first frame's instructions.

The line is the icon (8 cells: padding, the icon, padding), the title and sub-title centred in
the cells between and cut with an ellipsis when they do not fit (the app's `format_title`), and
the clock's 10 empty cells. As Textual's: the icon opens the command palette (its tooltip says
so; highlighted under the mouse), a click elsewhere makes the header three lines tall (again:
one), and the title follows the app's and the screen's title and sub-title.
tests/test_tui_header.py compares its screen with Textual's Header's.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.color import Color
from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

ICON_WIDTH = 8  # Textual's HeaderIcon: width 8, padding 0 1
CLOCK_WIDTH = 10  # Textual's HeaderClockSpace (no clock shown)
ICON_TOOLTIP = "Open the command palette"
NOT_REVERSE = RichStyle(reverse=False)  # (Textual's alignment padding)


def _offset(column: int) -> RichStyle:
    return RichStyle.from_meta({"offset": (column, 0)})


class WorkbenchHeader(Widget):
    """The icon, the title (centred) and the clock's space, on one line (three when tall)."""

    DEFAULT_CSS = """
    WorkbenchHeader {
        dock: top;
        width: 100%;
        background: $panel;
        color: $foreground;
        height: 1;
    }
    WorkbenchHeader.-tall {
        height: 3;
    }
    WorkbenchHeader > .workbench-header--icon-hover {
        background: $foreground 10%;
    }
    """
    COMPONENT_CLASSES = {"workbench-header--icon-hover"}

    tall: reactive[bool] = reactive(False)
    icon: reactive[str] = reactive("⭘")

    def __init__(self, *, icon: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        if icon is not None:
            self.set_reactive(WorkbenchHeader.icon, icon)
        self._icon_hover = False

    def on_mount(self) -> None:
        for node, name in ((self.app, "title"), (self.app, "sub_title")):
            self.watch(node, name, self._title_changed, init=False)
        for name in ("title", "sub_title"):
            self.watch(self.screen, name, self._title_changed, init=False)

    def _title_changed(self, _value: object = None) -> None:
        self.refresh()

    def watch_tall(self, tall: bool) -> None:
        self.set_class(tall, "-tall")

    def format_title(self) -> Content:
        """The title and sub-title as the app formats them (`App.format_title`)."""
        screen = self.screen
        title = screen.title if screen.title is not None else self.app.title
        sub_title = screen.sub_title if screen.sub_title is not None else self.app.sub_title
        return self.app.format_title(title, sub_title)

    def render_line(self, y: int) -> Strip:
        # the segments and styles Textual's four widgets give the compositor, to the same cells
        # and the same SVG (each widget's padding has no colour, alignment padding is
        # `not reverse`, text carries its offset in the content as Textual's text does); a tall
        # header as Textual's: the title on the first line, the icon on the second
        width = self.size.width
        base = self.rich_style
        blank = RichStyle.from_color(None, base.bgcolor)
        icon_base = base
        if self._icon_hover:  # the icon's cells, padding included, as HeaderIcon:hover
            hover = self.get_component_styles("workbench-header--icon-hover").background
            background = (Color.from_rich_color(base.bgcolor) + hover).rich_color
            icon_base = base + RichStyle.from_color(None, background)
        icon_blank = RichStyle.from_color(None, icon_base.bgcolor)
        middle = max(0, width - ICON_WIDTH - CLOCK_WIDTH)
        icon_fill = ICON_WIDTH - 2 - cell_len(self.icon)
        icon_row = (self.size.height - 1) // 2
        segments = [Segment(" ", icon_blank)]
        if y == icon_row:
            segments.append(Segment(self.icon, icon_base + _offset(0)))
            if icon_fill > 0:
                segments.append(Segment(" " * icon_fill, icon_base + NOT_REVERSE))
        else:
            segments.append(Segment(" " * (ICON_WIDTH - 2), icon_base + NOT_REVERSE))
        segments.append(Segment(" ", icon_blank))
        if y == 0:
            segments += self._title_segments(middle, base)
            clock = [Segment("", base + _offset(0)), Segment(" " * (CLOCK_WIDTH - 2), blank)]
        else:
            if middle:
                segments.append(Segment(" " * middle, blank))
            clock = [Segment(" " * (CLOCK_WIDTH - 2), base)]
        segments += [Segment(" ", blank), *clock, Segment(" ", blank)]
        return Strip(segments).crop(0, width)

    def _title_segments(self, middle: int, base: RichStyle) -> list[Segment]:
        """The title centred in `middle` cells (HeaderTitle: `content-align: center middle`,
        `text-overflow: ellipsis`)."""
        if not middle:
            return []
        title = self.format_title()
        if title.cell_length > middle:
            title = title.truncate(middle, ellipsis=True)
        excess = max(0, middle - title.cell_length)
        segments = []
        if excess // 2:
            segments.append(Segment(" " * (excess // 2), base + NOT_REVERSE))
        column = 0
        for segment in title.render_segments(self.visual_style):
            segments.append(Segment(segment.text, (segment.style or RichStyle()) + _offset(column)))
            column += len(segment.text)
        if excess - excess // 2:
            segments.append(Segment(" " * (excess - excess // 2), base + NOT_REVERSE))
        return segments

    # -- the mouse -----------------------------------------------------------------------------
    def _over_icon(self, x: int) -> bool:
        return 0 <= x < ICON_WIDTH

    def on_mouse_move(self, event: events.MouseMove) -> None:
        over = self._over_icon(event.x)
        if over != self._icon_hover:
            self._icon_hover = over
            self.tooltip = ICON_TOOLTIP if over and self.app.ENABLE_COMMAND_PALETTE else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._icon_hover:
            self._icon_hover = False
            self.tooltip = None
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        if self._over_icon(event.x):
            if self.app.ENABLE_COMMAND_PALETTE:
                await self.run_action("app.command_palette")
        else:
            self.tall = not self.tall
