"""The measured commands run as an installed program runs: with its bytecode cached.

A shell that sets PYTHONDONTWRITEBYTECODE (as the development sessions' does), or a checkout
whose __pycache__ is older than its sources, makes every process compile each changed module
again: ~120 ms more CPU a `nango-tui test` on the samples (its parent, zygote and replays), and
the same on a dryrun's parent and child. `cache_bytecode()` lets the commands a benchmark starts
write and read their .pyc files in a folder of their own (PYTHONPYCACHEPREFIX, so the repository
is left as it is); run each command once before timing it, to fill that cache.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_bytecode() -> str:
    """Set this process's environment (inherited by the commands it starts); the cache's folder."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    default = str(Path(tempfile.gettempdir()) / "nango-tui-bench-pycache")
    return os.environ.setdefault("PYTHONPYCACHEPREFIX", default)
