"""The focused pane's frame, drawn on the pane alone.

A `:focus-within` rule makes Textual restyle the whole subtree of the pane it matches at every
focus move in or out of it (`Screen._update_focus_styles`): ~45 widgets, 30-60 ms of CPU for each
of the two panes a move touches, on the path from ctrl+j to a run's first record. The frame only
changes the pane's own border, so `FocusFrame` sets it as the pane's inline style when a
descendant gains or loses the focus: the same declarations, the same theme variables, one widget
restyled.
"""

from __future__ import annotations

import re

from textual import events
from textual.css.styles import Styles

#: what `Pane:focus-within` / `DryrunPane:focus-within` declared
FOCUSED_FRAME = "border: round $primary; border-title-color: $text; border-title-style: bold;"
_VARIABLE = re.compile(r"\$([A-Za-z0-9_-]+)")
_RULES = (
    "border_top",
    "border_right",
    "border_bottom",
    "border_left",
    "border_title_color",
    "border_title_style",
)


class FocusFrame:
    """Mixin for a pane (a Widget): its border shows whether the focus is inside it."""

    _framed = False

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.show_focus_frame()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.show_focus_frame()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)  # type: ignore[attr-defined]

    def _theme_changed(self, _theme: object) -> None:
        if self._framed:
            self._framed = False
            self.show_focus_frame()

    def show_focus_frame(self) -> None:
        """Frame the pane when the focus is inside it, unframe it otherwise."""
        widget = self  # type: Any
        framed = widget.has_focus_within
        if framed == self._framed:
            return
        self._framed = framed
        inline = widget.styles.inline
        for rule in _RULES:
            inline.clear_rule(rule)
        if framed:
            variables = widget.app.get_css_variables()
            css = _VARIABLE.sub(lambda match: variables[match[1]], FOCUSED_FRAME)
            frame = Styles.parse(css, ("", "focus frame"), node=widget)
            style = frame.get_rule("border_title_style")
            frame.clear_rule("border_title_style")
            inline.merge(frame)  # the border and title colours as the stylesheet resolves them
            widget.styles.border_title_style = style  # (its setter makes the Style the renderer reads)
        widget.refresh()
