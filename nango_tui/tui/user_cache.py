"""Files the workbench keeps for its next start under the user's cache folder
(`$XDG_CACHE_HOME/nango-tui/`, else `~/.cache/nango-tui/`), never in a project folder.

They are pickles, so they are read only when they are the user's own: a regular file (not a
link) owned by the user, writable by nobody else, under a size limit. Anything else, or a file
that cannot be read back, counts as no file: the caller computes what it holds, as on a first
start. They are written at once (a reader sees the old file or the new one), 0600 in a 0700
folder.
"""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Any


def cache_folder(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/nango-tui` (~/.cache/nango-tui by default)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cache")
    return base / "nango-tui"


def read_private(path: Path, max_bytes: int) -> Any:
    """What the pickle at `path` holds when it is safe to read (see the module), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.getuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            or st.st_size > max_bytes
        ):
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(max_bytes + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return pickle.loads(data)
    except Exception:  # written by another version, truncated...: as if there were no file
        return None


def write_private(path: Path, value: Any) -> None:
    """Pickle `value` to `path` atomically, 0600 in a 0700 folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
