"""What a script can import: modules in the project's environment, and the names models.py defines."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

MODELS_FILE = "models.py"


class ImportResolver:
    """Answers "can the top-level module X be imported by a script of this folder?", cheaply.

    A script runs with the integrations folder on `sys.path` (DESIGN.md), so a module is found
    there first (looked up every time: a stat), then in the environment nango-tui runs in. Only
    installed modules that were found are cached: an unresolved import is rare and is looked up
    again next time, so a package installed while the watcher runs is seen without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._installed_found: set[str] = {"nango_tui", *sys.builtin_module_names, *sys.stdlib_module_names}

    def resolves(self, top_level: str) -> bool:
        if top_level in self._installed_found or self._local(top_level):
            return True
        if self._installed(top_level):
            self._installed_found.add(top_level)
            return True
        return False

    def _local(self, name: str) -> bool:
        base = self.root / name
        return os.path.isfile(f"{base}.py") or os.path.isdir(base)

    @staticmethod
    def _installed(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken or half-imported module: cannot tell, say no
            return False


class ModelsIndex:
    """The names `models.py` defines at its top level, re-read only when the file changes."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / MODELS_FILE
        self._stamp: tuple[int, int] | None = None
        self._names: frozenset[str] | None = None
        self._class_models: dict[str, str] = {}
        self._exists = False

    def names(self) -> frozenset[str] | None:
        """The defined names; None when models.py is missing or cannot be parsed."""
        try:
            st = os.stat(self.path)
        except OSError:
            self._stamp, self._names, self._exists = None, None, False
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._stamp, self._exists = stamp, True
            self._names, self._class_models = _defined_names(self.path)
        return self._names

    def class_models(self) -> dict[str, str]:
        """Class name -> nango.yaml model name, from models.py's `MODELS = {"Name": Class}`."""
        self.names()
        return self._class_models if self._names is not None else {}

    @property
    def exists(self) -> bool:
        self.names()
        return self._exists


def _defined_names(path: Path) -> tuple[frozenset[str] | None, dict[str, str]]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None, {}
    names: set[str] = set()
    class_models: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(_target_names(target))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            names.update(_target_names(node.target))
            if (
                isinstance(node.target, ast.Name)
                and node.target.id == "MODELS"
                and isinstance(node.value, ast.Dict)
            ):
                class_models = _models_mapping(node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.If, ast.Try)):
            # `if TYPE_CHECKING:` / `try: ... except ImportError:` blocks still define names
            inner = ast.Module(body=[*node.body, *getattr(node, "orelse", [])], type_ignores=[])
            names.update(_defined_in(inner))
    return frozenset(names), class_models


def _models_mapping(value: ast.Dict) -> dict[str, str]:
    out = {}
    for key, cls in zip(value.keys, value.values):
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(cls, ast.Name):
            out[cls.id] = key.value
    return out


def _defined_in(module: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                out.update(_target_names(target))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return out


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for elt in target.elts for n in _target_names(elt)}
    return set()
