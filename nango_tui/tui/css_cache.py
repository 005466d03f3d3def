"""Textual's parsed CSS kept between starts of the workbench, as Python keeps bytecode.

Textual parses the CSS of every widget class it mounts, and the app's `.tcss` files, at each
start (34 sources, 212 rules on the first frame: ~7% of its CPU). `CachedStylesheet` keeps what
it parsed in one file under the user's cache folder (`$XDG_CACHE_HOME/nango-tui/`, else
`~/.cache/nango-tui/`); the next start reads the rules back (~8 ms) instead of parsing them.

It overrides one method of Textual's Stylesheet, `_parse_rules` (Textual is pinned in
pyproject.toml; tests/test_tui_css_cache.py parses real CSS through it). An entry is used only
for the same CSS text, source, scope and theme variables, parsed by the
same Textual (the stamp of its CSS parser's files) under the same Python: anything else is parsed
as usual. The file is the user's own: it is read only when it is a regular file owned by the user,
writable by nobody else, and under `MAX_BYTES`; otherwise, or when it cannot be read back, the CSS
is parsed as without it. It is written after the first frame (`save`, off the event loop), only
when something was parsed, atomically and readable by the user alone. Never in a project folder.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from textual.css import model, parse, styles, tokenize, tokenizer
from textual.css.stylesheet import CSSLocation, Stylesheet

FILE_NAME = "textual-css.pickle"
MAX_BYTES = 8 * 1024 * 1024  # ~100 KB for the workbench's sources; larger is not ours
_PARSER_MODULES = (parse, tokenize, tokenizer, model, styles)

RuleKey = tuple[str, CSSLocation, bool, int, str]  # css, read_from, is_default, tie_breaker, scope


def cache_path(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/nango-tui/textual-css.pickle` (~/.cache by default)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cache")
    return base / "nango-tui" / FILE_NAME


def parser_stamp() -> tuple:
    """What the parsed rules depend on besides their source: Python's version and Textual's CSS
    parser (path, size and time of its files: a new Textual install changes them)."""
    files = []
    for module in _PARSER_MODULES:
        st = os.stat(module.__file__ or "")
        files.append((module.__file__, st.st_size, st.st_mtime_ns))
    return (sys.version, tuple(files))


def read_cache(path: Path) -> dict[str, Any] | None:
    """The cache file's contents when it is safe to read: a regular file of the user's, that no
    one else may write, not too large. None otherwise (then nothing is read)."""
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
            or st.st_size > MAX_BYTES
        ):
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        found = pickle.loads(data)
    except Exception:  # a cache from another Textual, truncated...: parse as without one
        return None
    return found if isinstance(found, dict) else None


def write_cache(path: Path, contents: dict[str, Any]) -> None:
    """Replace the cache file at once (a reader sees the old file or the new one), 0600 in a
    0700 folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = pickle.dumps(contents, protocol=pickle.HIGHEST_PROTOCOL)
    fd, tmp = tempfile.mkstemp(prefix=".css-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CachedStylesheet(Stylesheet):
    """Textual's Stylesheet, reading the rules it parsed at the last start from the cache file."""

    def __init__(self, *, variables: dict[str, str] | None = None, path: Path | None = None) -> None:
        super().__init__(variables=variables)
        self._theme = dict(variables or {})  # Textual keeps them in a private attribute
        self.cache_file = path or cache_path()
        self._stored: dict[RuleKey, list] | None = None  # read from the file when first needed
        self._used: dict[RuleKey, list] = {}  # what this app parsed or read: the next file
        self._parsed = 0  # sources parsed here (not found in the file)
        self._unsaved = False  # parsed since the file was last written
        self._stamp: tuple | None = None
        self._stored_variables: tuple = ()

    def _parse_rules(
        self,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list:
        key: RuleKey = (css, read_from, is_default_rules, tie_breaker, scope)
        used = self._used.get(key)  # Textual parses every source again as each one is added
        if used is not None:
            return used
        stored = self._stored_rules().get(key)
        if stored is not None:
            self._used[key] = stored
            return stored
        rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
        if not any(rule.errors for rule in rules):
            self._used[key] = rules
            self._parsed += 1
            self._unsaved = True
        return rules

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._theme = dict(variables)
        self._used = {}  # another theme: what was read or parsed is for the old one
        if self._stored and self._stored_variables != self._variables_key():
            self._stored = {}  # the file holds the rules of the theme it was written with

    def _variables_key(self) -> tuple:
        return tuple(sorted(self._theme.items()))

    def _stored_rules(self) -> dict[RuleKey, list]:
        if self._stored is None:  # the first source not in memory: read the file, once
            self._stored = {}
            self._stamp = parser_stamp()
            self._stored_variables = self._variables_key()
            found = read_cache(self.cache_file)
            if (
                found is not None
                and found.get("stamp") == self._stamp
                and found.get("variables") == self._stored_variables
                and isinstance(found.get("rules"), dict)
            ):
                self._stored = found["rules"]
        return self._stored

    @property
    def parsed_here(self) -> int:
        """How many sources this stylesheet parsed (0: every one came from the file)."""
        return self._parsed

    def save(self) -> bool:
        """Write what this app parsed or read to the cache file, when it parsed anything; True
        when it wrote. Call it off the event loop (pickling is ~7 ms)."""
        if not self._unsaved or not self._used:
            return False
        contents = {
            "stamp": self._stamp or parser_stamp(),
            "variables": self._variables_key(),
            "rules": dict(self._used),
        }
        write_cache(self.cache_file, contents)
        self._unsaved = False
        return True
