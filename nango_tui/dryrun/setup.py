"""Resolve a DryrunRequest in the parent before any child starts: script, connection, input."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .request import ChildSpec, DryrunRequest, DryrunSetupError

RUNS_DIR = ".nango/runs"
KEEP_RUNS = 50  # records files kept under .nango/runs (oldest removed first)
SCRIPTS_CACHE = ".nango/dryrun-scripts.json"


def resolve(request: DryrunRequest, secrets: list[str] | None = None) -> ChildSpec:
    """Check everything a run needs; raise DryrunSetupError with one clear message if not.

    `secrets`, when given, receives the connection's secret values (for the parent's redaction
    of what the child writes outside the event stream).
    """
    return resolve_run(request, secrets)[0]


def resolve_run(request: DryrunRequest, secrets: list[str] | None = None) -> tuple[ChildSpec, Any]:
    """`resolve`, and the connection it checked (None for a replay without one), which the
    parent hands to the child so that it does not look it up again."""
    root = Path(request.root).resolve()
    if not (root / "nango.yaml").is_file():
        raise DryrunSetupError(f"no nango.yaml in {root}: pass the integrations folder with --dir")
    scripts = script_table(root)
    integration = request.integration
    candidates = {s.integration for s in scripts if s.name == request.name}
    if integration is None and len(candidates) > 1:
        named = _integration_of_connection(root, request)  # the connection names its integration
        integration = named if named in candidates else None
    script = _find_script(scripts, request.name, integration)
    if not (root / script.script_path).is_file():
        raise DryrunSetupError(
            f"{script.script_path} does not exist: run `nango-tui generate` to scaffold it"
        )

    connection = _connection(root, request, script.integration)
    if secrets is not None and connection is not None and hasattr(connection, "secrets"):
        secrets.extend(connection.secrets())
    replay = request.replay if request.replay is not None else bool(getattr(connection, "replay", False))
    mocks_rel = f"{script.integration}/mocks/{script.name}.json"
    if replay and not (root / mocks_rel).is_file():
        raise DryrunSetupError(f"no saved responses to replay at {mocks_rel}: run once with --save-responses")
    if replay and request.save_responses:
        raise DryrunSetupError("--replay and --save-responses cannot be used together")

    input_type = script.input if script.kind == "action" else None
    output_type = (script.output[0] if script.output else None) if script.kind == "action" else None
    has_input = request.input is not None
    if request.webhook is not None:
        if script.kind != "sync":
            raise DryrunSetupError(
                f"{script.name} is an {script.kind}: --webhook is for a sync with webhook-subscriptions"
            )
        if not script.webhooks:
            raise DryrunSetupError(
                f"the sync {script.name} has no webhook-subscriptions in nango.yaml: add them to give it webhooks"
            )
    if script.kind == "action":
        if request.validation:
            _check_input(root, script.name, input_type, request.input)
    elif has_input:
        raise DryrunSetupError(
            f"{script.name} is a sync: --input is for actions (a sync takes --metadata and --last-sync-date)"
        )
    if request.max_records is not None and request.max_records < 1:
        raise DryrunSetupError("--max-records must be at least 1")
    if request.timeout is not None and not (0 < request.timeout <= 7 * 24 * 3600):  # NaN fails too
        raise DryrunSetupError("--timeout must be a number of seconds more than 0 and at most a week")

    spec = ChildSpec(
        root=str(root),
        integration=script.integration,
        name=script.name,
        kind=script.kind,
        script_path=script.script_path,
        environment=request.environment,
        connection_id=request.connection_id,
        outputs=list(script.output),
        input_type=input_type,
        output_type=output_type,
        input=request.input,
        has_input=has_input,
        metadata=request.metadata,
        last_sync_date=_iso(request.last_sync_date),
        validation=request.validation,
        save_responses=request.save_responses,
        replay=replay,
        max_records=request.max_records,
        timeout=request.timeout,
        memory_limit=request.memory_limit,
        records_file=os.devnull
        if request.server_run
        else str(new_records_file(root, script.integration, script.name)),
        mocks_file=str(root / mocks_rel),
        started_at=time.time(),
        track_deletes=script.track_deletes,
        webhook=request.webhook,
        entry="on_webhook" if request.webhook is not None else None,
        server_run=request.server_run,
        checkpoint=request.checkpoint,
    )
    return spec, connection


@dataclass(frozen=True)
class ScriptInfo:
    """What a dryrun needs to know of a sync or action (a cacheable slice of config.Script)."""

    integration: str
    name: str
    kind: str
    script_path: str
    input: str | None
    output: tuple[str, ...]
    track_deletes: bool = False
    webhooks: bool = False  # a sync with webhook-subscriptions


def script_table(root: Path) -> list[ScriptInfo]:
    """Every script of nango.yaml; cached in .nango/ by the file's content (skips the loader)."""
    from nango_tui.config.files import read_user_file

    try:
        raw = read_user_file(root / "nango.yaml")
    except OSError as err:
        raise DryrunSetupError(f"cannot read nango.yaml: {err.strerror or err}") from None
    key = hashlib.sha1(raw).hexdigest()
    cache = root / SCRIPTS_CACHE
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("key") == key and cached.get("version") == 3:
            return [ScriptInfo(**{**s, "output": tuple(s["output"])}) for s in cached["scripts"]]
    except (OSError, ValueError, TypeError, KeyError):
        pass
    from nango_tui.config import load_project

    loaded = load_project(root)
    if loaded.project is None:
        errors = [d for d in loaded.diagnostics if d.is_error]
        first = "\n".join(f"  {d.file}:{d.line}:{d.column}: {d.message}" for d in errors[:5])
        raise DryrunSetupError(
            f"nango.yaml has {len(errors)} error(s); fix them first (`nango-tui validate`):\n{first}"
        )
    table = [
        ScriptInfo(
            s.integration,
            s.name,
            s.kind,
            s.script_path,
            s.input,
            tuple(s.output),
            bool(getattr(s, "track_deletes", False)),
            bool(getattr(s, "webhook_subscriptions", None)),
        )
        for s in loaded.project.scripts()
    ]
    for provider_key, integration in loaded.project.integrations.items():
        for names in integration.on_events.values():
            for name in names:
                path = f"{provider_key}/on-events/{name}.py"
                if not any(t.script_path == path for t in table):
                    table.append(ScriptInfo(provider_key, name, "on-event", path, None, ()))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"version": 3, "key": key, "scripts": [asdict(s) for s in table]}), encoding="utf-8"
        )
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only folder only loses the cache
    return table


