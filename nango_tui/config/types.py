"""The model type language of nango.yaml as a small typed tree.

`string | null`, `Contact[]`, `WORK | HOME`, `42`, nested mappings and YAML lists all become
nodes here; codegen, the checks and the dryrun validator work on the tree, never on strings.
Word resolution follows Nango's parser: an alias (`integer`, `bool`, `date` ...) is a primitive,
`true`/`false`/`null`/`undefined`/numbers are literals, a defined model name is a reference and
any other word is a string literal (with a warning when it looks like a model name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# the canonical primitives; every alias maps onto one of them
PRIMITIVES = ("string", "number", "integer", "boolean", "date", "object", "any", "bigint")

TYPE_ALIASES: dict[str, str] = {
    "string": "string",
    "char": "string",
    "varchar": "string",
    "number": "number",
    "float": "number",
    "integer": "integer",
    "int": "integer",
    "bigint": "bigint",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "object": "object",
    "any": "any",
}

# TypeScript generics Nango refuses (`Record<...>`, `Array<...>` ...)
_GENERIC_TYPES = (
    "Array",
    "Record",
    "Partial",
    "Required",
    "Readonly",
    "Pick",
    "Omit",
    "Exclude",
    "Extract",
    "NonNullable",
    "ReturnType",
    "Promise",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
)
_GENERIC_RE = re.compile(r"^(%s)\s*<" % "|".join(_GENERIC_TYPES), re.IGNORECASE)
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_MODEL_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class Primitive:
    name: str  # one of PRIMITIVES


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value: a word (`HOME`), a number, `true`/`false`, or null/undefined."""

    value: str | int | float | bool | None
    undefined: bool = False  # `undefined` (absent), as opposed to `null`

    @property
    def is_null(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class ModelRef:
    name: str


@dataclass(frozen=True, slots=True)
class ArrayOf:
    item: TypeNode


@dataclass(frozen=True, slots=True)
class UnionOf:
    members: tuple[TypeNode, ...]


@dataclass(slots=True, unsafe_hash=True)
class Field:
    """One field of a model. Treated as immutable (hashed like the frozen nodes), but not declared
    frozen: a big file makes 200,000 of them, and a frozen dataclass's __init__ is 4x slower."""

    name: str
    type: TypeNode
    optional: bool
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class InlineObject:
    fields: tuple[Field, ...]
    extra: TypeNode | None = None  # `__string: T` inside an inline object


@dataclass(frozen=True, slots=True)
class Invalid:
    """A type that could not be parsed; a diagnostic has been emitted for it."""

    text: str


TypeNode = Primitive | Literal | ModelRef | ArrayOf | UnionOf | InlineObject | Invalid

NULL = Literal(None)
UNDEFINED = Literal(None, undefined=True)


def is_valid_model_name(name: str) -> bool:
    return bool(_MODEL_NAME_RE.match(name))


def is_generic_syntax(text: str) -> bool:
    return bool(_GENERIC_RE.match(text.strip()))


MAX_ARRAY_DEPTH = 32  # `string[][]...`: deeper is refused (every walk over the tree stays shallow)


def parse_word(word: str, model_names: set[str] | dict[str, Any]) -> TypeNode:
    """One word of the language (no `|`), `[]` suffixes included."""
    word = word.strip()
    if word.endswith("[]"):
        inner, depth = word, 0
        while inner.endswith("[]"):
            inner, depth = inner[:-2].strip(), depth + 1
        if not inner or depth > MAX_ARRAY_DEPTH:
            return Invalid(word)
        node = parse_word(inner, model_names)
        for _ in range(depth):
            node = ArrayOf(node)
        return node
    if not word:
        return Invalid(word)
    if word in model_names:  # a model wins over an alias of the same spelling
        return ModelRef(word)
    lower = word.lower()
    alias = TYPE_ALIASES.get(lower)
    if alias is not None:
        return Primitive(alias)
    if lower == "array":
        return ArrayOf(Primitive("any"))
    if lower == "null":
        return NULL
    if lower == "undefined":
        return UNDEFINED
    if lower == "true":
        return Literal(True)
    if lower == "false":
        return Literal(False)
    if _NUMBER_RE.match(word):
        return Literal(float(word) if "." in word else int(word))
    if is_generic_syntax(word) or "<" in word or ">" in word:
        return Invalid(word)
    return Literal(word)


def parse_type_text(text: str, model_names: set[str] | dict[str, Any]) -> TypeNode:
    """A type written as a string: `string`, `Contact[]`, `a | b | null`."""
    if "|" in text:
        parts = [p.strip() for p in text.split("|")]
        if not all(parts):
            return Invalid(text)
        return UnionOf(tuple([parse_word(p, model_names) for p in parts]))
    return parse_word(text, model_names)


def walk(node: TypeNode) -> Iterator[TypeNode]:
    """Every node of a type tree, depth first (fields of inline objects included)."""
    yield node
    if isinstance(node, ArrayOf):
        yield from walk(node.item)
    elif isinstance(node, UnionOf):
        for member in node.members:
            yield from walk(member)
    elif isinstance(node, InlineObject):
        for field in node.fields:
            yield from walk(field.type)
        if node.extra is not None:
            yield from walk(node.extra)


def referenced_models(node: TypeNode) -> set[str]:
    """The names of the models the tree refers to."""
    found: set[str] = set()
    todo = [node]  # (a loop, not `walk`'s generators: a big file asks for thousands of trees)
    while todo:
        node = todo.pop()
        if isinstance(node, ModelRef):
            found.add(node.name)
        elif isinstance(node, UnionOf):
            todo.extend(node.members)
        elif isinstance(node, ArrayOf):
            todo.append(node.item)
        elif isinstance(node, InlineObject):
            todo.extend([field.type for field in node.fields])
            if node.extra is not None:
                todo.append(node.extra)
    return found


def allows_undefined(node: TypeNode) -> bool:
    """`string | undefined`: the key may be absent, as with `field?`."""
    if isinstance(node, Literal):
        return node.undefined
    if isinstance(node, UnionOf):
        return any(isinstance(m, Literal) and m.undefined for m in node.members)
    return False


def describe(node: TypeNode) -> str:
    """The tree written back in nango.yaml's syntax (for trees, details, messages)."""
    if isinstance(node, Primitive):
        return node.name
    if isinstance(node, Literal):
        if node.undefined:
            return "undefined"
        if node.value is None:
            return "null"
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        return str(node.value)
    if isinstance(node, ModelRef):
        return node.name
    if isinstance(node, ArrayOf):
        inner = describe(node.item)
        return f"({inner})[]" if isinstance(node.item, UnionOf) else f"{inner}[]"
    if isinstance(node, UnionOf):
        return " | ".join(describe(m) for m in node.members)
    if isinstance(node, InlineObject):
        inner = ", ".join(f"{f.name}{'?' if f.optional else ''}: {describe(f.type)}" for f in node.fields)
        return "{" + inner + "}"
    return node.text
