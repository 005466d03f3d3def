"""A batch of plain records found valid without pydantic, where that is certain.

Most models are flat: fields of `str`, `int`, `float`, `bool`, `Any`, optional or with a
default, no constraints. A record whose every value is exactly of its field's type (a `str`, not
a subclass; an `int`, not a `bool`), with every required key present and no key the model
forbids, is valid whatever pydantic's mode; pydantic-core needs ~0.6-0.9 us a record to say so
(it builds each validated record and its fields-set, then drops them). Here the same answer
comes from a few C-level passes over the batch, one per field (~0.2 us a record: issue 18's
`dryrun --json`). Only "valid" is ever answered: anything else (a model this cannot read, a
value of another type, a missing key) goes to pydantic as before, which finds and words the
errors. Built from the model's own core schema, so it follows what pydantic was told.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import Any


class _Absent:
    """The type `dict.get` gives here for a key the record does not have."""


_ABSENT = _Absent()
_EXACT = {"str": str, "int": int, "float": float, "bool": bool}
# keys of a scalar's schema that only say how a valid value is checked, not which are valid
_SCALAR_KEYS = {"type", "metadata", "strict"}
_FIELD_KEYS = {"type", "schema", "metadata", "serialization_alias", "serialization_exclude", "frozen"}
_MODEL_FIELDS_KEYS = {
    "type",
    "fields",
    "model_name",
    "computed_fields",
    "metadata",
    "strict",
    "extra_behavior",
}
# model config that leaves which exact-typed values are valid alone (anything else: no answer)
_CONFIG_KEYS = {
    "title",
    "extra_fields_behavior",
    "strict",
    "validate_by_name",
    "validate_by_alias",
    "loc_by_alias",
    "revalidate_instances",
    "from_attributes",
    "serialize_by_alias",
    "hide_input_in_errors",
    "validation_error_cause",
}
Check = Callable[[list[dict[str, Any]]], bool]


def plain_check(fields_schema: Any, config: Any) -> Check | None:
    """For a `model-fields` core schema and its model's config: a function that says True only
    for a batch of dicts the schema accepts; None when the schema is not plain enough."""
    if not isinstance(fields_schema, dict) or fields_schema.get("type") != "model-fields":
        return None
    if set(fields_schema) - _MODEL_FIELDS_KEYS or fields_schema.get("computed_fields"):
        return None
    config = config or {}
    if not isinstance(config, dict) or set(config) - _CONFIG_KEYS:
        return None
    extra = fields_schema.get("extra_behavior") or config.get("extra_fields_behavior") or "ignore"
    if extra not in ("ignore", "forbid", "allow"):
        return None
    allowed: list[tuple[str, frozenset[type] | None, bool]] = []
    for name, field in (fields_schema.get("fields") or {}).items():
        if not isinstance(field, dict) or field.get("type") != "model-field" or set(field) - _FIELD_KEYS:
            return None
        read = _types(field.get("schema"))
        if read is None:
            return None
        types, optional = read
        allowed.append((name, types, optional))
    names = frozenset(name for name, _, _ in allowed)

    def check(records: list[dict[str, Any]]) -> bool:
        if extra == "forbid" and not names.issuperset(set().union(*records)):
            return False
        for name, types, optional in allowed:
            seen = set(map(type, map(dict.get, records, repeat(name), repeat(_ABSENT))))
            if types is None:  # Any: only whether it is there
                if not optional and _Absent in seen:
                    return False
            elif not seen <= types:
                return False
        return True

    return check


def _types(schema: Any) -> tuple[frozenset[type] | None, bool] | None:
    """(the exact types valid for a field's schema, None for any; whether it may be absent), or
    None when it holds anything else (constraints, a nested model, a union, a validator...)."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if kind == "default":
        if set(schema) - {"type", "schema", "default", "metadata"}:
            return None  # (validate_default, default_factory...: not read here)
        inner = _types(schema.get("schema"))
        if inner is None or inner[1]:
            return None
        types = inner[0]
        return (None if types is None else types | {_Absent}), True
    if set(schema) - _SCALAR_KEYS - ({"schema"} if kind == "nullable" else set()):
        return None
    if kind == "any":
        return None, False
    if kind == "nullable":
        inner = _types(schema.get("schema"))
        if inner is None or inner[1]:
            return None
        return (None if inner[0] is None else inner[0] | {type(None)}), False
    exact = _EXACT.get(kind)  # type: ignore[arg-type]
    if exact is None:
        return None
    return frozenset({exact}), False
