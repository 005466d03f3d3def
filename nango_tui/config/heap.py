"""The process's frozen heap (`gc.freeze`), known without counting it.

`gc.get_freeze_count()` walks the frozen objects one by one (~0.1 us each): 12 ms in a workbench
whose first dryrun froze Textual, pydantic and the project (124k objects), 110-150 ms in a test
process (1.2M), on every nango.yaml load that asked it. Every part that freezes the heap does it through `freeze()`,
so `frozen()` answers at once.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze() -> None:
    """`gc.freeze()`, remembered: what is alive now stays out of the collector's reach."""
    global _frozen
    _frozen = True
    gc.freeze()


def frozen() -> bool:
    """Whether this process (or the one it was forked from) froze its heap on purpose."""
    return _frozen


def age_young_objects() -> None:
    """File what is alive now with the old objects, as if it had aged there (a freeze and an
    unfreeze, both O(1)), so the next young collections do not walk it; nothing when the heap
    was frozen on purpose (an unfreeze would hand that back to the collector)."""
    if not _frozen:
        gc.freeze()
        gc.unfreeze()


def collect_from_here() -> None:
    """Turn the collector on (a cold dryrun child imports with it off), what is alive now frozen
    first: every object the imports made sits in the youngest generation, and the first young
    collection would walk them all (~20-30 ms of CPU before the script starts, and a write to
    each object's page) only to find them alive. Nothing when the collector is already on."""
    if not gc.isenabled():
        freeze()
        gc.enable()
