"""Warm dryrun children: a process that has imported the runtime forks each run's child.

    zygote = Zygote.start()               # spawns `python -m nango_tui.dryrun.zygote`; returns at once
    run = await start_dryrun(request, zygote=zygote)   # forked: no Python start-up, no imports
    zygote.close()

start_dryrun asks for the fork from the thread that checks the request (`bind`, `fork`, `forked`):
the child starts while the caller's event loop is busy (the workbench redrawing after ctrl+j).

A cold child pays Python's start-up and the imports of httpx, pydantic and the SDK (~0.2 s)
on every run. The zygote pays them once, then forks a child per run; the child is the same
`child.run` as a cold one (own session, the sandbox's namespaces, guard, limits, redaction),
so isolation is unchanged. The zygote itself never runs user code, holds no secret (it gets
the environment with each request, as a cold child would) and never runs an event loop: a
fork of it inherits only imported modules.

Protocol on a Unix socket: the parent sends one length-prefixed JSON request with the run's
event-pipe and stderr-pipe write ends attached (SCM_RIGHTS), and optionally the read end of a
pipe holding what only the child may read (the connection the parent resolved, credentials
included): the zygote hands that pipe to the fork unread, so no secret ever sits in its memory
for later forks to inherit. The zygote answers
`{"started": pid}`, later `{"exited": pid, "status": raw}` when that child ends. The zygote
ends when the socket closes or its parent dies.
"""

from __future__ import annotations

if __name__ == "__main__":
    import gc

    # the warm-up's imports allocate much and free little: the collector's ~50-80 young passes
    # over them are ~5% of the warm-up (`nango-tui test`'s critical path); `serve` freezes what
    # they built and turns it on again before the first fork, as a cold child does (child.py)
    _collector_paused = gc.isenabled()
    gc.disable()
    from nango_tui import boot

    boot.start()  # the imports' regexes and generated code from the cache (boot.py)

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: `test` starts a zygote before it imports asyncio
    import asyncio

    from .prespawn import SpawnedProcess

_HEADER = struct.Struct("!I")
MAX_REQUEST = 64 << 20


# -- the parent's side ------------------------------------------------------------------------------


