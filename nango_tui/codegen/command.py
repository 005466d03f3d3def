"""The `generate` and `init` commands' terminal output (cli.py parses the arguments)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from nango_tui.config import has_errors
from nango_tui.console import Out, print_diagnostics, summary_line

from .generate import MODELS_FILE, GenerateReport, generate
from .init import InitError, init_project


def print_generate_report(report: GenerateReport, out: Out, seconds: float | None = None) -> None:
    """created / written / kept / orphaned / backed up lines, then the diagnostics' summary."""
    if report.diagnostics:
        print_diagnostics(report.diagnostics, out)
    if has_errors(report.diagnostics):
        out.line(summary_line(report.diagnostics, out) + "; nothing was generated")
        return
    for backup in report.backed_up:
        out.line(
            out.style("backed up", "yellow")
            + f" {MODELS_FILE} was edited by hand: the old one is kept as {backup}"
        )
    if report.models_written and MODELS_FILE not in report.created:
        out.line(out.style("updated  ", "green") + f" {MODELS_FILE}")
    for path in report.created:
        out.line(out.style("created  ", "green") + f" {path}")
    for path in report.left_alone:
        out.line(out.style("kept     ", "dim") + f" {path} (exists: never touched)")
    for path in report.orphaned:
        out.line(
            out.style("orphaned ", "yellow")
            + f" {path}: no sync or action of nango.yaml names it (not deleted)"
        )
    if not report.models_written:
        out.line(out.style("unchanged", "dim") + f" {MODELS_FILE}")
    tail = (
        summary_line(report.diagnostics, out, seconds)
        if report.diagnostics
        else out.style("done", "green") + (f" ({seconds * 1000:.0f} ms)" if seconds is not None else "")
    )
    out.line(tail)


def run_generate(root: Path, as_json: bool = False) -> int:
    """`nango-tui generate`: 0 done, 1 errors (nothing generated)."""
    if not root.is_dir():
        sys.stderr.write(f"nango-tui generate: {root} is not a folder\n")
        return 1
    started = time.perf_counter()
    report = generate(root)
    seconds = time.perf_counter() - started
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_generate_report(report, Out(), seconds)
    return 1 if has_errors(report.diagnostics) else 0


def run_init(path: Path, force: bool = False) -> int:
    """`nango-tui init [PATH]`: 0 created, 1 refused or failed."""
    try:
        report = init_project(path, force=force)
    except InitError as exc:
        sys.stderr.write(f"nango-tui init: {exc}\n")
        return 1
    out = Out()
    for rel in report.created:
        out.line(out.style("created  ", "green") + f" {rel}")
    for rel in report.skipped:
        out.line(out.style("kept     ", "dim") + f" {rel} (exists: not overwritten)")
    if report.diagnostics:
        print_diagnostics(report.diagnostics, out)
    if has_errors(report.diagnostics):
        out.line(
            summary_line(report.diagnostics, out)
            + f"; fix nango.yaml, then run `nango-tui generate --dir {path}`"
        )
        return 1
    out.line("")
    out.line(f"A new integrations folder in {path}. Next: `cd {path}` and read README.md;")
    out.line("`nango-tui dryrun issues github-demo` runs the example offline.")
    return 0
