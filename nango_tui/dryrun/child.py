"""The child process of a dryrun: `python -m nango_tui.dryrun.child`, the ChildSpec as JSON on stdin.

It writes one JSON event per line to the stdout it was started with, and nothing else: the
script's print()s and its writes to sys.stderr become `log` events, and fd 1 is pointed at
stderr so even C-level writes cannot corrupt the stream. Every record goes to the run's
records file as it arrives; nothing grows with the number of records. It imports no more
than the run needs (the runtime, the SDK, models.py and the script) to start fast.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A cold child's start-up imports allocate much and free little: the collector's passes over
    # them are ~6% of its start-up, the run's critical path. execute() turns it on again before
    # any user code (models.py, the script) runs.
    gc.disable()
    from nango_tui import boot

    boot.start()  # the imports' regexes and generated code from the cache (boot.py)
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from nango_tui.runtime.event_types import EventLike

from . import events as ev
from . import sandbox
from .channel import Sealer
from .guard import Faults, ScriptTimeout, location_of, script_traceback
from .request import ChildSpec

if TYPE_CHECKING:
    from nango_tui.runtime.redaction import Redactor

COLLECT_EVERY = 20_000  # records between full garbage collections


class EventWriter:
    """Writes events as JSON lines to the parent, and records to the records file."""

    def __init__(self, fd: int, spec: ChildSpec, faults: Faults, key: bytes) -> None:
        self.fd = fd
        self.out = open(fd, "wb", buffering=1 << 16, closefd=True)
        self.sealer = Sealer(key)
        self.records = open(spec.records_file, "w", encoding="utf-8", buffering=1 << 16)
        self.t0 = spec.started_at
        self.faults = faults
        self.redactor: Redactor | None = None
        self.broken = False
        self.last_error: dict[str, Any] | None = None
        self._since_collect = 0

    def set_redactor(self, redactor: Redactor) -> None:
        """The run's Redactor (runtime.redaction): its secrets are masked in every line sent."""
        self.redactor = redactor

    def emit(self, typed: EventLike) -> None:
        """The emitter the runtime and SDK call; adds "t"; batches are split and recorded."""
        event = cast(dict[str, Any], typed)  # a plain dict either way; the JSON line is untyped
        with self.faults.no_timeout():
            event["t"] = round(time.time() - self.t0, 3)
            kind = event.get("type")
            if kind == ev.BATCH:
                self._batch(event)
            else:
                if kind == ev.ERROR:
                    self.last_error = {k: event[k] for k in ("kind", "message", "payload") if k in event}
                self._write(ev.dumps_fast(event))

    def _batch(self, event: dict[str, Any]) -> None:
        records = event.get("records") or []
        self._since_collect += len(records)
        if self._since_collect >= COLLECT_EVERY:
            # Validation leaves cyclic garbage that reaches the oldest generation, where the
            # collector seldom looks: memory would grow with the run. A full pass now and then
            # (cheap: startup objects are frozen) keeps the peak flat.
            self._since_collect = 0
            gc.collect()
        op, model = event.get("op", "save"), event.get("model", "?")
        head = ev.dumps_fast({k: v for k, v in event.items() if k != "records"})[:-1]
        prefix = '{"op":' + ev.dumps(op) + ',"model":' + ev.dumps(model) + ',"record":'
        encoded = ev.dumps_each(records)
        if len(encoded) <= ev.BATCH_CHUNK and sum(map(len, encoded)) < ev.BATCH_BYTES:
            self._batch_line(head, prefix, encoded)  # the usual case: one line
            return
        chunk: list[str] = []
        size = 0
        for text in encoded:
            chunk.append(text)
            size += len(text)
            if len(chunk) >= ev.BATCH_CHUNK or size >= ev.BATCH_BYTES:
                self._batch_line(head, prefix, chunk)
                chunk, size = [], 0
        if chunk:
            self._batch_line(head, prefix, chunk)

    def _batch_line(self, head: str, prefix: str, encoded: list[str]) -> None:
        """One `batch` line on the pipe (and its records in the records file). The head carries
        `n`, the number of records, so a reader can count them without decoding them."""
        if encoded:
            self.records.write(self._redact(prefix + ("}\n" + prefix).join(encoded) + "}\n"))
            self.records.flush()
        self._write(f'{head},"n":{len(encoded)},"records":[' + ",".join(encoded) + "]}")

    def redact(self, text: str) -> str:
        """`text` with the run's secrets masked (once the redactor is set)."""
        return self._redact(text)

    def _redact(self, text: str) -> str:
        redactor = self.redactor
        if redactor is not None and any(secret in text for secret in redactor.secrets):
            return redactor.text(text)
        return text

    def _write(self, line: str) -> None:
        if self.broken:
            return
        prefix, body = self.sealer.frame(self._redact(line).encode("utf-8", "replace"))
        try:
            # one system call a line (the buffered writer made three of a batch's: the parent woke
            # for each part and read the line in pieces)
            _write_all(self.fd, (prefix, body, b"\n"))
        except (BrokenPipeError, OSError):
            # the parent is gone: nobody listens any more, so stop at once
            self.broken = True
            self.faults.hard_exit(1)

    def forked(self) -> None:
        """In a process the script forked: this copy never writes to the channel (nor flushes)."""
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.fd, inheritable=False)
            os.close(devnull)
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.records.close()
            self.out.flush()
        except OSError:
            pass


