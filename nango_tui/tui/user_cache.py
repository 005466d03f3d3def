"""Files the workbench keeps for its next start under the user's cache folder
(`$XDG_CACHE_HOME/nango-tui/`, else `~/.cache/nango-tui/`), never in a project folder.

They are pickles, so they are read only when they are the user's own: a regular file (not a
link) owned by the user, writable by nobody else, under a size limit. Anything else, or a file
that cannot be read back, counts as no file: the caller computes what it holds, as on a first
start. They are written at once (a reader sees the old file or the new one), 0600 in a 0700
folder. The checks and the writing are `boot.py`'s (which reads its own file before any import).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from nango_tui import boot


def cache_folder(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/nango-tui` (~/.cache/nango-tui by default)."""
    return Path(boot.cache_folder(os.environ if environ is None else environ))


def read_private(path: Path, max_bytes: int) -> Any:
    """What the pickle at `path` holds when it is safe to read (see the module), else None."""
    data = boot.read_private_bytes(path, max_bytes)
    if data is None:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # written by another version, truncated...: as if there were no file
        return None


def write_private(path: Path, value: Any) -> None:
    """Pickle `value` to `path` atomically, 0600 in a 0700 folder."""
    boot.write_private_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
