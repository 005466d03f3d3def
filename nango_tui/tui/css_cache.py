"""Textual's parsed CSS kept between starts of the workbench, as Python keeps bytecode.

Textual parses the CSS of every widget class it mounts, and the app's `.tcss` files, at each
start (34 sources, 212 rules on the first frame: ~7% of its CPU). `CachedStylesheet` keeps what
it parsed in one file under the user's cache folder (tui/user_cache.py); the next start reads
the rules back (~8 ms) instead of parsing them.

It overrides one method of Textual's Stylesheet, `_parse_rules` (Textual is pinned in
pyproject.toml; tests/test_tui_css_cache.py parses real CSS through it). An entry is used only
for the same CSS text, source, scope and theme variables, parsed by the same Textual (the stamp
of its CSS parser's files) under the same Python: anything else is parsed as usual, as it is when the file is not safe to read (user_cache.read_private). It is written
after the first frame (`save`, off the event loop), only when something was parsed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from textual.css import model, parse, styles, tokenize, tokenizer
from textual.css.stylesheet import CSSLocation, Stylesheet

from nango_tui.tui.user_cache import cache_folder, read_private, write_private

FILE_NAME = "textual-css.pickle"
MAX_BYTES = 8 * 1024 * 1024  # ~100 KB for the workbench's sources; larger is not ours
_PARSER_MODULES = (parse, tokenize, tokenizer, model, styles)

RuleKey = tuple[str, CSSLocation, bool, int, str]  # css, read_from, is_default, tie_breaker, scope


def cache_path(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/nango-tui/textual-css.pickle` (~/.cache by default)."""
    return cache_folder(environ) / FILE_NAME


def parser_stamp() -> tuple:
    """What the parsed rules depend on besides their source: Python's version and Textual's CSS
    parser (path, size and time of its files: a new Textual install changes them)."""
    files = []
    for module in _PARSER_MODULES:
        st = os.stat(module.__file__ or "")
        files.append((module.__file__, st.st_size, st.st_mtime_ns))
    return (sys.version, tuple(files))


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
            found = read_private(self.cache_file, MAX_BYTES)
            if (
                isinstance(found, dict)
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
        write_private(self.cache_file, contents)
        self._unsaved = False
        return True