def _write_all(fd: int, parts: tuple[bytes, ...]) -> None:
    """`parts` written to `fd` whole, in one writev where the pipe takes them at once."""
    written = os.writev(fd, parts)
    rest = sum(map(len, parts)) - written
    if rest:  # (a signal, or a pipe that took part of it: the rest follows)
        view = memoryview(b"".join(parts))[written:]
        while view:
            view = view[os.write(fd, view) :]


class LogStream:
    """A text stream that turns each written line into a `log` event (for print and sys.stderr)."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(
        self,
        emit: Callable[[ev.LogEvent], None],
        level: str,
        source: str,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self._emit = emit
        self._redact = redact or (lambda text: text)
        self._level = level
        self._source = source
        self._buffer = ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        self._buffer += text
        if "\n" in self._buffer:
            # masked before splitting: a secret holding a newline is whole only here
            *lines, self._buffer = self._redact(self._buffer).split("\n")
            for line in lines:
                self._emit(ev.log_event(line[:10000], self._level, source=self._source))
        elif len(self._buffer) > 10000:
            self.flush()
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._buffer:
            line, self._buffer = self._buffer, ""
            self._emit(ev.log_event(line[:10000], self._level, source=self._source))

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 2  # C-level writes land on stderr, which the parent turns into log events

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


def _peak_rss_kib() -> int | None:
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss, not the parent's at fork)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _warm_up(network: bool = True) -> None:
    """Import what every run needs while the parent is still checking the request; with `network`
    False, not what only a request to a server needs (replays answer every request from the file)."""
    try:
        from .pydantic_plugins import skip_discovery

        skip_discovery()  # no plugin installed: pydantic need not look (~20-35 ms at the first model)
        sandbox.prepare()  # the sandbox's system calls (ctypes), loaded once for a zygote's forks

        if network:
            # a run's requests go through runtime/transport.py (httpcore, h11, anyio and certifi,
            # which httpx's own transport imports at a first request, only with a proxy set)
            import nango_tui.runtime.transport
        import orjson  # noqa: F401 (records' encoder: events.dumps_each)

        # pydantic.fields: the first model class (models.py's, in the runner) imports it; the
        # pager: most syncs page. Here they come from boot.py's cache and are frozen with the
        # rest (~15-20 ms less before the script's first request)
        import pydantic.fields  # noqa: F401

        import nango_tui.runtime.connection_model
        import nango_tui.runtime.context
        import nango_tui.runtime.pagination
        import nango_tui.sdk  # noqa: F401

        from . import execute, iotypes, unawaited  # noqa: F401
    except Exception:  # reported properly once the run starts
        pass


def warm_up_zygote(replay: bool = False) -> None:
    """What a zygote prepares once for all its forks: the imports, pydantic's lazily imported
    parts (a throwaway model shaped like generated ones, validated and dumped), the package's
    provider table, the TLS context's CA bundle. Nothing of the user's: no models.py, no
    connection. `replay`: its forks only replay saved responses (`nango-tui test`), so neither the
    CA bundle nor the HTTP transport (runtime/transport.py) nor the connections.yaml reader
    (PyYAML, dotenv: ~50 ms of CPU before the first fork) is prepared; a fork that does need one
    imports it itself. Nor is pydantic exercised: the replay zygote's warm-up is `nango-tui test`'s
    critical path, and the throwaway model cost it ~22 M instructions (~7 ms) to save each fork
    ~1 M (six replays: 178 -> 185 M together, in parallel on the cores)."""
    _warm_up(network=not replay)
    try:
        if not replay:
            _exercise_pydantic()
        # execute and the SDK import these when used (files: the mocks' reader; resource: the
        # guard's memory limit, else imported by every fork)
        import resource  # noqa: F401

        import nango_tui.config.files
        import nango_tui.runtime.pagination
        import nango_tui.runtime.records_log
        from nango_tui.runtime.providers import providers

        from . import iotypes, unawaited  # noqa: F401

        providers()  # the package's provider table, read once
        if not replay:
            # a fork gets its connection through its private pipe (zygote.py), or looks it up when
            # the parent could not send it (a replay's always comes: resolved, or the stand-in)
            import dotenv.parser  # noqa: F401 (local_env imports it for a .env only)

            import nango_tui.runtime.connections
            import nango_tui.runtime.metadata_store  # noqa: F401
            from nango_tui.runtime.http import load_tls_ca

            load_tls_ca()
    except Exception:  # a run that needs these builds (and reports) them itself
        pass


def _exercise_pydantic() -> None:
    from datetime import datetime
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter

    class Warm(BaseModel):
        model_config = ConfigDict(
            strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True, defer_build=True
        )
        id: str
        count: int | None = None
        ratio: float = 0.0
        flag: bool = False
        when: Annotated[datetime, Strict(False)] | None = None
        kind: Literal["a", "b"] = "a"
        tags: list[str] = Field(default_factory=list)
        extra: dict[str, Any] | None = Field(default=None, alias="extraData")

    record = {"id": "x", "count": 1, "when": "2024-01-01T00:00:00Z", "tags": ["t"], "extraData": {}}
    Warm.model_validate(record).model_dump(mode="json", by_alias=True, exclude_unset=True)
    TypeAdapter(list[Warm]).validate_python([record])
    TypeAdapter(str).validate_python("x")


def main() -> None:
    """`python -m nango_tui.dryrun.child`: the launch message (request and channel key) on stdin."""
    from nango_tui import boot

    _warm_up()
    boot.finish()  # before any user code: start-up is over (the file is written once)
    line = sys.stdin.readline()
    if not line.strip():
        return  # the parent found the request wrong: nothing to run
    launch = json.loads(line)
    run(ChildSpec.from_json(launch["spec"]), bytes.fromhex(launch["key"]), launch.get("connection"))


def run(spec: ChildSpec, key: bytes, connection: dict[str, Any] | None = None) -> None:
    """Run the request with fd 1 as the event channel and fd 2 as stderr; never returns.

    `connection`: the connection the parent resolved (`connection_to_json`), else looked up here."""
    try:
        os.chdir(spec.root)
    except OSError:
        pass
    events_fd = os.dup(1)  # not inherited by what the script executes
    _widen_pipe(events_fd)
    os.dup2(2, 1)  # fd 1 now reaches stderr: nothing else can write into the event stream
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # a script calling input() gets EOF instead of waiting forever
    os.close(devnull)
    sandbox.enter(keep_fds=(events_fd,))  # from here on: the runner
    faults = Faults(spec)
    writer = EventWriter(events_fd, spec, faults, key)
    del key
    faults.install(writer.emit)
    sys.stdout = LogStream(writer.emit, "info", "stdout", writer.redact)
    sys.stderr = LogStream(writer.emit, "warn", "stderr", writer.redact)
    os.register_at_fork(after_in_child=lambda: _forked(writer))

    from .execute import execute

    status, reason = ev.FAILED, None
    try:
        status, reason = execute(spec, writer, faults, connection)
    except ScriptTimeout as exc:  # fired outside the script (while loading)
        writer.emit(ev.error_event("timeout", str(exc), location=location_of(exc, spec)))
    except MemoryError as exc:
        writer.emit(ev.error_event("memory", faults.memory_message(), location=location_of(exc, spec)))
    except BaseException as exc:  # our own bug: report it rather than die silently
        writer.emit(
            ev.error_event(
                "crash",
                f"dryrun internal error: {type(exc).__name__}: {exc}",
                traceback=script_traceback(exc, spec, everything=True),
            )
        )
    faults.cancel_timeout()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    done = {"type": ev.DONE, "status": status, "peak_rss_kib": _peak_rss_kib()}
    if reason:
        done["reason"] = reason
    writer.emit(done)
    writer.close()
    faults.hard_exit(0 if status == ev.OK else 1)


PIPE_BYTES = 1 << 20  # Linux's limit for an unprivileged process (/proc/sys/fs/pipe-max-size)


def _widen_pipe(fd: int) -> None:
    """Let the event channel hold a whole batch line (~170 KB for 1,000 small records) instead of
    the default 64 KB, so the runner writes a batch and goes on while the parent reads it."""
    import fcntl

    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if set_size is None:
        return
    try:
        fcntl.fcntl(fd, set_size, PIPE_BYTES)
    except OSError:  # not a pipe, or a lower limit: the default size works, only slower
        pass


def _forked(writer: EventWriter) -> None:
    """A process the script forked: it may print (to stderr, which the parent shows) but never
    write events, and it ends without running the runner's event loop clean-up."""
    writer.forked()
    sys.stdout = open(2, "w", closefd=False)
    sys.stderr = sys.stdout


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the run stops
    main()
