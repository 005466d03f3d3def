"""batch_save/update/delete with Nango's record semantics (docs/sdk.md "Records").

- a repeated id in one batch keeps the last occurrence (where it last appears), with a warning;
  a later batch replaces an earlier one (what is saved is the last record per id);
- records are kept as the script sent them (JSON values unchanged: 1001 stays 1001); model
  instances are dumped by alias without unset fields;
- batch_update takes partial records: `id` plus any fields, only those checked;
  batch_delete takes records with at least an `id`;
- an invalid record is reported (`invalid` event) and saved anyway, as Nango's CLI does; with
  validation on, the first invalid record fails the run, naming every field in error.

Per-record cost matters (dryrun target: 50,000 records/s end to end): a batch is validated in
one pydantic call; only a batch holding invalid records takes the path that finds every error.
"""

from __future__ import annotations

import builtins
import struct
import sys
from array import array
from collections.abc import Iterable
from itertools import repeat
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model
from pydantic_core import SchemaValidator

from ..runtime.context import RunContext
from .errors import InvalidRecordsError, RecordLimitReached, SdkUsageError
from .plain_fields import Check, plain_check

_OPS = ("save", "update", "delete")
_MISSING = object()


def error_list(err: ValidationError, drop: int = 0) -> list[dict[str, Any]]:
    """A ValidationError as [{"path", "message"}]; `drop` leading path items are removed."""
    out = []
    for item in err.errors(include_url=False):
        loc = item.get("loc", ())[drop:]
        path = ".".join(str(p) for p in loc) or "(record)"
        out.append({"path": path, "message": item.get("msg", "invalid")})
    return out


def _jsonable(record: Any) -> Any:
    if isinstance(record, BaseModel):
        try:
            return record.model_dump(mode="json", by_alias=True, exclude_unset=True)
        except Exception:  # a model_construct()ed instance may not dump
            return repr(record)
    if isinstance(record, (dict, list, str, int, float, bool)) or record is None:
        return record
    return repr(record)


def _as_sent(record: Any) -> Any:
    """The record as Nango keeps it: a dict as given (without `_nango_metadata`), a model dumped."""
    if type(record) is dict:
        if "_nango_metadata" in record:
            return {k: v for k, v in record.items() if k != "_nango_metadata"}
        return record
    return _jsonable(record)


def _id_of(record: Any) -> Any:
    if type(record) is dict:
        return record.get("id")
    return getattr(record, "id", None)


