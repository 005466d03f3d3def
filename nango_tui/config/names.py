"""The one check for names that become paths or code, and the one check that a path stays home.

Integration keys become folders, script names become file names, model names become Python
classes: `name_problem` says which rule a name breaks (the loader turns it into a diagnostic,
every writer refuses such a name). `inside_folder` resolves a path (symlinks included) and
refuses one that leaves the integrations folder; every file the tool writes goes through it.
See DEVELOPERS.md "Security rules".
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Literal

NameKind = Literal["integration", "script", "model"]

MAX_NAME_LENGTH = 200  # file names are limited to 255 bytes; room for ".py", ".json", suffixes
_FORBIDDEN_IN_PATHS = '/\\:*?"<>|'
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# names that break no rule of their kind, recognised in one match (most names of a big file);
# anything else takes the rule-by-rule walk below, which says what is wrong
_FINE_PATH_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,%d}" % (MAX_NAME_LENGTH - 1))
_FINE_MODEL_NAME = re.compile(r"[A-Za-z0-9_]{1,%d}" % MAX_NAME_LENGTH)

_WHAT = {"integration": "an integration key", "script": "a script name", "model": "a model name"}


class PathOutsideFolder(ValueError):
    """A path the tool was about to write lies outside the integrations folder."""


def text_problem(text: str) -> str | None:
    """What makes `text` unsafe to copy into code or a single line (NUL, a newline...), or None."""
    if text.isprintable():  # no Cc, Cf, Zl or Zp character in it (the per-character walk is slow)
        return None
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return {"\x00": "NUL", "\n": "a newline", "\r": "a carriage return", "\t": "a tab"}.get(
                char, f"the control character U+{ord(char):04X}"
            )
    return None


def name_problem(name: object, kind: NameKind) -> str | None:
    """The rule `name` breaks as `kind` ("integration", "script" or "model"), or None if it is fine."""
    if isinstance(name, str):
        if kind == "model":
            if _FINE_MODEL_NAME.fullmatch(name) and not (name[:2] == "__" and name[-2:] == "__"):
                return None
        elif _FINE_PATH_NAME.fullmatch(name):
            return None
    what = _WHAT[kind]
    if not isinstance(name, str):
        return f"{what} must be text"
    if not name.strip():
        return f"{what} cannot be empty"
    control = text_problem(name)
    if control is not None:
        return f"{what} cannot hold {control}"
    if name != name.strip():
        return f"{what} cannot start or end with a space"
    if len(name) > MAX_NAME_LENGTH:
        return f"{what} can have at most {MAX_NAME_LENGTH} characters"
    if kind == "model":
        if not _MODEL_NAME.match(name):
            return f"{what} may hold only letters, digits and underscores"
        if name.startswith("__") and name.endswith("__"):
            return f"{what} cannot start and end with two underscores (Python's special names)"
        return None
    if name in (".", ".."):
        return f"{what} cannot be `{name}` (it names a folder)"
    bad = sorted({c for c in name if c in _FORBIDDEN_IN_PATHS})
    if bad:
        shown = " ".join(bad)
        return f"{what} becomes a file name and cannot hold {shown}"
    if name.startswith("."):
        return f"{what} cannot start with a dot (hidden files)"
    return None


def inside_folder(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """`path` (relative to `root`, or absolute) once checked to lie inside `root`.

    Both are resolved (symlinks followed, `..` folded) before comparing, so neither a name nor a
    symlinked folder can send a write elsewhere. Raises PathOutsideFolder.
    """
    base = Path(root).resolve()
    target = Path(path) if Path(path).is_absolute() else Path(root) / path
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise PathOutsideFolder(f"{target} lies outside the folder {base}; nothing was written there")
    return target
