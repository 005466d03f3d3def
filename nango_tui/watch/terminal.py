"""The `compile` and `dev` commands' terminal output (cli.py calls these)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nango_tui.config import has_errors
from nango_tui.console import Out, diagnostics_json, print_diagnostics, summary_line

from .codegen_hook import compile_with_codegen

if TYPE_CHECKING:
    from .engine import DevUpdate

CLEAR_SCREEN = "\x1b[2J\x1b[H"


def run_compile(root: Path, as_json: bool, out: Out | None = None, jobs: int | None = None) -> int:
    """Validate, regenerate, check every script; print the problems and a verdict. 0 or 1."""
    out = out or Out()
    result, generated = compile_with_codegen(root, jobs=jobs)
    if as_json:
        out.line(diagnostics_json(result.diagnostics))
    else:
        for rel in generated.created:
            out.line(out.style(f"created {rel}", "dim"))
        print_diagnostics(result.diagnostics, out)
        count = len(result.scripts)
        checked = f"{count} script{'s' if count != 1 else ''} checked: "
        out.line(checked + summary_line(result.diagnostics, out, result.seconds))
    return 1 if has_errors(result.diagnostics) else 0


def run_dev(root: Path, as_json: bool, out: Out | None = None, debounce_ms: int = 50) -> int:
    """Watch until Ctrl-C, printing the full problem list after every change."""
    out = out or Out()
    if not root.is_dir():
        sys.stderr.write(f"nango-tui: {root} is not a folder\n")
        return 1
    try:
        failed = asyncio.run(_dev_loop(root, as_json, out, debounce_ms))
    except KeyboardInterrupt:
        if not as_json:
            out.line(out.style("stopped", "dim"))
        return 0
    if failed:
        sys.stderr.write(f"nango-tui: {failed}\n")
        return 1
    return 0


async def _dev_loop(root: Path, as_json: bool, out: Out, debounce_ms: int) -> str | None:
    from .engine import DevEngine  # watchfiles: only `dev` needs it

    tty = hasattr(out.stream, "isatty") and out.stream.isatty()
    async with DevEngine(root, debounce_ms=debounce_ms) as engine:
        async for update in engine.updates():
            if as_json:
                out.line(json.dumps(update.to_json()))
            else:
                print_update(update, out, root, clear=tty)
            out.flush()
    return engine.failed


def print_update(update: DevUpdate, out: Out, root: Path, clear: bool) -> None:
    """One update for people: on a terminal the screen is redrawn, when piped it is appended."""
    stamp = time.strftime("%H:%M:%S")
    if clear:
        out.stream.write(CLEAR_SCREEN)
        out.line(out.style(f"nango-tui dev: watching {root} (Ctrl-C to stop)", "dim"))
    if update.seq == 0:
        what = "initial compile"
    else:
        what = (
            "changed: "
            + ", ".join(update.changed[:5])
            + (f" and {len(update.changed) - 5} more" if len(update.changed) > 5 else "")
        )
    out.line(out.style(f"[{stamp}] {what}", "dim"))
    for rel in update.generated:
        out.line(out.style(f"wrote {rel}", "dim"))
    print_diagnostics(update.diagnostics, out)
    out.line(summary_line(update.diagnostics, out, update.ms / 1000))
