"""`python -m nango_tui ...` for tests, forked from a warm process that has imported the CLI's parts.

    from tests.support import warm_cli
    done = warm_cli.run([sys.executable, "-m", "nango_tui", "validate"], capture_output=True, text=True)
    proc = warm_cli.popen([sys.executable, "-m", "nango_tui", "serve", ...], stdout=log, env=env)

The suite starts ~150 `nango-tui` processes (serve, worker, deploy...); each paid Python's start
and ~0.3-1 s of CPU in imports (SQLAlchemy, DBOS, uvicorn, httpx, pydantic) before its command ran.
Here one zygote per test process (this file run as a script, by path, so it never imports the
`tests` package and its test-process settings) imports them once and forks a process per command.
The fork is a real process: its own pid, the argv, environment, cwd and stdin/stdout/stderr the
test gave (the pipe ends travel over a Unix socket, SCM_RIGHTS), its own session when asked, and
`python -m nango_tui` runs in it as `python -m` runs it (`runpy._run_module_as_main`: argv[0],
`__main__`, an uncaught exception's traceback and exit 1, SystemExit's code, atexit, thread
joins). Only the imports are skipped. The handle is a `subprocess.Popen` (wait, poll,
communicate, send_signal, kill, returncode): the zygote reaps the process and sends its wait
status on a socket of its own.

What a fork cannot reproduce goes to a real `subprocess.Popen` instead: a command other than
`python -m nango_tui`, Popen options beyond the pipes/env/cwd/session (pass_fds, preexec_fn,
shell...), an environment whose PYTHON*/locale variables differ from the zygote's (they shape
the interpreter's start), or one whose variables that the pre-imported modules read at import
(recorded while the zygote imports) differ from the zygote's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

#: what the CLI's commands import before their work (serve/worker/deploy/validate/compile...);
#: never Textual (it reads its settings from the environment at import)
PRELOAD = (
    "nango_tui.cli",
    "nango_tui.config",
    "nango_tui.console",
    "nango_tui.workflows",
    "nango_tui.codegen",
    "nango_tui.dryrun.args",
    "nango_tui.dryrun.command",
    "nango_tui.infer.args",
    "nango_tui.remote.deploy",
    "nango_tui.remote.push",
    "nango_tui.server.serve",
    "nango_tui.server.db",
    "nango_tui.server.api.app",
    "httpx",
    "pydantic",
    "yaml",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "dbos",
    "dbos._sys_db_sqlite",
    "dbos._sys_db_postgres",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
)
#: variables that shape the interpreter's start (flags, stdio, locale): a fork would keep the zygote's
_STARTUP_PREFIXES = ("PYTHON", "LC_", "LANG")
_EMULATED = {"PYTHONUNBUFFERED"}  # the fork sets its streams' buffering from it
_HEADER = struct.Struct("!I")
_SUPPORTED = {"stdin", "stdout", "stderr", "env", "cwd", "text", "universal_newlines", "encoding", "errors"}
_SUPPORTED |= {"start_new_session", "bufsize", "close_fds"}


# -- the test's side --------------------------------------------------------------------------------


class _Zygote:
    """This test process's handle on its zygote (started on first use)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(right.fileno())],
            pass_fds=[right.fileno()],
            stdin=subprocess.DEVNULL,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        right.close()
        self.sock = left
        self.owner = os.getpid()  # a fork of the test process (multiprocessing...) starts its own
        ready = self._reply()
        self.startup_env: dict[str, str] = ready["startup_env"]  # PYTHON*/locale variables at its start
        self.read_at_import: dict[str, str | None] = ready["read_at_import"]
        self.children_cpu = 0.0

    def _reply(self) -> dict[str, Any]:
        line = b""
        while not line.endswith(b"\n"):
            more = self.sock.recv(1 << 16)
            if not more:
                raise RuntimeError(f"the warm CLI zygote ended (exit {self.proc.wait()}); see its stderr")
            line += more
        return json.loads(line)

    def fits(self, env: dict[str, str]) -> bool:
        """Whether a fork gets what a fresh interpreter with `env` would."""
        startup = {k: v for k, v in env.items() if k.startswith(_STARTUP_PREFIXES) and k not in _EMULATED}
        if startup != self.startup_env:
            return False
        return all(env.get(name) == value for name, value in self.read_at_import.items())

    def spawn(self, request: dict[str, Any], fds: list[int]) -> tuple[int, socket.socket]:
        status_mine, status_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        data = json.dumps(request).encode()
        try:
            with self.lock:
                socket.send_fds(self.sock, [_HEADER.pack(len(data)) + data], [*fds, status_theirs.fileno()])
                reply = self._reply()
        finally:
            status_theirs.close()
        return reply["pid"], status_mine

    def close(self) -> None:
        self.sock.close()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
        except ChildProcessError:
            return
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        # this wait adds the zygote's CPU and its forks' to this process's children: the forks were
        # counted as they ended, the zygote's own is a kind of its own
        own = usage.ru_utime + usage.ru_stime - self.children_cpu
        _census("warm CLI zygote", max(own, 0.0), False)
        _census("", -self.children_cpu, True)


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()


