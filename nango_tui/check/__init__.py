"""Check scripts against the config: syntax, entry points, SDK calls, models, names and imports.

compile_project(root, *, jobs=None, generate=None) -> CompileResult(diagnostics, project, seconds)
check_script(root, rel_path, source, project) -> list[Diagnostic]
ScriptChecker(root)   # the same checks with a per-script cache (the watcher uses it)
"""

from .project import (
    SCRIPT_FOLDERS,
    CompileResult,
    ScriptChecker,
    check_files,
    check_script,
    compile_project,
    discover_scripts,
    is_ignored_name,
    project_diagnostics,
    role_for,
    script_location,
)
from .script import SDK_COROUTINES, ScriptRole, check_source

__all__ = [
    "SCRIPT_FOLDERS",
    "SDK_COROUTINES",
    "CompileResult",
    "ScriptChecker",
    "ScriptRole",
    "check_files",
    "check_script",
    "check_source",
    "compile_project",
    "discover_scripts",
    "is_ignored_name",
    "project_diagnostics",
    "role_for",
    "script_location",
]
