"""The project's static checks, run by the suite so that `python -m pytest` (the README's command and
`.ci/run`) is the one command: ruff (lint and format), the import contracts of DEVELOPERS.md, and
mypy (strict on the parts `[tool.mypy] files` lists in pyproject.toml).

Each check runs its real tool over the repository as a subprocess and fails with the tool's output.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

BIN = Path(sys.executable).parent


def mypy_cache_dir() -> Path:
    """Where mypy keeps its cache: NANGO_TUI_MYPY_CACHE, else the user's cache folder, not the clone.

    A cold mypy costs ~22 s of CPU, the suite's biggest single test; `.ci/run` works on a clean clone
    each time, and mypy's cache is checked by content hash when a file's path or mtime changed, so a
    cache outside the clone is correct across clones and makes every run after the first one ~0.7 s.
    """
    if configured := os.environ.get("NANGO_TUI_MYPY_CACHE"):
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nango-tui" / f"mypy-py{sys.version_info.major}.{sys.version_info.minor}"


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    if command[0] == "mypy":
        env["MYPY_CACHE_DIR"] = str(mypy_cache_dir())
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "--no-cache", "."),
        ("ruff", "format", "--no-cache", "--check", "."),
        ("lint-imports", "--no-cache", "--no-logo"),
        ("mypy",),
    ],
    ids=["ruff-check", "ruff-format", "import-contracts", "mypy"],
)
def test_static_check_is_clean(command):
    result = run_tool(*command)
    assert result.returncode == 0, f"`{' '.join(command)}` failed:\n{result.stdout}\n{result.stderr}"


#: The parts mypy checks strictly (issue 12): dropping one from pyproject.toml fails here.
STRICT_PARTS = (
    "nango_tui/config",
    "nango_tui/codegen",
    "nango_tui/check",
    "nango_tui/watch",
    "nango_tui/runtime",
    "nango_tui/sdk",
    "nango_tui/dryrun",
    "nango_tui/server",
    "nango_tui/workflows.py",
    "nango_tui/infer",
    "nango_tui/web",
    "nango_tui/console.py",
    "nango_tui/remote",
    "nango_tui/cli.py",
    "nango_tui/program.py",
)


def test_mypy_is_strict_on_the_parts_it_promises():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert set(STRICT_PARTS) <= set(config["files"]), set(STRICT_PARTS) - set(config["files"])
    overrides = config.get("overrides", [])
    loosened = [o for o in overrides if any(k.startswith(("disallow", "ignore_errors")) for k in o)]
    assert not loosened, loosened  # no per-module escape hatch for our own code


def _is_private_textual_module(name: str) -> bool:
    return name.split(".")[0] == "textual" and any(part.startswith("_") for part in name.split("."))


def _private_textual_uses(path: Path) -> list[str]:
    """Imports of Textual's private modules (`textual.widgets._tree`) and private members reached
    on the app or a screen (`self.app._begin_batch()`): both change without notice between
    Textual releases; each has a public counterpart (`textual.widgets.tree`, `batch_update`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            modules = []
        found += [f"{path.name}:{node.lineno}: import {m}" for m in modules if _is_private_textual_module(m)]
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("app", "screen")
        ):
            found.append(f"{path.name}:{node.lineno}: .{node.value.attr}.{node.attr}")
    return found


# the private Textual modules a workbench module may import, each because it has no public
# counterpart, for the pinned release only (a version check in the module; DEVELOPERS.md says why)
PRIVATE_TEXTUAL_IMPORTS_ALLOWED = {
    "layout_map.py": "textual._compositor",  # the screen's Compositor class (issue 18: one arrangement)
}


def test_the_workbench_uses_no_private_textual_api():
    used = [
        use
        for path in sorted((REPO / "nango_tui" / "tui").rglob("*.py"))
        for use in _private_textual_uses(path)
    ]
    allowed = {f"{name}:import {module}" for name, module in PRIVATE_TEXTUAL_IMPORTS_ALLOWED.items()}
    unexpected = [use for use in used if f"{use.split(':')[0]}:{use.split(': ', 1)[1]}" not in allowed]
    assert not unexpected, "private Textual API (use its public counterpart):\n" + "\n".join(unexpected)
    stale = allowed - {f"{use.split(':')[0]}:{use.split(': ', 1)[1]}" for use in used}
    assert not stale, f"allowed but no longer used (remove from the list): {stale}"
