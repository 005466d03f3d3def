"""pydantic's plugin discovery, answered up front in a run's child when no plugin is installed.

At its first validator (a run's first model, in models.py) pydantic looks for plugins: it imports
importlib.metadata (with zipfile, csv, importlib.resources...) and reads the entry points of every
installed distribution, ~20-35 ms of CPU on the run's critical path (issue 18). When no
distribution on sys.path declares the `pydantic` entry-point group (read off their
entry_points.txt: ~1-2 ms), `skip_discovery` puts in the place of pydantic's plugin loader a
module whose `get_plugins()` returns what pydantic's own would: no plugin. Wherever the scan
cannot be sure (a plugin declared, a zip or egg on sys.path, a finder that lists distributions of
its own, an unreadable folder) pydantic's loader runs as usual.
"""

from __future__ import annotations

import os
import re
import sys
import types
from collections.abc import Iterable

LOADER = "pydantic.plugin._loader"
_GROUP = re.compile(rb"^[ \t]*\[[ \t]*pydantic[ \t]*\][ \t]*\r?$", re.MULTILINE)
_STANDARD_FINDERS = ("BuiltinImporter", "FrozenImporter", "PathFinder")


def skip_discovery() -> bool:
    """Stand in for pydantic's plugin loader when no plugin can be installed; True if it did."""
    if LOADER in sys.modules or not no_plugin_declared(sys.path):
        return False
    stand_in = types.ModuleType(LOADER, "no pydantic plugin installed (nango_tui/dryrun/pydantic_plugins.py)")
    stand_in.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = stand_in
    return True


def _no_plugins() -> tuple[()]:
    return ()


def no_plugin_declared(path: Iterable[str]) -> bool:
    """Whether no distribution found on `path` declares the `pydantic` entry-point group (False
    when that cannot be told for certain)."""
    for finder in sys.meta_path:
        name = getattr(finder, "__name__", type(finder).__name__)
        if name not in _STANDARD_FINDERS and hasattr(finder, "find_distributions"):
            return False  # distributions listed by a finder of its own
    for entry in path:
        folder = entry or os.getcwd()
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            if os.path.isfile(folder):
                return False  # a zip archive on sys.path
            continue
        except OSError:
            return False
        for name in names:
            if name.endswith(".egg"):
                return False
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as points:
                    text = points.read()
            except FileNotFoundError:
                continue
            except OSError:  # an .egg-info file, or unreadable: pydantic decides
                return False
            if _GROUP.search(text):
                return False
    return True
