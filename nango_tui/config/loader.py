"""Load nango.yaml into a checked Project, or into diagnostics. Never raises for user input."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import heap
from .diagnostics import DiagnosticList, has_errors, sort_key
from .files import UnsafeFileError, read_user_file
from .model import HTTP_METHODS, Action, Endpoint, Integration, ModelDef, Project, Sync, built, checked
from .models_parser import ModelsParser, _kind, close_match
from .names import name_problem, text_problem
from .result import LoadResult
from .runs import RunsError, parse_runs
from .types import TYPE_ALIASES
from .yamlnodes import YList, YMap, decode, parse

CONFIG_FILE = "nango.yaml"

TOP_KEYS = ("integrations", "models")
INTEGRATION_KEYS = ("syncs", "actions", "on-events", "post-connection-scripts")
SYNC_KEYS = (
    "runs",
    "endpoint",
    "output",
    "description",
    "sync_type",
    "track_deletes",
    "auto_start",
    "version",
    "scopes",
    "input",
    "webhook-subscriptions",
)
ACTION_KEYS = ("endpoint", "input", "output", "description", "version", "scopes")
EVENTS = ("post-connection-creation", "pre-connection-deletion", "validate-connection")


def load_project(root: str | os.PathLike[str], config_file: str = CONFIG_FILE) -> LoadResult:
    """Read `<root>/nango.yaml` and check it."""
    root = Path(root)
    path = root / config_file
    diags = DiagnosticList(config_file)
    try:
        data = read_user_file(path)
    except UnsafeFileError as err:
        diags.error(1, 1, "unreadable_file", str(err), hint="nango.yaml must be a regular text file")
        return LoadResult(None, diags.items)
    except FileNotFoundError:
        if path.is_symlink():  # a dangling link: saying "no nango.yaml" would send one to `init`
            target = os.readlink(path)
            diags.error(
                1,
                1,
                "missing_file",
                f"{config_file} is a link to {target}, which does not exist",
                hint="point the link at the real nango.yaml, or replace it with the file",
            )
            return LoadResult(None, diags.items)
        hint = (
            "run `nango-tui init` to start a project"
            if root.is_dir()
            else f"the folder {root} does not exist"
        )
        diags.error(1, 1, "missing_file", f"no {config_file} in {root}", hint=hint)
        return LoadResult(None, diags.items)
    except IsADirectoryError:
        diags.error(1, 1, "missing_file", f"{path} is a folder, not a file")
        return LoadResult(None, diags.items)
    except OSError as err:
        diags.error(1, 1, "unreadable_file", f"cannot read {path}: {err.strerror or err}")
        return LoadResult(None, diags.items)
    text = decode(data, diags)
    if text is None:
        return LoadResult(None, diags.items)
    return load_text(text, root, config_file)


def load_text(text: str, root: str | os.PathLike[str] = ".", config_file: str = CONFIG_FILE) -> LoadResult:
    """Check nango.yaml given as text (the watcher and the tests use this)."""
    with _cyclic_gc_paused():
        return _load_text(text, root, config_file)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is read and checked: the loader makes hundreds
    of thousands of dicts, tuples and objects that all stay alive (none is garbage), and the
    collector's passes over them were a fifth of a big file's time. Collection resumes after.

    What the load leaves alive (the Project) would make the first young collection after it
    walk every object: unless something froze the heap on purpose (the workbench, a dryrun
    child: `heap.freeze` is theirs), a freeze + unfreeze files them with the old objects instead,
    for the next full collection, as if they had aged there (`heap.age_young_objects`)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        heap.age_young_objects()
        gc.enable()


def _load_text(text: str, root: str | os.PathLike[str], config_file: str) -> LoadResult:
    diags = DiagnosticList(config_file)
    raw = parse(text, diags)
    if raw is None and has_errors(diags.items):
        return _result(None, diags)
    if raw is None:
        diags.error(
            1, 1, "empty_file", f"{config_file} is empty", hint="start with `integrations:` and `models:`"
        )
        return _result(None, diags)
    if not isinstance(raw, YMap):
        line, col = getattr(raw, "mark", (1, 1))
        diags.error(
            line,
            col,
            "invalid_structure",
            f"{config_file} must be a mapping with `integrations:` and `models:` at the top, found {_kind(raw)}",
        )
        return _result(None, diags)
    return _ConfigParser(Path(root), config_file, raw, diags).parse()


def _result(project: Project | None, diags: DiagnosticList, partial: Project | None = None) -> LoadResult:
    items = sorted(diags.items, key=sort_key)
    if has_errors(items):
        return LoadResult(None, items, partial)
    return LoadResult(project, items, project)


_KEY_SETS: dict[tuple[str, ...], frozenset[str]] = {
    keys: frozenset(keys) for keys in (TOP_KEYS, INTEGRATION_KEYS, SYNC_KEYS, ACTION_KEYS, EVENTS)
}


class _ConfigParser:
    def __init__(self, root: Path, config_file: str, raw: YMap, diags: DiagnosticList) -> None:
        self.root = root
        self.config_file = config_file
        self.raw = raw
        self.diags = diags
        self.models: dict[str, ModelDef] = {}
        self.endpoints_seen: dict[str, tuple[int, int]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def unknown_keys(self, mapping: YMap, allowed: tuple[str, ...], where: str) -> None:
        allowed_set = _KEY_SETS.get(allowed)
        if allowed_set is None:
            allowed_set = _KEY_SETS[allowed] = frozenset(allowed)
        if mapping.keys() <= allowed_set:  # the usual case, in one set comparison
            return
        for key in mapping:
            if key in allowed:
                continue
            line, col = mapping.key_mark(key)
            guess = (
                close_match(key, allowed)
                or close_match(key.replace("-", "_"), allowed)
                or close_match(key.replace("_", "-"), allowed)
            )
            self.diags.error(
                line,
                col,
                "additional_property",
                f'unknown key "{key}" in {where}',
                hint=f"did you mean `{guess}`?" if guess else "allowed here: " + ", ".join(allowed),
            )

    def expect_str(self, mapping: YMap, key: str, what: str) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "version":
            return str(value)
        if not isinstance(value, str):
            line, col = mapping.value_mark(key)
            self.diags.error(line, col, "invalid_type", f"`{key}` must be {what}, found {_kind(value)}")
            return None
        return value

    def expect_bool(self, mapping: YMap, key: str, default: bool) -> bool:
        value = mapping.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            line, col = mapping.value_mark(key)
            self.diags.error(
                line, col, "invalid_type", f"`{key}` must be true or false, found {_kind(value)} ({value!r})"
            )
            return default
        return value

    def str_list(self, mapping: YMap, key: str, comma_split: bool) -> list[str]:
        value = mapping.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            parts = value.split(",") if comma_split else [value]
            return [p.strip() for p in parts if p.strip()]
        if isinstance(value, YList):
            out = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(item)
                else:
                    line, col = value.item_mark(i)
                    self.diags.error(
                        line, col, "invalid_type", f"each entry of `{key}` must be text, found {_kind(item)}"
                    )
            return out
        line, col = mapping.value_mark(key)
        self.diags.error(line, col, "invalid_type", f"`{key}` must be a list or text, found {_kind(value)}")
        return []

    # -- top level ---------------------------------------------------------------------------
    def parse(self) -> LoadResult:
        raw = self.raw
        self.unknown_keys(raw, TOP_KEYS, "the top level of nango.yaml")
        models_raw = raw.get("models")
        if "models" in raw and models_raw is not None and not isinstance(models_raw, YMap):
            line, col = raw.value_mark("models")
            self.diags.error(
                line,
                col,
                "invalid_type",
                f"`models` must be a mapping of model names, found {_kind(models_raw)}",
            )
        self.models = ModelsParser(models_raw, raw.value_mark("models"), self.diags).parse()

        integrations: dict[str, Integration] = {}
        ints_raw = raw.get("integrations")
        if "integrations" not in raw:
            self.diags.error(
                1,
                1,
                "missing_integrations",
                "nango.yaml has no `integrations:` section",
                hint="add `integrations:` with one entry per provider config key",
            )
        elif not isinstance(ints_raw, YMap):
            line, col = raw.value_mark("integrations")
            self.diags.error(
                line,
                col,
                "invalid_type",
                f"`integrations` must be a mapping of integration keys, found {_kind(ints_raw)}",
            )
        else:
            for key, body in ints_raw.items():
                problem = name_problem(key, "integration")
                if problem is not None:
                    line, col = ints_raw.key_mark(key)
                    self.diags.error(
                        line,
                        col,
                        "invalid_integration_key",
                        f"{problem}: {key!r}",
                        hint="integration keys become folders: use letters, digits, dashes and underscores",
                    )
                    continue
                integration = self.integration(key, body, ints_raw)
                if integration is not None:
                    integrations[key] = integration
        project = Project(
            root=self.root, config_file=self.config_file, integrations=integrations, models=self.models
        )
        return _result(project, self.diags, partial=project)

    def integration(self, key: str, body: Any, parent: YMap) -> Integration | None:
        line, col = parent.key_mark(key)
        if body is None:
            return Integration(key=key, line=line, column=col)
        if not isinstance(body, YMap):
            vline, vcol = parent.value_mark(key)
            self.diags.error(
                vline,
                vcol,
                "invalid_type",
                f'the integration "{key}" must be a mapping with `syncs:` and `actions:`, found {_kind(body)}',
            )
            return None
        if not any(k in body for k in INTEGRATION_KEYS) and any(
            isinstance(v, YMap) and ("runs" in v or "returns" in v or v.get("type") in ("sync", "action"))
            for v in body.values()
        ):
            self.diags.error(
                line,
                col,
                "version_1_format",
                f'the integration "{key}" is written in the old version-1 format (scripts directly under the integration)',
                hint="put syncs under `syncs:` and actions under `actions:`, and `returns` becomes `output` (see Nango's migration guide)",
            )
            return None
        self.unknown_keys(body, INTEGRATION_KEYS, f'the integration "{key}"')
        syncs: dict[str, Sync] = {}
        actions: dict[str, Action] = {}
        used_models: set[str] = set()
        names_lower: dict[str, tuple[str, str]] = {}
        sections: tuple[tuple[str, Callable[..., Sync | Action | None], dict[str, Any]], ...] = (
            ("syncs", self.sync, syncs),
            ("actions", self.action, actions),
        )
        for section, builder, target in sections:
            section_raw = body.get(section)
            if section_raw is None:
                continue
            if not isinstance(section_raw, YMap):
                vline, vcol = body.value_mark(section)
                self.diags.error(
                    vline,
                    vcol,
                    "invalid_type",
                    f"`{section}` must be a mapping of script names, found {_kind(section_raw)}",
                )
                continue
            for name, spec in section_raw.items():
                if name_problem(name, "script") is not None:  # (the mark only when it is reported)
                    self.script_name_ok(name, *section_raw.key_mark(name))
                    continue
                lowered = name.lower()
                other = names_lower.get(lowered)
                if other is not None:
                    self.diags.error(
                        *section_raw.key_mark(name),
                        "duplicate_script_name",
                        f'"{name}" collides with the {other[1][:-1]} "{other[0]}" in the integration "{key}"',
                        hint="script names must be unique within an integration (ignoring case): rename one",
                    )
                    continue
                names_lower[lowered] = (name, section)
                script = builder(key, name, spec, section_raw, used_models)
                if script is not None:
                    target[name] = script
        on_events = self.on_events(key, body)
        return checked(
            Integration, key=key, syncs=syncs, actions=actions, on_events=on_events, line=line, column=col
        )

    def script_name_ok(self, name: str, line: int, col: int) -> bool:
        problem = name_problem(name, "script")
        if problem is not None:
            self.diags.error(
                line,
                col,
                "invalid_script_name",
                f"{problem}: {name!r}",
                hint="script names become file names: use letters, digits, dashes and underscores",
            )
            return False
        return True

    def on_events(self, key: str, body: YMap) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        raw = body.get("on-events")
        legacy = body.get("post-connection-scripts")
        if raw is not None and legacy is not None:
            line, col = body.key_mark("post-connection-scripts")
            self.diags.error(
                line,
                col,
                "both_post_connection_scripts_and_on_events_present",
                "use either `on-events` or the older `post-connection-scripts`, not both",
            )
        if legacy is not None:
            line, col = body.value_mark("post-connection-scripts")
            out["post-connection-creation"] = [
                n
                for n in self.str_list(body, "post-connection-scripts", comma_split=False)
                if self.script_name_ok(n, line, col)
            ]
        if raw is None:
            return out
        if not isinstance(raw, YMap):
            line, col = body.value_mark("on-events")
            self.diags.error(
                line,
                col,
                "invalid_type",
                f"`on-events` must map events to lists of scripts, found {_kind(raw)}",
            )
            return out
        self.unknown_keys(raw, EVENTS, "`on-events`")
        for event in EVENTS:
            if event in raw:
                names = self.str_list(raw, event, comma_split=False)
                line, col = raw.value_mark(event)
                out[event] = [n for n in names if self.script_name_ok(n, line, col)]
        return out

    # -- scripts -----------------------------------------------------------------------------
    def common(
        self, integration: str, name: str, spec: Any, parent: YMap, kind: str
    ) -> tuple[YMap, str, str | None, list[str], int, int] | None:
        """What syncs and actions share: (spec, description, version, scopes, line, column), or
        None when the spec is not a mapping (reported)."""
        line, col = parent.key_mark(name)
        if spec is None:
            spec = YMap((line, col))
        elif not isinstance(spec, YMap):
            vline, vcol = parent.value_mark(name)
            self.diags.error(
                vline,
                vcol,
                "invalid_type",
                f'the {kind} "{name}" must be a mapping of its settings, found {_kind(spec)}',
            )
            return None
        allowed = SYNC_KEYS if kind == "sync" else ACTION_KEYS
        if not spec.keys() <= _KEY_SETS[allowed]:
            self.unknown_keys(spec, allowed, f'the {kind} "{name}"')
        description = spec.get("description")
        if type(description) is not str:  # (text, the usual case, needs no call)
            description = self.expect_str(spec, "description", "text") or ""
        return (
            spec,
            description.strip(),
            self.expect_str(spec, "version", "a version such as 1.0.0") if "version" in spec else None,
            self.str_list(spec, "scopes", comma_split=True) if "scopes" in spec else [],
            line,
            col,
        )

    def model_name(
        self, spec: YMap, key: str, index: int | None, used: set[str], integration: str, kind: str, name: str
    ) -> str | None:
        """Check one model name given as `input`/`output`; return it when usable."""
        value = spec[key] if index is None else spec[key][index]
        # (the mark is computed only when there is something to report: `_where`)
        if not isinstance(value, str):
            self.diags.error(
                *_where(spec, key, index),
                "invalid_type",
                f"`{key}` must name a model, found {_kind(value)} ({value!r})",
            )
            return None
        problem = None if value.isprintable() else text_problem(value)
        if problem is not None:
            self.diags.error(
                *_where(spec, key, index),
                "invalid_type",
                f"`{key}` cannot hold {problem}: {value!r}",
                hint="name one model",
            )
            return None
        value = value.strip()
        model = value[:-2].strip() if value[-2:] == "[]" else value
        if model in self.models:
            if key == "output" and kind == "sync":
                if model in used:
                    self.diags.warning(
                        *_where(spec, key, index),
                        "duplicate_model",
                        f'the model "{model}" is the output of more than one sync of "{integration}"',
                        hint="their records would share one cache; give each sync a model of its own",
                    )
                used.add(model)
            return value
        base = model
        if (
            base.lower() in TYPE_ALIASES
            or base.lower() in ("null", "undefined", "true", "false")
            or "|" in value
        ):
            self.diags.warning(
                *_where(spec, key, index),
                "model_is_literal",
                f'`{key}: {value}` of the {kind} "{name}" is a plain type, not a model',
                hint="a model gives the records a name and a schema; define one under `models`",
            )
            return value
        guess = close_match(model, self.models)
        self.diags.error(
            *_where(spec, key, index),
            "model_not_found",
            f'the {kind} "{name}" names the model "{value}" as its {key}, but no such model is defined',
            hint=f"did you mean `{guess}`?" if guess else "define it under `models`",
        )
        return None

    def outputs(self, spec: YMap, used: set[str], integration: str, kind: str, name: str) -> list[str]:
        raw = spec.get("output")
        if raw is None:
            return []
        if isinstance(raw, YList):
            return [
                m
                for i in range(len(raw))
                if (m := self.model_name(spec, "output", i, used, integration, kind, name))
            ]
        one = self.model_name(spec, "output", None, used, integration, kind, name)
        return [one] if one else []

    def endpoint_list(self, spec: YMap, kind: str, name: str) -> list[Endpoint]:
        raw = spec.get("endpoint")
        if raw is None:
            return []
        items: list[tuple[Any, tuple[int, int]]]
        if isinstance(raw, YList):
            if kind == "action" and len(raw) > 1:
                line, col = spec.value_mark("endpoint")
                self.diags.error(
                    line, col, "invalid_endpoint", f'the action "{name}" can have only one endpoint'
                )
            items = [(item, raw.item_mark(i)) for i, item in enumerate(raw)]
        else:
            items = [(raw, spec.value_mark("endpoint"))]
        out = []
        seen = self.endpoints_seen
        for item, (line, col) in items:
            endpoint = self.endpoint(item, line, col, kind, name)
            if endpoint is None:
                continue
            key = f"{endpoint.method} {endpoint.path}"  # str(endpoint)
            first = seen.get(key)
            if first is not None:
                self.diags.error(
                    line,
                    col,
                    "duplicate_endpoint",
                    f'the endpoint "{key}" is already used at line {first[0]}',
                    hint="every sync and action needs an endpoint of its own",
                )
            else:
                seen[key] = (line, col)
            out.append(endpoint)
        return out

    def endpoint(self, item: Any, line: int, col: int, kind: str, name: str) -> Endpoint | None:
        method: Any
        path: Any
        group: Any
        if type(item) is str:  # the usual `GET /path`, checked in a few steps
            parts = item.split()
            if len(parts) == 2:
                method = parts[0].upper()
                path = parts[1]
                if method in HTTP_METHODS and path[:1] == "/":
                    return built(
                        Endpoint,
                        {"method": method, "path": path, "group": None, "line": line, "column": col},
                    )
        example = "e.g. `GET /contacts` or {method: GET, path: /contacts}"
        if isinstance(item, str):
            parts = item.split()
            if len(parts) == 1:
                if parts[0].upper() in HTTP_METHODS:
                    self.diags.error(
                        line,
                        col,
                        "invalid_endpoint",
                        f'the endpoint "{item}" has a method but no path',
                        hint=example,
                    )
                else:
                    self.diags.error(
                        line,
                        col,
                        "invalid_endpoint",
                        f'the endpoint "{item}" has no HTTP method',
                        hint=f"write `GET {item}`",
                    )
                return None
            if len(parts) != 2:
                self.diags.error(
                    line, col, "invalid_endpoint", f'cannot read the endpoint "{item}"', hint=example
                )
                return None
            method, path, group = parts[0], parts[1], None
        elif isinstance(item, YMap):
            for key in item:
                if key not in ("method", "path", "group"):
                    kline, kcol = item.key_mark(key)
                    self.diags.error(
                        kline,
                        kcol,
                        "additional_property",
                        f'unknown key "{key}" in an endpoint',
                        hint="allowed here: method, path, group",
                    )
            method, path, group = item.get("method"), item.get("path"), item.get("group")
            if method is None or path is None:
                missing = "method" if method is None else "path"
                self.diags.error(
                    line, col, "invalid_endpoint", f"the endpoint has no `{missing}`", hint=example
                )
                return None
            if (
                not isinstance(method, str)
                or not isinstance(path, str)
                or (group is not None and not isinstance(group, str))
            ):
                self.diags.error(
                    line, col, "invalid_type", "an endpoint's method, path and group must be text"
                )
                return None
        else:
            self.diags.error(
                line,
                col,
                "invalid_endpoint",
                f"an endpoint must be text or a mapping, found {_kind(item)}",
                hint=example,
            )
            return None
        if method.upper() not in HTTP_METHODS:
            self.diags.error(
                line,
                col,
                "invalid_endpoint",
                f'"{method}" is not an HTTP method',
                hint="use one of " + ", ".join(HTTP_METHODS),
            )
            return None
        if not path.startswith("/"):
            self.diags.error(
                line,
                col,
                "invalid_endpoint",
                f'the endpoint path "{path}" must start with "/"',
                hint=f"write `/{path}`",
            )
            return None
        return checked(Endpoint, method=method.upper(), path=path, group=group, line=line, column=col)

    def sync(self, integration: str, name: str, spec: Any, parent: YMap, used: set[str]) -> Sync | None:
        base = self.common(integration, name, spec, parent, "sync")
        if base is None:
            return None
        spec, description, version, scopes, line, col = base
        runs = spec.get("runs")
        if type(runs) is not str:
            runs = self.expect_str(spec, "runs", 'a schedule such as "every hour"')
        runs_seconds = 0
        if "runs" not in spec:
            self.diags.error(
                line,
                col,
                "missing_runs",
                f'the sync "{name}" has no `runs`',
                hint="add e.g. `runs: every hour`",
            )
        elif runs is not None:
            try:
                runs_seconds = parse_runs(runs)
            except RunsError as err:
                rline, rcol = spec.value_mark("runs")
                self.diags.error(rline, rcol, "invalid_runs", str(err))
        if "output" not in spec:
            self.diags.error(
                line,
                col,
                "missing_output",
                f'the sync "{name}" has no `output` model',
                hint="name the model its records follow, e.g. `output: Contact`",
            )
        outputs = self.outputs(spec, used, integration, "sync", name)
        for model_name in outputs:
            model = self.models.get(model_name)
            if model is not None and model.field("id") is None:
                oline, ocol = spec.value_mark("output")
                self.diags.error(
                    oline,
                    ocol,
                    "model_missing_id",
                    f'the model "{model_name}" has no `id` field; a sync\'s records need one to be told apart',
                    hint=f"add `id: string` to {model_name}",
                )
        input_name = (
            self.model_name(spec, "input", None, used, integration, "sync", name)
            if spec.get("input") is not None
            else None
        )
        endpoints = self.endpoint_list(spec, "sync", name)
        if (
            "endpoint" in spec
            and endpoints
            and len(endpoints) != len(outputs)
            and len(outputs) == len(self._raw_outputs(spec))
        ):
            eline, ecol = spec.value_mark("endpoint")
            self.diags.error(
                eline,
                ecol,
                "endpoints_mismatch",
                f'the sync "{name}" has {len(endpoints)} endpoint(s) for {len(outputs)} output model(s); they must pair one to one',
                hint="give one endpoint per output model, in the same order",
            )
        sync_type = "full"
        raw_type = spec.get("sync_type")
        if raw_type is not None:
            if isinstance(raw_type, str) and raw_type.lower() in ("full", "incremental"):
                sync_type = raw_type.lower()
            else:
                tline, tcol = spec.value_mark("sync_type")
                self.diags.error(
                    tline,
                    tcol,
                    "invalid_sync_type",
                    f"`sync_type` must be full or incremental, found {raw_type!r}",
                )
        # (a setting left out takes its default without a call)
        track_deletes = self.expect_bool(spec, "track_deletes", False) if "track_deletes" in spec else False
        auto_start = self.expect_bool(spec, "auto_start", True) if "auto_start" in spec else True
        webhooks = (
            self.str_list(spec, "webhook-subscriptions", comma_split=False)
            if "webhook-subscriptions" in spec
            else []
        )
        return built(  # the fields in their declared order (the dict becomes the Sync's own)
            Sync,
            {
                "integration": integration,
                "name": name,
                "description": description,
                "version": version,
                "scopes": scopes,
                "input": input_name,
                "endpoints": endpoints,
                "line": line,
                "column": col,
                "runs": runs or "",
                "runs_seconds": runs_seconds,
                "output": outputs,
                "sync_type": sync_type,
                "track_deletes": track_deletes,
                "auto_start": auto_start,
                "webhook_subscriptions": webhooks,
            },
        )

    @staticmethod
    def _raw_outputs(spec: YMap) -> list[Any]:
        raw = spec.get("output")
        return list(raw) if isinstance(raw, YList) else ([] if raw is None else [raw])

    def action(self, integration: str, name: str, spec: Any, parent: YMap, used: set[str]) -> Action | None:
        base = self.common(integration, name, spec, parent, "action")
        if base is None:
            return None
        spec, description, version, scopes, line, col = base
        outputs = self.outputs(spec, used, integration, "action", name)
        if len(outputs) > 1:
            oline, ocol = spec.value_mark("output")
            self.diags.error(
                oline,
                ocol,
                "invalid_output",
                f'the action "{name}" can return only one model',
                hint="wrap them in one model",
            )
        input_name = (
            self.model_name(spec, "input", None, used, integration, "action", name)
            if spec.get("input") is not None
            else None
        )
        endpoints = self.endpoint_list(spec, "action", name)
        return checked(  # the fields in their declared order
            Action,
            integration=integration,
            name=name,
            description=description,
            version=version,
            scopes=scopes,
            input=input_name,
            endpoints=endpoints,
            line=line,
            column=col,
            output=outputs,
        )


def _where(spec: YMap, key: str, index: int | None) -> tuple[int, int]:
    """The mark of `spec[key]`, or of its item `index`."""
    return spec.value_mark(key) if index is None else spec[key].item_mark(index)
