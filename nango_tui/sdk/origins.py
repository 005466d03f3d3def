"""Where a script made an SDK call it never awaited: origin tracking for the SDK's coroutines only.

Python names where an unawaited coroutine was created (in its "never awaited" warning, which
`dryrun/unawaited.py` reads) only with coroutine origin tracking on
(`sys.set_coroutine_origin_tracking_depth`), and then it records an origin for *every* coroutine
made: ~350 a page in a paginated sync (httpx, asyncio, the runtime), ~1 us each at depth 8, ~4%
of the runner's CPU (issue 18). Only the SDK's own coroutines need one, so the SDK's coroutine
methods are wrapped (`tracked_methods`): the tracking is on while one of their coroutines is
created, at a depth that reaches the same frames the run-wide setting reached. They still
return the coroutine the method makes: the same object, name and warning.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, TypeVar

_depth = 0  # frames to record above the script's call; 0: none (no run is watching)

Cls = TypeVar("Cls", bound=type)


def track(depth: int) -> int:
    """Record `depth` frames from where each SDK coroutine is made, from now on (0: stop);
    returns the depth set before."""
    global _depth
    before, _depth = _depth, depth
    return before


def tracked(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method` (a coroutine function) with its coroutines' origin recorded while `track` asks."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not _depth:
            return method(*args, **kwargs)
        before = sys.get_coroutine_origin_tracking_depth()
        # the origin starts at this frame, which makes the coroutine: one more reaches the
        # `_depth` frames from the caller up, as the run-wide depth did from the caller
        sys.set_coroutine_origin_tracking_depth(max(before, _depth + 1))
        try:
            return method(*args, **kwargs)
        finally:
            sys.set_coroutine_origin_tracking_depth(before)

    mark = getattr(inspect, "markcoroutinefunction", None)  # Python 3.12+: still a coroutine function
    return mark(call) if mark is not None else call


def tracked_methods(cls: Cls) -> Cls:
    """A class decorator: every coroutine method defined in `cls` itself goes through `tracked`."""
    for name, member in list(vars(cls).items()):
        if inspect.iscoroutinefunction(member):
            setattr(cls, name, tracked(member))
    return cls
