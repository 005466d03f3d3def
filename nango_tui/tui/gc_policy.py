"""Process-wide garbage-collector policy of the workbench at start-up and while dryruns stream
(see benchmarks/README.md for the figures behind it).

* From `nango-tui DIR` to the first full frame the collector is off: the imports and the first
  compose only build what lives as long as the app, and ~170 young collections walked it
  (~6% of the first frame's CPU). After the frame, what is alive is filed with the old
  objects (the loader's freeze + unfreeze), as if it had aged there, and collection resumes.
* The first run freezes the heap alive then (Textual, pydantic, the project: it lives as long
  as the app), so a full collection walks only what came later.
* While any run streams, automatic full collections are suspended (each took 30-190 ms of the
  UI's loop, 25 times in five 100k-record runs): the events are acyclic and freed by
  reference counting. When the last run ends the usual thresholds come back and the caller
  collects once, after the final frame is drawn.
"""

from __future__ import annotations

import gc

from nango_tui.config import heap

FULL_GC_EVERY = 1000  # gen-1 collections between full collections while a run streams

_heap_frozen = False
_paused_for_start = False  # `pause_until_first_frame` turned the collector off
_streams = 0  # runs streaming now (a new run may start before the old one's worker ended)
_normal_thresholds: tuple[int, int, int] | None = None


def pause_until_first_frame() -> None:
    """Turn the collector off until `first_frame_drawn` (`nango-tui DIR`, before the imports)."""
    global _paused_for_start
    if gc.isenabled():
        _paused_for_start = True
        gc.disable()


def first_frame_drawn() -> None:
    """The first full frame is on the screen: collect as usual again (once; a no-op when
    `pause_until_first_frame` did not turn the collector off, as in tests)."""
    global _paused_for_start
    if _paused_for_start:
        _paused_for_start = False
        # no collection now: the ~8,000 objects of start-up garbage wait for the next full one,
        # instead of a ~90 ms pause after the first frame
        heap.age_young_objects()
        gc.enable()


def freeze_long_lived_heap() -> None:
    """Move everything alive now out of the collector's reach, once per process."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        heap.freeze()  # no gc.collect() first: it would stall this keypress ~100 ms


def streaming_started() -> None:
    """A run starts streaming: the first one suspends automatic full collections."""
    global _streams, _normal_thresholds
    _streams += 1
    if _streams == 1:
        _normal_thresholds = gc.get_threshold()
        gc.set_threshold(_normal_thresholds[0], _normal_thresholds[1], FULL_GC_EVERY)


def streaming_ended() -> bool:
    """A run stopped streaming; True when it was the last one (the thresholds are back)."""
    global _streams
    _streams -= 1
    if _streams == 0 and _normal_thresholds is not None:
        gc.set_threshold(*_normal_thresholds)
    return _streams == 0


def collect() -> None:
    """One full collection (the caller schedules it after the final frame)."""
    gc.collect()
