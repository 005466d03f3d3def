"""The zygote's process started with only what a fresh interpreter has loaded (`nango-tui test`).

`Zygote.start` needs subprocess and socket first (with locale, re and enum: ~20-35 ms of CPU in a
fresh interpreter); `nango-tui test`'s critical path is its zygote's warm-up, so `program.entry`
spawns it here (os.posix_spawn, a _socket pair) before the command imports anything, and
`Zygote.adopt` takes it over later. Only where no other thread can spawn a process meanwhile: the
socket's end is inheritable for the moment of the spawn.
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


def spawn_zygote(replay: bool) -> tuple[SpawnedProcess, int]:
    """Spawn the zygote as `Zygote.start` does (stdin /dev/null, its own session, no
    PYTHONSTARTUP); the process and this side's socket descriptor (for `Zygote.adopt`)."""
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
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
