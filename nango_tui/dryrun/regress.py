"""`nango-tui test`: replay every script that has saved mocks and compare with what was saved.

A mocks file (`<integration>/mocks/<name>.json`, written by `dryrun --save-responses`) holds the
HTTP exchanges of a run, the run's inputs and what it produced ("expected": records, updated,
deleted per model, the action's output, the error if it failed). Replaying the script against
those exchanges must produce the same again; anything else is a regression, reported as a
readable diff: records added or removed (by id), fields changed (old -> new).

The comparison (`compare`) is plain data in, lines out, so a deploy-side runner can reuse it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nango_tui.console import Out

    from .zygote import Zygote

SECTIONS = (("records", "saved"), ("updated", "updated"), ("deleted", "deleted"))
REPLAY_CONNECTION = "nango-tui-test"  # the stand-in connection id when no replay connection fits
DEFAULT_TIMEOUT = 60.0
MAX_SHOWN = 20  # diff lines shown per section before "... and N more"


@dataclass
class Outcome:
    """What one run produced, in the shape of a mocks file's "expected"."""

    records: dict[str, list[Any]] = field(default_factory=dict)
    updated: dict[str, list[Any]] = field(default_factory=dict)
    deleted: dict[str, list[Any]] = field(default_factory=dict)
    output: Any = None
    error: dict[str, Any] | None = None

    @classmethod
    def from_expected(cls, expected: dict[str, Any]) -> Outcome:
        return cls(
            records=dict(expected.get("records") or {}),
            updated=dict(expected.get("updated") or {}),
            deleted=dict(expected.get("deleted") or {}),
            output=expected.get("output"),
            error=expected.get("error") or None,
        )

    def count(self) -> int:
        return sum(len(v) for section in (self.records, self.updated, self.deleted) for v in section.values())


@dataclass
class ScriptResult:
    """The verdict for one script."""

    integration: str
    name: str
    kind: str
    passed: bool
    diff: list[str] = field(default_factory=list)  # what differs, one line each
    problem: str | None = None  # the test could not run (no mocks, broken mocks, setup error)
    records: int = 0
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.integration}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "script": self.name,
            "kind": self.kind,
            "passed": self.passed,
            "diff": self.diff,
            "problem": self.problem,
            "records": self.records,
            "seconds": round(self.seconds, 3),
        }


class SelectionError(Exception):
    """A NAME on the command line that matches no script (the message lists them)."""


# -- choosing what to test ------------------------------------------------------------------------


def select_scripts(project: Any, names: list[str] | None) -> list[Any]:
    """The scripts to test: all of them, or those named (`name` or `integration/name`)."""
    scripts = sorted(project.scripts(), key=lambda s: (s.integration, s.kind, s.name))
    if not names:
        return scripts
    chosen, unknown = [], []
    for name in names:
        integration, _, script_name = name.rpartition("/")
        found = [
            s for s in scripts if s.name == script_name and (not integration or s.integration == integration)
        ]
        if not found:
            unknown.append(name)
        chosen += [s for s in found if s not in chosen]
    if unknown:
        listing = "\n".join(f"  {s.integration}/{s.name}  ({s.kind})" for s in scripts) or "  (none)"
        raise SelectionError(
            f"no sync or action called {', '.join(map(repr, unknown))}; the scripts are:\n{listing}"
        )
    return chosen


def replay_connection_id(root: Path, integration: str) -> str:
    """A connection of connections.yaml marked `replay: true` for the integration, else a stand-in."""
    try:
        from nango_tui.runtime.connections import list_connections

        for info in list_connections(root, "dev", include_nango=False):
            if info.integration == integration and info.replay:
                return info.id
    except Exception:  # a broken connections.yaml does not stop a replay: it needs no credentials
        pass
    return REPLAY_CONNECTION


# -- running one replay ---------------------------------------------------------------------------


def saved_inputs(root: Path, integration: str, name: str) -> dict[str, Any] | None:
    """The inputs a script's mocks were recorded with ({"input", "metadata", "last_sync_date"}),
    or None without a readable mocks file. A replay with other inputs asks for other requests,
    which the mocks do not hold: a dialog replaying a demo connection can start from these.
    """
    from nango_tui.runtime.errors import MocksFileError
    from nango_tui.runtime.recording import load_mocks, mocks_path

    try:
        inputs = load_mocks(mocks_path(root, integration, name)).get("inputs")
    except MocksFileError:
        return None
    return inputs if isinstance(inputs, dict) else None


