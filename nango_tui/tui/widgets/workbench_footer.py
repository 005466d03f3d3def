"""The workbench's footer: the keys of the focused part in one line, as Textual's compact Footer
draws them, by one widget; it says when its keys are first on the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.css.styles import StylesBase
    from textual.screen import Screen

PALETTE_BORDER = "▏"  # Textual's `vkey` border: the palette key's left edge
GAP = 1  # cells between two keys (the compact Footer's `margin-right: 1`)


class FooterKey(NamedTuple):
    """One key the footer shows, and where it is drawn (`start`: cells from the left edge)."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str
    palette: bool
    start: int
    width: int


class WorkbenchFooter(Widget, can_focus=False):
    """Textual's Footer draws each key as a widget of its own (10 on the workbench: ~5% of the
    first frame's instructions to compose, style, lay out and render them) and remounts them on
    every focus change that changes the keys. This one draws the same cells (the snapshots are
    Textual's compact Footer's) from the same theme variables, and does what a key widget did:
    a key under the mouse is highlighted and shows its tooltip, a click presses it (a disabled
    one rings the bell), the wheel scrolls keys that do not fit. It posts `KeysShown` once,
    after the render that first puts its keys on the screen: the workbench's first full frame;
    what is not on that frame waits for it (`WorkbenchApp.warm_up`)."""

    COMPONENT_CLASSES = {
        "workbench-footer--item",
        "workbench-footer--item-hover",
        "workbench-footer--item-disabled",
        "workbench-footer--key",
        "workbench-footer--description",
        "workbench-footer--palette-border",
    }

    # the rules of Textual 8.2's Footer and FooterKey (compact), as components of one widget
    DEFAULT_CSS = """
    WorkbenchFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .workbench-footer--item {
            background: $footer-item-background;
        }
        .workbench-footer--item-hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .workbench-footer--item-disabled {
            text-style: dim;
        }
        .workbench-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .workbench-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .workbench-footer--palette-border {
            color: $foreground 20%;
        }
    }
    """

    class KeysShown(Message):
        """The footer's keys are drawn: this refresh is the first full frame."""

    show_command_palette = reactive(True)
    """Show the key of the command palette on the right."""

    _keys_shown = False
    recomposes = 0  # how many times the keys shown changed (tests read it)

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(WorkbenchFooter.show_command_palette, show_command_palette)
        self._keys: list[FooterKey] = []
        self._shown: Any = None  # what the keys were laid out from
        self._hover: int | None = None  # index in `_keys` under the mouse
        self._scroll = 0  # cells the keys (not the palette's) are scrolled to the left

    # -- the keys ------------------------------------------------------------------------------
    @property
    def keys(self) -> list[FooterKey]:
        """The keys shown, left to right (the palette's last)."""
        return list(self._keys)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._update_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._update_keys()

    def watch_show_command_palette(self) -> None:
        if self.is_mounted:
            self._update_keys()

    def shown_keys(self) -> tuple:
        """What the footer shows now, as a comparable value."""
        app = self.app
        bindings = self.screen.active_bindings
        keys = []
        seen_actions: set[str] = set()
        for _node, binding, enabled, tooltip in bindings.values():
            if binding.show and binding.action not in seen_actions:  # one key an action, as Footer
                seen_actions.add(binding.action)
                keys.append(
                    (binding.key, app.get_key_display(binding), binding.description, enabled, tooltip)
                )
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = bindings.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                palette = (
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or binding.description,
                )
        return tuple(keys), palette

    def _update_keys(self) -> None:
        shown = self.shown_keys()
        if shown == self._shown:
            return  # the same keys (a focus move between parts with the same keys): nothing to draw
        if self._shown is not None:
            self.recomposes += 1
        self._shown = shown
        keys, palette = shown
        laid: list[FooterKey] = []
        x = 0
        for key, display, description, enabled, tooltip in keys:
            width = len(display) + (1 + len(description) if description else 0)
            laid.append(FooterKey(key, display, description, enabled, tooltip, False, x, width))
            x += width + GAP
        if palette is not None:
            key, display, description, enabled, tooltip = palette
            width = 1 + len(display) + (1 + len(description) if description else 0)
            laid.append(FooterKey(key, display, description, enabled, tooltip, True, 0, width))
        self._keys = laid
        self._hover = None
        self._scroll = min(self._scroll, self._max_scroll())
        self.refresh()
        if not self._keys_shown and laid:
            self._keys_shown = True
            self.post_message(self.KeysShown())

    def _palette_start(self, key: FooterKey) -> int:
        return self.size.width - GAP - key.width  # docked right, its margin after it

    def _max_scroll(self) -> int:
        end = max((k.start + k.width for k in self._keys if not k.palette), default=0)
        return max(0, end - self.size.width)

    def key_at(self, x: int) -> int | None:
        """The index of the key drawn at column `x`, if any (the palette's is on top)."""
        for index, key in enumerate(self._keys):
            if key.palette and 0 <= x - self._palette_start(key) < key.width:
                return index
        for index, key in enumerate(self._keys):
            if not key.palette and 0 <= x + self._scroll - key.start < key.width:
                return index
        return None

    # -- drawing -------------------------------------------------------------------------------
    def _layered_style(self, *components: str) -> Style:
        """The Rich style of the components drawn over this widget, each over the last, as
        Textual draws a widget's component over the widget and a child over its parent."""
        layers: list[StylesBase] = [node.styles for node in reversed(self.ancestors_with_self)]
        layers += [self.get_component_styles(name) for name in components]
        background = Color(0, 0, 0, 0)
        color = Color(255, 255, 255, 0)
        style = Style()
        opacity = 1.0
        for styles in layers:  # DOMNode.rich_style's walk, over the layers
            has_rule = styles.has_rule
            opacity *= styles.opacity
            if has_rule("background"):
                text_background = background + styles.background.tint(styles.background_tint)
                background += styles.background.tint(styles.background_tint).multiply_alpha(opacity)
            else:
                text_background = background
            if has_rule("color"):
                color = styles.color
            style += styles.text_style
            if has_rule("auto_color") and styles.auto_color:
                color = text_background.get_contrast_text(color.a)
        return style + Style.from_color(
            (background + color).rich_color if (background.a or color.a) else None,
            background.rich_color if background.a else None,
        )

    def _key_segments(self, index: int, styles: dict[tuple[str, ...], Style]) -> list[Segment]:
        """Key `index`'s cells; `styles` holds the layered styles this render computed (the keys
        share a few: each is a walk of the ancestors' styles)."""
        key = self._keys[index]
        item: tuple[str, ...] = ("workbench-footer--item",)
        if index == self._hover:
            item += ("workbench-footer--item-hover",)
        if not key.enabled:
            item += ("workbench-footer--item-disabled",)

        def layered(*components: str) -> Style:
            found = styles.get(components)
            if found is None:
                found = styles[components] = self._layered_style(*components)
            return found

        base = layered(*item)
        segments = []
        if key.palette:
            border = layered(*item, "workbench-footer--palette-border")
            segments.append(Segment(PALETTE_BORDER, Style.from_color(border.color, base.bgcolor)))
        segments.append(Segment(key.display, base + layered(*item, "workbench-footer--key")))
        if key.description:
            description = layered(*item, "workbench-footer--description")
            segments.append(Segment(" " + key.description, base + description))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        blank = Style.from_color(None, self.rich_style.bgcolor)  # the Footer's cells between keys
        if y or not width:
            return Strip.blank(width, blank)
        cells: list[Segment] = []
        styles: dict[tuple[str, ...], Style] = {}
        x = -self._scroll
        palette = None
        for index, key in enumerate(self._keys):
            if key.palette:
                palette = index
                continue
            if key.start - self._scroll > x:
                cells.append(Segment(" " * (key.start - self._scroll - x), blank))
            cells.extend(self._key_segments(index, styles))
            x = key.start - self._scroll + key.width
        line = Strip(cells).crop(self._scroll, self._scroll + width) if self._scroll else Strip(cells)
        line = line.extend_cell_length(width, blank).crop(0, width)
        if palette is not None:
            start = self._palette_start(self._keys[palette])
            if start >= 0:
                drawn = Strip(self._key_segments(palette, styles))
                right = line.crop(start + drawn.cell_length, width)
                line = Strip.join([line.crop(0, start), drawn, right])
        return line

    # -- the mouse -----------------------------------------------------------------------------
    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            key = self._keys[index] if index is not None else None
            self.tooltip = key.tooltip or None if key else None
            self.styles.pointer = "pointer" if key else "default"
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self.key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self.key_at(event.x)
        if index is None:
            return
        key = self._keys[index]
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def _scroll_by(self, cells: int) -> bool:
        scroll = max(0, min(self._max_scroll(), self._scroll + cells))
        if scroll == self._scroll:
            return False
        self._scroll = scroll
        self._set_hover(None)
        self.refresh()
        return True

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self._scroll_by(int(self.app.scroll_sensitivity_x)):
            event.stop()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self._scroll_by(-int(self.app.scroll_sensitivity_x)):
            event.stop()

    def on_resize(self) -> None:
        self._scroll = min(self._scroll, self._max_scroll())
