"""`nango-tui dryrun`: turn the command's arguments into a DryrunRequest and print the run."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import events as ev
from .request import DryrunRequest, DryrunSetupError

if TYPE_CHECKING:
    from .early import EarlyChild
    from .render import HumanRenderer

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad argument value (exit 2)."""


def json_argument(option: str, text: str | None, root: Path) -> Any:
    """The value of `--input`/`--metadata`: inline JSON, or @file (relative to the current folder)."""
    if text is None:
        return None
    source = "the argument"
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file() and not path.is_absolute() and (root / path).is_file():
            path = root / path
        from nango_tui.config.files import MAX_DATA_BYTES, read_user_file

        try:
            text = read_user_file(path, MAX_DATA_BYTES).decode("utf-8")
        except OSError as exc:
            raise UsageError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"{option}: {path} is not UTF-8 text (byte {exc.start})") from None
        source = str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{source}:{exc.lineno}:{exc.colno}" if source != "the argument" else f"column {exc.colno}"
        raise UsageError(f"{option} is not valid JSON ({where}: {exc.msg})") from None


def date_argument(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--last-sync-date: {text!r} is not an ISO date such as 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None


def request_from_args(args: argparse.Namespace) -> DryrunRequest:
    root = Path(args.dir)
    metadata = json_argument("--metadata", args.metadata, root)
    if metadata is not None and not isinstance(metadata, dict):
        raise UsageError("--metadata must be a JSON object")
    return DryrunRequest(
        root=root,
        name=args.name,
        connection_id=args.connection_id,
        environment=args.environment,
        integration=args.integration_id,
        input=json_argument("--input", args.input, root),
        webhook=json_argument("--webhook", getattr(args, "webhook", None), root),
        metadata=metadata,
        last_sync_date=date_argument(args.last_sync_date),
        validation=args.validation,
        save_responses=args.save_responses,
        replay=args.replay,
        max_records=args.max_records,
        timeout=args.timeout,
    )


def run_command(
    args: argparse.Namespace, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """The `dryrun` command; returns the exit code (0 ok, 1 failed, 2 usage)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        request = request_from_args(args)
    except UsageError as exc:
        stderr.write(f"nango-tui dryrun: {exc}\n")
        return EXIT_USAGE
    output_file = None
    if args.output:
        try:
            output_file = open(args.output, "w", encoding="utf-8")
        except OSError as exc:
            stderr.write(f"nango-tui dryrun: --output: cannot write {args.output}: {exc.strerror or exc}\n")
            return EXIT_FAIL
    from .early import EarlyChild

    early: EarlyChild | None = getattr(args, "early_child", None)  # started by cli.main
    if early is None or not early.serves(request):
        if early is not None:
            early.discard()
        early = EarlyChild.start(request)  # its start-up overlaps everything below (early.py)
    import asyncio

    try:
        done = asyncio.run(_drive(request, args.json, stdout, output_file, early))
    except DryrunSetupError as exc:
        stderr.write(f"nango-tui dryrun: {exc}\n")
        return EXIT_FAIL
    except KeyboardInterrupt:
        stderr.write("\nnango-tui dryrun: cancelled (the script's process was stopped)\n")
        return 130
    finally:
        early.discard()  # (nothing once the run adopted it)
        if output_file:
            output_file.close()
    return EXIT_OK if done.get("status") == ev.OK else EXIT_FAIL


async def _drive(
    request: DryrunRequest,
    as_json: bool,
    stdout: IO[str],
    output_file: IO[str] | None,
    early: EarlyChild | None = None,
) -> dict[str, Any]:
    import asyncio

    from .runner import start_dryrun

    run = await start_dryrun(request, early=early)
    sink: _JsonSink | HumanRenderer
    if as_json:
        sink = _JsonSink(stdout)
        run.raw_batches = output_file is None  # records passed on as they came, never decoded
    else:
        from nango_tui.console import Out

        from .render import HumanRenderer

        sink = HumanRenderer(Out(stdout))
    write_records = output_file.write if output_file else None
    ticker = None
    if not isinstance(sink, _JsonSink) and sink.live:
        ticker = asyncio.create_task(_tick(sink))
    try:
        async for event in run.events():
            if write_records is not None and event.get("type") == ev.BATCH and event.get("records"):
                write_records("\n".join(ev.dumps_each(event["records"])) + "\n")
            sink.feed(event)
    finally:
        if ticker is not None:
            ticker.cancel()
        if run.done is None:
            await run.cancel()
    return run.done or {"status": ev.CANCELLED}


async def _tick(sink: HumanRenderer) -> None:
    import asyncio

    while True:
        await asyncio.sleep(0.2)
        sink.tick()


class _JsonSink:
    """`--json`: every event as one JSON line; flushed per event except for record batches."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        # the command's stdout takes bytes as well (cli's _QuietOnBrokenPipe): a line the runner
        # wrote goes out as it came, not decoded to text and encoded again (~0.1 ms a batch)
        self.write_bytes = getattr(stream, "write_bytes", None)

    def feed(self, event: dict[str, Any]) -> None:
        raw = event.get(ev.RAW)
        if raw is not None:  # the event as the runner wrote it (the same text `dumps` would give)
            self._raw(raw)
        else:
            self.stream.write(ev.dumps(event) + "\n")
        if event.get("type") != ev.BATCH:
            self.stream.flush()

    def _raw(self, raw: bytes) -> None:
        if self.write_bytes is not None:
            try:
                # (C-speed checks: the runner writes UTF-8; never pass on less. ASCII, the usual
                # line, is UTF-8 without decoding ~100 KB into a string to find out)
                raw.isascii() or raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                self.write_bytes(raw + b"\n")
                return
        self.stream.write(raw.decode("utf-8", "replace") + "\n")
