"""Run the script inside the child: load connection, models and script, call it, map the outcome.

`execute(spec, writer, faults) -> (status, reason)` emits the run's `log`/`request`/`batch`/
`invalid`/`result`/`error` events through `writer.emit` (the RunContext's emitter) and returns
how the run ended; the caller emits `done`. Reusable by a server runtime: nothing here knows
about the terminal.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from . import events as ev
from .guard import Faults, ScriptTimeout, location_of, script_traceback
from .request import ChildSpec

if TYPE_CHECKING:
    from nango_tui.runtime.connection_model import Connection
    from nango_tui.runtime.context import RunContext

    from .child import EventWriter

Entry = Callable[..., Any]  # the script's fetch_data / run_action / on_event / on_webhook

ENTRY = {"sync": "fetch_data", "action": "run_action", "on-event": "on_event"}
SIGNATURES = {
    "fetch_data": "async def fetch_data(nango)",
    "run_action": "async def run_action(nango) or run_action(nango, input)",
    "on_event": "async def on_event(nango)",
    "on_webhook": "async def on_webhook(nango, payload)",
}


def execute(
    spec: ChildSpec, writer: EventWriter, faults: Faults, connection: dict[str, Any] | None = None
) -> tuple[str, str | None]:
    from nango_tui.config import heap

    heap.collect_from_here()  # a cold child imports with the collector off (child.py): on before user code
    root = Path(spec.root)
    sys.path.insert(0, str(root))  # scripts do `from models import Contact`
    emit = writer.emit

    from nango_tui.runtime.errors import RuntimeFailure

    try:
        ctx = _context(spec, writer, connection)
    except RuntimeFailure as exc:
        emit(ev.error_event(getattr(exc, "kind", "connection"), str(exc)))
        return ev.FAILED, None
    except Exception as exc:  # models.py or the mocks file did not load
        emit(ev.error_event("setup", f"{type(exc).__name__}: {exc}"))
        return ev.FAILED, None

    loaded = _load_script(spec, emit)
    if loaded is None:
        return ev.FAILED, None
    entry_name = spec.entry or ENTRY[spec.kind]
    entry = getattr(loaded, entry_name, None)
    if not callable(entry):
        emit(
            ev.error_event(
                "script",
                f"{spec.script_path} has no `{SIGNATURES[entry_name]}`",
                location={"file": spec.script_path, "line": 1},
            )
        )
        return ev.FAILED, None

    from nango_tui.config import heap

    # Everything loaded so far lives for the whole run: keep it out of full collections. (No
    # collection first: the little garbage of the imports is not worth a full pass, 10-25 ms of
    # CPU on the run's critical path.)
    heap.freeze()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        outcome = loop.run_until_complete(_run(spec, ctx, entry, faults))
    except ScriptTimeout as exc:
        emit(ev.error_event("timeout", str(exc), location=faults.timeout_location or location_of(exc, spec)))
        outcome = (ev.FAILED, "timeout")
    except MemoryError as exc:
        emit(ev.error_event("memory", faults.memory_message(), location=location_of(exc, spec)))
        outcome = (ev.FAILED, None)
    finally:
        faults.cancel_timeout()
    if spec.save_responses:
        try:
            _save_mocks(spec, ctx, outcome[0], writer)
        except OSError as exc:
            emit(
                ev.log_event(
                    f"could not save the responses to {spec.mocks_file}: {exc.strerror or exc}",
                    "error",
                    source="dryrun",
                )
            )
    return outcome


def _context(spec: ChildSpec, writer: EventWriter, given: dict[str, Any] | None = None) -> RunContext:
    from nango_tui.runtime.context import RunContext

    from .iotypes import load_models

    root = Path(spec.root)
    if given is not None:  # what the parent resolved (connections.yaml and its PyYAML not needed)
        from nango_tui.runtime.connection_model import connection_from_json

        connection = connection_from_json(given)
    elif not spec.replay:
        from nango_tui.runtime.connections import get_connection

        connection = get_connection(root, spec.environment, spec.connection_id, spec.integration)
    else:
        connection = _replay_connection(spec)
    recorder = replayer = None
    if spec.save_responses or spec.replay:
        from nango_tui.runtime import recording

        if spec.replay:
            mocks = recording.load_mocks(Path(spec.mocks_file))
            replayer = recording.Replayer(mocks["exchanges"], spec.mocks_file)
            _as_recorded(connection, mocks.get("inputs"))
        else:
            recorder = recording.Recorder()
    ctx = RunContext(
        root=root,
        integration=spec.integration,
        script_name=spec.name,
        kind=spec.kind,
        environment=spec.environment,
        connection=connection,
        emit=writer.emit,
        models=load_models(root, as_module="models"),
        outputs=list(spec.outputs),
        last_sync_date=datetime.fromisoformat(spec.last_sync_date) if spec.last_sync_date else None,
        metadata=spec.metadata,
        validation=spec.validation,
        max_records=spec.max_records,
        recorder=recorder,
        replayer=replayer,
        track_deletes=spec.track_deletes,
        server_run=spec.server_run,
        checkpoint=spec.checkpoint,
    )
    if spec.replay:
        ctx.extra["recorded_previous"] = (mocks.get("inputs") or {}).get("previous_records")
    writer.set_redactor(ctx.redactor)
    return ctx


def _as_recorded(connection: Connection, inputs: Any) -> None:
    """A replay uses the base URL and connection config the recording was made with (they win)."""
    if not isinstance(inputs, dict):
        return
    if isinstance(inputs.get("base_url"), str) and inputs["base_url"]:
        connection.base_url = inputs["base_url"]
    if isinstance(inputs.get("connection_config"), dict):
        connection.connection_config = {**connection.connection_config, **inputs["connection_config"]}


def _replay_connection(spec: ChildSpec) -> Connection:
    """The connection for a replay: the real one when it exists, else a credential-less stand-in."""
    from nango_tui.runtime import connections
    from nango_tui.runtime.connection_model import replay_stand_in

    try:
        return connections.get_connection(
            Path(spec.root), spec.environment, spec.connection_id, spec.integration
        )
    except Exception:
        return replay_stand_in(spec.connection_id, spec.integration, spec.environment)


def _load_script(spec: ChildSpec, emit: Callable[[ev.ErrorEvent], None]) -> ModuleType | None:
    path = Path(spec.root) / spec.script_path
    name = "nango_script_" + "".join(
        c if c.isalnum() else "_" for c in f"{spec.integration}_{spec.kind}_{spec.name}"
    )
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as exc:
        emit(
            ev.error_event(
                "syntax",
                f"SyntaxError: {exc.msg}",
                location=location_of(exc, spec),
                traceback=script_traceback(exc, spec),
            )
        )
        return None
    except (ScriptTimeout, MemoryError):
        raise
    except BaseException as exc:  # anything the module raises while it loads is the script's
        emit(_exception_event(exc, spec))
        return None
    return module


async def _run(spec: ChildSpec, ctx: RunContext, entry: Entry, faults: Faults) -> tuple[str, str | None]:
    """The entry call; an SDK call the script never awaited turns an ok run into an error."""
    from .unawaited import UnawaitedCalls

    with UnawaitedCalls(spec.root, spec.script_path) as unawaited:
        outcome = await _run_entry(spec, ctx, entry, faults)
    if unawaited.found and outcome[0] == ev.OK:
        method, where = unawaited.found[0]
        more = f" (and {len(unawaited.found) - 1} more)" if len(unawaited.found) > 1 else ""
        ctx.emit(
            ev.error_event(
                "exception",
                f"`nango.{method}(...)` was called without `await`: it did nothing{more}",
                location=where,
            )
        )
        return ev.FAILED, "not awaited"
    return outcome


async def _run_entry(
    spec: ChildSpec, ctx: RunContext, entry: Entry, faults: Faults
) -> tuple[str, str | None]:
    from nango_tui import sdk

    emit = ctx.emit
    nango = sdk.NangoSync(ctx) if spec.kind == "sync" else sdk.NangoAction(ctx)
    ctx.extra["metadata_used"] = await nango.get_metadata()
    try:
        if spec.entry == "on_webhook":
            call = entry(nango, spec.webhook)
        elif spec.kind in ("sync", "on-event"):
            call = entry(nango)
        else:
            call = _call_action(entry, nango, spec, ctx)
        faults.main_coro = call
        result = await call if inspect.isawaitable(call) else call
        if spec.kind == "action":
            return _action_result(spec, ctx, result, entry)
        if spec.kind != "sync" or spec.entry is not None:
            return ev.OK, None
        await nango._end_of_run()
        _remember_run(spec)
        return ev.OK, None
    except sdk.RecordLimitReached:
        return ev.OK, ev.LIMIT_REACHED
    except sdk.InvalidInputError as exc:
        emit(ev.error_event("validation", str(exc)))
        return ev.FAILED, "invalid input"
    except sdk.InvalidRecordsError as exc:
        emit(ev.error_event("validation", str(exc), location=location_of(exc, spec)))
        return ev.FAILED, "invalid records"
    except sdk.ActionError as exc:
        payload = ctx.redact(getattr(exc, "payload", None))
        emit(
            ev.error_event(
                "action_error",
                _action_error_message(payload),
                payload=payload,
                location=location_of(exc, spec),
            )
        )
        return ev.FAILED, None
    except (ScriptTimeout, MemoryError):
        raise
    except BaseException as exc:  # custom BaseExceptions and GeneratorExit are the script's too
        emit(_exception_event(exc, spec, ctx))
        return ev.FAILED, None
    finally:
        closer = getattr(nango, "aclose", None) or getattr(ctx, "aclose", None)
        if closer is not None:
            try:
                await closer()
            except Exception:
                pass


def takes_input(entry: Entry) -> bool:
    """Whether `run_action` takes the input: `run_action(nango, input)` (or *args) vs `run_action(nango)`."""
    try:
        parameters = list(inspect.signature(entry).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _call_action(entry: Entry, nango: Any, spec: ChildSpec, ctx: RunContext) -> Any:
    """run_action(nango) or run_action(nango, input), whichever the script wrote, whatever nango.yaml says."""
    if not takes_input(entry):
        if spec.input is not None:
            ctx.emit(
                ev.log_event(
                    "run_action takes no input: the --input given is not passed", "warn", source="dryrun"
                )
            )
        return entry(nango)
    return entry(nango, _input_value(spec, ctx))


def _input_value(spec: ChildSpec, ctx: RunContext) -> Any:
    """The input, validated against nango.yaml's `input`: a warning without --validation, as in Nango."""
    if not spec.input_type:
        return spec.input
    from pydantic import ValidationError

    from nango_tui.sdk import InvalidInputError

    from .iotypes import adapter, format_validation_error

    if spec.input is None:
        message = f"no input given for an action whose input is {spec.input_type}"
        if spec.validation:
            raise InvalidInputError(message)
        ctx.emit(ev.log_event(message + ": run_action gets None", "warn", source="dryrun"))
        return None
    try:
        return adapter(spec.input_type, ctx.models).validate_python(spec.input)
    except ValidationError as exc:
        message = f"the input does not match {spec.input_type}: {format_validation_error(exc)}"
        if spec.validation:
            raise InvalidInputError(message) from None
        ctx.emit(
            ev.log_event(
                message + "; passed as given (--validation makes this an error)", "warn", source="dryrun"
            )
        )
        return spec.input


