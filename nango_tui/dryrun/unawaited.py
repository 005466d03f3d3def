"""SDK calls a script made without `await`: Python only warns when such a coroutine is dropped.

`UnawaitedCalls` records those warnings during a run (other warnings go on as before), with the
script line that made the call, so the run can end as an error instead of "ok · 0 records". The
line comes from the coroutine's origin, which the SDK records for its own coroutines alone while
a run watches (`sdk/origins.py`: Python's run-wide tracking cost every coroutine of the run ~1 us).
"""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from nango_tui.runtime.event_types import Location
from nango_tui.sdk import origins

_NEVER_AWAITED = re.compile(r"coroutine '(Nango(?:Sync|Action)\.(\w+))' was never awaited")
_CREATED_AT = re.compile(r'File "([^"]+)", line (\d+)')
ORIGIN_DEPTH = 8  # frames from the call up in which the script's line is looked for


class UnawaitedCalls:
    """A context manager: `found` lists (method, file, line) of SDK coroutines never awaited."""

    def __init__(self, root: str, script_path: str) -> None:
        self.root = str(Path(root))
        self.script = str(Path(root) / script_path)
        self.script_path = script_path
        self.found: list[tuple[str, Location | None]] = []  # (SDK method, where it was called)
        self._previous_show: Callable[..., None] | None = None
        self._previous_depth = 0

    def __enter__(self) -> UnawaitedCalls:
        self._previous_show = warnings.showwarning
        # the warning then names where the call was made, up to this many frames above it
        self._previous_depth = origins.track(ORIGIN_DEPTH)
        warnings.showwarning = self._show
        return self

    def __exit__(self, *exc: object) -> None:
        gc.collect()  # a dropped coroutine warns when it is collected
        if self._previous_show is not None:
            warnings.showwarning = self._previous_show
        origins.track(self._previous_depth)

    def _show(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = str(message)
        match = _NEVER_AWAITED.search(text) if issubclass(category, RuntimeWarning) else None
        if match is None:
            if self._previous_show is not None:
                self._previous_show(message, category, filename, lineno, file, line)
            return
        where: Location | None = None
        for found_file, found_line in _CREATED_AT.findall(text):
            if found_file == self.script:
                where = {"file": self.script_path, "line": int(found_line)}
                break
        self.found.append((match.group(2), where))
