"""The process tree of a dryrun child: the script can reach neither the parent nor outlive the run.

    mode = enter()     # returns only in the runner, the process that runs the script

The process the parent started ("outer") forks an "init", which forks the runner. Where the
kernel allows unprivileged user namespaces (Linux), outer first moves its children into a new
user + PID namespace: init is PID 1 there and the runner PID 2. Then

- the script sees no process outside the run: `os.kill(os.getppid(), 9)` hits init, which
  the kernel protects from its own namespace's signals, and the parent's PID means nothing;
- when init exits (the runner ended) or dies (outer died: PDEATHSIG), the kernel kills every
  process left in the namespace, also those the script moved into a new session (setsid,
  daemons): nothing outlives the run;
- init reaps every orphan, so no zombie is left behind either.

Without namespaces (another OS, or a kernel that forbids them) the same tree runs unshielded
("process" mode): the script's parent is init, not the caller, and the caller kills the
process group on exit, but a process that leaves the group can survive. outer mirrors how
the runner ended (exit code or signal), so the parent reports it as before.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
PR_SET_PDEATHSIG = 1

NAMESPACE, PROCESS = "namespace", "process"


def enter(keep_fds: tuple[int, ...] = ()) -> str:
    """Build the tree; returns NAMESPACE or PROCESS in the runner (outer and init never return).

    `keep_fds` are descriptors only the runner needs (the event channel): outer and init close them,
    so the parent sees the channel end as soon as the runner does.
    """
    isolated = _new_namespaces()
    status_read, status_write = os.pipe()
    init = os.fork()
    if init:
        os.close(status_write)
        _drop(keep_fds)
        _outer(init, status_read)  # never returns
    os.close(status_read)
    die_with_parent()
    runner = os.fork()
    if runner:
        _drop(keep_fds)
        _init(runner, status_write, isolated)  # never returns
    os.close(status_write)
    # The runner stays in outer's process group: the caller's killpg and setpriority reach it.
    die_with_parent()
    return NAMESPACE if isolated else PROCESS


def _new_namespaces() -> bool:
    """Move this process's future children into a new user + PID namespace; False if not allowed."""
    if not sys.platform.startswith("linux") or os.environ.get("NANGO_TUI_NO_NAMESPACES"):
        return False
    uid, gid = os.getuid(), os.getgid()
    try:
        if _libc().unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0:
            return False
        # the same uid and gid inside: files the script writes belong to the user as before
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as mapping:
                mapping.write(text)
    except (OSError, AttributeError):
        return False
    return True


def namespaces_available() -> bool:
    """Whether this machine lets a process create the run's namespaces (checked in a throwaway child)."""
    if not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _new_namespaces() else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (so nothing outlives the caller)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)  # the parent died meanwhile (we were reparented): do not run on alone


_libc_functions: Any = None


def _libc() -> Any:
    """The C library through ctypes, loaded once a process (OSError where it cannot be)."""
    global _libc_functions
    if _libc_functions is None:
        import ctypes

        _libc_functions = ctypes.CDLL(None, use_errno=True)
    return _libc_functions


def prepare() -> None:
    """Load the system calls the tree uses now (a zygote, before its forks): each of a run's three
    processes then calls them without building its own ctypes library and function classes
    (~0.4 ms of CPU and ~75 copied pages less for each, measured in a zygote's forks)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = _libc()
        libc.prctl, libc.unshare  # noqa: B018 (ctypes builds and keeps each function at its first use)
    except (OSError, AttributeError):
        pass


def _drop(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _init(runner: int, status_write: int, isolated: bool) -> None:
    """PID 1 of the run: reap every process until the runner ends, pass its status on, exit.

    Exiting ends the namespace: the kernel kills whatever the script left running.
    """
    status = None
    while status is None:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if pid == runner:
            status = code
    try:
        os.write(status_write, str(status if status is not None else 256).encode())
    except OSError:
        pass
    os._exit(0)


def _outer(init: int, status_read: int) -> None:
    """Wait for init, then end the way the runner ended (its exit code, or its signal)."""
    while True:
        try:
            _, init_status = os.waitpid(init, 0)
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
    try:
        text = os.read(status_read, 32)
        status = int(text) if text else init_status
    except (OSError, ValueError):
        status = init_status
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the runner dumped already if it would
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