class WarmProcess:
    """A forked child, with the part of asyncio.subprocess.Process's API that DryrunRun uses."""

    stdin = None  # the request travelled with the fork

    def __init__(self, pid: int, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        import asyncio

        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()

    def _ended(self, status: int) -> None:
        self.returncode = (
            -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
        )
        if not self._exited.done():
            self._exited.set_result(self.returncode)

    async def wait(self) -> int:
        import asyncio

        return await asyncio.shield(self._exited)

    async def communicate(self) -> tuple[bytes, bytes]:
        out = await self.stdout.read()
        err = await self.stderr.read()
        await self.wait()
        return out, err


class Zygote:
    """The parent's handle on one zygote process (bound to the event loop that first uses it)."""

    def __init__(self, proc: subprocess.Popen[bytes] | SpawnedProcess, sock: socket.socket) -> None:
        self._proc = proc
        self._sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buffer = b""
        self._starting: list[asyncio.Future[Any]] = []
        self._children: dict[int, WarmProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._sending = threading.Lock()
        self.closed = False

    @classmethod
    def start(cls, env: dict[str, str] | None = None, *, replay: bool = False) -> Zygote:
        """Spawn the zygote (it imports while the caller goes on). `replay=True`: its forks only
        replay saved responses (`nango-tui test`), so it prepares nothing for requests to a server
        (the CA bundle, httpx's transport: `child.warm_up_zygote`)."""
        from .prespawn import zygote_command, zygote_env

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        proc = subprocess.Popen(
            zygote_command(theirs.fileno(), replay),
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            env=zygote_env(env),
            start_new_session=True,  # a Ctrl-C at the terminal is the parent's to handle
        )
        theirs.close()
        return cls(proc, ours)

    @classmethod
    def adopt(cls, spawned: tuple[SpawnedProcess, int]) -> Zygote:
        """The handle on a zygote `prespawn.spawn_zygote` started."""
        proc, fd = spawned
        return cls(proc, socket.socket(fileno=fd))

    @property
    def alive(self) -> bool:
        return not self.closed and self._proc.poll() is None

    def usable(self) -> bool:
        """Whether a run can be forked now (alive, and bound to no other event loop)."""
        if not self.alive:
            return False
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return self._loop is None or self._loop is loop

    def bind(self) -> asyncio.Future[int]:
        """Bind this handle to the running event loop (its replies are read there) and return a
        future for the pid of the next child `fork` starts. Call on the loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._sock.setblocking(False)
            loop.add_reader(self._sock.fileno(), self._on_readable)
        return loop.create_future()

    def fork(
        self,
        launch: dict[str, Any],
        env: dict[str, str],
        cwd: str | None,
        started: asyncio.Future[int],
        private: bytes | None = None,
    ) -> tuple[int, int]:
        """Ask the zygote to fork a child for `launch` (the same message a cold child reads on
        stdin), from any thread: the child starts even while the event loop is busy (the
        workbench redrawing). `started` (from `bind`) gets its pid on the loop. `private`: the
        connection as JSON, read by the child alone through a pipe of its own (see the module's
        docstring); when it does not fit in a pipe the child looks its connection up itself.
        Returns the read ends of the child's event and stderr pipes, for `forked`; OSError if
        the zygote is gone."""
        events_read, events_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        handed = [events_write, stderr_write]
        private_read = _filled_pipe(private) if private is not None else None
        if private_read is not None:
            handed.append(private_read)
        payload = json.dumps({"launch": launch, "env": env, "cwd": cwd}).encode()
        message = _HEADER.pack(len(payload)) + payload
        try:
            with self._sending:  # one request at a time on the stream, its reply's future queued first
                self._starting.append(started)
                try:
                    _send_all(self._sock, message, handed)
                except OSError:
                    with contextlib.suppress(ValueError):  # `_fail` may have cleared it already
                        self._starting.remove(started)
                    raise
        except OSError:
            for fd in (events_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in handed:
                os.close(fd)
        return events_read, stderr_read

    async def forked(self, pipes: tuple[int, int], started: asyncio.Future[int]) -> WarmProcess:
        """The child `fork` asked for, once the zygote names it (on the loop `bind` bound)."""
        import asyncio

        loop = asyncio.get_running_loop()
        stdout = await _reader(loop, pipes[0], 1 << 20)
        stderr = await _reader(loop, pipes[1], 1 << 16)
        pid = await started
        child = WarmProcess(pid, stdout, stderr)
        early = self._early_exits.pop(pid, None)
        if early is not None:
            child._ended(early)
        else:
            self._children[pid] = child
        return child

    def failed(self, exc: BaseException) -> None:
        """A `fork` raised: the zygote is gone (on the loop)."""
        self._fail(exc)

    def _on_readable(self) -> None:
        try:
            data = self._sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(exc)
            return
        if not data:
            self._fail(ConnectionResetError("the zygote ended"))
            return
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            reply = json.loads(line)
            if "started" in reply:
                future = self._starting.pop(0)
                if not future.done():
                    future.set_result(reply["started"])
            elif "exited" in reply:
                child = self._children.pop(reply["exited"], None)
                if child is None:
                    self._early_exits[reply["exited"]] = reply["status"]
                else:
                    child._ended(reply["status"])

    def _fail(self, exc: BaseException) -> None:
        """The zygote is gone: pending starts fail, running children count as killed."""
        self.close()
        with self._sending:  # a `fork` in another thread queues its future under this lock
            starting, self._starting = self._starting, []
        for future in starting:
            if not future.done():
                future.set_exception(ConnectionResetError(str(exc)))
        for child in self._children.values():
            child._ended(signal.SIGKILL)  # a raw wait status: killed by SIGKILL
        self._children.clear()

    def _detach(self) -> bool:
        """Stop reading this handle's replies; False when it was closed already."""
        if self.closed:
            return False
        self.closed = True
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._sock.fileno())
        return True

    def close(self) -> None:
        """End the zygote, and with it any run still forked from it (they die with their parent)."""
        if not self._detach():
            return
        self._sock.close()  # an idle zygote exits at once; one still importing is killed
        try:
            self._proc.wait(0.1)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _filled_pipe(data: bytes) -> int | None:
    """The read end of a pipe that holds `data` whole (its write end closed), or None when the pipe
    cannot take it all at once (over ~64 KB: the child then does without)."""
    read, write = os.pipe()
    try:
        os.set_blocking(write, False)
        view = memoryview(data)
        while view:
            view = view[os.write(write, view) :]
    except OSError:  # BlockingIOError: full
        os.close(read)
        return None
    finally:
        os.close(write)
    return read


def _read_private(fd: int) -> dict[str, Any] | None:
    """The connection the parent put in the child's private pipe, or None if it is not readable
    (the child then looks the connection up itself)."""
    try:
        with open(fd, "rb") as pipe:
            value = json.loads(pipe.read(MAX_REQUEST))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _send_all(sock: socket.socket, message: bytes, fds: list[int]) -> None:
    """Send `message` with `fds` attached to its first bytes, waiting while the socket is full
    (it is non-blocking: the event loop reads the replies on it)."""
    sent = _when_writable(sock, socket.send_fds, sock, [message[: _HEADER.size]], fds)
    rest = memoryview(message)[sent:]
    while rest:
        rest = rest[_when_writable(sock, sock.send, rest) :]


def _when_writable(sock: socket.socket, send: Callable[..., int], *args: Any) -> int:
    import select

    while True:
        try:
            return send(*args)
        except (BlockingIOError, InterruptedError):
            select.select([], [sock], [])


async def _reader(loop: asyncio.AbstractEventLoop, fd: int, limit: int) -> asyncio.StreamReader:
    import asyncio

    reader = asyncio.StreamReader(limit=limit, loop=loop)
    pipe = os.fdopen(fd, "rb", buffering=0)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    return reader


# -- the zygote process -----------------------------------------------------------------------------


def serve(sock: socket.socket, replay: bool = False, resume_collector: bool = False) -> None:
    """The zygote's loop: fork a child per request, report its pid and later its exit.
    `resume_collector`: the caller paused the collector for the warm-up (turned on after the freeze)."""
    import select

    from nango_tui.config import heap

    from . import child, sandbox

    child.warm_up_zygote(replay=replay)
    from nango_tui import boot

    boot.finish()  # before the first fork: the forks run user code with the stock functions
    sandbox.die_with_parent()
    # imported modules stay shared with the forks (no copy-on-write from collections); no
    # collection first: the imports' little garbage is not worth ~15-25 ms of CPU before the
    # first fork can start (a cold child skips it too)
    heap.freeze()
    if resume_collector:
        import gc

        gc.enable()  # (off for the warm-up: see the top of this file; on in every fork, as before)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sock.setblocking(True)
    watched: list[socket.socket | int] = [sock, wake_read]
    while True:
        try:
            ready = select.select(watched, [], [])[0]
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if wake_read in ready:
            os.read(wake_read, 4096)
            _report_exits(sock)
        if sock in ready:
            try:
                request = _receive(sock)
            except (EOFError, OSError, ValueError):
                request = None
            if request is None:
                os._exit(0)  # the parent closed the socket
            message, fds = request
            pid = _fork_child(message, fds, sock, (wake_read, wake_write))
            for fd in fds:
                os.close(fd)
            _send(sock, {"started": pid})


def _receive(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """One request: read exactly its bytes (never into the next request's, which has its own fds)."""
    data, fds, _, _ = socket.recv_fds(sock, _HEADER.size, 4)
    if not data:
        return None
    data = data + _exactly(sock, _HEADER.size - len(data))
    (size,) = _HEADER.unpack_from(data)
    if size > MAX_REQUEST:
        return None
    return json.loads(_exactly(sock, size)), fds


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, have = [], 0
    while have < size:
        more = sock.recv(min(1 << 20, size - have))
        if not more:
            raise EOFError
        chunks.append(more)
        have += len(more)
    return b"".join(chunks)


def _send(sock: socket.socket, reply: dict[str, Any]) -> None:
    sock.sendall(json.dumps(reply).encode() + b"\n")


def _report_exits(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exited": pid, "status": status})


def _fork_child(message: dict[str, Any], fds: list[int], sock: socket.socket, wake: tuple[int, int]) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:  # the run's child: from here on exactly what a cold child does
        from . import child, sandbox
        from .request import ChildSpec

        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the run stops
        os.setsid()  # its own process group: the parent's killpg ends the run, nothing else
        sock.close()
        for fd in wake:
            os.close(fd)
        events, stderr, *private = fds
        os.dup2(events, 1)
        os.dup2(stderr, 2)
        os.close(events)
        os.close(stderr)
        _set_environment(message["env"])
        if message.get("cwd"):
            with contextlib.suppress(OSError):
                os.chdir(message["cwd"])
        sandbox.die_with_parent()
        launch = message["launch"]
        connection = _read_private(private[0]) if private else None  # only this process reads it
        child.run(ChildSpec.from_json(launch["spec"]), bytes.fromhex(launch["key"]), connection)
    finally:
        os._exit(70)


def _set_environment(env: dict[str, str]) -> None:
    """Make `os.environ` (and the C environment) `env`, as `clear()` then `update(env)` would, in
    the same order, changing only what differs: a run's environment is its zygote's (the parent's)
    but for a few variables, and each unset and set moves memory the fork shares with its zygote
    (38 variables: ~230 copied pages, ~1.3 ms of CPU in each run's first process)."""
    environ = os.environ
    for key in [key for key in environ if key not in env]:
        del environ[key]
    for key, value in env.items():
        if environ.get(key) != value:
            environ[key] = value
    if list(environ) != list(env):  # (another order: a variable the zygote had was set again)
        environ.clear()
        environ.update(env)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(
        socket.socket(fileno=int(sys.argv[1])),
        replay="--replay" in sys.argv[2:],
        resume_collector=bool(globals().get("_collector_paused")),
    )


if __name__ == "__main__":
    main()
