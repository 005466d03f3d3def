"""What loading nango.yaml gives: its own module, so that a saved result can be read back
(the workbench's start, tui/project_cache.py) without importing the loader and PyYAML."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic
from .model import Project


@dataclass
class LoadResult:
    """What the loader found: the project when there is no error, and every diagnostic."""

    project: Project | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: the models parsed even when the config has errors (the workbench tree uses them)
    partial: Project | None = None

    @property
    def ok(self) -> bool:
        return self.project is not None
