"""A cold dryrun child started as early as the command line allows.

`nango-tui dryrun` knows what its child needs (the interpreter, the environment, the folder)
as soon as its arguments are parsed, before it imports asyncio and the runner. Starting the
child there lets its own start-up (Python, httpx, pydantic, the SDK: the run's critical path)
overlap all of the parent's. The child is the same `python -m nango_tui.dryrun.child` that
`start_dryrun` spawns otherwise: it runs nothing until it reads the checked request, and exits
at once if it never gets one (its stdin closes with the parent).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .prefork import ForkedChild, root_in_argv

if TYPE_CHECKING:
    import asyncio

    from .request import DryrunRequest

__all__ = [
    "CHILD_COMMAND",
    "EVENTS_LIMIT",
    "AdoptedProcess",
    "EarlyChild",
    "child_cwd",
    "child_env",
    "root_in_argv",
]

CHILD_COMMAND = (sys.executable, "-m", "nango_tui.dryrun.child")
EVENTS_LIMIT = 1 << 20  # bytes of one line the parent's reader buffers at most (longer: in pieces)


def child_env(request: DryrunRequest) -> dict[str, str]:
    """The environment a run's child gets: this process's, with the request's extra variables."""
    return _env(request.extra_env)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.pop("PYTHONSTARTUP", None)
    return env


def child_cwd(request: DryrunRequest) -> str | None:
    return _cwd(request.root)


def _cwd(root: str | os.PathLike[str]) -> str | None:
    folder = Path(root)
    return str(folder) if folder.is_dir() else None


class EarlyChild:
    """A child spawned before the event loop exists; `start_dryrun(..., early=it)` adopts it."""

    def __init__(
        self, popen: subprocess.Popen[bytes] | ForkedChild, cwd: str | None, env: dict[str, str]
    ) -> None:
        self.popen = popen
        self.adopted = False
        self.cwd = cwd
        self.env = env

    @classmethod
    def start(cls, request: DryrunRequest) -> EarlyChild:
        return cls.start_in(child_cwd(request), child_env(request))

    @classmethod
    def start_in(cls, cwd: str | None, env: dict[str, str]) -> EarlyChild:
        popen = subprocess.Popen(
            CHILD_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # own process group: cancel kills the script's children too
        )
        return cls(popen, cwd, env)

    @classmethod
    def for_command_line(cls, args: list[str]) -> EarlyChild | None:
        """The child of a `dryrun` command line (its arguments after `dryrun`), started before the
        arguments are parsed (argparse and the command's parser: ~40 ms of CPU on the run's
        critical path); None when the folder cannot be read off them for certain. The command
        uses it only if it `serves` the parsed request (same folder and environment)."""
        if "-h" in args or "--help" in args:
            return None  # argparse prints the help and exits: no run
        root = root_in_argv(args)
        if root is None:
            return None
        return cls.start_in(_cwd(root), _env({}))

    @classmethod
    def forked(cls, child: ForkedChild, root: str) -> EarlyChild:
        """The child `prefork.fork_child` forked at the program's start for the folder `root`
        (its environment is this process's: nothing has changed it since)."""
        return cls(child, _cwd(root), _env({}))

    def serves(self, request: DryrunRequest) -> bool:
        """Whether this child was started as `start(request)` would start it."""
        return not self.adopted and self.cwd == child_cwd(request) and self.env == child_env(request)

    async def adopt(self) -> AdoptedProcess:
        """The child as `asyncio.subprocess.Process`-like pipes on the running loop."""
        self.adopted = True
        return await AdoptedProcess.wrap(self.popen)

    def discard(self) -> None:
        """End a child that was never adopted (it has run no user code: killed outright)."""
        if self.adopted:
            return
        self.adopted = True
        import signal

        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pipe in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()
        self.popen.wait()


class AdoptedProcess:
    """The part of asyncio.subprocess.Process's API that DryrunRun uses, over a Popen."""

    def __init__(self, popen: subprocess.Popen[bytes] | ForkedChild) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self._exited: asyncio.Future[int] | None = None

    @classmethod
    async def wrap(cls, popen: subprocess.Popen[bytes] | ForkedChild) -> AdoptedProcess:
        import asyncio

        loop = asyncio.get_running_loop()
        proc = cls(popen)
        assert popen.stdin and popen.stdout and popen.stderr
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, popen.stdin)
        proc.stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        proc.stdout = await _reader(loop, popen.stdout, EVENTS_LIMIT)
        proc.stderr = await _reader(loop, popen.stderr, 1 << 16)
        proc._exited = loop.run_in_executor(None, popen.wait)  # as asyncio's threaded child watcher
        return proc

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode if self._exited is not None and self._exited.done() else None

    async def wait(self) -> int:
        import asyncio

        assert self._exited is not None
        return await asyncio.shield(self._exited)

    async def communicate(self) -> tuple[bytes, bytes]:
        assert self.stdout is not None and self.stderr is not None
        if self.stdin is not None:
            self.stdin.close()
        out = await self.stdout.read()
        err = await self.stderr.read()
        await self.wait()
        return out, err


async def _reader(loop: asyncio.AbstractEventLoop, pipe: Any, limit: int) -> asyncio.StreamReader:
    import asyncio

    reader = asyncio.StreamReader(limit=limit, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    return reader
