"""`generate`: models.py, .nango/schema.json and the scaffolding of every script that has none.

Never destroys a line the user wrote: an existing script is never touched; a script whose sync
or action left nango.yaml is reported as orphaned, never deleted; a models.py edited by hand is
kept as models.py.bak before the new one is written. Unchanged files are not rewritten (their
bytes and modification times stay), so a watcher sees no change when nothing changed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nango_tui.config import CONFIG_FILE, Diagnostic, Project, has_errors, load_project
from nango_tui.config.names import PathOutsideFolder, inside_folder, name_problem

from .models_py import is_hand_edited, render_models
from .scaffold import on_event_source, scaffold_source
from .schema import render_schema

MODELS_FILE = "models.py"
SCHEMA_FILE = ".nango/schema.json"
SCRIPT_FOLDERS = ("syncs", "actions")


@dataclass
class GenerateReport:
    """What generate did; paths relative to the integrations folder."""

    created: list[str] = field(default_factory=list)  # scaffolds written (and schema/models when new)
    models_written: bool = False  # models.py (re)written: it was missing or out of date
    left_alone: list[str] = field(default_factory=list)  # existing scripts, untouched
    orphaned: list[str] = field(default_factory=list)  # scripts no sync or action of nango.yaml names
    backed_up: list[str] = field(default_factory=list)  # e.g. "models.py.bak" (a hand-edited models.py)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    schema_written: bool = False

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "models_written": self.models_written,
            "schema_written": self.schema_written,
            "left_alone": self.left_alone,
            "orphaned": self.orphaned,
            "backed_up": self.backed_up,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


_FILE_MODE: int | None = None


def _file_mode() -> int:
    """The mode a plain open() would give a new file (mkstemp's is 0600)."""
    global _FILE_MODE
    if _FILE_MODE is None:
        umask = None
        try:  # Linux tells without changing it (os.umask() would, for every thread, a moment)
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
        except (OSError, ValueError):
            pass
        if umask is None:
            umask = os.umask(0o022)
            os.umask(umask)
        _FILE_MODE = 0o666 & ~umask
    return _FILE_MODE


def _temp_beside(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and a rename: never a half-written file."""
    tmp = _temp_beside(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def create_new(path: Path, text: str) -> bool:
    """Write a file that must not exist yet, atomically; False (nothing written) if it appeared meanwhile."""
    tmp = _temp_beside(path, text)
    try:
        try:
            os.link(tmp, path)  # fails if the target exists: never replaces a user's file
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links
            if path.exists():
                return False
            os.replace(tmp, path)
            return True
        return True
    finally:
        _unlink_quietly(tmp)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def _free_backup_name(root: Path, base: str) -> str:
    name = base
    n = 2
    while (root / name).exists():
        name = f"{base}.{n}"
        n += 1
    return name


def _error(message: str, file: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(file, 1, 1, "error", "generate_failed", message, hint)


def _write_models(root: Path, project: Project, report: GenerateReport) -> None:
    target = inside_folder(root, MODELS_FILE)
    text = render_models(project)
    try:
        existing = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = None
    except UnicodeDecodeError:
        existing = ""  # not text we wrote: keep it aside
    if existing == text:
        return
    if existing is not None and is_hand_edited(existing):
        backup = _free_backup_name(root, MODELS_FILE + ".bak")
        backup_path = inside_folder(root, backup)
        try:  # a second name for the old file: models.py is never missing, not even for a moment
            os.link(target, backup_path)
        except OSError:
            shutil.copy2(target, backup_path)
        report.backed_up.append(backup)
    write_atomic(target, text)
    report.models_written = True
    if existing is None:
        report.created.append(MODELS_FILE)


def orphaned_scripts(root: Path, project: Project) -> list[str]:
    """Scripts in `<integration>/syncs|actions/` that no sync or action of nango.yaml names."""
    known = {s.script_path for s in project.scripts()}
    found: list[str] = []
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    for child in children:
        for folder in SCRIPT_FOLDERS:
            scripts = child / folder
            if not scripts.is_dir():
                continue
            for script in sorted(scripts.glob("*.py")):
                rel = f"{child.name}/{folder}/{script.name}"
                if rel not in known and script.name != "__init__.py":
                    found.append(rel)
    return found


def on_event_scripts(project: Project) -> dict[str, tuple[str, str]]:
    """Script path of every on-events script -> (integration, event)."""
    out: dict[str, tuple[str, str]] = {}
    for key, integration in project.integrations.items():
        for event, names in integration.on_events.items():
            for name in names:
                out.setdefault(f"{key}/on-events/{name}.py", (key, event))
    return out


def generate(root: Path, project: Project | None = None) -> GenerateReport:
    """Generate into the integrations folder `root`; loads nango.yaml when `project` is None.

    With errors in nango.yaml nothing is written and the report carries the diagnostics.
    """
    root = Path(root)
    report = GenerateReport()
    if project is None:
        result = load_project(root)
        report.diagnostics = list(result.diagnostics)
        if result.project is None or has_errors(result.diagnostics):
            return report
        project = result.project
    config_file = getattr(project, "config_file", CONFIG_FILE)
    problems = _name_problems(project, config_file)
    if problems:  # a Project built by hand (the loader reports these itself)
        report.diagnostics += problems
        return report
    try:
        _write_models(root, project, report)
        if _write_if_changed(inside_folder(root, SCHEMA_FILE), render_schema(project)):
            report.schema_written = True
        for script in sorted(project.scripts(), key=lambda s: s.script_path):
            path = inside_folder(root, script.script_path)
            if path.exists() or path.is_symlink():
                report.left_alone.append(script.script_path)
                continue
            if create_new(path, scaffold_source(script, project)):
                report.created.append(script.script_path)
            else:
                report.left_alone.append(script.script_path)
        for rel, (key, event) in sorted(on_event_scripts(project).items()):
            path = inside_folder(root, rel)
            if path.exists() or path.is_symlink():
                report.left_alone.append(rel)
                continue
            if create_new(path, on_event_source(key, event, rel.rsplit("/", 1)[1][:-3])):
                report.created.append(rel)
    except PathOutsideFolder as exc:
        report.diagnostics.append(
            _error(str(exc), config_file, "a folder inside the integrations folder is a symlink to elsewhere")
        )
        return report
    except OSError as exc:
        where = _relative(root, exc.filename) or config_file
        report.diagnostics.append(
            _error(
                f"could not write {where}: {exc.strerror or exc}",
                where,
                "check the folder's permissions and free space",
            )
        )
        return report
    report.orphaned = orphaned_scripts(root, project)
    return report


def _name_problems(project: Project, config_file: str) -> list[Diagnostic]:
    """The names that would become paths or code and break a rule (config.names)."""
    found = []
    for integration in project.integrations.values():
        problem = name_problem(integration.key, "integration")
        for script in integration.scripts():
            problem = problem or name_problem(script.name, "script")
        if problem:
            found.append(
                Diagnostic(
                    config_file, integration.line, integration.column, "error", "generate_failed", problem
                )
            )
    for model in project.models:
        problem = name_problem(model, "model")
        if problem:
            found.append(Diagnostic(config_file, 1, 1, "error", "generate_failed", problem))
    return found


def _relative(root: Path, filename: object) -> str | None:
    if not isinstance(filename, (str, os.PathLike)):
        return None
    try:
        return Path(filename).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