def _the_zygote() -> _Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or _zygote.owner != os.getpid() or _zygote.proc.poll() is not None:
            _zygote = _Zygote()
        return _zygote


def close() -> None:
    """End this process's zygote (the suite does at the end of the session)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


def _census(kind: str, seconds: float, child: bool) -> None:
    from tests.support import cpu_profile

    if os.environ.get(cpu_profile.ENV):
        cpu_profile.record(kind, seconds, child=child)


class WarmPopen(subprocess.Popen):
    """A Popen whose process is forked by the zygote instead of exec'd; the same API."""

    def _execute_child(  # type: ignore[override]
        self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo, creationflags,
        shell, p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite, restore_signals, gid, gids,
        uid, umask, start_new_session, process_group,
    ) -> None:  # fmt: skip
        zygote = _the_zygote()
        stdio = [p2cread if p2cread != -1 else 0, c2pwrite if c2pwrite != -1 else 1]
        stdio.append(errwrite if errwrite != -1 else 2)
        request = {
            "argv": [os.fsdecode(a) for a in args[3:]],
            "env": dict(
                os.environ if env is None else {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
            ),
            "cwd": os.fsdecode(cwd) if cwd is not None else os.getcwd(),
            "new_session": bool(start_new_session),
            "sigint_ignored": signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
        }
        self.pid, self._status = zygote.spawn(request, stdio)
        self._child_created = True
        self._zygote = zygote
        self._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)

    def _ended(self, block: bool, timeout: float | None = None) -> bool:
        """Read the exit the zygote reported, if there is one (waiting up to `timeout` if `block`)."""
        import select

        if self.returncode is not None:
            return True
        if not select.select([self._status], [], [], timeout if block else 0)[0]:
            return False
        data = b""
        while not data.endswith(b"\n"):
            more = self._status.recv(4096)
            if not more:
                raise RuntimeError(f"the warm CLI zygote ended before reporting process {self.pid}")
            data += more
        self._status.close()
        message = json.loads(data)
        self._zygote.children_cpu += message["cpu"]
        _census(_kind(self.args), message["cpu"], True)
        self._handle_exitstatus(message["status"])
        return True

    def _internal_poll(self, _deadstate=None, **_ignored: Any) -> int | None:  # type: ignore[override]
        if self.returncode is None and self._waitpid_lock.acquire(False):
            try:
                self._ended(block=False)
            finally:
                self._waitpid_lock.release()
        return self.returncode

    def _wait(self, timeout: float | None) -> int:  # type: ignore[override]
        with self._waitpid_lock:
            if not self._ended(block=True, timeout=timeout):
                raise subprocess.TimeoutExpired(self.args, timeout)
        assert self.returncode is not None
        return self.returncode


def _kind(args: Any) -> str:
    from tests.support import cpu_profile

    return cpu_profile._kind(args)


