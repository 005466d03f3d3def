"""Import a generated models.py the way a test needs it: under a unique name each time."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

_counter = itertools.count()


def load_models_module(path: Path) -> ModuleType:
    """Import a models.py under a fresh, unique module name (pydantic resolves names through sys.modules)."""
    name = f"_generated_models_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