async def replay(
    root: Path,
    script: Any,
    mocks: dict[str, Any],
    timeout: float = DEFAULT_TIMEOUT,
    zygote: Zygote | None = None,
) -> Outcome:
    """Run `script` against its saved responses with the saved inputs; what it produced.

    With a `zygote` the run's child is forked from it (see zygote.py) instead of started cold.
    """
    from . import events as ev
    from .request import DryrunRequest
    from .runner import start_dryrun

    inputs = mocks.get("inputs") or {}
    last_sync = inputs.get("last_sync_date")
    request = DryrunRequest(
        root=root,
        name=script.name,
        connection_id=replay_connection_id(root, script.integration),
        integration=script.integration,
        input=inputs.get("input") if script.kind == "action" else None,
        metadata=inputs.get("metadata"),
        last_sync_date=datetime.fromisoformat(last_sync.replace("Z", "+00:00"))
        if isinstance(last_sync, str)
        else None,
        replay=True,
        timeout=timeout,
    )
    outcome = Outcome()
    section = {"save": outcome.records, "update": outcome.updated, "delete": outcome.deleted}
    run = await start_dryrun(request, zygote=zygote)
    async for event in run.events():
        kind = event.get("type")
        if kind == ev.BATCH:
            model: Any = event.get("model")
            section.get(event.get("op", "save"), outcome.records).setdefault(model, []).extend(
                event.get("records") or []
            )
        elif kind == ev.RESULT:
            outcome.output = event.get("output")
        elif kind == ev.ERROR and outcome.error is None:
            outcome.error = {k: event[k] for k in ("kind", "message", "payload") if k in event}
        elif kind == ev.DONE and event.get("status") != ev.OK and outcome.error is None:
            outcome.error = {
                "kind": event.get("reason") or event.get("status"),
                "message": f"the run ended {event.get('status')}",
            }
    return outcome


# -- comparing ------------------------------------------------------------------------------------


def compare(expected: Outcome, actual: Outcome) -> list[str]:
    """What differs between two outcomes, as readable lines; empty when they match.

    Records are matched by `id` (order does not matter, as in Nango's records cache); a
    record without an id is matched by its position.
    """
    from .events import last_per_id  # (not execute's module: the parent needs none of it)

    lines: list[str] = []
    for attr, verb in SECTIONS:
        want, got = getattr(expected, attr), getattr(actual, attr)
        for model in sorted(set(want) | set(got)):
            # a later record of an id replaces an earlier one, as in Nango's records cache
            lines += _compare_records(
                model, verb, last_per_id(want.get(model) or []), last_per_id(got.get(model) or [])
            )
    if expected.output != actual.output:
        changes = json_diff(expected.output, actual.output, "output")
        lines.append("action output differs:")
        lines += _capped(["  " + c for c in changes])
    lines += _compare_errors(expected.error, actual.error)
    return lines


def _key(record: Any, index: int) -> str:
    if isinstance(record, dict) and "id" in record:
        return str(record["id"])
    return f"#{index}"


def _index(records: list[Any]) -> tuple[dict[str, Any], list[str]]:
    by_key: dict[str, Any] = {}
    duplicates = []
    for i, record in enumerate(records):
        key = _key(record, i)
        if key in by_key:
            duplicates.append(key)
        by_key[key] = record
    return by_key, duplicates


def _compare_records(model: str, verb: str, want: list[Any], got: list[Any]) -> list[str]:
    want_by, want_dups = _index(want)
    got_by, got_dups = _index(got)
    added = [k for k in got_by if k not in want_by]
    removed = [k for k in want_by if k not in got_by]
    changed: list[str] = []
    for key in want_by:
        if key in got_by and want_by[key] != got_by[key]:
            for change in json_diff(want_by[key], got_by[key], ""):
                changed.append(f"  ~ {key}: {change}")
    body = _capped([f"  + {k}  {_summary(got_by[k])}" for k in added])
    body += _capped([f"  - {k}  {_summary(want_by[k])}" for k in removed])
    body += _capped(changed)
    if len(got_dups) != len(want_dups):
        body.append(
            f"  ! the same id saved more than once: {', '.join(sorted(set(got_dups)))[:200] or '(none now)'}"
        )
    if not body and len(want) == len(got):
        return []
    records = f"{len(want)} record{'s' if len(want) != 1 else ''}"
    count = f"expected {records}, got {len(got)}" if len(want) != len(got) else records
    changes = [
        f"{len(added)} added",
        f"{len(removed)} removed",
        f"{len({c.split(':')[0] for c in changed})} changed",
    ]
    head = f"{model} ({verb}): {count} ({', '.join(changes)})"
    return [head, *body]


def _compare_errors(want: dict[str, Any] | None, got: dict[str, Any] | None) -> list[str]:
    if want is None and got is None:
        return []
    if want is None:
        return [f"the run failed: {got.get('kind')}: {got.get('message')}"]  # type: ignore[union-attr]
    if got is None:
        return [f"expected the run to fail with {want.get('kind')}: {want.get('message')}, but it succeeded"]
    lines = []
    for name in ("kind", "message", "payload"):
        if without_origins(want.get(name)) != without_origins(got.get(name)):
            lines.append(f"error {name}: {_show(want.get(name))} -> {_show(got.get(name))}")
    return lines