def _remember_run(spec: ChildSpec) -> None:
    """A good sync run (not a replay) is the one the next run's get_records_by_ids and track_deletes read."""
    if spec.replay or spec.max_records is not None or spec.server_run:
        return
    from nango_tui.runtime.records_log import remember_run

    try:
        remember_run(
            Path(spec.root),
            spec.environment,
            spec.integration,
            spec.name,
            spec.connection_id,
            Path(spec.records_file),
        )
    except OSError:
        pass  # a read-only folder only loses what the next run compares with


def _action_result(
    spec: ChildSpec, ctx: RunContext, result: Any, entry: Entry | None = None
) -> tuple[str, str | None]:
    from .iotypes import adapter, format_validation_error, json_problem, to_jsonable

    problem = json_problem(result)
    if problem is not None:  # never stringified behind the user's back, never a RecursionError
        code = getattr(entry, "__code__", None)
        location: ev.Location | None = (
            {"file": spec.script_path, "line": code.co_firstlineno} if code is not None else None
        )
        ctx.emit(
            ev.error_event(
                "invalid_output",
                f"the action's output cannot be sent as JSON: {problem}",
                location=location,
            )
        )
        return ev.FAILED, None
    output = result
    if spec.output_type:
        from pydantic import ValidationError

        try:
            type_adapter = adapter(spec.output_type, ctx.models)
            value = to_jsonable(result)
            output = type_adapter.validate_python(value)
        except ValidationError as exc:
            message = f"the action's output does not match {spec.output_type}: {format_validation_error(exc)}"
            if spec.validation:
                ctx.emit(ev.error_event("invalid_output", message, payload=ctx.redact(to_jsonable(result))))
                return ev.FAILED, None
            ctx.emit(ev.log_event(message + " (--validation makes this an error)", "warn", source="dryrun"))
            output = to_jsonable(result)
    ctx.extra["output"] = ctx.redact(to_jsonable(output))
    ctx.emit({"type": ev.RESULT, "output": ctx.extra["output"]})
    return ev.OK, None