def _find_script(scripts: list[ScriptInfo], name: str, integration: str | None) -> ScriptInfo:
    found = [s for s in scripts if s.name == name and (integration is None or s.integration == integration)]
    if len(found) == 1:
        return found[0]
    if not found:
        listed = sorted(scripts, key=lambda s: (s.integration, s.name))
        where = f" in integration {integration}" if integration else ""
        listing = (
            "\n".join(f"  {s.name}  ({s.kind}, {s.integration})" for s in listed)
            or "  (none: nango.yaml declares no sync or action)"
        )
        raise DryrunSetupError(f"no sync or action called {name!r}{where}; the scripts are:\n{listing}")
    keys = ", ".join(sorted(s.integration for s in found))
    raise DryrunSetupError(f"{name!r} exists in several integrations ({keys}): pass --integration-id KEY")


def _integration_of_connection(root: Path, request: DryrunRequest) -> str | None:
    """The integration connections.yaml gives the request's connection (None when unknown)."""
    from nango_tui.runtime import connections

    try:
        found = connections.list_connections(root, request.environment, include_nango=False)
    except Exception:  # a broken connections.yaml: the usual "pass --integration-id" follows
        return None
    return next((c.integration for c in found if c.id == request.connection_id and c.integration), None)


def _connection(root: Path, request: DryrunRequest, integration: str) -> Any:
    """The connection (checked only: the child loads it again with its credentials)."""
    try:
        from nango_tui.runtime import connections
    except ImportError as exc:  # pragma: no cover - the runtime ships with the package
        raise DryrunSetupError(f"the runtime is not available: {exc}") from None
    try:
        return connections.get_connection(
            root, request.environment, request.connection_id, integration, extra_env=request.extra_env
        )
    except Exception as exc:  # the runtime's errors carry a clear, secret-free message
        if request.replay:
            return None  # replaying needs no credentials
        raise DryrunSetupError(str(exc) or type(exc).__name__) from None


def _check_input(root: Path, action: str, input_type: str | None, value: Any) -> None:
    """With --validation: the input must match nango.yaml's `input` (without, the run only warns)."""
    if input_type is None:
        return
    from .iotypes import ModelsError, adapter, format_validation_error, load_models

    if value is None:
        raise DryrunSetupError(
            f"the action {action} takes an input ({input_type}): pass --input JSON or --input @file.json"
        )
    try:
        type_adapter = adapter(input_type, load_models(root))
    except ModelsError as exc:
        raise DryrunSetupError(str(exc)) from None
    from pydantic import ValidationError

    try:
        type_adapter.validate_python(value)
    except ValidationError as exc:
        raise DryrunSetupError(
            f"--input does not match {input_type}: {format_validation_error(exc)}"
        ) from None


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def new_records_file(root: Path, integration: str, name: str) -> Path:
    """A fresh `.nango/runs/<stamp>-<integration>-<name>.jsonl`; keeps the last KEEP_RUNS."""
    runs = root / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    gitignore = root / ".nango" / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    old = sorted(runs.glob("*.jsonl"))
    for stale in old[: max(0, len(old) - KEEP_RUNS + 1)]:
        stale.unlink(missing_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{integration}-{name}")
    return runs / f"{stamp}-{safe}.jsonl"