_ORIGIN = re.compile(r"https?://[^/\s\"'<>]+")


def without_origins(value: Any) -> Any:
    """`value` with every URL's scheme and host dropped: a replay may run against another host."""
    if isinstance(value, str):
        return _ORIGIN.sub("", value)
    if isinstance(value, dict):
        return {k: without_origins(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_origins(v) for v in value]
    return value


def json_diff(old: Any, new: Any, path: str) -> list[str]:
    """Field-level differences between two JSON values: `path: old -> new` lines."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(f"{sub}: {_show(old[key])} -> (absent)")
            elif key not in old:
                out.append(f"{sub}: (absent) -> {_show(new[key])}")
            else:
                out += json_diff(old[key], new[key], sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += json_diff(a, b, f"{path}[{i}]")
        return out
    return [f"{path or 'value'}: {_show(old)} -> {_show(new)}"]


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _summary(record: Any) -> str:
    if not isinstance(record, dict):
        return _show(record)
    parts = [f"{k}={_show(v, 30)}" for k, v in record.items() if k != "id"][:3]
    return ", ".join(parts)


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_SHOWN:
        return lines
    return lines[:MAX_SHOWN] + [f"  ... and {len(lines) - MAX_SHOWN} more"]


# -- the whole test run ---------------------------------------------------------------------------


async def regress_script(
    root: Path, script: Any, timeout: float = DEFAULT_TIMEOUT, zygote: Zygote | None = None
) -> ScriptResult:
    """Replay one script against its mocks and compare; never raises for a user's mistake."""
    from nango_tui.runtime.errors import MocksFileError
    from nango_tui.runtime.recording import load_mocks, mocks_path

    from .request import DryrunSetupError

    started = time.perf_counter()
    result = ScriptResult(script.integration, script.name, script.kind, passed=False)
    path = mocks_path(root, script.integration, script.name)
    try:
        mocks = load_mocks(path)
        if "expected" not in mocks:
            raise MocksFileError(
                f"{path}: it has no `expected` section; record it again with `dryrun --save-responses`"
            )
        expected = Outcome.from_expected(mocks["expected"])
        actual = await replay(root, script, mocks, timeout, zygote)
    except (MocksFileError, DryrunSetupError) as exc:
        result.problem = str(exc)
    else:
        result.diff = compare(expected, actual)
        result.passed = not result.diff
        result.records = actual.count()
    result.seconds = time.perf_counter() - started
    return result


async def run_tests(
    root: Path,
    names: list[str] | None = None,
    *,
    on_result: Callable[[ScriptResult], None] | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    zygote: Zygote | None = None,
) -> list[ScriptResult]:
    """Test every selected script that has mocks (named scripts must have them).

    Raises SelectionError for an unknown NAME, and ProjectError when nango.yaml has errors.
    Results come back in a stable order (integration, kind, name); `on_result` sees each in
    that order as soon as it and the ones before it have finished. The replays fork from
    `zygote` (one is started, and closed at the end, when none is given).
    """
    from nango_tui.runtime.recording import mocks_path

    owned = zygote is None
    if zygote is None:
        zygote = start_zygote()
    try:
        root = Path(root).resolve()  # noqa: ASYNC240 (one stat at start)
        scripts = select_scripts(_script_table(root), names)
        if not names:  # all scripts: those without mocks are simply not regression-tested
            scripts = [s for s in scripts if mocks_path(root, s.integration, s.name).is_file()]
        return await _replay_all(root, scripts, on_result, jobs, timeout, zygote)
    finally:
        if owned:
            zygote.close()


def start_zygote() -> Zygote:
    """The process the replays fork from: started first, it imports while the caller goes on;
    prepared for replays only (no CA bundle, no HTTP transport: a replay sends no request)."""
    from .zygote import Zygote

    return Zygote.start(replay=True)


def default_jobs() -> int:
    """How many replays run at once: more than the cores, as a replay spends much of its time
    waiting (its fork, the sandbox's set-up, its exit reported through the zygote, the parent's
    next request); on 2 cores the six samples' replays took 677 ms at 2 at once, 389 ms at 6."""
    return max(2, min(8, 4 * (os.cpu_count() or 1)))


async def _replay_all(
    root: Path,
    scripts: list[Any],
    on_result: Callable[[ScriptResult], None] | None,
    jobs: int | None,
    timeout: float,
    zygote: Zygote | None,
) -> list[ScriptResult]:
    limit = asyncio.Semaphore(jobs or default_jobs())

    finished: dict[int, ScriptResult] = {}
    reported = 0

    async def one(index: int, script: Any) -> ScriptResult:
        nonlocal reported
        async with limit:
            result = await regress_script(root, script, timeout, zygote)
        finished[index] = result
        while reported in finished:
            if on_result is not None:
                on_result(finished[reported])
            reported += 1
        return result

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(scripts))))