def _action_error_message(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return f"ActionError: {payload['message']}"
    return f"ActionError: {payload!r}"[:500]


def _exception_event(exc: BaseException, spec: ChildSpec, ctx: RunContext | None = None) -> ev.ErrorEvent:
    location = location_of(exc, spec)
    text = script_traceback(exc, spec)
    if isinstance(exc, SystemExit):
        return ev.error_event(
            "exit", f"the script called sys.exit({exc.code!r})", location=location, traceback=text
        )
    kind = getattr(exc, "kind", None)
    if kind in ev.ERROR_KINDS and kind not in ("exception",):
        payload = None
        if hasattr(exc, "status"):
            payload = {"status": exc.status, "body": getattr(exc, "body", None)}
        text = script_traceback(exc, spec, with_exception=False)  # the message says the rest
        return ev.error_event(kind, str(exc), payload=payload, location=location, traceback=text)
    shown = _safe_str(exc)
    message = f"{type(exc).__name__}: {shown}" if shown else type(exc).__name__
    return ev.error_event("exception", message, location=location, traceback=text)


def _safe_str(exc: BaseException) -> str:
    """str(exc), or a stand-in when the script's __str__ itself raises."""
    try:
        return str(exc)
    except BaseException:
        return f"<{type(exc).__name__}: its message could not be shown: __str__ raised>"


def _base_url_used(ctx: RunContext) -> str | None:
    try:
        from nango_tui.runtime.http import HttpClient

        return HttpClient(ctx).base_url()
    except Exception:  # no base URL (e.g. a run that failed on it): nothing to record
        return None


def _save_mocks(spec: ChildSpec, ctx: RunContext, status: str, writer: EventWriter) -> None:
    """Write the mocks file: the recorder's exchanges, this run's inputs, and what it produced."""
    from nango_tui.runtime.recording import write_mocks

    if ctx.recorder is None:
        return
    expected: dict[str, Any] = {"records": {}, "updated": {}, "deleted": {}, "output": None}
    section = {"save": "records", "update": "updated", "delete": "deleted"}
    with open(spec.records_file, encoding="utf-8") as lines:
        for line in lines:
            item = ev.loads(line)
            expected[section.get(item.get("op"), "records")].setdefault(item.get("model"), []).append(
                item.get("record")
            )
    for section_name in ("records", "updated", "deleted"):
        expected[section_name] = {
            model: ev.last_per_id(records) for model, records in expected[section_name].items()
        }
    expected["output"] = ctx.extra.get("output")
    if status != ev.OK:
        expected["error"] = writer.last_error
    inputs = {
        "input": spec.input,
        "metadata": ctx.extra.get("metadata_used", spec.metadata),
        "connection_config": dict(ctx.connection.connection_config or {}),
        "base_url": _base_url_used(ctx),
        "last_sync_date": spec.last_sync_date,
    }
    if ctx.extra.get("previous_used"):  # what get_records_by_ids/track_deletes read (when any)
        inputs["previous_records"] = ctx.extra["previous_used"]
    mocks = ctx.recorder.to_mocks(spec.integration, spec.name, spec.kind, ctx.redact(inputs), expected)
    write_mocks(Path(spec.mocks_file), ctx.redactor.redact_value(mocks, by_name=False), root=Path(spec.root))
    writer.emit(
        ev.log_event(
            f"saved {len(ctx.recorder.exchanges)} responses to {spec.integration}/mocks/{spec.name}.json",
            "info",
            source="dryrun",
        )
    )