def _warm_fits(args: Any, kwargs: dict[str, Any]) -> bool:
    if isinstance(args, (str, bytes, os.PathLike)) or len(args) < 3:
        return False
    argv = [os.fsdecode(a) for a in args]
    if argv[:3] != [sys.executable, "-m", "nango_tui"] or set(kwargs) - _SUPPORTED:
        return False
    if kwargs.get("close_fds", True) is not True:
        return False
    cwd = kwargs.get("cwd")
    if cwd is not None and not os.path.isdir(cwd):
        return False  # Popen raises the error a user would see
    env = kwargs.get("env")
    env = dict(os.environ) if env is None else {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
    return _the_zygote().fits(env)


def _forks_allowed() -> bool:
    """Only inside a test (pytest sets PYTEST_CURRENT_TEST): the benchmarks share the tests'
    helpers (ServerProcess...) and must time what a user starts, a cold process."""
    return os.environ.get("NANGO_TUI_TESTS_COLD_CLI") != "1" and "PYTEST_CURRENT_TEST" in os.environ


def popen(args: Any, **kwargs: Any) -> subprocess.Popen:
    """`subprocess.Popen(args, **kwargs)`, forked from the zygote when the command is `python -m
    nango_tui` and the options allow it."""
    if _forks_allowed() and _warm_fits(args, kwargs):
        return WarmPopen(args, **kwargs)
    return subprocess.Popen(args, **kwargs)


def run(args: Any, *, input: Any = None, capture_output: bool = False, timeout: float | None = None,
        check: bool = False, **kwargs: Any) -> subprocess.CompletedProcess:  # fmt: skip
    """`subprocess.run` through `popen`."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with popen(args, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        except BaseException:
            process.kill()
            raise
        code = process.poll()
    if check and code:
        raise subprocess.CalledProcessError(code, process.args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(process.args, code, stdout, stderr)


# -- the zygote's side (this file run as a script) -------------------------------------------------


class _RecordingEnviron(os._Environ):  # type: ignore[name-defined,misc]
    """os.environ that notes the names read while `recording` is set (the imports)."""

    recording = True
    read: set[str] = set()
    copier: Any = None  # the frame that last listed the keys: its reads copy the whole environment

    def keys(self) -> Any:
        type(self).copier = sys._getframe(1)  # dict(os.environ, ...) (for a subprocess) starts so
        return super().keys()

    def __getitem__(self, key: str) -> str:
        if self.recording and sys._getframe(1) is not self.copier:
            self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if self.recording and isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def _preload() -> dict[str, str | None]:
    """Import PRELOAD; the environment variables read meanwhile, with their values."""
    import importlib

    recorder = _RecordingEnviron.__new__(_RecordingEnviron)
    recorder.__dict__.update(os.environ.__dict__)  # the same mapping, putenv and unsetenv
    os.environ = recorder  # noqa: B003 - the same mapping (and putenv), only observed
    for name in PRELOAD:
        importlib.import_module(name)
    _RecordingEnviron.recording = False
    _RecordingEnviron.copier = None
    if threading.active_count() != 1:
        raise RuntimeError(f"the preloaded modules started threads: {threading.enumerate()}")
    return {name: os.environ.get(name) for name in sorted(_RecordingEnviron.read)}


def _serve(sock: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """Fork a process per request, report each one's exit; returns in the fork (its request)."""
    import select

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the test process ends this one by closing the socket
    read_at_import = _preload()
    import gc

    # the imports' objects stay out of the forks' collections, as a fresh process's few are small: a
    # fork that exits through SystemExit (--help, usage errors) otherwise pays a collection of the
    # whole preloaded heap (~0.35 s of CPU for `--help`, 0.07 s frozen, 0.07-0.1 s cold)
    gc.freeze()
    startup = {k: v for k, v in os.environ.items() if k.startswith(_STARTUP_PREFIXES) and k not in _EMULATED}
    sock.sendall(json.dumps({"startup_env": startup, "read_at_import": read_at_import}).encode() + b"\n")
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    reporters: dict[int, socket.socket] = {}
    while True:
        try:
            ready = select.select([sock, wake_read], [], [])[0]
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if wake_read in ready:
            os.read(wake_read, 4096)
            _report_exits(reporters)
        if sock not in ready:
            continue
        data, fds, _, _ = socket.recv_fds(sock, _HEADER.size, 4)
        if not data:
            os._exit(0)  # the test process closed the socket (or ended)
        while len(data) < _HEADER.size:
            data += sock.recv(_HEADER.size - len(data))
        (size,) = _HEADER.unpack(data)
        body = b""
        while len(body) < size:
            body += sock.recv(size - len(body))
        *stdio, reporter_fd = fds
        set_up, set_up_write = os.pipe()  # the fork closes its end once it is what the request says
        pid = os.fork()
        if pid == 0:
            os.close(set_up)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (wake_read, wake_write, reporter_fd, sock.fileno()):
                os.close(fd)
            for reporter in reporters.values():
                reporter.close()
            sock.detach()
            return json.loads(body), stdio
        os.close(set_up_write)
        for fd in stdio:
            os.close(fd)
        os.read(set_up, 1)  # as Popen returns once the child has exec'd: its session, stdio, cwd are set
        os.close(set_up)
        reporters[pid] = socket.socket(fileno=reporter_fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _report_exits(reporters)


def _report_exits(reporters: dict[int, socket.socket]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reporter = reporters.pop(pid, None)
        if reporter is not None:
            with contextlib.suppress(OSError):  # the test process may have gone
                cpu = usage.ru_utime + usage.ru_stime
                reporter.sendall(json.dumps({"status": status, "cpu": cpu}).encode() + b"\n")
            reporter.close()


def _become(request: dict[str, Any], stdio: list[int]) -> None:
    """In the fork: the process the request describes, then `python -m nango_tui` in it."""
    import runpy
    import types

    if request["new_session"]:
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN if request["sigint_ignored"] else signal.default_int_handler)
    for target, fd in enumerate(stdio):
        if fd != target:
            os.dup2(fd, target)
    os.chdir(request["cwd"])
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # and so tells the zygote it is set up
    os.environ.clear()
    os.environ.update(request["env"])
    # the standard streams (the same objects: a module may hold one) buffered as a fresh
    # interpreter's would be on these descriptors; the zygote wrote and read nothing on its own
    unbuffered = bool(request["env"].get("PYTHONUNBUFFERED"))
    sys.stdout.reconfigure(line_buffering=not unbuffered and os.isatty(1), write_through=unbuffered)
    sys.stderr.reconfigure(line_buffering=not unbuffered, write_through=unbuffered)
    sys.modules["_warm_cli_zygote"] = sys.modules["__main__"]  # its functions keep their globals
    sys.modules["__main__"] = types.ModuleType("__main__")
    sys.argv = ["-m", *request["argv"]]
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    runpy._run_module_as_main("nango_tui", alter_argv=True)  # type: ignore[attr-defined]


if __name__ == "__main__":
    # sys.path[0] is tests/support: nothing of the `tests` package is imported here
    _become(*_serve(socket.socket(fileno=int(sys.argv[1]))))
