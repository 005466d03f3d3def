"""The command line: argument parsing, each command a thin call into the parts.

Nothing heavy is imported at module level so that `nango-tui --help` stays fast; each
command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

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


if TYPE_CHECKING:  # argparse's class is generic only to type checkers
    from nango_tui.dryrun.early import EarlyChild

    #: what `add_subparsers` returns, each `_add_<command>` adds its parser to it
    _Subparsers: TypeAlias = argparse._SubParsersAction[_Parser]


def _dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dir", default=".", metavar="PATH", help="the integrations folder (default: the current folder)"
    )


# -- commands ------------------------------------------------------------------------------------


def _add_validate(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "validate",
        help="check nango.yaml and print its problems",
        description="Load and check nango.yaml; print every problem as file:line:column: severity code: message. Exit 0 when there is no error (warnings allowed), 1 when there is.",
    )
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


def _add_dryrun(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "dryrun",
        help="run a sync or action locally against a connection, persist nothing",
        description="Run one sync or action in a child process against a connection and show its logs, HTTP calls and records. Exit 0 when the run succeeds, 1 when the script fails or the run cannot start, 2 for usage errors.",
    )
    _dir_arg(p)
    from nango_tui.dryrun.args import add_arguments

    add_arguments(p)
    p.set_defaults(run=_run_dryrun)


def _run_dryrun(args: argparse.Namespace) -> int:
    from nango_tui.dryrun.command import run_command

    return run_command(args)


def _add_compile(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "compile",
        help="validate, regenerate models.py, check every script",
        description="Validate nango.yaml, regenerate models.py and missing script scaffolds, and check every script (syntax, entry point, un-awaited SDK calls, models, undefined names, imports). Print every problem, then a one-line verdict. Exit 0 when there is no error (warnings allowed), 1 when there is.",
    )
    _dir_arg(p)
    p.add_argument("--json", action="store_true", help="print the diagnostics as a JSON list")
    p.set_defaults(run=_run_compile)


def _run_compile(args: argparse.Namespace) -> int:
    from nango_tui.watch.terminal import run_compile

    return run_compile(Path(args.dir), args.json)


def _add_dev(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "dev",
        help="watch the folder and show every problem live",
        description="Watch the integrations folder: on every save re-validate nango.yaml (regenerating models.py and missing scaffolds when it is valid) and re-check the changed scripts; print the full problem list after each change. Runs until Ctrl-C.",
    )
    _dir_arg(p)
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object a line per update: {"diagnostics": [...], "changed": [...], "ms": N}',
    )
    p.set_defaults(run=_run_dev)


def _run_dev(args: argparse.Namespace) -> int:
    from nango_tui.watch.terminal import run_dev

    return run_dev(Path(args.dir), args.json)


def _add_generate(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "generate",
        help="write models.py and scaffold the scripts that have none",
        description="Write models.py (pydantic classes of nango.yaml's models) and .nango/schema.json, and a starting script for every sync and action that has none. An existing script is never touched; a script nango.yaml no longer names is reported, not deleted; a models.py edited by hand is kept as models.py.bak. Exit 0 when done, 1 when nango.yaml has errors (nothing is written).",
    )
    _dir_arg(p)
    p.add_argument("--json", action="store_true", help="print what was done as a JSON object")
    p.set_defaults(run=_run_generate)


def _run_generate(args: argparse.Namespace) -> int:
    from nango_tui.codegen.command import run_generate

    return run_generate(Path(args.dir), args.json)


def _add_init(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "init",
        help="create an integrations folder with a working example",
        description="Create an integrations folder with an example nango.yaml (GitHub issues), working scripts, generated models, a connections.yaml for the dev environment, a .gitignore and a README of next steps. Refuses a folder that is not empty unless --force; even then nothing that exists is overwritten. Exit 0 when created, 1 when refused.",
    )
    p.add_argument(
        "path",
        nargs="?",
        default="nango-integrations",
        help="the folder to create (default: ./nango-integrations)",
    )
    p.add_argument(
        "--force", action="store_true", help="add the example's missing files to a folder that is not empty"
    )
    p.set_defaults(run=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    from nango_tui.codegen.command import run_init

    return run_init(Path(args.path), args.force)


def _add_test(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "test",
        help="replay every script's saved responses and compare with the saved results",
        description="Replay every sync and action that has saved responses (<integration>/mocks/<name>.json, from `dryrun --save-responses`) and compare the records, deletes and action output with those saved. Prints a pass/fail line per script and what changed. Exit 0 when all pass, 1 on any failure.",
    )
    _dir_arg(p)
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="only these scripts (`name` or `integration/name`; default: every script with saved responses)",
    )
    p.add_argument("--json", action="store_true", help="print the results as a JSON list")
    p.set_defaults(run=_run_test)


def _run_test(args: argparse.Namespace) -> int:
    from nango_tui.program import take_test_zygote

    # the process the replays fork from, started by `program.entry` before this process imported
    # anything (else now, first): it imports while this one does
    zygote = take_test_zygote()
    if zygote is None:
        from nango_tui.dryrun.zygote import Zygote

        zygote = Zygote.start(replay=True)
    from nango_tui.dryrun.regress import run_command

    return run_command(Path(args.dir), args.names, as_json=args.json, zygote=zygote)


def _add_serve(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "serve",
        help="run the runtime server: deployed syncs on their schedule, Nango's API",
        description="Run the runtime server: Nango's public API (records, actions, syncs, connections), the scheduler and the workers, in one process. Everything is kept in SQLite under --data unless --database names another database. The environments dev and prod each have a secret key (NANGO_SECRET_KEY_DEV/_PROD at first start, else generated and printed once).",
    )
    p.add_argument(
        "--data",
        default=".nango-server",
        metavar="DIR",
        help="where the server keeps its state (default: ./.nango-server)",
    )
    p.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="SQLAlchemy database URL (default: sqlite:///DIR/nango.db)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", default=3003, type=int, help="port (default: 3003)")
    p.add_argument(
        "--reuse-port",
        action="store_true",
        help="share --port with the other `serve --reuse-port` processes of this machine (PostgreSQL:"
        " the kernel spreads the connections among them, one process a core; all must use one database)",
    )
    _worker_arguments(p)
    p.set_defaults(run=_run_serve, command_kind="serve")


def _worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--id",
        default=None,
        metavar="NAME",
        help="this process's worker id, unique per database (PostgreSQL default: serve-HOST-PORT or"
        " worker-HOST-PID; a stable id lets a restarted process resume its own runs at once)",
    )
    p.add_argument(
        "--concurrency",
        default=4,
        type=int,
        metavar="N",
        help="sync runs at once in this process (default: 4)",
    )


def _run_serve(args: argparse.Namespace) -> int:
    from nango_tui.server.serve import ServeError, ServeOptions, run

    options = ServeOptions(
        Path(args.data),
        args.database,
        args.host,
        args.port,
        kind=args.command_kind,
        executor_id=args.id,
        concurrency=args.concurrency,
        reuse_port=getattr(args, "reuse_port", False),
    )
    try:
        return run(options)
    except ServeError as exc:
        sys.stderr.write(f"nango-tui {args.command_kind}: {exc}\n")
        return EXIT_FAIL


def _add_worker(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "worker",
        help="run deployed syncs from a shared PostgreSQL (no public API); run as many as you need",
        description="Run syncs and actions for the servers that share --database (PostgreSQL): the scheduler tick and the workers, without the public API. Any number of workers on any machines that reach the database; each needs the same NANGO_TUI_ENCRYPTION_KEY as the servers, and a unique --id.",
    )
    p.add_argument("--database", required=True, metavar="URL", help="postgresql://USER:PASSWORD@HOST/DB")
    p.add_argument(
        "--data",
        default=".nango-worker",
        metavar="DIR",
        help="local folder for the deployed scripts' files (default: ./.nango-worker)",
    )
    _worker_arguments(p)
    p.set_defaults(run=_run_serve, command_kind="worker", host="127.0.0.1", port=0)


def _add_migrate(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "migrate",
        help="bring the server's database schema up to this version (after an upgrade)",
        description="Apply the database schema migrations (Alembic) this nango-tui needs. Servers and workers refuse to start on an older schema; stop them, run this once, then start the new version.",
    )
    p.add_argument(
        "--database", default=None, metavar="URL", help="the database URL (default: SQLite in --data)"
    )
    p.add_argument("--data", default=".nango-server", metavar="DIR", help="the server's data folder (SQLite)")
    p.set_defaults(run=_run_migrate)


def _run_migrate(args: argparse.Namespace) -> int:
    from nango_tui.server.serve import ServeError, migrate

    try:
        return migrate(args.database, Path(args.data))
    except ServeError as exc:
        sys.stderr.write(f"nango-tui migrate: {exc}\n")
        return EXIT_FAIL


def _add_deploy(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "deploy",
        help="compile, then ship the integrations to an environment of a runtime server",
        description="Compile (it must be clean), then deploy to ENV with Nango's two calls to NANGO_HOSTPORT (default http://localhost:3003) using NANGO_SECRET_KEY_<ENV>. Shows the changes and asks, unless --auto-confirm; a change that deletes data also needs --allow-destructive. Off a terminal it exits 1 naming the flag to pass.",
    )
    _dir_arg(p)
    p.add_argument("environment", metavar="ENV", help="the environment (dev, prod)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--sync", "-s", metavar="NAME", help="deploy only this sync (nothing is removed)")
    which.add_argument("--action", "-a", metavar="NAME", help="deploy only this action (nothing is removed)")
    which.add_argument(
        "--integration", "-i", metavar="KEY", help="deploy only this integration (nothing is removed)"
    )
    p.add_argument(
        "-v", "--version", dest="script_version", metavar="VERSION", help="the version to give the scripts"
    )
    p.add_argument("--auto-confirm", "-y", "--yes", action="store_true", help="do not ask")
    p.add_argument(
        "--allow-destructive", action="store_true", help="allow removing syncs or models that hold data"
    )
    p.add_argument("--json", action="store_true", help="print the differences and the result as JSON")
    p.set_defaults(run=_run_deploy)


def _run_deploy(args: argparse.Namespace) -> int:
    from nango_tui.remote.deploy import DeployOptions, run
    from nango_tui.workflows import deploy_plan

    return run(
        DeployOptions(
            root=Path(args.dir),
            environment=args.environment,
            sync=args.sync,
            action=args.action,
            integration=args.integration,
            version=args.script_version,
            auto_confirm=args.auto_confirm,
            allow_destructive=args.allow_destructive,
            as_json=args.json,
        ),
        deploy_plan,
    )


def _add_connections(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "connections",
        help="connections of a runtime server",
        description="Manage the connections of a runtime server.",
    )
    inner = p.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    push = inner.add_parser(
        "push",
        help="import connections.yaml's connections of ENV into the server",
        description="Send the connections of ENV in connections.yaml (credentials resolved from the shell or .env) to the server with Nango's POST /connections. A connection whose variable is unset is skipped with the reason.",
    )
    _dir_arg(push)
    push.add_argument("environment", metavar="ENV", help="the environment (dev, prod)")
    push.set_defaults(run=_run_connections_push)


def _run_connections_push(args: argparse.Namespace) -> int:
    from nango_tui.remote.push import run

    return run(Path(args.dir), args.environment)


def _add_infer(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "infer",
        help="infer models and a mapping from a run's records or the API's saved responses",
        description="Infer the records' schema (types, optional and nullable fields, nested models, arrays, enums, ISO dates) from a run of NAME (its .nango/runs records, or a run made now against CONNECTION) or from its recording (<integration>/mocks/NAME.json); show the nango.yaml models as a diff and a `to_<model>(raw)` mapping function. Applying writes nango.yaml (only the models' lines change) and regenerates models.py. Exit 0 when proposed or applied, 1 when nothing can be inferred, 2 for usage errors.",
    )
    _dir_arg(p)
    from nango_tui.infer.args import add_arguments

    add_arguments(p)
    p.set_defaults(run=_run_infer)


def _run_infer(args: argparse.Namespace) -> int:
    from nango_tui.infer.command import run_command

    return run_command(args, _records_of_a_run_now)


def _records_of_a_run_now(root: Path, name: str, connection: str, integration: str | None) -> Path:
    """Run NAME against CONNECTION (for `infer`); the run's records file, or InferError."""
    from nango_tui.dryrun import DryrunRequest, DryrunSetupError, run_sync
    from nango_tui.infer.proposal import InferError

    errors: list[str] = []
    files: list[str] = []

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "start":
            files.append(event.get("records_file", ""))
        elif event.get("type") == "error":
            errors.append(str(event.get("message", "")))

    try:
        done = run_sync(DryrunRequest(root, name, connection, integration=integration), on_event)
    except DryrunSetupError as exc:
        raise InferError(str(exc)) from None
    if done.get("status") != "ok" or not files:
        raise InferError(
            f"the run of {name} failed: {errors[0] if errors else done.get('reason', 'see `nango-tui dryrun`')}"
        )
    return Path(files[0])