class _Table:
    """The scripts of nango.yaml from dryrun's table, cached by the file's content: when it is
    current, `test` needs neither the config loader nor pydantic in this process."""

    def __init__(self, scripts: list[Any]) -> None:
        self._scripts = scripts

    def scripts(self) -> list[Any]:
        return self._scripts


def _script_table(root: Path) -> _Table:
    from .request import DryrunSetupError
    from .setup import script_table

    try:
        return _Table(script_table(root))
    except DryrunSetupError:  # nango.yaml has errors: the loader's diagnostics say which
        from nango_tui.config import load_project  # (imported only here: ~0.1 s of pydantic models)

        loaded = load_project(root)
        if loaded.project is None:
            raise ProjectError(loaded.diagnostics) from None
        return _Table(list(loaded.project.scripts()))


class ProjectError(Exception):
    """nango.yaml has errors: nothing can be tested."""

    def __init__(self, diagnostics: list[Any]) -> None:
        self.diagnostics = diagnostics
        super().__init__("nango.yaml has errors")


# -- the command ----------------------------------------------------------------------------------


def print_result(result: ScriptResult, out: Out) -> None:
    """One pass/fail line, then the diff (or the problem) indented under it."""
    what = f"{result.label} ({result.kind})"
    took = out.style(f"{result.seconds:.1f}s", "dim")
    if result.passed:
        count = (
            f"{result.records} record{'s' if result.records != 1 else ''}"
            if result.kind == "sync"
            else "output matches"
        )
        out.line(f"{out.style('PASS', 'green', 'bold')} {what}  {count}  {took}")
        return
    out.line(f"{out.style('FAIL', 'red', 'bold')} {what}  {took}")
    for line in [result.problem] if result.problem else result.diff:
        for part in str(line).splitlines():
            stripped = part.lstrip()
            colour = {"+": "green", "-": "red", "~": "yellow"}.get(stripped[:1])
            out.line("    " + (out.style(part, colour) if colour else part))


def run_command(
    root: Path,
    names: list[str],
    *,
    as_json: bool = False,
    out: Out | None = None,
    zygote: Zygote | None = None,
) -> int:
    """The `test` command: 0 when every script passes, 1 otherwise (or nothing to test).
    `zygote`: one the caller started early (`start_zygote`); closed here."""
    try:
        return _test_command(root, names, as_json, out, zygote)
    finally:
        if zygote is not None:
            zygote.close()


def _collect_from_now_on() -> None:
    """Turn the collector on again when `program.entry` paused it for the command's imports:
    the modules the replays use are imported first (they would be at the first replay), what is
    alive then is filed with the old objects (no young pass walks it), and the runs' own garbage
    is collected as usual."""
    import gc

    if gc.isenabled():
        return
    from nango_tui.config import heap
    from nango_tui.runtime import connections, recording  # noqa: F401

    from . import events, runner, setup  # noqa: F401

    heap.age_young_objects()
    gc.enable()


def _test_command(root: Path, names: list[str], as_json: bool, out: Out | None, zygote: Zygote | None) -> int:
    from nango_tui.console import Out, print_diagnostics

    _collect_from_now_on()
    out = out or Out()
    root = Path(root)
    if not (root / "nango.yaml").is_file():
        out.line(f"nango-tui test: no nango.yaml in {root}: pass the integrations folder with --dir")
        return 1
    started = time.perf_counter()
    try:
        results = asyncio.run(
            run_tests(
                root, names, on_result=None if as_json else (lambda r: print_result(r, out)), zygote=zygote
            )
        )
    except SelectionError as exc:
        out.line(f"nango-tui test: {exc}")
        return 1
    except ProjectError as exc:
        print_diagnostics(exc.diagnostics, out)
        out.line("nango-tui test: nango.yaml has errors; fix them first (`nango-tui validate`)")
        return 1
    if as_json:
        out.line(json.dumps([r.to_json() for r in results], ensure_ascii=False))
        return 0 if results and all(r.passed for r in results) else 1
    if not results:
        out.line(
            "nothing to test: no script has saved responses; record some with "
            "`nango-tui dryrun NAME CONNECTION_ID --save-responses`"
        )
        return 1
    failed = sum(not r.passed for r in results)
    passed = len(results) - failed
    summary = [out.style(f"{passed} passed", "green")] + (
        [out.style(f"{failed} failed", "red", "bold")] if failed else []
    )
    out.line(f"{', '.join(summary)} ({time.perf_counter() - started:.1f}s)")
    return 1 if failed else 0