class _ModelCodec:
    """Validation for one model (whole records, and partial ones for batch_update), built once per run."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.many = TypeAdapter(list[cls])  # type: ignore[valid-type]
        self._partial: TypeAdapter[Any] | None = None
        self._dicts: SchemaValidator | bool | None = False  # False: not built yet
        self.plain: Check | None = None  # (built with `dicts`)
        # JSON has one number type: a whole float is written as an integer (as Nango, in JS, does)
        self.numbers = number_spec(cls)

    @property
    def dicts(self) -> SchemaValidator | None:
        """A validator of a list of plain dicts that says only whether they are valid, without
        building model instances (the `model-fields` part of the model's own schema, with its
        config: ~40% less CPU a record); None when the model's schema has more than fields
        (model validators, custom __init__, a root model...), then `many` alone is used."""
        if self._dicts is False:
            self._dicts, self.plain = _fields_validator(self.many.core_schema)
        return self._dicts if isinstance(self._dicts, SchemaValidator) else None

    def dump_instances(self, records: list[Any], dicts_only: bool = False) -> list[Any]:
        """`records` with model instances dumped (one pydantic call), dicts and others as sent.
        `dicts_only`: every record is a plain dict (then one C-level pass looks for metadata)."""
        if dicts_only and not any(map(dict.__contains__, records, repeat("_nango_metadata"))):
            return list(records)
        cls = self.cls
        mine = [i for i, r in enumerate(records) if type(r) is cls]
        # a plain dict without `_nango_metadata` is kept as it is: tested inline (every record)
        out = [
            r
            if type(r) is dict and "_nango_metadata" not in r
            else _as_sent(r)
            if type(r) is not cls
            else None
            for r in records
        ]
        if mine:
            dumped = self.many.dump_python(
                [records[i] for i in mine], mode="json", by_alias=True, exclude_unset=True
            )
            numbers = self.numbers
            for i, item in zip(mine, dumped):
                out[i] = whole_numbers(item, numbers) if numbers is not None else item
        return out

    @property
    def partial(self) -> TypeAdapter[Any]:
        """Every field optional: an update checks only the fields it carries."""
        if self._partial is None:
            fields: dict[str, Any] = {}
            for name, info in getattr(self.cls, "model_fields", {}).items():
                fields[name] = (info.annotation | None, _partial_field(info))
            model = create_model(
                f"{self.cls.__name__}Update", __config__=getattr(self.cls, "model_config", None), **fields
            )
            self._partial = TypeAdapter(list[model])
        return self._partial


def _fields_validator(schema: Any) -> tuple[SchemaValidator | None, Check | None]:
    """`list[Model]`'s core schema with the model node replaced by its fields (see `dicts`), and
    the plain check of those fields where they are plain enough (`plain_fields.py`)."""
    definitions = None
    if schema.get("type") == "definitions":
        definitions, schema = schema.get("definitions"), schema.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "list":
        return None, None
    item = schema.get("items_schema")
    if isinstance(item, dict) and item.get("type") == "definition-ref":
        ref = item.get("schema_ref")
        item = next((d for d in definitions or () if isinstance(d, dict) and d.get("ref") == ref), None)
    if (
        not isinstance(item, dict)
        or item.get("type") != "model"
        or item.get("custom_init")
        or item.get("root_model")
        or item.get("post_init")
        or not isinstance(item.get("schema"), dict)
        or item["schema"].get("type") != "model-fields"
    ):
        return None, None
    fields = {**schema, "items_schema": item["schema"]}
    if definitions is not None:
        fields = {"type": "definitions", "schema": fields, "definitions": definitions}
    try:
        validator = SchemaValidator(fields, item.get("config"))
    except Exception:  # a schema pydantic-core builds differently alone: the model validates
        return None, None
    return validator, plain_check(item["schema"], item.get("config"))


def _valid_dicts(
    validator: SchemaValidator | None,
    records: list[Any],
    plain: Check | None = None,
    dicts_only: bool | None = None,
) -> bool:
    """True when every record is a plain dict that `validator` accepts (then the model would);
    `plain` says so first where it can (`plain_fields.py`). `dicts_only`: whether every record
    is a plain dict, when the caller knows."""
    if dicts_only is None:
        dicts_only = set(map(type, records)) == _DICT_ONLY
    if validator is None or not dicts_only:
        return False
    if plain is not None and plain(records):
        return True
    try:
        validator.validate_python(records)
    except ValidationError:  # the model's own validation says which records and why
        return False
    return True


_DICT_ONLY = {dict}


class NumberSpec:
    """Where a dumped value of some annotation may hold `number` (float) values: here, under
    given keys (a model), in its items (a list) or in its values (a mapping)."""

    __slots__ = ("here", "items", "keys", "values")

    def __init__(self) -> None:
        self.here = False
        self.keys: dict[str, NumberSpec] = {}
        self.items: NumberSpec | None = None
        self.values: NumberSpec | None = None

    def empty(self) -> bool:
        return not (self.here or self.keys or self.items or self.values)


def number_spec(annotation: Any, _seen: dict[Any, NumberSpec] | None = None) -> NumberSpec | None:
    """The `NumberSpec` of an annotation (a model class, `float`, `list[...]`, a union...), or None
    when no float can sit anywhere in it. Models referring to themselves are followed once."""
    seen = {} if _seen is None else _seen
    if annotation in seen:
        return seen[annotation]
    spec = NumberSpec()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        seen[annotation] = spec
        for name, info in annotation.model_fields.items():
            sub = number_spec(info.annotation, seen)
            if sub is not None:
                spec.keys[info.alias or name] = sub
        if annotation.model_config.get("extra") == "allow":
            spec.values = number_spec(_extra_value_type(annotation), seen)
        return None if spec.empty() else spec
    if annotation is float:
        spec.here = True
        return spec
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, UnionType):
        members = [sub for sub in (number_spec(member, seen) for member in args) if sub is not None]
        if len(members) == 1:  # `Model | None`: the model's own spec (it may still be filling in)
            return members[0]
        for sub in members:
            spec.here |= sub.here
            spec.keys.update(sub.keys)
            spec.items = spec.items or sub.items
            spec.values = spec.values or sub.values
    elif origin in (list, tuple, set, frozenset) and args:
        spec.items = number_spec(args[0], seen)
    elif origin is dict and len(args) == 2:
        spec.values = number_spec(args[1], seen)
    elif origin is Annotated and args:
        return number_spec(args[0], seen)
    return None if spec.empty() else spec


def _extra_value_type(model: type) -> Any:
    """T of a model's `__pydantic_extra__: dict[str, T]` (models.py's `__string: T`), or None."""
    hint = next(
        (
            k.__annotations__["__pydantic_extra__"]
            for k in model.__mro__
            if "__pydantic_extra__" in getattr(k, "__annotations__", {})
        ),
        None,
    )
    if isinstance(hint, str):  # `from __future__ import annotations`, as models.py has it
        namespace = dict(vars(sys.modules.get(model.__module__, builtins)))
        try:
            hint = eval(hint, namespace)  # as typing.get_type_hints does
        except Exception:  # an annotation that does not resolve: no numbers to rewrite there
            return None
    args = get_args(hint)
    return args[1] if len(args) == 2 else None


def whole_numbers(value: Any, spec: NumberSpec) -> Any:
    """`value` (a dumped record, changed in place) with whole floats where `spec` puts numbers
    written as integers: 1001.0 -> 1001, as JSON (and Nango, in JS) has them."""
    kind = type(value)
    if kind is float:
        return int(value) if spec.here and value.is_integer() else value
    if kind is dict:
        for key, sub in spec.keys.items():
            if key in value:
                value[key] = whole_numbers(value[key], sub)
        if spec.values is not None:
            for key, item in value.items():
                if key not in spec.keys:
                    value[key] = whole_numbers(item, spec.values)
    elif kind is list and spec.items is not None:
        items = spec.items
        value[:] = [whole_numbers(item, items) for item in value]
    return value


def _partial_field(info: Any) -> Any:
    from pydantic import Field

    return Field(default=None, alias=info.alias, validation_alias=info.validation_alias)


class SeenIds:
    """The ids saved (or deleted) for one model in this run, as their 64-bit hashes (`id_hash`),
    for track_deletes and delete_records_from_previous_executions.

    The only question ever asked of them, which of the previous run's ids this run saw, comes
    once, at the end: so a batch only appends its hashes to an array (C-speed, 8 bytes a
    record), and `present` answers with one pass over it. (A sorted, deduplicated array kept
    up to date per batch cost ~1.5 us a record, a quarter of the record path, issue 18.)
    """

    def __init__(self) -> None:
        self.hashes = array("q")

    def __len__(self) -> int:
        return len(self.hashes)

    def add_all(self, keys: Iterable[int]) -> None:
        """Add the hashes of a batch (repeats are harmless)."""
        # packed in one call: array's extend parses each int as a call argument (~65 us a batch
        # of 1,000 more)
        hashes = tuple(keys)
        self.hashes.frombytes(struct.pack(f"{len(hashes)}q", *hashes))

    def present(self, keys: set[int]) -> set[int]:
        """Those of `keys` that were added."""
        return keys.intersection(self.hashes) if keys else set()


def id_hash(rid: Any) -> int:
    """The 64-bit hash standing for an id (a false match needs a 1 in 2^64 collision)."""
    return hash(rid if type(rid) is str else str(rid))


class RecordSink:
    """Where a sync's batch_* calls go: validation, duplicates, max_records, `batch` events."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.codecs: dict[str, _ModelCodec] = {}
        self.saved: dict[str, SeenIds] = {}  # model -> hashes of the ids saved or updated in this run
        self.deleted: dict[str, SeenIds] = {}  # model -> hashes of the ids deleted in this run
        self.total = 0

    def model_name(self, model: str | type) -> str:
        """The name of a model given by name or class (checked against the outputs)."""
        return self._codec(model)[0]

    def _codec(self, model: str | type) -> tuple[str, _ModelCodec]:
        ctx = self.ctx
        if isinstance(model, type):
            name = model.__name__
        elif isinstance(model, str) and model:
            name = model
        else:
            raise SdkUsageError(f"the model must be a model name such as 'Contact', not {model!r}")
        codec = self.codecs.get(name)
        if codec is not None:
            return name, codec
        if ctx.outputs and name not in ctx.outputs:
            outputs = ", ".join(ctx.outputs)
            raise SdkUsageError(
                f"`{name}` is not an output of {ctx.kind} `{ctx.script_name}` (its outputs: {outputs}); "
                "add it to `output` in nango.yaml or save records of an output model"
            )
        cls = ctx.models.get(name)
        if cls is None and isinstance(model, type) and issubclass(model, BaseModel):
            cls = model
        if cls is None:
            raise SdkUsageError(
                f"no model `{name}` in models.py; run `nango-tui generate` after declaring it in nango.yaml"
            )
        codec = _ModelCodec(cls)
        self.codecs[name] = codec
        return name, codec

    async def put(self, op: str, records: Any, model: str | type) -> None:
        if op not in _OPS:  # pragma: no cover - internal
            raise ValueError(op)
        name, codec = self._codec(model)
        if records is None:
            raise SdkUsageError(f"batch_{op}() needs a list of records")
        if isinstance(records, (dict, BaseModel)):
            records = [records]
        elif not isinstance(records, list):
            records = list(records)
        if not records:
            self.ctx.emit(
                {
                    "type": "log",
                    "level": "info",
                    "message": f"batch_{op} received an empty list: nothing to {op}",
                }
            )
            return
        dicts_only = set(map(type, records)) == _DICT_ONLY  # (the usual batch: C-level passes below)
        if op == "save":
            records = self._last_of_each_id(name, records, dicts_only)
            valid = _valid_dicts(codec.dicts, records, codec.plain, dicts_only)
            invalid = [] if valid else self._invalid(codec.many, records)
        elif op == "update":
            invalid = self._invalid(codec.partial, records, needs_id=True)
        else:
            invalid = self._invalid(None, records, needs_id=True)
        ctx = self.ctx
        if invalid:
            if ctx.validation:
                index, errors = invalid[0]
                self._report(name, records[index], errors)
                raise InvalidRecordsError(name, 1, _describe(records[index], errors))
            for index, errors in invalid:
                self._report(name, records[index], errors)
            ctx.emit(
                {
                    "type": "log",
                    "level": "warn",
                    "message": f"batch_{op}: {len(invalid)} invalid {name} record(s) kept anyway, as Nango does; "
                    "run with --validation to fail on them",
                }
            )
            if op == "delete":  # a delete without an id cannot be applied
                bad = {i for i, _ in invalid}
                records = [r for i, r in enumerate(records) if i not in bad]
        dumped = codec.dump_instances(records, dicts_only)
        self._remember(op, name, dumped)
        limit = ctx.max_records
        reached = False
        if limit is not None and self.total + len(dumped) >= limit:
            dumped = dumped[: max(0, limit - self.total)]
            reached = True
        if dumped:
            self.total += len(dumped)
            ctx.emit({"type": "batch", "op": op, "model": name, "records": dumped})
        if reached:
            raise RecordLimitReached(limit)  # type: ignore[arg-type]

    def _report(self, name: str, record: Any, errors: list[dict[str, Any]]) -> None:
        redactor = self.ctx.redactor
        self.ctx.emit(
            {
                "type": "invalid",
                "model": name,
                "record": redactor.redact_value(_jsonable(record)),
                "errors": redactor.redact_value(errors),
            }
        )

    def _last_of_each_id(self, name: str, records: list[Any], dicts_only: bool = False) -> list[Any]:
        """Each id once, at its last occurrence (Nango's dedupe); a warning names the repeated ids."""
        if dicts_only:
            ids = list(map(dict.get, records, repeat("id")))
        else:
            ids = [r.get("id") if type(r) is dict else getattr(r, "id", None) for r in records]
        try:
            if len(set(ids)) == len(ids):  # the usual batch: every id once (C-speed check)
                return records
        except TypeError:  # an unhashable id: the loop below leaves it to validation
            pass
        last: dict[Any, int] = {}
        for index, record in enumerate(records):
            rid = _id_of(record)
            if rid is not None:
                try:
                    last[rid] = index
                except TypeError:  # an unhashable id: validation reports it
                    pass
        if len(last) == len(records) or not last:
            return records
        repeated: list[Any] = []
        kept = []
        for index, record in enumerate(records):
            rid = _id_of(record)
            try:
                keep = rid is None or last[rid] == index
            except (TypeError, KeyError):
                keep = True
            if keep:
                kept.append(record)
            else:
                repeated.append(rid)
        if repeated:
            shown = ", ".join(str(d) for d in repeated[:5]) + (" ..." if len(repeated) > 5 else "")
            self.ctx.emit(
                {
                    "type": "log",
                    "level": "warn",
                    "message": self.ctx.redactor.text(
                        f"batch_save: {len(repeated)} duplicate {name} record(s) by id: keeping the last occurrence "
                        f"(ids: {shown})"
                    ),
                }
            )
        return kept

    @staticmethod
    def _invalid(
        adapter: TypeAdapter[Any] | None, records: list[Any], needs_id: bool = False
    ) -> list[tuple[int, list[dict[str, Any]]]]:
        by_index: dict[int, list[dict[str, Any]]] = {}
        if needs_id:
            for index, record in enumerate(records):
                data = _jsonable(record)
                if not isinstance(data, dict) or data.get("id") in (None, ""):
                    message = (
                        "a deleted record needs its id"
                        if adapter is None
                        else "an update needs the record's id"
                    )
                    by_index[index] = [{"path": "id", "message": message}]
        if adapter is not None:
            try:
                adapter.validate_python(records)
            except ValidationError as err:
                for item in err.errors(include_url=False):
                    loc = item.get("loc", ())
                    index = loc[0] if loc and isinstance(loc[0], int) else -1
                    path = ".".join(str(p) for p in loc[1:]) or "(record)"
                    by_index.setdefault(index, []).append(
                        {"path": path, "message": item.get("msg", "invalid")}
                    )
        if -1 in by_index:  # not a list at all
            raise SdkUsageError(f"batch records must be a list: {by_index[-1][0]['message']}")
        return sorted(by_index.items())

    def _remember(self, op: str, name: str, dumped: list[Any]) -> None:
        ids = self.deleted if op == "delete" else self.saved
        seen = ids.get(name)
        if seen is None:
            seen = ids[name] = SeenIds()
        try:  # every record a dict (the usual batch): the ids taken in C
            rids = list(map(dict.get, dumped, repeat("id")))
        except TypeError:
            rids = [record.get("id") if isinstance(record, dict) else None for record in dumped]
        if None in rids:
            rids = [rid for rid in rids if rid is not None]
        # id_hash of each (str() of a str is the str itself): this runs for every record of a run
        seen.add_all(map(hash, map(str, rids)))


def _describe(record: Any, errors: list[dict[str, Any]]) -> str:
    rid = _id_of(record) if not isinstance(record, list) else None
    which = f"record id {rid!r}" if rid is not None else "a record without an id"
    fields = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in errors)
    return f"{which}: {fields}"
