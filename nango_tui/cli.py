"""The command line: argument parsing, each command a thin call into the parts.

Nothing heavy is imported at module level so that `nango-tui --help` stays fast; each
command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
A terminal workbench for building API integrations the Nango way.

  nango-tui [PATH]          open the workbench on PATH (default: the current folder)
  nango-tui COMMAND --help  help for one command
"""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line hint on usage errors (its default, made explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(see `{self.prog} --help`)\n")


def _dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", default=".", metavar="PATH", help="the integrations folder (default: the current folder)")


# -- commands ------------------------------------------------------------------------------------


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check nango.yaml and print its problems", description="Load and check nango.yaml; print every problem as file:line:column: severity code: message. Exit 0 when there is no error (warnings allowed), 1 when there is.")
    _dir_arg(p)
    p.add_argument("--json", action="store_true", help="print the diagnostics as a JSON list")
    p.set_defaults(run=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from nango_tui.config import has_errors, load_project
    from nango_tui.console import Out, diagnostics_json, print_diagnostics, summary_line

    result = load_project(Path(args.dir))
    out = Out()
    if args.json:
        out.line(diagnostics_json(result.diagnostics))
    else:
        print_diagnostics(result.diagnostics, out)
        out.line(summary_line(result.diagnostics, out))
    return EXIT_FAIL if has_errors(result.diagnostics) else EXIT_OK


# Each entry adds one subcommand; a command appears here only once it works.
COMMANDS: list[Callable] = [_add_validate]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nango-tui", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    from nango_tui import __version__

    parser.add_argument("--version", action="version", version=f"nango-tui {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _run_workbench(argv: list[str]) -> int:
    p = _Parser(prog="nango-tui", description="Open the workbench on an integrations folder.")
    p.add_argument("path", nargs="?", default=".", help="the integrations folder (default: the current folder)")
    args = p.parse_args(argv)
    path = Path(args.path)
    if not path.is_dir():
        sys.stderr.write(f"nango-tui: {path} is not a folder\n")
        return EXIT_FAIL
    try:
        from nango_tui.tui.app import run_app  # noqa: F401
    except ImportError:
        sys.stderr.write("nango-tui: the workbench is not built yet; try `nango-tui validate --dir PATH`\n")
        return EXIT_USAGE
    return run_app(path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    first = argv[0] if argv else None
    if first is None or (first not in _command_names(parser) and not first.startswith("-")):
        return _run_workbench(argv)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
