"""The workbench screen's compositor: one arrangement of the screen per layout, not two.

Textual's `Compositor.update_widgets` (8.2.8, pinned) marks its map of every widget's place stale
when a widget that asked for a repaint is not on screen (a hidden tab's table reset for a new
run, a table about to be shown), and `reflow` does not mark it fresh again although it builds
that same map (`_arrange_root(..., visible_only=False)`). The first place lookup after that
(`Widget.region`, e.g. a scrollbar's repaint while the layout sets its sizes) then arranges the
whole screen a second time: ~7 ms of the ~14 ms layout of the frame that shows a dryrun's first
records (issue 18: ctrl+j).

`WorkbenchCompositor.reflow` marks the map fresh as it starts: lookups during the arrangement
read the previous layout's places (what they are used for there is marking a widget's area for
repaint; the widgets whose place changes are repainted by the reflow itself), and after it the
map it built. Only for the Textual release this was read from (`TEXTUAL_VERSION`); with any
other, `compositor_for_this_textual()` gives Textual's own.
"""

from __future__ import annotations

from typing import Any

import textual
from textual._compositor import Compositor

TEXTUAL_VERSION = "8.2.8"  # the release whose Compositor.reflow / update_widgets this relies on


class WorkbenchCompositor(Compositor):
    """Textual's compositor, with a reflow that leaves its full map fresh."""

    def reflow(self, parent: Any, size: Any) -> Any:
        # the map `reflow` builds is the one `full_map` would build: no second arrangement
        self._full_map_invalidated = False
        return super().reflow(parent, size)


def compositor_for_this_textual() -> Compositor:
    """A `WorkbenchCompositor` with the Textual release it was written for, else Textual's own."""
    if textual.__version__ == TEXTUAL_VERSION:
        return WorkbenchCompositor()
    return Compositor()
