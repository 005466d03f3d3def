"""The `models:` section: type trees for every field, `__extends` merged, with diagnostics."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from .diagnostics import DiagnosticList
from .model import ModelDef, built
from .names import name_problem
from .types import (
    ArrayOf,
    Field,
    InlineObject,
    Invalid,
    Literal,
    TypeNode,
    UnionOf,
    parse_type_text,
    referenced_models,
)
from .yamlnodes import Mark, YList, YMap

_TYPE_DOCS = "see https://docs.nango.dev/reference/integration-configuration#model-types"


MERGE_BUDGET_BASE = 100_000  # inherited fields every project may merge, whatever its size
MERGE_BUDGET_FACTOR = 20  # and this many per field the file declares


CLOSE_MATCH_CUTOFF = 0.75


def close_match(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `name` (difflib's ratio >= 0.75), else one equal ignoring case."""
    names = list(candidates)
    # difflib keeps a candidate only if 2 * matches / total length >= cutoff, where matches is at
    # most the shorter length and at most the candidate's characters that occur in `name`
    # (`translate` deletes those: the length lost counts them). Dropping the candidates these
    # bounds rule out before difflib builds a matcher for each gives the same answer, and a file
    # with 20,000 models asks in milliseconds.
    size = len(name)
    sharing = names
    if size and len(names) > 1000:  # first, in one regex pass: those sharing no character fail
        joined = "\x00".join(names)
        if "\x00" not in name and joined.count("\x00") == len(names) - 1:
            others = re.compile("[^\x00" + "".join(map(re.escape, set(name))) + "]+")
            sharing = [c for c, kept in zip(names, others.sub("", joined).split("\x00")) if kept]
    in_name = dict.fromkeys(map(ord, name))
    reachable = [
        c
        for c in sharing
        if not (total := size + len(c))
        or 2.0 * min(size, len(c) - len(c.translate(in_name))) / total >= CLOSE_MATCH_CUTOFF
    ]
    found = difflib.get_close_matches(name, reachable, n=1, cutoff=CLOSE_MATCH_CUTOFF)
    if not found:
        lowered = name.lower()
        for candidate in reversed(names):  # the last one wins, as a dict of them would keep it
            if candidate.lower() == lowered:
                return candidate
        return None
    return found[0]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


