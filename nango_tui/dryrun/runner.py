"""The parent side of a dryrun: start the child process, stream its events, cancel it.

    run = await start_dryrun(DryrunRequest(root, "contacts", "my-conn"))
    async for event in run.events():   # dicts as DESIGN.md "Dryrun events", ending with `done`
        ...
    await run.cancel()                 # from anywhere: the child is gone within 1 s

The child writes one JSON event per line on its stdout (the script's own prints become `log`
events inside the child); whatever reaches its stderr (interpreter crashes, faulthandler
dumps, C-level writes) becomes `log` events here. The parent always ends the stream with
exactly one `done` it builds from its own tally, so a child that crashes, hangs or is killed
still gives a complete stream.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import re
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import events as ev
from .channel import Opener, new_key
from .early import CHILD_COMMAND, EVENTS_LIMIT, EarlyChild, child_cwd, child_env
from .request import ChildSpec, DryrunRequest, DryrunSetupError

if TYPE_CHECKING:
    from nango_tui.runtime.connection_model import Connection
    from nango_tui.runtime.redaction import Redactor

    from .early import AdoptedProcess
    from .zygote import WarmProcess, Zygote

    ChildProcess = asyncio.subprocess.Process | WarmProcess | AdoptedProcess

KILL_GRACE = 0.4  # seconds between SIGTERM and SIGKILL on cancel
TIMEOUT_GRACE = 1.0  # the child reports its own timeout (with the script's line) before we kill it
STDERR_LOG_LIMIT = 200  # stderr lines passed on as `log` events; the rest only counted
_EOF_OUT = object()  # the child's event stream ended
_EOF_ERR = object()  # its stderr ended (later, if the script left processes holding it)


async def start_dryrun(
    request: DryrunRequest, *, zygote: Zygote | None = None, early: EarlyChild | None = None
) -> DryrunRun:
    """Check the request and start the run; DryrunSetupError (one clear message) if it cannot run.

    With a `zygote` (or the process's default, `use_zygote`) the child is forked from that warm
    process once the request is checked: no interpreter start-up, no imports. Otherwise a cold
    child is spawned while the request is checked, so its imports overlap the parent's work;
    it runs no user code until it receives the checked request, and a request that fails the
    checks only makes it exit. `early`: that cold child, already started by the caller before it
    imported asyncio (`early.EarlyChild`, the CLI's). Either way the child is the same: same
    sandbox, guard, limits.
    """
    from .setup import resolve_run

    zygote = zygote or _default_zygote
    if zygote is not None and zygote.usable():
        if early is not None:
            early.discard()
        return await _ForkingRun(request, zygote)

    spawning: asyncio.Task[ChildProcess] = asyncio.create_task(
        early.adopt() if early is not None else _spawn_child(request)
    )
    try:
        secrets: list[str] = []
        spec, connection = await asyncio.to_thread(resolve_run, request, secrets)
    except BaseException:
        await _discard(await spawning)
        raise
    run = DryrunRun(spec, request, secrets, connection)
    await run._start(await spawning)
    return run


def begin_dryrun(request: DryrunRequest, *, zygote: Zygote | None = None) -> Awaitable[DryrunRun]:
    """`start_dryrun`, with the request's check and the zygote's fork asked for now, not when the
    result is awaited: a caller whose loop is busy (the workbench closing a dialog) has its child
    started meanwhile. Await the result once, or `close()` it: a child forked for it then ends.
    Without a usable zygote, nothing starts before the await (a cold child, as `start_dryrun`)."""
    zygote = zygote or _default_zygote
    if zygote is not None and zygote.usable():
        return _ForkingRun(request, zygote)
    return start_dryrun(request, zygote=zygote)


class _ForkingRun:
    """A run whose request is being checked and its child forked, in a thread (asked for when
    made); awaiting it gives the DryrunRun."""

    def __init__(self, request: DryrunRequest, zygote: Zygote) -> None:
        self._request = request
        self._zygote = zygote
        self._started = zygote.bind()
        # checked and forked in one thread, submitted now (asyncio.to_thread would wait for the
        # next turn of the loop): the child starts even while this loop is busy (the workbench
        # redraws for tens of ms after ctrl+j), not once the loop resumes the awaiting task
        self._forking = asyncio.get_running_loop().run_in_executor(
            None, partial(contextvars.copy_context().run, _resolve_and_fork, request, zygote, self._started)
        )
        self._awaited = False

    @property
    def forked(self) -> asyncio.Future[Any]:
        """Done once the request is checked and the fork asked for (or that failed)."""
        return self._forking

    def __await__(self) -> Generator[Any, None, DryrunRun]:
        self._awaited = True
        return self._finish().__await__()

    def close(self) -> None:
        """Never awaited (the caller gave up on the run): end the child forked for it."""
        if not self._awaited:
            self._awaited = True
            self._forking.add_done_callback(partial(_abandon_fork, started=self._started))

    async def _finish(self) -> DryrunRun:
        forking, started = self._forking, self._started
        try:
            run, pipes = await asyncio.shield(forking)
        except asyncio.CancelledError:
            forking.add_done_callback(partial(_abandon_fork, started=started))
            raise
        except BaseException:
            _forget(started)
            raise
        if isinstance(pipes, OSError):  # the zygote is gone: a cold child does the same
            self._zygote.failed(pipes)
            await run._start(await _spawn_child(self._request))
        else:
            await run._start(await self._zygote.forked(pipes, started))
        return run


def _resolve_and_fork(
    request: DryrunRequest, zygote: Zygote, started: asyncio.Future[int]
) -> tuple[DryrunRun, tuple[int, int] | OSError]:
    """(In a thread.) Check the request, then have the zygote fork its child: the run and the
    child's pipes (or the OSError that says the zygote is gone)."""
    from .setup import resolve_run

    secrets: list[str] = []
    spec, connection = resolve_run(request, secrets)
    run = DryrunRun(spec, request, secrets, connection)
    try:
        return run, zygote.fork(
            run._launch(via_zygote=True),
            _child_env(request),
            _child_cwd(request),
            started,
            private=run._private_connection(),
        )
    except OSError as exc:
        return run, exc


def _abandon_fork(forking: asyncio.Future[Any], started: asyncio.Future[int]) -> None:
    """The caller was cancelled while the child was being forked: end that child."""
    result = None if forking.cancelled() or forking.exception() else forking.result()
    pipes = result[1] if result is not None else None
    if not isinstance(pipes, tuple):
        _forget(started)
        return
    for fd in pipes:
        os.close(fd)  # its writes now fail: it ends by itself even if the kill below comes late
    started.add_done_callback(_kill_forked)


def _kill_forked(pid: asyncio.Future[int]) -> None:
    """Kill an abandoned forked child and its group (`_signal_run`: the child alone while it does
    not lead its group yet: the zygote names it as it forks, it calls setsid next)."""
    if pid.cancelled() or pid.exception():
        return
    _signal_run(pid.result(), signal.SIGKILL)


def _forget(started: asyncio.Future[int]) -> None:
    """A pid future no fork was sent for (or nobody will read): no warning when it fails."""
    started.add_done_callback(lambda pid: None if pid.cancelled() else pid.exception())
    started.cancel()


_default_zygote: Zygote | None = None


def use_zygote(zygote: Zygote | None) -> None:
    """Make `zygote` the one start_dryrun forks from when it is given none (None: cold children)."""
    global _default_zygote
    _default_zygote = zygote


_child_env = child_env
_child_cwd = child_cwd


async def _spawn_child(request: DryrunRequest) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *CHILD_COMMAND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=_child_cwd(request),
        env=_child_env(request),
        start_new_session=True,  # own process group: cancel kills the script's children too
        limit=EVENTS_LIMIT,
    )


async def _discard(proc: ChildProcess) -> None:
    """End a child that never got a request (it has run no user code: kill it outright)."""
    _signal_group(proc.pid, signal.SIGKILL)
    await proc.communicate()


class DryrunRun:
    """One running dryrun. Iterate `events()` once; `cancel()` may be called at any time."""

    def __init__(
        self,
        spec: ChildSpec,
        request: DryrunRequest,
        secrets: list[str] | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.spec = spec
        self._connection = connection  # as resolved here: handed to the child, never shown
        self.request = request
        self.records_file = Path(spec.records_file)
        self.mocks_file = Path(spec.mocks_file)
        self.script_path = spec.script_path
        self.kind = spec.kind
        self.tally = ev.Tally()
        self.done: dict[str, Any] | None = None
        self._proc: ChildProcess | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=8)  # bounded: backpressure to the child
        self._readers: list[asyncio.Task[Any]] = []
        self._cancelled = False
        self._timed_out = False
        self._child_done: dict[str, Any] | None = None
        self._child_error = False
        self._stderr_tail: deque[str] = deque(maxlen=60)
        self._stderr_lines = 0
        self._iterating = False
        self._stderr_closed = False
        self._late_markers: deque[object] = deque()
        self._t0 = spec.started_at
        self._redactor = _redactor(secrets or [])  # for what the child writes outside its events
        self._key = new_key()
        self._opener = Opener(self._key)
        self._forged = 0  # lines on the event channel the runner did not write
        # True: a `batch` event is read without its records: its head (type, op, model, t, n)
        # and `events.RAW` (the line's JSON text, records included); a `request` event without
        # its headers and bodies (type, method, url, status, ms, bytes, attempt, error), with its
        # RAW; the child's other events are decoded and carry their line as `events.RAW` too. For
        # a consumer that only passes the lines on (`dryrun --json`); set it before events().
        self.raw_batches = False

    # -- lifecycle ---------------------------------------------------------------------------

    def _launch(self, via_zygote: bool = False) -> dict[str, Any]:
        """What the child needs: the checked request, the event channel's key and, for a cold
        child (its stdin comes straight from here), the connection the parent resolved, so that it
        reads neither connections.yaml nor a Nango server again. Never in a zygote's message: its
        later forks (other runs, other connections on a server) would inherit the freed memory
        that held these credentials; a forked child gets it through a pipe the zygote does not
        read (`_private_connection`)."""
        launch: dict[str, Any] = {"spec": self.spec.to_json(), "key": self._key.hex()}
        if not via_zygote:
            connection = self._connection_json()
            if connection is not None:
                launch["connection"] = connection
        return launch

    def _private_connection(self) -> bytes | None:
        """The connection for a forked child's private pipe (`Zygote.fork`), as JSON."""
        connection = self._connection_json()
        return None if connection is None else json.dumps(connection).encode()

    def _connection_json(self) -> dict[str, Any] | None:
        """The connection as `connection_to_json` gives it: the one resolved here or, for a replay
        without one, the credential-less stand-in the child would make after looking in vain;
        None when the child must look it up itself."""
        from nango_tui.runtime.connection_model import connection_to_json, replay_stand_in

        connection = self._connection
        if connection is None and self.spec.replay:
            connection = replay_stand_in(
                self.spec.connection_id, self.spec.integration, self.spec.environment
            )
        return None if connection is None else connection_to_json(connection)

    async def _start(self, proc: ChildProcess) -> None:
        if str(self.records_file) != os.devnull:  # a server run keeps no records file
            self.records_file.parent.mkdir(parents=True, exist_ok=True)
            self.records_file.touch()
        self._proc = proc
        if proc.stdin is not None:  # a cold child reads the request on stdin
            proc.stdin.write(json.dumps(self._launch()).encode() + b"\n")
            try:
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            proc.stdin.close()
        self._readers = [
            asyncio.create_task(self._read_events()),
            asyncio.create_task(self._read_stderr()),
        ]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def elapsed(self) -> float:
        return time.time() - self._t0

    async def cancel(self) -> None:
        """Stop the run now: the child (and anything it started) is gone within 1 s."""
        if self._proc is None or self._proc.returncode is not None:
            self._cancelled = self._cancelled or self.done is None
            return
        self._cancelled = True
        await self._kill()

    async def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        _signal_run(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), KILL_GRACE)
        except TimeoutError:
            _signal_run(proc.pid, signal.SIGKILL)
            try:
                await asyncio.wait_for(proc.wait(), 0.5)
            except TimeoutError:  # pragma: no cover - SIGKILL cannot be ignored
                pass
        _signal_group(proc.pid, signal.SIGKILL)  # the script's own children, if any outlived it

    async def __aenter__(self) -> DryrunRun:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.done is None:
            await self.cancel()
        await self._finish_readers()

    # -- reading the child -------------------------------------------------------------------

    async def _read_events(self) -> None:
        assert self._proc and self._proc.stdout
        try:
            async for line in read_lines(self._proc.stdout):
                if line.strip():
                    event = self._decode(line)
                    if event is not None:
                        await self._queue.put(event)
        finally:
            self._end_of(_EOF_OUT)

    def _end_of(self, marker: object) -> None:
        """Queue a reader's end marker without waiting: after a cancel nobody may drain a full queue."""
        try:
            self._queue.put_nowait(marker)
        except asyncio.QueueFull:
            self._late_markers.append(marker)  # handed out once the queue is empty (see _next)

    def _decode(self, line: bytes) -> dict[str, Any] | None:
        body = self._opener.open(line)
        if body is not None:
            if self.raw_batches:
                head = _batch_head(body) if body.startswith(_BATCH_START) else _request_head(body)
                if head is not None:
                    return head
            try:
                event = ev.loads(body)
                if isinstance(event, dict) and "type" in event:
                    if self.raw_batches:  # passed on as written (a request event carries 64 KB bodies)
                        event[ev.RAW] = body
                    return event
            except ValueError:
                pass
        self._forged += 1
        if self._forged > STDERR_LOG_LIMIT:
            return None
        text = self._redactor.text(line[:2000].decode("utf-8", "replace"))
        return ev.plain(
            ev.log_event(
                f"ignored a line on the event channel that the runner did not write: {text}",
                "warn",
                source="channel",
                t=round(self.elapsed(), 3),
            )
        )

    async def _read_stderr(self) -> None:
        assert self._proc and self._proc.stderr
        try:
            async for raw in self._proc.stderr:
                text = self._redactor.text(raw.decode("utf-8", "replace").rstrip("\n"))
                self._stderr_tail.append(text)
                self._stderr_lines += 1
                if self._stderr_lines <= STDERR_LOG_LIMIT:
                    await self._queue.put(
                        ev.log_event(text[:2000], "warn", source="stderr", t=round(self.elapsed(), 3))
                    )
        except ValueError:  # a line longer than the reader's limit: skip it
            pass
        finally:
            self._end_of(_EOF_ERR)

    async def _next(self, deadline: float | None) -> Any:
        if self._late_markers and self._queue.empty():
            return self._late_markers.popleft()
        if deadline is None:
            return await self._queue.get()
        remaining = deadline - time.time()
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(self._queue.get(), remaining)

    # -- the stream --------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The run's events, in order, ending with exactly one `done` (then the stream ends)."""
        if self._iterating:
            raise RuntimeError("events() can be iterated only once per run")
        self._iterating = True
        spec = self.spec
        start = {
            "type": ev.START,
            "t": 0.0,
            "script": spec.name,
            "integration": spec.integration,
            "kind": spec.kind,
            "file": spec.script_path,
            "connection": spec.connection_id,
            "environment": spec.environment,
            "replay": spec.replay,
            "save_responses": spec.save_responses,
            "validation": spec.validation,
            "max_records": spec.max_records,
            "records_file": str(self.records_file),
        }
        yield start
        deadline = spec.started_at + spec.timeout + TIMEOUT_GRACE if spec.timeout else None
        try:
            while not self._cancelled:
                try:
                    item = await self._next(deadline)
                except TimeoutError:
                    self._timed_out = True
                    await self._kill()
                    break
                if item is _EOF_OUT:
                    break
                if item is _EOF_ERR:
                    self._stderr_closed = True
                    continue
                if self._take(item):
                    yield item
            if not self._cancelled:
                for item in await self._wind_down():
                    yield item
            for event in await self._ending():
                yield event
        finally:
            if self.done is None:  # the consumer stopped early: leave nothing running
                await self.cancel()
                self.done = ev.plain(self.tally.done_event(ev.CANCELLED, self.elapsed()))
            await self._finish_readers()

    def _take(self, item: dict[str, Any]) -> bool:
        """Note a child event; False for the child's own `done` (the parent builds the real one)."""
        kind = item.get("type")
        if kind == ev.DONE:
            self._child_done = item
            return False
        if kind == ev.ERROR:
            self._child_error = True
        self.tally.feed(item)
        return True

    async def _wind_down(self) -> list[dict[str, Any]]:
        """The child closed its event stream: let it exit, end what it left running, and collect
        the rest of its stderr (a crash dump names the script's line)."""
        proc = self._proc
        assert proc is not None
        try:
            await asyncio.wait_for(proc.wait(), 2.0)
        except TimeoutError:
            await self._kill()
        _signal_group(proc.pid, signal.SIGKILL)  # processes the script started and left behind
        items: list[dict[str, Any]] = []
        end = time.time() + 1.0
        while not self._stderr_closed:
            try:
                item = await self._next(end)
            except TimeoutError:
                break
            if item is _EOF_ERR:
                break
            if item is not _EOF_OUT and self._take(item):
                items.append(item)
        return items

    async def _ending(self) -> list[dict[str, Any]]:
        """The closing events: an `error` for a child that did not end well, then `done`."""
        proc = self._proc
        assert proc is not None
        if self._cancelled:
            await self._kill()
            self.done = done = ev.plain(self.tally.done_event(ev.CANCELLED, self.elapsed(), "cancelled"))
            return [self._stamp(done)]
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 2.0)
            except TimeoutError:
                await self._kill()
        _signal_group(proc.pid, signal.SIGKILL)
        out: list[dict[str, Any]] = []
        child = self._child_done
        if self._timed_out:
            if not self._child_error:
                message = f"the run took longer than {self.spec.timeout:g} s and was stopped"
                out.append(ev.plain(ev.error_event("timeout", message, location=self._stderr_location())))
            status: ev.DoneStatus = ev.FAILED
            reason: str | None = "timeout"
        elif child is not None:
            status, reason = child.get("status", ev.FAILED), child.get("reason")
        else:
            if not self._child_error:  # the child may have said why just before it died
                out.append(self._crash_error(proc.returncode))
            status, reason = ev.FAILED, "crashed"
        if status == ev.OK and proc.returncode not in (0, None):
            status = ev.FAILED
        for event in out:
            self._stamp(event)
            self.tally.feed(event)
        self.done = done = self._stamp(ev.plain(self.tally.done_event(status, self.elapsed(), reason)))
        if child and child.get("peak_rss_kib"):
            done["peak_rss_kib"] = child["peak_rss_kib"]  # the child's own peak memory
        return [*out, done]

    def _stamp(self, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("t", round(self.elapsed(), 3))
        return event

    def _crash_error(self, code: int | None) -> dict[str, Any]:
        return ev.plain(self._crash_event(code))

    def _crash_event(self, code: int | None) -> ev.ErrorEvent:
        location = self._stderr_location()
        tail = "\n".join(list(self._stderr_tail)[-12:])
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return ev.error_event(
                "killed",
                f"the script's process was killed by {name}{hint}",
                location=location,
                traceback=tail or None,
            )
        return ev.error_event(
            "crash",
            f"the script's process ended (exit code {code}) without finishing the run",
            location=location,
            traceback=tail or None,
        )

    def _stderr_location(self) -> ev.Location | None:
        """The script's innermost frame in a faulthandler dump or traceback on stderr, if any."""
        script = str(Path(self.spec.root) / self.spec.script_path)
        found: ev.Location | None = None
        newest_first = False
        for text in self._stderr_tail:
            if "most recent call first" in text:
                newest_first, found = True, None
                continue
            match = _FRAME.search(text)
            if match and match.group(1) == script:
                if newest_first and found is not None:
                    continue  # faulthandler lists the innermost frame first
                found = {"file": self.spec.script_path, "line": int(match.group(2))}
        return found

    async def _finish_readers(self) -> None:
        readers, self._readers = self._readers, []
        for task in readers:
            task.cancel()
        # The readers end at once (their end markers never wait); a cancellation of the task
        # calling us still propagates.
        await asyncio.gather(*readers, return_exceptions=True)
        await self._drain_pipes()

    async def _drain_pipes(self) -> None:
        """Read to its end what an ended child left in its pipes (a cancelled run's unread
        events). A pipe paused with a full buffer never sees its end: its process transport stayed
        open until collected, maybe after its loop had closed ("Event loop is closed")."""
        proc = self._proc
        if proc is None or proc.returncode is None:
            return
        for stream in (proc.stdout, proc.stderr):
            if stream is None:
                continue
            try:
                async with asyncio.timeout(1):  # (the writer is gone: a pipe's worth at most)
                    while await stream.read(1 << 20):
                        pass
            except (TimeoutError, OSError, ValueError):
                pass


async def read_lines(stream: asyncio.StreamReader, chunk_size: int = 1 << 18) -> AsyncIterator[bytes]:
    """The lines of a stream without their newlines, in time linear in their length.

    The pieces of a long line are kept in a list and joined once when its newline arrives
    (re-joining the growing line at every read was quadratic: 74 s for a 100 MB line).
    """
    partial: list[bytes] = []
    while True:
        chunk = await stream.read(chunk_size)
        if not chunk:
            break
        end = chunk.find(b"\n")
        if end < 0:
            partial.append(chunk)
            continue
        partial.append(chunk[:end])
        yield b"".join(partial)
        lines = chunk[end + 1 :].split(b"\n")
        rest = lines.pop()
        partial = [rest] if rest else []
        for line in lines:
            yield line
    if partial:
        yield b"".join(partial)


_RECORDS_AT = b',"records":['
_BATCH_START = b'{"type":"batch"'
_REQUEST_START = b'{"type":"request"'
_HEADERS_AT = b',"request_headers":'


def _batch_head(body: bytes) -> dict[str, Any] | None:
    """A `batch` line's head fields and its text, without decoding its records; None for any
    other line (or a batch written without `n`), which is then decoded as usual."""
    return _head(body, _BATCH_START, _RECORDS_AT, ev.BATCH, "n")


def _request_head(body: bytes) -> dict[str, Any] | None:
    """A `request` line's fields before its headers and bodies (method, url, status, ms, bytes,
    attempt, error: all that is counted), and its text: its 64 KiB bodies are not decoded."""
    return _head(body, _REQUEST_START, _HEADERS_AT, ev.REQUEST, "attempt")


def _head(body: bytes, start: bytes, end: bytes, kind: str, needed: str) -> dict[str, Any] | None:
    if not body.startswith(start):
        return None
    at = body.find(end, 0, 4096)  # the runner writes the short fields first
    if at < 0:
        return None
    try:
        head = ev.loads(body[:at] + b"}")
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("type") != kind or not isinstance(head.get(needed), int):
        return None
    head[ev.RAW] = body
    return head


def _redactor(secrets: list[str]) -> Redactor:
    from nango_tui.runtime.redaction import Redactor

    return Redactor(secrets)


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_run(pid: int, sig: int) -> None:
    """Signal a run's process group; when there is none yet (a child just forked from the zygote
    calls setsid first thing: a cancel may come before), the child itself, which has started
    nothing yet."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    except PermissionError:
        pass


def run_sync(request: DryrunRequest, on_event: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """Run a dryrun to the end from synchronous code, calling `on_event(event)` for each event."""

    async def main() -> dict[str, Any]:
        run = await start_dryrun(request)
        try:
            async for event in run.events():
                on_event(event)
        finally:
            if run.done is None:
                await run.cancel()
        assert run.done is not None
        return run.done

    return asyncio.run(main())


__all__ = ["DryrunRun", "DryrunSetupError", "begin_dryrun", "run_sync", "start_dryrun", "use_zygote"]
