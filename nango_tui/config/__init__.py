"""Load and validate nango.yaml: pydantic objects, a typed model tree, and diagnostics."""

from .diagnostics import Diagnostic, has_errors, sort_key
from .loader import CONFIG_FILE, LoadResult, load_project, load_text
from .model import Action, Endpoint, Integration, ModelDef, Project, Script, Sync

__all__ = [
    "CONFIG_FILE",
    "Action",
    "Diagnostic",
    "Endpoint",
    "Integration",
    "LoadResult",
    "ModelDef",
    "Project",
    "Script",
    "Sync",
    "has_errors",
    "load_project",
    "load_text",
    "sort_key",
]
