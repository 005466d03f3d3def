"""The command line that opens a file in the user's editor at a line."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

# editors taking `+LINE FILE`
PLUS_LINE = {
    "vi",
    "vim",
    "nvim",
    "view",
    "nano",
    "pico",
    "emacs",
    "emacsclient",
    "micro",
    "kak",
    "joe",
    "mg",
    "ne",
    "jed",
}
# editors taking `FILE:LINE`
COLON_LINE = {"hx", "helix"}
# GUI editors taking `--goto FILE:LINE` / `FILE:LINE`
GOTO_LINE = {"code", "codium", "code-insiders"}
SUBL_LINE = {"subl", "zed"}


def editor_command(path: Path, line: int, environ: dict[str, str] | None = None) -> list[str]:
    """argv opening `path` at `line` with $VISUAL or $EDITOR (vi when neither is set)."""
    env = os.environ if environ is None else environ
    words = shlex.split(env.get("VISUAL") or env.get("EDITOR") or "vi")
    name = Path(words[0]).name
    line = max(1, line)
    if name in PLUS_LINE:
        return [*words, f"+{line}", str(path)]
    if name in COLON_LINE or name in SUBL_LINE:
        return [*words, f"{path}:{line}"]
    if name in GOTO_LINE:
        return (
            [*words, "--wait", "--goto", f"{path}:{line}"]
            if "--wait" not in words
            else [*words, "--goto", f"{path}:{line}"]
        )
    return [*words, f"+{line}", str(path)]  # most terminal editors understand +N