class ModelsParser:
    """Parses `models:` into ModelDefs; diagnostics go to `diags`."""

    def __init__(self, raw: Any, mark: Mark, diags: DiagnosticList) -> None:
        self.diags = diags
        self.raw: YMap = raw if isinstance(raw, YMap) else YMap(mark)
        # a dict: the declared order (a set's would change with the hash seed, and so would the
        # case-insensitive guess when two names differ only by case)
        self.names = dict.fromkeys(
            name for name in self.raw if isinstance(name, str) and name_problem(name, "model") is None
        )
        self.models: dict[str, ModelDef] = {}
        self._declared: dict[str, tuple[tuple[Field, ...], tuple[str, ...], TypeNode | None]] = {}
        self._parsed_types: dict[str, TypeNode] = {}
        self._merge_budget = MERGE_BUDGET_BASE
        self._over_budget = False
        self._quiet_types: dict[str, TypeNode] = {}  # type texts that reported nothing: their trees
        self._key_fields: dict[str, tuple[str, bool]] = {}  # a field's key -> (name, optional)
        self._key_marks: dict[str, Mark] = {}  # a declared model's name -> the mark of its key
        self._guesses: dict[str, str | None] = {}
        self._names_list: list[str] | None = None
        self._repeated_names: set[str] = set()  # models declaring both `x` and `x?`

    def _close_match(self, word: str) -> str | None:
        """close_match over the model names, once per word (difflib is slow on 20,000 names)."""
        if word not in self._guesses:
            if self._names_list is None:
                self._names_list = list(self.names)
            self._guesses[word] = close_match(word, self._names_list)
        return self._guesses[word]

    def parse(self) -> dict[str, ModelDef]:
        key_marks = self._key_marks
        for name, body in self.raw.items():
            line, col = key_marks[name] = self.raw.key_mark(name)
            problem = None if name in self.names else name_problem(name, "model")
            if problem is not None:
                self.diags.error(
                    line,
                    col,
                    "invalid_model_name",
                    f"{problem}: {name!r}",
                    hint="rename it, e.g. " + "".join(p[:1].upper() + p[1:] for p in _split_words(name)),
                )
                continue
            if not isinstance(body, YMap):
                vline, vcol = self.raw.value_mark(name)
                self.diags.error(
                    vline,
                    vcol,
                    "invalid_model",
                    f'the model "{name}" must be a mapping of field names to types, found {_kind(body)}',
                    hint="write each field on its own line below the model, e.g. `id: string`",
                )
                continue
            self._declared[name] = self._parse_fields_of(name, body)
        declared_total = sum(len(fields) for fields, _, _ in self._declared.values())
        # models.py and schema.json list each model's merged fields: a chain of N models, each
        # extending the last, writes N*N/2 of them (a 44 KB file made a 36 MB schema.json)
        self._merge_budget = MERGE_BUDGET_BASE + MERGE_BUDGET_FACTOR * declared_total
        models, repeated = self.models, self._repeated_names
        for name, (declared, extends, extra) in self._declared.items():
            if extends or name in repeated:
                self._resolve(name)
            elif name not in models:  # extends nothing (most models): built as declared
                self._add_model(name, declared, declared, extends, extra)
        self._warn_reference_cycles()
        return self.models

    # -- fields -------------------------------------------------------------------------------
    def _parse_fields_of(
        self, model: str, body: YMap
    ) -> tuple[tuple[Field, ...], tuple[str, ...], TypeNode | None]:
        fields: list[Field] = []
        extends: list[str] = []
        extra: TypeNode | None = None
        key_mark, value_mark = body.key_mark, body.value_mark
        quiet, key_fields = self._quiet_types, self._key_fields
        # a block-read mapping knows each key's line and their one column: no call per field
        rows = body.key_rows if body.value_mark_of_line is not None else None
        key_col = body.indent + 1
        for key, value in body.items():
            line, col = (rows[key] + 1, key_col) if rows is not None else key_mark(key)
            known = key_fields.get(key)  # (a file repeats the same few field keys)
            if known is None:
                if key[:2] == "__":
                    vline, vcol = value_mark(key)
                    if key == "__extends":
                        extends.extend(self._extends_list(model, value, vline, vcol))
                        continue
                    if key in ("__string", "__string?"):
                        extra = self._type_of(value, vline, vcol, model)
                        continue
                optional = key[-1:] == "?"
                name = key[:-1] if optional else key
                if not name:
                    self.diags.error(line, col, "invalid_field_name", "a field needs a name before the `?`")
                    continue
                if key[:2] != "__":
                    key_fields[key] = (name, optional)
            else:
                name, optional = known
            if optional and name in body:
                self._repeated_names.add(model)
            # a type text seen before that reported nothing: its tree, without a call
            node = quiet.get(value) if type(value) is str else None
            if node is None:
                vline, vcol = value_mark(key)
                node = self._type_of(value, vline, vcol, model)
            fields.append(Field(name, node, optional, line, col))
        return tuple(fields), tuple(extends), extra

    def _extends_list(self, model: str, value: Any, line: int, col: int) -> list[str]:
        if isinstance(value, str):
            names = [n.strip() for n in value.split(",") if n.strip()]
        elif isinstance(value, YList) and all(isinstance(v, str) for v in value):
            names = [n.strip() for n in value]
        else:
            self.diags.error(
                line,
                col,
                "invalid_extends",
                f"`__extends` takes model names separated by commas, found {_kind(value)}",
                hint="e.g. `__extends: Timestamps, Address`",
            )
            return []
        out = []
        for name in names:
            if name not in self.names:
                guess = close_match(name, self.names)
                self.diags.error(
                    line,
                    col,
                    "model_extends_not_found",
                    f'the model "{model}" extends "{name}", which is not defined under `models`',
                    hint=f"did you mean `{guess}`?" if guess else "define it under `models`, or fix the name",
                )
                continue
            out.append(name)
        return out

    def _type_of(self, value: Any, line: int, col: int, model: str) -> TypeNode:
        if isinstance(value, str):
            node = self._parsed_types.get(value)
            if node is None:  # a big file repeats the same few types: parse each text once
                node = self._parsed_types[value] = parse_type_text(value, self.names)
            if value not in self._quiet_types:  # what a type reports depends on its text alone
                before = len(self.diags.items)
                self._report_type(node, value, line, col)
                if len(self.diags.items) == before:
                    self._quiet_types[value] = node
            return node
        if isinstance(value, bool) or isinstance(value, (int, float)) or value is None:
            return Literal(value)
        if isinstance(value, YMap):
            fields: list[Field] = []
            extra: TypeNode | None = None
            inline_extends: list[str] = []
            for key, sub in value.items():
                kline, kcol = value.key_mark(key)
                vline, vcol = value.value_mark(key)
                if key in ("__string", "__string?"):
                    extra = self._type_of(sub, vline, vcol, model)
                    continue
                if key == "__extends":
                    for parent in self._extends_list(model, sub, vline, vcol):
                        inline_extends.append(parent)
                    continue
                optional = key.endswith("?")
                name = key[:-1] if optional else key
                fields.append(Field(name, self._type_of(sub, vline, vcol, model), optional, kline, kcol))
            if inline_extends:
                fields = self._inline_extended(inline_extends, fields)
            return InlineObject(tuple(fields), extra)
        if isinstance(value, YList):
            members = [self._type_of(item, *value.item_mark(i), model) for i, item in enumerate(value)]
            if not members:
                self.diags.error(
                    line,
                    col,
                    "type_syntax_error",
                    "an empty list is not a type",
                    hint="write `any[]` for a list of anything",
                )
                return Invalid("[]")
            return ArrayOf(members[0] if len(members) == 1 else UnionOf(tuple(members)))
        return Invalid(str(value))  # pragma: no cover - YAML gives nothing else

    def _inline_extended(self, parents: list[str], own: list[Field]) -> list[Field]:
        """An inline object with `__extends`: the parents' declared fields, then its own."""
        merged: dict[str, Field] = {}
        for parent in parents:
            declared = self.raw.get(parent)
            if isinstance(declared, YMap):
                for key, sub in declared.items():
                    if key.startswith("__"):
                        continue
                    optional = key.endswith("?")
                    name = key[:-1] if optional else key
                    kline, kcol = declared.key_mark(key)
                    vline, vcol = declared.value_mark(key)
                    merged.setdefault(
                        name, Field(name, self._type_of(sub, vline, vcol, parent), optional, kline, kcol)
                    )
        for field in own:
            merged[field.name] = field
        return list(merged.values())

    def _report_type(self, node: TypeNode, text: str, line: int, col: int) -> None:
        members = node.members if isinstance(node, UnionOf) else (node,)
        for member in members:
            inner = member
            while isinstance(inner, ArrayOf):
                inner = inner.item
            if isinstance(inner, Invalid) or isinstance(member, Invalid):
                self.diags.error(
                    line,
                    col,
                    "type_syntax_error",
                    f'the type "{text.strip()}" uses syntax nango.yaml does not support',
                    hint="use words such as string, number, boolean, date, a model name, `T[]` and `a | b`; "
                    + _TYPE_DOCS,
                )
                return
            if isinstance(inner, Literal) and isinstance(inner.value, str) and not inner.value.islower():
                guess = self._close_match(inner.value)
                looks_like_model = (
                    inner.value[:1].isupper() and not inner.value.isupper() and len(members) == 1
                )
                if guess and guess != inner.value:
                    self.diags.warning(
                        line,
                        col,
                        "model_not_found_fallback",
                        f'"{inner.value}" is not a model, so it is used as the literal string "{inner.value}"',
                        hint=f"did you mean `{guess}`?",
                    )
                elif looks_like_model:
                    self.diags.warning(
                        line,
                        col,
                        "model_not_found_fallback",
                        f'"{inner.value}" is not a model, so it is used as the literal string "{inner.value}"',
                        hint="define the model under `models`, or quote a literal on purpose",
                    )

    # -- __extends and cycles --------------------------------------------------------------------
    def _resolve(self, name: str) -> ModelDef | None:
        """Resolve `name` and every model it extends (iterative: a chain of any length)."""
        if name in self.models or name not in self._declared:
            return self.models.get(name)
        if not self._declared[name][1]:  # extends nothing (most models): nothing to walk
            self._build_model(name)
            return self.models[name]
        stack = [name]
        next_parent = {name: 0}
        while stack:
            current = stack[-1]
            extends = self._declared[current][1]
            index = next_parent[current]
            if index < len(extends):
                next_parent[current] = index + 1
                parent = extends[index]
                if parent in self.models or parent not in self._declared:
                    continue
                if parent in next_parent:  # on the chain being resolved: a circle
                    line, col = self.raw.key_mark(parent)
                    chain = " -> ".join([*stack[stack.index(parent) :], parent])
                    self.diags.error(
                        line,
                        col,
                        "cyclic_extends",
                        f"models extend each other in a circle: {chain}",
                        hint="remove one of the `__extends`",
                    )
                    continue
                stack.append(parent)
                next_parent[parent] = 0
                continue
            stack.pop()
            del next_parent[current]
            self._build_model(current)
        return self.models.get(name)

    def _build_model(self, name: str) -> None:
        """The ModelDef of `name` from its declared fields and its resolved parents'."""
        declared, extends, extra = self._declared[name]
        if not extends:
            if name in self._repeated_names:  # `x` and `x?`: the last, in the first one's place
                declared_once = tuple({field.name: field for field in declared}.values())
                self._add_model(name, declared, declared_once, extends, extra)
            else:
                self._add_model(name, declared, declared, extends, extra)
            return
        merged: dict[str, Field] = {}
        inherited = sum(len(m.fields) for m in map(self.models.get, extends) if m is not None)
        if extends and inherited > self._merge_budget:
            if not self._over_budget:
                self._over_budget = True
                line, col = self.raw.key_mark(name)
                self.diags.error(
                    line,
                    col,
                    "model_extends_too_large",
                    f"`__extends` chains merge more fields into the models than this file declares "
                    f"{MERGE_BUDGET_FACTOR} times over (the limit is {self._merge_budget:,}; "
                    f'"{name}" is where it was passed): models.py and schema.json would repeat '
                    "every inherited field in every model",
                    hint="extend the base models directly rather than through long chains of each other",
                )
            extends = ()  # the run stops at this error; keep the rest linear
        self._merge_budget -= inherited
        for parent in extends:
            resolved = self.models.get(parent)
            if resolved is None:
                continue
            for field in resolved.fields:
                merged.setdefault(field.name, field)
            if extra is None and resolved.extra is not None:
                extra = resolved.extra
        for field in declared:
            merged[field.name] = field
        self._add_model(name, declared, tuple(merged.values()), extends, extra)

    def _add_model(
        self,
        name: str,
        declared: tuple[Field, ...],
        fields: tuple[Field, ...],
        extends: tuple[str, ...],
        extra: TypeNode | None,
    ) -> None:
        line, col = self._key_marks[name]
        self.models[name] = built(
            ModelDef,
            {
                "name": name,
                "declared": declared,
                "fields": fields,
                "extends": extends,
                "extra": extra,
                "line": line,
                "column": col,
            },
        )

    def _warn_reference_cycles(self) -> None:
        # by identity: a type text's node is shared by every field of that text, and hashing the
        # trees (by value) cost more than walking them; the models keep every node alive here
        refs: dict[int, set[str]] = {}
        no_refs: set[int] = set()  # the nodes referring to no model
        graph: dict[str, list[str]] = {}
        for name, m in self.models.items():
            if set(map(id, map(_type_of_field, m.fields))) <= no_refs:  # (most models, in C)
                graph[name] = []
                continue
            found: set[str] = set()
            for node in map(_type_of_field, m.fields):
                models = refs.get(id(node))
                if models is None:
                    models = refs[id(node)] = referenced_models(node)
                    if not models:
                        no_refs.add(id(node))
                if models:
                    found |= models
            graph[name] = sorted(found) if found else []
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        reported: set[frozenset[str]] = set()
        for start, edges in graph.items():
            if start in state:
                continue
            if not edges:  # refers to no model: on no circle
                state[start] = 2
                continue
            # depth-first without recursion: a chain of thousands of references is fine
            path = [start]
            state[start] = 1
            todo = [iter(graph.get(start, ()))]
            while todo:
                nxt = next(todo[-1], None)
                if nxt is None:
                    todo.pop()
                    state[path.pop()] = 2
                    continue
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        line, col = self.raw.key_mark(cycle[0])
                        self.diags.warning(
                            line,
                            col,
                            "cyclic_model",
                            "models refer to each other in a circle: " + " -> ".join([*cycle, nxt]),
                            hint="allowed, but such records can nest without end",
                        )
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    todo.append(iter(graph.get(nxt, ())))


_type_of_field = attrgetter("type")


def _split_words(name: str) -> list[str]:
    return [p for p in re.split(r"[^A-Za-z0-9]+", name) if p] or ["Model"]
