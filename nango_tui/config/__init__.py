"""Load and validate nango.yaml: frozen dataclasses, a typed model tree, and diagnostics.

Names are imported on first use: the runtime reads connections.yaml with `config.yamlnodes`
and must not pay for the config loader in every dryrun child.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .diagnostics import Diagnostic, has_errors, sort_key
    from .loader import CONFIG_FILE, load_project, load_text
    from .model import Action, Endpoint, Integration, ModelDef, Project, Script, Sync
    from .result import LoadResult

_EXPORTS = {
    "Diagnostic": "diagnostics",
    "has_errors": "diagnostics",
    "sort_key": "diagnostics",
    "CONFIG_FILE": "loader",
    "LoadResult": "result",
    "load_project": "loader",
    "load_text": "loader",
    "Action": "model",
    "Endpoint": "model",
    "Integration": "model",
    "ModelDef": "model",
    "Project": "model",
    "Script": "model",
    "Sync": "model",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nango_tui.config' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
