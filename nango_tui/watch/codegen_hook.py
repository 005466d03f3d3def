"""The one place the watcher calls codegen: regenerate models.py and missing scaffolds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nango_tui.check import CompileResult, compile_project
from nango_tui.codegen import generate
from nango_tui.config import Diagnostic, Project


@dataclass
class Generated:
    """What one generate run wrote (paths relative to the folder) and what it reported."""

    written: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_generate(root: Path, project: Project) -> Generated:
    """models.py + scaffolds for scripts that have none; never touches an existing script."""
    try:
        report = generate(root, project)
    except Exception as err:  # a bug in codegen: say so in the problem list, keep checking
        return Generated(
            diagnostics=[
                Diagnostic(
                    project.config_file,
                    1,
                    1,
                    "error",
                    "generate_failed",
                    f"generating models.py failed: {err!r}",
                )
            ]
        )
    written = list(dict.fromkeys([*report.created, *(["models.py"] if report.models_written else [])]))
    return Generated(written=written, created=list(report.created), diagnostics=list(report.diagnostics))


def compile_with_codegen(root: Path, *, jobs: int | None = None) -> tuple[CompileResult, Generated]:
    """`nango-tui compile`: validate, regenerate, check every script."""
    generated = Generated()

    def generate(project: Project) -> list[Diagnostic]:
        nonlocal generated
        generated = run_generate(root, project)
        return generated.diagnostics

    result = compile_project(root, jobs=jobs, generate=generate)
    return result, generated
