"""The workbench's start reads nango.yaml's last load result back instead of loading it again.

Loading nango.yaml imports the loader and PyYAML (~160 M instructions, ~8% of the first frame)
for a result that depends only on the file's bytes, the folder, and the loader's code. After the
first frame the workbench saves what it loaded (`save`, off the event loop) in a file per project
folder under the user's cache folder (tui/user_cache.py); the next start with the same bytes of
nango.yaml, in the same folder, loaded by the same code (a hash of `nango_tui/config/*.py`) under
the same Python, reads it back (`load`). Anything else loads nango.yaml as before, as does a
cache file that is not safe to read. The dev engine checks the project again after the first
frame in either case, as it always did.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from nango_tui.tui.user_cache import cache_folder, read_private, write_private

if TYPE_CHECKING:
    from nango_tui.config.result import LoadResult

CONFIG_FILE = "nango.yaml"  # as config.loader.CONFIG_FILE (a test checks they agree)
MAX_BYTES = 64 * 1024 * 1024  # a result of a 10 MB nango.yaml stays well under it
KEEP_FILES = 64  # projects remembered; the oldest file goes when a new one is written


class StartLoad(NamedTuple):
    """What the workbench starts with: the result, and what `save` needs (key None: not saved)."""

    result: LoadResult
    from_cache: bool
    key: tuple | None


def code_stamp() -> str:
    """A hash of the config package's sources (what a load result depends on) and Python's version."""
    digest = hashlib.sha256(sys.version.encode())
    folder = Path(__file__).resolve().parent.parent / "config"
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_file(root: Path, environ: dict[str, str] | None = None) -> Path:
    name = hashlib.sha256(os.fsencode(root)).hexdigest()[:32]
    return cache_folder(environ) / "projects" / f"{name}.pickle"


def load(root: Path, *, fresh: bool = False) -> StartLoad:
    """`root`'s load result: read back when the cache holds it for these bytes, else loaded
    (`fresh`: loaded, the cache not read; nango.yaml changed while the workbench ran)."""
    from nango_tui.config.files import read_user_file

    root = Path(root).resolve()
    try:
        data = read_user_file(root / CONFIG_FILE)
    except OSError:  # missing, unsafe, unreadable: the loader says so in its diagnostics
        return _loaded(root, None)
    key = (str(root), hashlib.sha256(data).hexdigest(), code_stamp())
    if fresh:
        return _loaded(root, key)
    found = read_private(cache_file(root), MAX_BYTES)
    if isinstance(found, dict) and found.get("key") == key:
        from nango_tui.config.result import LoadResult

        result = found.get("result")
        if isinstance(result, LoadResult):
            return StartLoad(result, True, None)
    return _loaded(root, key)


def _loaded(root: Path, key: tuple | None) -> StartLoad:
    from nango_tui.config import load_project
    from nango_tui.config.files import read_user_file

    result = load_project(root)
    if key is not None:  # saved only if the loader read the bytes the key names
        try:
            same = hashlib.sha256(read_user_file(root / CONFIG_FILE)).hexdigest() == key[1]
        except OSError:
            same = False
        key = key if same else None
    return StartLoad(result, False, key)


def save(start: StartLoad) -> bool:
    """Keep a result loaded at the start for the next one (call it off the event loop); True
    when it wrote. Only a result the loader made from the bytes its key names is saved."""
    if start.from_cache or start.key is None:
        return False
    root = Path(start.key[0])
    path = cache_file(root)
    write_private(path, {"key": start.key, "result": start.result})
    _forget_oldest(path.parent)
    return True


def _forget_oldest(folder: Path) -> None:
    dated = []
    for path in folder.glob("*.pickle"):
        try:
            dated.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:  # another workbench removed it meanwhile
            continue
    for _, old in sorted(dated)[:-KEEP_FILES]:
        old.unlink(missing_ok=True)


class NextStart:
    """What the workbench keeps for its next start, saved once (`save`)."""

    def __init__(self, load: StartLoad) -> None:
        self.load = load
        self._lock = threading.Lock()
        self._saved = False

    @property
    def saved(self) -> bool:
        return self._saved

    def save(self, stylesheet: Any) -> str | None:
        """Save nango.yaml's load result and the stylesheet's parsed CSS (a
        `css_cache.CachedStylesheet`), once, whichever thread asks first; a message when the
        cache folder cannot be written (the next start then loads and parses as the first did)."""
        with self._lock:
            if self._saved:
                return None
            self._saved = True
            try:
                if hasattr(stylesheet, "save"):
                    stylesheet.save()
                save(self.load)
            except OSError as err:
                return f"the start-up cache was not saved: {err.strerror or err}"
        return None
