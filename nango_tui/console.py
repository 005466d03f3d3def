"""Terminal output shared by the commands: colour when it is a terminal, plain when piped."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # keep `--help` fast: nothing heavy at import time
    from nango_tui.config.diagnostics import Diagnostic

_CODES = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1", "cyan": "36"}


def use_colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class Out:
    """A stream that knows whether to colour."""

    def __init__(self, stream: IO[str] | None = None, colour: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.colour = use_colour(self.stream) if colour is None else colour

    def style(self, text: str, *styles: str) -> str:
        if not self.colour or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def print_diagnostics(diagnostics: Iterable[Diagnostic], out: Out) -> None:
    """`file:line:column: severity code: message`, grouped by file, errors first in each group."""
    by_file: dict[str, list[Diagnostic]] = {}
    for diag in diagnostics:
        by_file.setdefault(diag.file, []).append(diag)
    for file in sorted(by_file):
        items = sorted(by_file[file], key=lambda d: (d.line, d.column, 0 if d.is_error else 1))
        if out.colour:
            out.line(out.style(file, "bold"))
        for d in items:
            if out.colour:
                sev = out.style(d.severity, "red" if d.is_error else "yellow", "bold")
                where = out.style(f"{d.file}:{d.line}:{d.column}:", "dim")
                text = f"  {where} {sev} {out.style(d.code, 'cyan')}: {d.message}"
                if d.hint:
                    text += "\n      " + out.style("hint: " + d.hint, "dim")
                out.line(text)
            else:
                text = (
                    d.format()
                    if not d.hint
                    else f"{d.file}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}"
                )
                out.line(text)
                if d.hint:
                    out.line(f"    hint: {d.hint}")


def summary_line(diagnostics: list[Diagnostic], out: Out, seconds: float | None = None) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    took = f" ({seconds * 1000:.0f} ms)" if seconds is not None else ""
    if not diagnostics:
        return out.style("no problems", "green") + took
    parts = []
    if errors:
        parts.append(out.style(f"{errors} error{'s' if errors != 1 else ''}", "red", "bold"))
    if warnings:
        parts.append(out.style(f"{warnings} warning{'s' if warnings != 1 else ''}", "yellow"))
    return ", ".join(parts) + took


def diagnostics_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2)
