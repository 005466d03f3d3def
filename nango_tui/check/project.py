"""Checking a whole integrations folder: which files are scripts, what the config expects of them,
missing and orphaned scripts, and `compile_project`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nango_tui.config import Diagnostic, Project, load_project, sort_key

from .imports import ImportResolver, ModelsIndex
from .script import ScriptRole, check_source

#: script folders inside an integration's folder, and the kind of script each holds
SCRIPT_FOLDERS = {"syncs": "sync", "actions": "action", "on-events": "on-event"}
#: below this many scripts a process pool costs more than it saves (see benchmarks/README.md)
PARALLEL_MIN_SCRIPTS = 1000


@dataclass
class CompileResult:
    """Every diagnostic of the config and the scripts, errors first; the project when the config is valid."""

    diagnostics: list[Diagnostic]
    project: Project | None
    seconds: float
    scripts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def is_ignored_name(name: str) -> bool:
    """Hidden files and folders, caches, editor swap/backup/temp files."""
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig"))
        or name in ("__pycache__", "node_modules", "4913")
    )


def script_location(rel_path: str) -> tuple[str, str, str] | None:
    """(integration, kind, name) when `rel_path` is where a script lives, else None."""
    parts = rel_path.split("/")
    if len(parts) != 3 or parts[1] not in SCRIPT_FOLDERS or not parts[2].endswith(".py"):
        return None
    if is_ignored_name(parts[0]) or is_ignored_name(parts[2]) or parts[2] == "__init__.py":
        return None
    return parts[0], SCRIPT_FOLDERS[parts[1]], parts[2][:-3]


def discover_scripts(root: Path) -> list[str]:
    """Paths (relative, with /) of every script file in the folder, sorted."""
    found = []
    try:
        top = list(os.scandir(root))
    except OSError:
        return []
    for integration in top:
        if is_ignored_name(integration.name) or not integration.is_dir():
            continue
        for folder in SCRIPT_FOLDERS:
            try:
                entries = list(os.scandir(os.path.join(integration.path, folder)))
            except OSError:
                continue
            for entry in entries:
                rel = f"{integration.name}/{folder}/{entry.name}"
                if script_location(rel) and entry.is_file():
                    found.append(rel)
    found.sort()
    return found


def role_for(rel_path: str, project: Project | None) -> ScriptRole | None:
    """What the config says the file at `rel_path` is (None when it is not at a script's place)."""
    location = script_location(rel_path)
    if location is None:
        return None
    key, kind, name = location
    if project is None:
        return ScriptRole(kind, key, name, None)
    integration = project.integrations.get(key)
    if integration is None:
        return ScriptRole(kind, key, name, False)
    if kind == "sync":
        sync = integration.syncs.get(name)
        if sync is not None:
            return ScriptRole(
                kind,
                key,
                name,
                True,
                tuple(sync.output),
                sync.input is not None,
                webhooks=bool(sync.webhook_subscriptions),
            )
    elif kind == "action":
        action = integration.actions.get(name)
        if action is not None:
            return ScriptRole(kind, key, name, True, tuple(action.output), action.input is not None)
    elif any(name in names for names in integration.on_events.values()):
        return ScriptRole(kind, key, name, True)
    return ScriptRole(kind, key, name, False)


def on_event_paths(project: Project) -> dict[str, tuple[str, str]]:
    """Script path of every on-events script -> (integration, event)."""
    out: dict[str, tuple[str, str]] = {}
    for key, integration in project.integrations.items():
        for event, names in integration.on_events.items():
            for name in names:
                out.setdefault(f"{key}/on-events/{name}.py", (key, event))
    return out


def project_diagnostics(project: Project | None, present: Iterable[str]) -> list[Diagnostic]:
    """Configured scripts without a file; script files no config names."""
    if project is None:
        return []
    present = set(present)
    out = []
    config = project.config_file
    for script in project.scripts():
        if script.script_path not in present:
            out.append(
                Diagnostic(
                    config,
                    script.line,
                    script.column,
                    "error",
                    "missing_script",
                    f'the {script.kind} "{script.name}" has no script: {script.script_path} does not exist',
                    hint="run `nango-tui generate` to write its scaffold",
                )
            )
    integrations = project.integrations
    for path, (key, event) in on_event_paths(project).items():
        if path not in present:
            line, column = integrations[key].line, integrations[key].column
            out.append(
                Diagnostic(
                    config,
                    line,
                    column,
                    "warning",
                    "missing_script",
                    f'the {event} script "{path.rsplit("/", 1)[1][:-3]}" of "{key}" has no file: {path} does not exist',
                    hint=f"create {path}",
                )
            )
    for path in sorted(present):
        role = role_for(path, project)
        if role is not None and role.configured is False:
            out.append(
                Diagnostic(
                    path,
                    1,
                    1,
                    "warning",
                    "orphan_script",
                    f'no {role.kind} "{role.name}" in the integration "{role.integration}" of nango.yaml names this script',
                    hint="declare it in nango.yaml, or delete the file if it is no longer needed",
                )
            )
    return out


class ScriptChecker:
    """Checks the scripts of one folder and remembers each result by the script's content, its role
    in the config and the names models.py defines, so that checking an unchanged script is free."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.resolver = ImportResolver(self.root)
        self.models = ModelsIndex(self.root)
        self._cache: dict[str, tuple[tuple[object, ...], list[Diagnostic]]] = {}
        self._local_modules: frozenset[str] = frozenset()

    def check(self, rel_path: str, source: str | bytes, role: ScriptRole | None) -> list[Diagnostic]:
        key = (source, role, self.models.names(), self._local_modules)
        cached = self._cache.get(rel_path)
        if cached is not None and cached[0] == key:
            return cached[1]
        diags = sorted(check_source(rel_path, source, role, self.resolver, self.models), key=sort_key)
        if any(d.code == "unresolved_import" for d in diags):
            self._cache.pop(rel_path, None)  # may resolve once a package is installed: ask again next time
        else:
            self._cache[rel_path] = (key, diags)
        return diags

    def rescan_local_modules(self) -> None:
        """Note the folder's own modules (`helpers.py`, packages): a script importing one is
        re-checked when they change. Call when the folder's top level may have changed."""
        try:
            names = frozenset(e.name for e in os.scandir(self.root) if e.name.endswith(".py") or e.is_dir())
        except OSError:
            names = frozenset()
        self._local_modules = names

    def check_file(self, rel_path: str, role: ScriptRole | None) -> list[Diagnostic]:
        try:
            source = (self.root / rel_path).read_bytes()
        except OSError as err:
            return [
                Diagnostic(
                    rel_path,
                    1,
                    1,
                    "error",
                    "unreadable_file",
                    f"cannot read the script: {err.strerror or err}",
                )
            ]
        return self.check(rel_path, source, role)

    def forget(self, rel_path: str) -> None:
        self._cache.pop(rel_path, None)


_checkers: dict[Path, ScriptChecker] = {}


def check_script(root: Path, rel_path: str, source: str | bytes, project: Project | None) -> list[Diagnostic]:
    """Every diagnostic of one script (its text given), against the project's config (None: generic checks)."""
    root = Path(root)
    checker = _checkers.get(root)
    if checker is None:
        checker = _checkers[root] = ScriptChecker(root)
    checker.rescan_local_modules()
    return checker.check(rel_path, source, role_for(rel_path, project))


def check_files(
    root: Path,
    paths: list[str],
    project: Project | None,
    jobs: int | None = None,
    checker: ScriptChecker | None = None,
) -> list[Diagnostic]:
    """Check script files; in worker processes when there are enough of them to pay for it."""
    roles = [(p, role_for(p, project)) for p in paths]
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 4) if len(paths) >= PARALLEL_MIN_SCRIPTS else 1
    if jobs <= 1 or len(paths) < 2:
        if checker is None:
            checker = ScriptChecker(root)
            checker.rescan_local_modules()
        return [d for p, role in roles for d in checker.check_file(p, role)]
    import multiprocessing

    chunks = [roles[i::jobs] for i in range(jobs)]
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(_check_chunk, [str(root)] * jobs, chunks)
        return [d for chunk in results for d in chunk]


def _check_chunk(root: str, roles: list[tuple[str, ScriptRole | None]]) -> list[Diagnostic]:
    checker = ScriptChecker(Path(root))
    checker.rescan_local_modules()
    return [d for p, role in roles for d in checker.check_file(p, role)]


def compile_project(
    root: Path, *, jobs: int | None = None, generate: Callable[[Project], list[Diagnostic]] | None = None
) -> CompileResult:
    """Validate nango.yaml, then check every script against it.

    `generate`, when given, runs with the valid project before the scripts are checked (the CLI
    and the watcher pass codegen's generate, which this part may not import) and returns its
    diagnostics.
    """
    started = time.perf_counter()
    root = Path(root)
    loaded = load_project(root)
    diags = list(loaded.diagnostics)
    project = loaded.project
    if project is not None and generate is not None:
        diags.extend(generate(project))
    scripts = discover_scripts(root)
    diags.extend(project_diagnostics(project, scripts))
    diags.extend(check_files(root, scripts, project, jobs))
    diags.sort(key=sort_key)
    return CompileResult(diags, project, time.perf_counter() - started, scripts)
