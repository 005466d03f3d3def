"""A `dryrun` command's cold child, forked at the program's very start (`program.entry`).

`dryrun --json`'s critical path begins with its child's start-up (the interpreter, then httpx,
pydantic and the SDK). `early.EarlyChild` spawned it once the parent had imported the command
line and `subprocess` (~20-25 ms of the parent's CPU); here the parent forks it before importing
anything, and the fork skips the interpreter's own start (~15-20 ms of CPU). What runs in it is
what `python -m nango_tui.dryrun.child` runs, in the same state: its own session, the pipes as
fds 0-2 and no other descriptor, the command line's folder as its working folder and as
`sys.path[0]`, `sys.argv` naming child.py, SIGINT ignored, the collector off for the imports,
`boot.start()` first. It reads the checked request on stdin as a spawned child does, and exits
when the parent never sends one (the pipe closes with the parent). `cli.main` hands it to the
command as an `EarlyChild` (`program.take_dryrun_child`); the command uses it only if it
`serves` the parsed request, as it does a spawned one.

Only os and sys at this module's top: anything imported before the fork is the parent's start-up
time too. What both processes import anyway (asyncio, the request, the events and their channel,
the connection and its redactor: `SHARED_IMPORTS`, ~70-90 ms of CPU, each side's first imports)
is imported once, just before the fork, with boot.py's cache: the child's start is as soon (it
would import them first itself) and the command's CPU ~one such import less.
"""

from __future__ import annotations

import os
import sys


def root_in_argv(args: list[str]) -> str | None:
    """The folder a `dryrun` command line names (its `--dir`, as argparse reads it: the last one,
    else "."), read before argparse runs; None where argparse might read it otherwise (an
    abbreviation such as `--di`, a `--dir` without a value)."""
    root = "."
    at = 0
    while at < len(args):
        arg = args[at]
        if arg == "--":
            break  # only positional arguments follow
        if arg == "--dir":
            if at + 1 == len(args):
                return None
            root = args[at + 1]
            at += 2
            continue
        if arg.startswith("--dir="):
            root = arg[len("--dir=") :]
        elif arg.startswith("--d") and "--dir".startswith(arg.split("=", 1)[0]):
            return None
        at += 1
    return root


class ForkedChild:
    """A child forked here, with the part of subprocess.Popen's API that `early.EarlyChild` and
    `early.AdoptedProcess` use (pid, the three pipes as unbuffered files, wait)."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self.stdin = open(stdin, "wb", buffering=0)
        self.stdout = open(stdout, "rb", buffering=0)
        self.stderr = open(stderr, "rb", buffering=0)
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code (negative: the signal), once the child has ended."""
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped elsewhere: as Popen, say 0
                self.returncode = 0
            else:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def fork_child(args: list[str]) -> tuple[ForkedChild, str] | None:
    """The child of a `dryrun` command line (its arguments after `dryrun`) and the folder it names;
    None (the command spawns one later, as before) when the folder cannot be read off them for
    certain, argparse will only print the help, the interpreter was started with options of its
    own (`python -O -m ...`, `-X importtime`, `-I`: a spawned child would not have them), or
    another thread runs."""
    if "-h" in args or "--help" in args or not plain_interpreter():
        return None
    root = root_in_argv(args)
    if root is None:
        return None
    cwd = root if os.path.isdir(root) else None  # (else the parent's, as a spawned child's)
    import gc

    collecting = gc.isenabled()
    gc.disable()  # (for the shared imports, as the child has it for its own)
    try:
        import_with_boot(SHARED_IMPORTS)
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (tests run it as a process)
            _run_child(cwd, stdin_read, stdout_write, stderr_write)
    finally:
        if collecting:
            gc.enable()
    for fd in (stdin_read, stdout_write, stderr_write):
        os.close(fd)
    return ForkedChild(pid, stdin_write, stdout_read, stderr_read), root


# what the parent and its child both import (tests check that each does)
SHARED_IMPORTS = (
    "asyncio",
    "shutil",  # (argparse's help formatter; httpx)
    "nango_tui.dryrun.request",
    "nango_tui.dryrun.events",
    "nango_tui.dryrun.channel",
    "nango_tui.runtime.redaction",
    "nango_tui.runtime.connection_model",
)


def import_with_boot(names: tuple[str, ...]) -> None:
    """Import `names` before a fork, as the forked process would import them: from boot.py's cache
    (program.entry's call after the fork finds it started; the caller turns the collector off)."""
    import importlib

    from nango_tui import boot

    boot.start()
    for name in names:
        importlib.import_module(name)


def plain_interpreter() -> bool:
    """Whether this interpreter runs as `python -m nango_tui.dryrun.child` (or `.zygote`) would (no
    options of its own before the module or script; environment variables apply to both alike),
    alone: a process forked from it now is what one of those spawned would be."""
    import _thread

    orig = getattr(sys, "orig_argv", [])
    return len(orig) > 1 and (orig[1] == "-m" or not orig[1].startswith("-")) and not _thread._count()


def _run_child(cwd: str | None, stdin: int, stdout: int, stderr: int) -> None:  # pragma: no cover
    """In the forked child: become what `python -m nango_tui.dryrun.child` is, run it, exit."""
    code = 1
    try:
        os.setsid()  # own session and process group: a cancel kills the script's children too
        os.dup2(stdin, 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        close_from(3)  # as Popen's close_fds: the parent's ends of the pipes too
        if cwd is not None:
            os.chdir(cwd)
        import _signal  # type: ignore[import-not-found]  # (no stub; signal.py imports enum)

        _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # the parent decides when the run stops
        # Python ignores SIGPIPE and SIGXFSZ itself, as the spawned interpreter would
        here = os.path.dirname(os.path.abspath(__file__))
        sys.argv = [os.path.join(here, "child.py")]
        sys.path[0] = os.getcwd()  # what `python -m` puts first
        import gc

        gc.disable()  # (child.py: a cold child imports with the collector off)
        from nango_tui import boot

        boot.start()
        from nango_tui.dryrun import child

        child.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if exc.code is not None and not isinstance(exc.code, int):
            sys.stderr.write(f"{exc.code}\n")
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def close_from(lowest: int) -> None:  # pragma: no cover - runs in the child
    """Close every descriptor from `lowest` up (in a forked child, as Popen's close_fds)."""
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        open_fds = list(range(lowest, 1024))
    for fd in open_fds:
        if fd >= lowest:
            try:
                os.close(fd)
            except OSError:
                pass
