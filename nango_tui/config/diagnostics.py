"""The Diagnostic record shared by the loader, the checks, the watcher and the workbench."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem at a place in a file; lines and columns are 1-based."""

    file: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str
    hint: str | None = None
    end_line: int | None = None
    end_column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN.md; optional keys only when set."""
        out: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }
        if self.end_line is not None:
            out["end_line"] = self.end_line
        if self.end_column is not None:
            out["end_column"] = self.end_column
        out["severity"] = self.severity
        out["code"] = self.code
        out["message"] = self.message
        if self.hint:
            out["hint"] = self.hint
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(
            file=data["file"],
            line=int(data["line"]),
            column=int(data["column"]),
            severity=data["severity"],
            code=data["code"],
            message=data["message"],
            hint=data.get("hint"),
            end_line=data.get("end_line"),
            end_column=data.get("end_column"),
        )

    def format(self) -> str:
        """`file:line:column: severity code: message` (plus the hint on the same line)."""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def sort_key(diag: Diagnostic) -> tuple[int, str, int, int, str]:
    """Errors first, then by file and position."""
    return (0 if diag.is_error else 1, diag.file, diag.line, diag.column, diag.code)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


@dataclass(slots=True)
class DiagnosticList:
    """Collects diagnostics for one file while a loader or a check walks it."""

    file: str
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, line: int, column: int, code: str, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(self.file, line, column, "error", code, message, hint))

    def warning(self, line: int, column: int, code: str, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(self.file, line, column, "warning", code, message, hint))
