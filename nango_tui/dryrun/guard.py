"""Fault handling inside the child: memory cap, timeout, self-kill and exit reporting, locations.

Each fault a script can commit ends in an `error` event naming the script's file and line:
exceptions through their traceback, a timeout through the frame the script was running (or
awaiting in), os.kill/os._exit/os.abort on itself through the caller's frame, just before
the real call. A hard crash (segfault) is dumped by faulthandler on stderr, where the parent
finds the line.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import events as ev

if TYPE_CHECKING:
    from .request import ChildSpec


class ScriptTimeout(BaseException):
    """Raised in the script when the run's timeout fires (a BaseException: `except Exception` won't hide it)."""


_real_exit = os._exit
_real_kill = os.kill
_real_killpg = os.killpg
_real_abort = os.abort
_real_raise_signal = signal.raise_signal


class Faults:
    """Installs the child's guards and knows where the script is."""

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.root = str(Path(spec.root))
        self.script = str(Path(spec.root) / spec.script_path)
        self.main_coro: Any = None
        self.timeout_location: ev.Location | None = None
        self._emit: Callable[[ev.ErrorEvent], None] | None = None
        self._in_emit = 0
        self._timeout_pending = False
        self._stderr: TextIO | None = None

    # -- install -----------------------------------------------------------------------------

    def install(self, emit: Callable[[ev.ErrorEvent], None]) -> None:
        self._emit = emit
        limit = self.spec.memory_limit
        if limit:
            import resource

            try:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            except (ValueError, OSError):
                pass
        self._stderr = stderr = os.fdopen(os.dup(2), "w")
        faulthandler.enable(file=stderr, all_threads=False)
        self._patch_self_harm()
        if self.spec.timeout:
            remaining = self.spec.timeout - (_now() - self.spec.started_at)
            signal.signal(signal.SIGALRM, self._on_timeout)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.001))

    def cancel_timeout(self) -> None:
        if self.spec.timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def hard_exit(self, code: int) -> None:
        _real_exit(code)

    def memory_message(self) -> str:
        limit = self.spec.memory_limit
        cap = f" (the dryrun's limit is {limit >> 20} MiB)" if limit else ""
        return f"the script ran out of memory{cap}"

    # -- timeout -----------------------------------------------------------------------------

    def no_timeout(self) -> _NoTimeout:
        """A block the timeout must not interrupt (writing an event); it fires right after."""
        return _NoTimeout(self)

    def _on_timeout(self, signum: int, frame: FrameType | None) -> None:
        if self._in_emit:
            self._timeout_pending = True
            return
        self._fire_timeout(frame)

    def _fire_timeout(self, frame: FrameType | None) -> None:
        self.timeout_location = self.frame_location(frame) or self.awaiting_location()
        raise ScriptTimeout(f"the run took longer than {self.spec.timeout:g} s and was stopped")

    def awaiting_location(self) -> ev.Location | None:
        """Where the script's coroutine chain is suspended (for a timeout while it awaits)."""
        found: ev.Location | None = None
        coro = self.main_coro
        for _ in range(200):
            if coro is None:
                break
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None and frame.f_code.co_filename == self.script:
                found = {"file": self.spec.script_path, "line": frame.f_lineno}
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        return found

    # -- self-harm ---------------------------------------------------------------------------

    def _patch_self_harm(self) -> None:
        faults = self

        def report(kind: str, message: str) -> None:
            location = faults.frame_location(sys._getframe(2))
            if location and faults._emit:
                faults._emit(ev.error_event(kind, message, location=location))

        def own(pid: int) -> bool:
            return pid in (0, os.getpid(), -os.getpid(), -os.getpgrp())

        def kill(pid: int, sig: int) -> None:
            if own(pid):
                report("killed", f"the script sent {_signame(sig)} to its own process")
            _real_kill(pid, sig)

        def killpg(pgid: int, sig: int) -> None:
            if pgid in (0, os.getpgrp()):
                report("killed", f"the script sent {_signame(sig)} to its own process group")
            _real_killpg(pgid, sig)

        def _exit(status: int) -> NoReturn:
            report("exit", f"the script called os._exit({status})")
            _real_exit(status)

        def abort() -> NoReturn:
            report("killed", "the script called os.abort()")
            _real_abort()

        def raise_signal(sig: int) -> None:
            report("killed", f"the script raised {_signame(sig)} in its own process")
            _real_raise_signal(sig)

        os.kill, os.killpg, os._exit, os.abort = kill, killpg, _exit, abort
        signal.raise_signal = raise_signal

    # -- locations ---------------------------------------------------------------------------

    def frame_location(self, frame: FrameType | None) -> ev.Location | None:
        """The innermost frame of the script file in `frame`'s stack (else of the folder)."""
        fallback: ev.Location | None = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename == self.script:
                return {"file": self.spec.script_path, "line": frame.f_lineno}
            if fallback is None and _inside(filename, self.root):
                fallback = {"file": os.path.relpath(filename, self.root), "line": frame.f_lineno}
            frame = frame.f_back
        return fallback


class _NoTimeout:
    __slots__ = ("faults",)

    def __init__(self, faults: Faults) -> None:
        self.faults = faults

    def __enter__(self) -> None:
        self.faults._in_emit += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        faults = self.faults
        faults._in_emit -= 1
        if not faults._in_emit and faults._timeout_pending and exc_type is None:
            faults._timeout_pending = False
            faults._fire_timeout(sys._getframe(1))


def location_of(exc: BaseException, spec: ChildSpec) -> ev.Location | None:
    """The script's file and line an exception came from (its traceback's last script frame)."""
    root = str(Path(spec.root))
    script = str(Path(spec.root) / spec.script_path)
    if isinstance(exc, SyntaxError) and exc.filename:
        if _inside(exc.filename, root):
            return {"file": os.path.relpath(exc.filename, root), "line": exc.lineno or 1}
    found: ev.Location | None = None
    fallback: ev.Location | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == script:
            found = {"file": spec.script_path, "line": tb.tb_lineno}
        elif _inside(filename, root) and not _inside(filename, os.path.join(root, ".venv")):
            fallback = {"file": os.path.relpath(filename, root), "line": tb.tb_lineno}
        tb = tb.tb_next
    return found or fallback


def script_traceback(
    exc: BaseException, spec: ChildSpec, everything: bool = False, with_exception: bool = True
) -> str:
    """The traceback limited to the user's folder (paths relative), then the exception line."""
    root = str(Path(spec.root))
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if not everything and not _inside(frame.filename, root):
            continue
        name = os.path.relpath(frame.filename, root) if _inside(frame.filename, root) else frame.filename
        lines.append(f'  File "{name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    if with_exception or not lines:
        lines.extend(line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc))
    return "\n".join(lines)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _now() -> float:
    import time

    return time.time()
