"""Infer a schema from JSON records: one pass, bounded state per field.

Every place a value can sit (a field of an object, the items of an array) gets a `Shape`
that counts what it saw: how many values, how many nulls, which JSON kinds, whether every
string looked like an ISO 8601 date, up to ENUM_MAX distinct strings, and for objects a
child `Shape` per key with how often the key was present. The pass is a tight loop over
Python objects (no regex unless a string is still a date candidate), so 100,000 records of
~15 fields take well under a second (benchmarks/bench_infer.py).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from types import NoneType
from typing import Any

from nango_tui.config.types import TYPE_ALIASES

ENUM_MAX = 8  # at most this many distinct values make an enum ...
ENUM_MIN_REPEAT = 2  # ... and only when each value is seen this many times on average
# only fields named like a closed set are enums: a handful of user names is not one
ENUM_KEY_RE = re.compile(
    r"(status|state|type|kind|mode|level|priority|stage|category|role|visibility|channel|interval|"
    r"tier|reason|outcome|severity|direction|result|phase)$",
    re.IGNORECASE,
)
ENUM_VALUE_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,31}$")  # status-like words: `open`, `in_progress`
MAX_DEPTH = 32  # deeper values are typed `any` (bounds the recursion on hostile input)
_MAX_GROUPS = 512  # distinct key sets among sibling objects before grouping is given up
MAX_KEYS = 200  # an object with more distinct keys is a dictionary: typed `object`
DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


# words nango.yaml reads as a type or a literal, never as an enum member
_RESERVED_WORDS = frozenset({*TYPE_ALIASES, "null", "undefined", "true", "false"})


# the shape of a column of ISO dates once Python's parser accepted each: dashes, and hh:mm after a date
_DATE_COLUMN_RE = re.compile(r"(?:\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d[^\n]*)?\n)*", re.ASCII)


def all_dates(strings: list[str]) -> bool:
    """Whether every string is an ISO 8601 date or date-time.

    `datetime.fromisoformat` over the column (in C, several times faster than a regex call per
    string), then one regex over the joined column to refuse the forms it also takes (`20240103`,
    `2024-W01-1`, `2024-01-03T09`); strings it refuses get the full `DATE_RE` (lowercase `t`/`z`).
    """
    try:
        deque(map(datetime.fromisoformat, strings), maxlen=0)
    except (ValueError, TypeError):
        return all(map(DATE_RE.match, strings))
    return _DATE_COLUMN_RE.fullmatch("\n".join(strings) + "\n") is not None


class Shape:
    """What was seen at one place of the records."""

    __slots__ = (
        "bools",
        "dates",
        "distinct",
        "floats",
        "ints",
        "items",
        "keys",
        "lists",
        "nulls",
        "objects",
        "present",
        "strings",
        "too_deep",
        "too_many_keys",
    )

    def __init__(self) -> None:
        self.present = 0  # for an object's key: in how many objects it appeared
        self.nulls = 0
        self.strings = 0
        self.dates = True  # every string so far was an ISO 8601 date
        self.distinct: dict[str, None] | None = {}  # first-seen order; None once more than ENUM_MAX
        self.ints = 0
        self.floats = 0
        self.bools = 0
        self.objects = 0
        self.keys: dict[str, Shape] = {}
        self.too_many_keys = False
        self.lists = 0
        self.items: Shape | None = None
        self.too_deep = 0

    def add(self, value: object, depth: int = 0) -> None:
        """Count one value (recursively for objects and arrays)."""
        self.add_values([value], depth)

    def add_values(self, values: list[Any], depth: int = 0) -> None:
        """Count the values seen at this place, a column at a time.

        Counting by type, matching dates and collecting distinct strings run over a whole column
        in C (`Counter(map(type, ...))`, `all(map(match, ...))`, `set(...)`); nested objects and
        the items of arrays are gathered into columns of their own and counted the same way.
        """
        if not values:
            return
        by_type = Counter(map(type, values))
        mixed = len(by_type) > 1
        for kind, count in by_type.items():
            if kind is str:
                strings = [v for v in values if type(v) is str] if mixed else values
                self.add_strings(strings)
            elif kind is NoneType:
                self.nulls += count
            elif kind is int:
                self.ints += count
            elif kind is bool:
                self.bools += count
            elif kind is float:
                self.floats += count
            elif depth >= MAX_DEPTH or kind not in (dict, list):
                self.too_deep += count  # too deep, or not a JSON value: typed `any`
            elif kind is dict:
                self.add_objects([v for v in values if type(v) is dict] if mixed else values, depth)
            else:
                lists = [v for v in values if type(v) is list] if mixed else values
                self.lists += count
                if self.items is None:
                    self.items = Shape()
                self.items.add_values([item for one in lists for item in one], depth + 1)

    def add_strings(self, strings: list[str]) -> None:
        self.strings += len(strings)
        if self.dates and not all_dates(strings):
            self.dates = False
        distinct = self.distinct
        if distinct is not None:
            for value in set(strings) if len(strings) > ENUM_MAX else strings:
                distinct[value] = None
                if len(distinct) > ENUM_MAX:
                    self.distinct = None
                    break

    def add_object(self, obj: dict[str, Any], depth: int = 0) -> None:
        """Count one object."""
        self.add_objects([obj], depth)

    def add_objects(self, objects: list[dict[str, Any]], depth: int = 0) -> None:
        """Count objects: the values of each key, as one column per key.

        Objects are grouped by their keys (in C: `tuple(obj)`), so each column is cut with
        `itemgetter` without a Python loop per value; objects with too many key sets (a
        dictionary keyed by ids, say) are walked one by one instead.
        """
        self.objects += len(objects)
        columns: dict[str, list[Any]] = {}
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for obj in objects:
            shape = tuple(obj)
            group = groups.get(shape)
            if group is None:
                if len(groups) >= _MAX_GROUPS:
                    groups = {}
                    break
                group = groups[shape] = []
            group.append(obj)
        if groups:
            for names, group in groups.items():
                for key in names:
                    column = columns.get(key)
                    values = list(map(itemgetter(key), group))
                    if column is None:
                        columns[key] = values
                    else:
                        column.extend(values)
        else:
            for obj in objects:
                for key, value in obj.items():
                    column = columns.get(key)
                    if column is None:
                        columns[key] = [value]
                    else:
                        column.append(value)
        keys = self.keys
        for key, values in columns.items():
            child = keys.get(key)
            if child is None:
                if len(keys) >= MAX_KEYS:
                    self.too_many_keys = True
                    continue
                child = keys[key] = Shape()
            child.present += len(values)
            child.add_values(values, depth + 1)

    @property
    def non_null(self) -> int:
        return self.strings + self.ints + self.floats + self.bools + self.objects + self.lists + self.too_deep


def shape_of(records: Iterable[Any]) -> Shape:
    """The shape of a sequence of records (objects); anything else in it counts too."""
    shape = Shape()
    items = list(records)
    objects = [r for r in items if type(r) is dict]
    shape.add_objects(objects)
    if len(objects) != len(items):
        shape.add_values([r for r in items if type(r) is not dict])
    return shape


# -- the shape as nango.yaml types ----------------------------------------------------------------


@dataclass
class InferredField:
    """One field of an inferred model; `source` is the key in the API's JSON."""

    name: str  # the nango.yaml field name (snake_case)
    source: str
    type: str  # nango.yaml type text without `| null`: `string`, `date`, `Model[]`, `open | closed`
    optional: bool  # absent from some records
    nullable: bool  # null in some records
    ref: str | None = None  # the nested model this field holds (or holds a list of)
    is_list: bool = False


