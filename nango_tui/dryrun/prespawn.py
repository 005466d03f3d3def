"""The zygote's process started with only what a fresh interpreter has loaded (`nango-tui test`).

`Zygote.start` needs subprocess and socket first (with locale, re and enum: ~20-35 ms of CPU in a
fresh interpreter); `nango-tui test`'s critical path is its zygote's warm-up, so `program.entry`
starts it here (a _socket pair, then os.fork or os.posix_spawn) before the command imports
anything, and `Zygote.adopt` takes it over later.

Forked (where `prefork` would fork a dryrun child: no interpreter options of its own, no other
thread), the zygote skips the second interpreter's start (~20 ms of CPU, and ~40 ms from the
program's start to the zygote's first import on 2 busy cores), and what both the command and the
zygote import (`SHARED_IMPORTS`: asyncio, typing, pathlib, json, the request, events and
recording modules...) is imported once, before the fork, instead of in each process: the
zygote's warm-up is as long as before (those were its first imports), the command's CPU ~one
such import less. Otherwise the forked zygote is what
`python -m nango_tui.dryrun.zygote FD --replay` is: its own session, /dev/null as stdin, fds 0-2
and its socket only, `sys.argv` naming zygote.py and the working folder first on `sys.path`,
SIGINT ignored, the collector off for the imports, `boot.start()` first. It holds what the
spawned one holds: the environment and the command line, nothing the command has read.
Spawned otherwise, only where no other thread can spawn a process meanwhile: the socket's end is
inheritable for the moment of the spawn.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (no stub) signal.py would import enum: ~6 ms
import _socket
import os
import sys


def zygote_command(fd: int, replay: bool) -> list[str]:
    """The zygote's command line, its end of the socket being `fd`."""
    return [sys.executable, "-m", "nango_tui.dryrun.zygote", str(fd)] + (["--replay"] if replay else [])


def zygote_env(env: dict[str, str] | None = None) -> dict[str, str]:
    return {k: v for k, v in (env or os.environ).items() if k != "PYTHONSTARTUP"}


class SpawnedProcess:
    """A process spawned here, with the part of subprocess.Popen's API a Zygote uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: as Popen, say 0
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; subprocess.TimeoutExpired after `timeout` seconds, as Popen.wait."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                import subprocess

                raise subprocess.TimeoutExpired(zygote_command(-1, True), timeout or 0.0)
            time.sleep(0.002)
        return code

    def kill(self) -> None:
        if self.poll() is None:
            import signal

            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def spawn_zygote(replay: bool, *, fork: bool | None = None) -> tuple[SpawnedProcess, int]:
    """Start the zygote as `Zygote.start` does (stdin /dev/null, its own session, no
    PYTHONSTARTUP); the process and this side's socket descriptor (for `Zygote.adopt`).
    `fork`: forked (None: where `prefork` would fork, else spawned)."""
    from .prefork import import_with_boot, plain_interpreter  # (os and sys only)

    forking = fork if fork is not None else plain_interpreter()
    if forking:
        # with the collector off, as the zygote has it; the parent's stays off for the
        # command's imports (`regress.run_command` turns it on)
        import gc

        gc.disable()
        import_with_boot(SHARED_IMPORTS)
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    if forking:
        try:
            pid = os.fork()
        except BaseException:
            ours.close()
            theirs.close()
            raise
        if pid == 0:  # pragma: no cover - runs in the zygote (tests run it as a process)
            _run_zygote(theirs.detach(), replay)
        theirs.close()
        return SpawnedProcess(pid), ours.detach()
    try:
        os.set_inheritable(theirs.fileno(), True)
        pid = os.posix_spawn(
            sys.executable,
            zygote_command(theirs.fileno(), replay),
            zygote_env(),
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
            setsid=True,  # a Ctrl-C at the terminal is the parent's to handle
            # what Popen's restore_signals does: Python ignores these, exec would keep them ignored
            setsigdef=(_signal.SIGPIPE, _signal.SIGXFSZ),
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return SpawnedProcess(pid), ours.detach()


# What `nango-tui test`'s parent (its command line, the replays' requests and runs, the zygote's
# handle) and the replay zygote's warm-up both import: imported once, before the fork (a test
# checks each side imports each of them)
SHARED_IMPORTS = (
    "asyncio",
    "dataclasses",
    "datetime",
    "json",
    "pathlib",
    "shutil",
    "subprocess",
    "typing",
    "nango_tui.config.files",
    "nango_tui.config.heap",
    "nango_tui.dryrun.channel",
    "nango_tui.dryrun.events",
    "nango_tui.dryrun.request",
    "nango_tui.dryrun.zygote",
    "nango_tui.runtime.connection_model",
    "nango_tui.runtime.recording",
    "nango_tui.runtime.redaction",
)


def _run_zygote(fd: int, replay: bool) -> None:  # pragma: no cover - runs in the forked zygote
    """In the forked zygote: become what `python -m nango_tui.dryrun.zygote FD` is, serve, exit."""
    from .prefork import close_from

    code = 1
    try:
        os.setsid()  # a Ctrl-C at the terminal is the parent's to handle
        _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
        if fd != 3:  # (first: with fds 0-2 closed at the start, the socket may be one of them)
            os.dup2(fd, 3, inheritable=False)
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        if devnull != 0:
            os.dup2(devnull, 0)
            os.close(devnull)
        close_from(4)  # as Popen's close_fds: the parent's end of the socket too
        here = os.path.dirname(os.path.abspath(__file__))
        sys.argv = [os.path.join(here, "zygote.py"), "3"] + (["--replay"] if replay else [])
        sys.path[0] = os.getcwd()  # what `python -m` puts first
        import gc

        gc.disable()  # (zygote.py: the warm-up's imports with the collector off)
        from nango_tui import boot

        boot.start()
        import socket

        from nango_tui.dryrun import zygote

        zygote.serve(socket.socket(fileno=3), replay=replay, resume_collector=True)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)