def _add_web(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "web",
        help="the workbench in a browser",
        description="Serve the workbench to a browser (textual-serve): each browser tab gets its own workbench on PATH. Bound to 127.0.0.1 by default; bound to another address, a random token is required in the URL (printed at start) and every request without it is refused. Runs until Ctrl-C. Exit 0 when stopped, 1 when it cannot start.",
    )
    p.add_argument(
        "path", nargs="?", default=".", help="the integrations folder (default: the current folder)"
    )
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
    p.set_defaults(run=_run_web)


def _run_web(args: argparse.Namespace) -> int:
    from nango_tui.web.server import run_web

    return run_web(Path(args.path), args.host, args.port)


# Each entry adds one subcommand; a command appears here only once it works.
COMMANDS: list[Callable[[_Subparsers], None]] = [
    _add_init,
    _add_validate,
    _add_generate,
    _add_dryrun,
    _add_compile,
    _add_dev,
    _add_test,
    _add_serve,
    _add_worker,
    _add_migrate,
    _add_deploy,
    _add_connections,
    _add_infer,
    _add_web,
]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `command`, only that command's subparser is added (what
    parsing a command line that names it needs: ~10-15 ms of CPU less than all fourteen)."""
    parser = _Parser(
        prog="nango-tui", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from nango_tui import __version__

    parser.add_argument("--version", action="version", version=f"nango-tui {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        if command is None or add.__name__ == f"_add_{command}":  # each `_add_<name>` adds <name>
            add(sub)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _run_workbench(argv: list[str]) -> int:
    p = _Parser(prog="nango-tui", description="Open the workbench on an integrations folder.")
    p.add_argument(
        "path", nargs="?", default=".", help="the integrations folder (default: the current folder)"
    )
    args = p.parse_args(argv)
    path = Path(args.path)
    if not path.is_dir():
        sys.stderr.write(f"nango-tui: {path} is not a folder\n")
        return EXIT_FAIL
    from nango_tui.tui import gc_policy

    gc_policy.pause_until_first_frame()  # the imports and the first compose: see gc_policy
    from nango_tui.tui import dom_classes

    dom_classes.install()  # before Textual's widget classes are defined (tui/dom_classes.py)
    from nango_tui.tui.app import run_app

    return run_app(path)


# the subcommands COMMANDS add (a test checks they agree): `nango-tui DIR` opens the workbench
# without building every command's parser first (~15-20 ms of its first frame)
COMMAND_NAMES = frozenset(
    {
        "compile",
        "connections",
        "deploy",
        "dev",
        "dryrun",
        "generate",
        "infer",
        "init",
        "migrate",
        "serve",
        "test",
        "validate",
        "web",
        "worker",
    }
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = argv[0] if argv else None
    if first is None or (first not in COMMAND_NAMES and not first.startswith("-")):
        return _run_workbench(argv)
    early = None
    if first == "dryrun":  # the run's child starts before the parsing (dryrun/early.py)
        from nango_tui.program import take_dryrun_child

        early = take_dryrun_child()  # forked at the program's start (dryrun/prefork.py)
        if early is None:
            from nango_tui.dryrun.early import EarlyChild

            early = EarlyChild.for_command_line(argv[1:])
    try:
        return _run_command(argv, early)
    finally:
        if early is not None:
            early.discard()  # (nothing once the run adopted it)


def _run_command(argv: list[str], early_child: EarlyChild | None = None) -> int:
    parser = build_parser(argv[0] if argv[0] in COMMAND_NAMES else None)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    if early_child is not None:
        args.early_child = early_child
    sys.stdout = _QuietOnBrokenPipe(sys.stdout)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # a raw write to a closed pipe: the command did not finish
        return EXIT_FAIL
    finally:
        sys.stdout = sys.stdout.stream if isinstance(sys.stdout, _QuietOnBrokenPipe) else sys.stdout


class _QuietOnBrokenPipe:
    """stdout that, once the reader is gone (`nango-tui test | head -1`), drops the rest of the
    output instead of failing: the command runs to its end and exits with its real status."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        """Bytes (UTF-8 text) after whatever text was written before them."""
        if not self.broken:
            buffer = getattr(self.stream, "buffer", None)
            try:
                if buffer is None:  # a text-only stream (tests capture output in one)
                    self.stream.write(data.decode("utf-8"))
                    return
                self.stream.flush()
                buffer.write(data)
            except BrokenPipeError:
                self._broke()

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        try:  # later writes of anything holding the real stdout, and the flush at exit, go nowhere
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def entry() -> None:
    """The `nango-tui` program: main(), then out at once.

    Once a command has finished and its output is flushed, nothing is left to do: skipping the
    interpreter's teardown (collecting every module's objects: 0.05-0.5 s) makes every command,
    and the exit after a Ctrl-C, that much quicker.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nobody reads what is left
            pass
    from nango_tui import boot

    boot.finish()  # what this start compiled for the first time, kept for the next (boot.py)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
