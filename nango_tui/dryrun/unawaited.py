"""SDK calls a script made without `await`: Python only warns when such a coroutine is dropped.

`UnawaitedCalls` records those warnings during a run (other warnings go on as before), with the
script line that made the call, so the run can end as an error instead of "ok · 0 records".
"""

from __future__ import annotations

import gc
import re
import sys
import warnings
from pathlib import Path

_NEVER_AWAITED = re.compile(r"coroutine '(Nango(?:Sync|Action)\.(\w+))' was never awaited")
_CREATED_AT = re.compile(r'File "([^"]+)", line (\d+)')


class UnawaitedCalls:
    """A context manager: `found` lists (method, file, line) of SDK coroutines never awaited."""

    def __init__(self, root: str, script_path: str) -> None:
        self.root = str(Path(root))
        self.script = str(Path(root) / script_path)
        self.script_path = script_path
        self.found: list[tuple[str, str | None, int | None]] = []
        self._previous_show = None
        self._previous_depth = 0

    def __enter__(self) -> UnawaitedCalls:
        self._previous_show = warnings.showwarning
        self._previous_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(8)  # the warning then names where the call was made
        warnings.showwarning = self._show
        return self

    def __exit__(self, *exc: object) -> None:
        gc.collect()  # a dropped coroutine warns when it is collected
        warnings.showwarning = self._previous_show  # type: ignore[assignment]
        sys.set_coroutine_origin_tracking_depth(self._previous_depth)

    def _show(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = str(message)
        match = _NEVER_AWAITED.search(text) if issubclass(category, RuntimeWarning) else None
        if match is None:
            self._previous_show(message, category, filename, lineno, file, line)  # type: ignore[misc]
            return
        where_file = where_line = None
        for found_file, found_line in _CREATED_AT.findall(text):
            if found_file == self.script:
                where_file, where_line = self.script_path, int(found_line)
                break
        self.found.append((match.group(2), where_file, where_line))
