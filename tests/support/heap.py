"""The test process's heap as each workbench would have it in a process of its own.

A workbench freezes its heap at its first dryrun (`tui/gc_policy.py`, through `config/heap.py`),
once per process, and collects once after each run's final frame: in its own process that
collection walks only what came after the freeze (tens of ms). The tests run ~40 workbenches
one after another in one process: the first run froze the heap once, and every later run's
collection walked all that the tests after it built (~0.35 s each, 8 s of test_tui_dryrun_pane's
CPU). After each test, `thaw` hands the frozen objects back to the collector and forgets the
freeze, so the next test's first run freezes again, as a new workbench would.
"""

from __future__ import annotations

import gc
import sys


def thaw() -> None:
    """Undo the freeze a test's workbench (or an in-process run) made; nothing when none did."""
    heap = sys.modules.get("nango_tui.config.heap")
    if heap is None or not heap.frozen():
        return
    gc.unfreeze()
    heap._frozen = False
    policy = sys.modules.get("nango_tui.tui.gc_policy")
    if policy is not None:
        policy._heap_frozen = False
