"""A broken module of ours fails loudly: no placeholder pane, no "not available in this build"."""

from __future__ import annotations

import subprocess
import sys

import pytest

BREAK_MODULE = """
import importlib.abc, sys

class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            raise SyntaxError("{module} is broken")
        return None

sys.meta_path.insert(0, Broken())
{then}
"""


@pytest.mark.parametrize(
    "module, then",
    [
        ("nango_tui.tui.widgets.dryrun_pane", "import nango_tui.tui.app"),
        ("nango_tui.codegen", "from nango_tui.watch import compile_with_codegen"),
        ("nango_tui.tui.app", "from nango_tui.cli import main; sys.exit(main(['.']))"),
    ],
)
def test_a_broken_module_is_an_error_not_a_fallback(module, then):
    code = BREAK_MODULE.format(module=module, then=then)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert f"SyntaxError: {module} is broken" in proc.stderr