@dataclass
class InferredModel:
    """A model proposed from the records; nested objects are models of their own."""

    name: str
    fields: list[InferredField] = field(default_factory=list)


@dataclass
class Inference:
    """The models inferred for one record shape: `models[-1]` is the top one, nested models first."""

    models: list[InferredModel]
    records: int

    @property
    def top(self) -> InferredModel:
        return self.models[-1]


_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


def snake_name(key: str) -> str:
    """`FirstName` -> `first_name`, `createdAt` -> `created_at`, `@odata.etag` -> `odata_etag`."""
    words = [w for part in _NON_WORD.split(key) for w in _CAMEL_SPLIT.split(part) if w]
    name = "_".join(w.lower() for w in words)
    if not name:
        return "field"
    return "f_" + name if name[0].isdigit() else name


def pascal_name(text: str) -> str:
    """`line_items` -> `LineItems`, `assignee` -> `Assignee`."""
    return "".join(w[:1].upper() + w[1:] for w in snake_name(text).split("_")) or "Item"


def singular(word: str) -> str:
    """A cheap English singular for model names: `issues` -> `issue`, `entries` -> `entry`."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word[-1].isupper() else "y")
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


# YAML 1.1 reads these keys as booleans or null (PyYAML does)
_YAML_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null"})


class _Namer:
    """Hands out model names not yet taken (by the project's other models or this inference)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def claim(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self.taken:
            name = f"{wanted}{n}"
            n += 1
        self.taken.add(name)
        return name


def _is_enum(shape: Shape, key: str) -> bool:
    if not ENUM_KEY_RE.search(key):
        return False
    distinct = shape.distinct
    if distinct is None or len(distinct) < 2 or shape.strings != shape.non_null:
        return False
    if shape.strings < ENUM_MIN_REPEAT * len(distinct):
        return False
    return all(ENUM_VALUE_RE.match(v) and v not in _RESERVED_WORDS for v in distinct)


def _scalar_types(shape: Shape, key: str) -> list[str]:
    kinds: list[str] = []
    if shape.strings:
        if _is_enum(shape, key):
            kinds.extend(shape.distinct or ())
        else:
            kinds.append("date" if shape.dates else "string")
    if shape.ints and shape.floats:
        kinds.append("number")
    elif shape.ints:
        kinds.append("integer")
    elif shape.floats:
        kinds.append("number")
    if shape.bools:
        kinds.append("boolean")
    return kinds


class _Builder:
    def __init__(self, namer: _Namer, top: str, hints: dict[tuple[str, str], str]) -> None:
        self.namer = namer
        self.hints = hints
        self.top = top
        self.models: list[InferredModel] = []
        self.signatures: dict[tuple[Any, ...], InferredModel] = {}

    def model(self, name: str, shape: Shape) -> InferredModel:
        """A model for an object shape; nested models are appended before it."""
        model = InferredModel(name)
        used: set[str] = set()
        for key, child in shape.keys.items():
            fname = snake_name(key)
            if fname in _YAML_WORDS:
                fname += "_"  # `on:`, `no:` would be booleans as YAML keys
            base, n = fname, 2
            while fname in used:
                fname = f"{base}_{n}"
                n += 1
            used.add(fname)
            optional = child.present < shape.objects
            type_text, ref, is_list = self.type_of(child, name, key, self.hints.get((name, fname)))
            nullable = child.nulls > 0 and type_text != "any"
            model.fields.append(InferredField(fname, key, type_text, optional, nullable, ref, is_list))
        signature = tuple((f.name, f.source, f.type, f.optional, f.nullable) for f in model.fields)
        same = self.signatures.get(signature)
        if same is not None and name != self.top:
            return same  # a nested object of the same shape as one already made: one model for both
        self.signatures[signature] = model
        self.models.append(model)
        return model

    def type_of(
        self, shape: Shape, parent: str, key: str, hint: str | None = None
    ) -> tuple[str, str | None, bool]:
        """(type text, nested model name, is a list of it) for the values seen at one place.

        A nested object's model is named `hint` (the model nango.yaml already uses there) when
        given, else parent + key.
        """
        if shape.too_deep or shape.non_null == 0:
            return "any", None, False
        kinds = _scalar_types(shape, key)
        ref: str | None = None
        is_list = False
        if shape.objects:
            if shape.too_many_keys or not shape.keys:
                kinds.append("object")
            else:
                wanted = hint if hint and hint not in self.namer.taken else parent + pascal_name(key)
                ref = self.model(self.namer.claim(wanted), shape).name
                kinds.append(ref)
        if shape.lists:
            items = shape.items
            if items is None or items.non_null == 0:
                kinds.append("any[]")
            else:
                item_type, item_ref, item_list = self.type_of(items, parent, singular(key), hint)
                simple = " " not in item_type and not item_list and item_type != "any"
                kinds.append(f"{item_type}[]" if simple else "any[]")
                if simple and item_ref:
                    ref, is_list = item_ref, True
        if len(kinds) > 1 and (shape.objects or shape.lists):
            return "any", None, False  # objects mixed with other kinds: no honest single model
        return " | ".join(kinds), ref, is_list


def infer_models(
    records: list[dict[str, Any]],
    model: str,
    taken: set[str] = frozenset(),  # type: ignore[assignment]
    hints: dict[tuple[str, str], str] | None = None,
) -> Inference:
    """Infer `model` (and its nested models) from records.

    `taken`: model names not to use; `hints`: (model, field) -> the nested model's name to use.
    """
    return inference_from_shape(shape_of(records), model, taken, hints)


def inference_from_shape(
    shape: Shape,
    model: str,
    taken: set[str] = frozenset(),  # type: ignore[assignment]
    hints: dict[tuple[str, str], str] | None = None,
) -> Inference:
    namer = _Namer(set(taken) - {model})
    namer.taken.add(model)
    builder = _Builder(namer, model, hints or {})
    builder.model(model, shape)
    return Inference(builder.models, shape.objects)
