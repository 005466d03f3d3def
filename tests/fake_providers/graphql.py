"""A small GraphQL executor for the Linear imitation: parse a query, resolve it on plain data.

Supports what API clients send: one operation (`query`/`mutation`, optional name and variable
definitions with defaults), fields with aliases and arguments, variables, literals (strings,
numbers, booleans, null, enums, lists, objects) and `__typename`. Fragments are not supported.
Errors carry `locations` as GraphQL servers do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN_RE = re.compile(
    r"(?P<ws>[\s,\ufeff]+|#[^\n]*)|(?P<spread>\.\.\.)|(?P<punct>[!$():=@\[\]{}|])"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[_A-Za-z][_0-9A-Za-z]*)'
)


class GraphQLError(Exception):
    def __init__(
        self, message: str, line: int = 1, column: int = 1, code: str = "GRAPHQL_VALIDATION_FAILED"
    ) -> None:
        super().__init__(message)
        self.line, self.column, self.code = line, column, code

    def as_json(self) -> dict[str, Any]:
        return {
            "message": str(self),
            "locations": [{"line": self.line, "column": self.column}],
            "extensions": {"code": self.code},
        }


@dataclass
class Var:
    name: str


@dataclass
class Selection:
    name: str
    alias: str | None
    args: dict[str, Any]
    children: list[Selection] | None
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Operation:
    kind: str
    variables: dict[str, tuple[bool, Any]] = field(default_factory=dict)  # name -> (required, default)
    selections: list[Selection] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str, int, int]] = []
        pos, line, line_start = 0, 1, 0
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m:
                raise GraphQLError(
                    f'Syntax Error: Unexpected character: "{text[pos]}".',
                    line,
                    pos - line_start + 1,
                    "GRAPHQL_PARSE_FAILED",
                )
            kind = m.lastgroup or ""
            if kind != "ws":
                self.tokens.append((kind, m.group(), line, m.start() - line_start + 1))
            for i, ch in enumerate(m.group()):
                if ch == "\n":
                    line, line_start = line + 1, m.start() + i + 1
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int, int]:
        if self.i < len(self.tokens):
            return self.tokens[self.i]
        last = self.tokens[-1] if self.tokens else ("", "", 1, 0)
        return ("eof", "<EOF>", last[2], last[3] + len(last[1]))

    def take(self, value: str | None = None, kind: str | None = None) -> tuple[str, str, int, int]:
        tok = self.peek()
        if (
            (value is not None and tok[1] != value)
            or (kind is not None and tok[0] != kind)
            or tok[0] == "eof"
        ):
            want = f'"{value}"' if value else (kind or "token")
            raise GraphQLError(
                f"Syntax Error: Expected {want}, found {tok[1]}.", tok[2], tok[3], "GRAPHQL_PARSE_FAILED"
            )
        self.i += 1
        return tok

    def operation(self) -> Operation:
        kind = "query"
        tok = self.peek()
        if tok[1] in ("query", "mutation", "subscription"):
            kind = self.take()[1]
            if self.peek()[0] == "name":
                self.take()
            op = Operation(kind)
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    self.take("$")
                    name = self.take(kind="name")[1]
                    self.take(":")
                    required = self.type_ref()
                    default = None
                    if self.peek()[1] == "=":
                        self.take("=")
                        default = self.value()
                    op.variables[name] = (required, default)
                self.take(")")
        else:
            op = Operation(kind)
        op.selections = self.selection_set()
        if self.peek()[0] != "eof":
            tok = self.peek()
            raise GraphQLError(f"Syntax Error: Unexpected {tok[1]}.", tok[2], tok[3], "GRAPHQL_PARSE_FAILED")
        return op

    def type_ref(self) -> bool:
        if self.peek()[1] == "[":
            self.take("[")
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        if self.peek()[1] == "!":
            self.take("!")
            return True
        return False

    def selection_set(self) -> list[Selection]:
        self.take("{")
        out = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "spread":
                tok = self.peek()
                raise GraphQLError("Fragments are not supported by this imitation.", tok[2], tok[3])
            _, name, line, column = self.take(kind="name")
            alias = None
            if self.peek()[1] == ":":
                self.take(":")
                alias, name = name, self.take(kind="name")[1]
            args: dict[str, Any] = {}
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    arg = self.take(kind="name")[1]
                    self.take(":")
                    args[arg] = self.value()
                self.take(")")
            children = self.selection_set() if self.peek()[1] == "{" else None
            out.append(Selection(name, alias, args, children, line, column))
        self.take("}")
        if not out:
            raise GraphQLError("Syntax Error: Expected Name, found }.")
        return out

    def value(self) -> Any:
        kind, text, _, _ = self.peek()
        if text == "$":
            self.take("$")
            return Var(self.take(kind="name")[1])
        if text == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take("{")
            obj = {}
            while self.peek()[1] != "}":
                key = self.take(kind="name")[1]
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.take()
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)  # enums stay strings
        raise GraphQLError(f"Syntax Error: Unexpected {text}.")


def parse(text: str) -> Operation:
    return _Parser(text).operation()


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace `$var` references with the request's variables."""
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


# A schema: type name -> field name -> field spec. A spec is "scalar", another type's name,
# or a resolver `(parent, args) -> (value, type name)` for fields that take arguments.
Resolver = Callable[[Any, dict[str, Any]], tuple[Any, str]]
Schema = dict[str, dict[str, Any]]


def execute(schema: Schema, root_type: str, op: Operation, variables: dict[str, Any]) -> dict[str, Any]:
    for name, (required, default) in op.variables.items():
        if name not in variables or variables[name] is None:
            if required and default is None:
                raise GraphQLError(
                    f'Variable "${name}" of required type was not provided.', code="BAD_USER_INPUT"
                )
            variables[name] = default
    return _resolve_object(schema, root_type, None, op.selections, variables)


def _resolve_object(
    schema: Schema, type_name: str, parent: Any, selections: list[Selection], variables: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fields = schema[type_name]
    for sel in selections:
        if sel.name == "__typename":
            out[sel.key] = type_name
            continue
        spec = fields.get(sel.name)
        if spec is None:
            raise GraphQLError(
                f'Cannot query field "{sel.name}" on type "{type_name}".', sel.line, sel.column
            )
        if callable(spec):
            value, child_type = spec(parent, substitute(sel.args, variables))
        else:
            value, child_type = (parent or {}).get(sel.name), spec
        if child_type == "scalar":
            if sel.children:
                raise GraphQLError(
                    f'Field "{sel.name}" must not have a selection since its type has no subfields.',
                    sel.line,
                    sel.column,
                )
            out[sel.key] = value
            continue
        if not sel.children:
            raise GraphQLError(
                f'Field "{sel.name}" of type "{child_type}" must have a selection of subfields.',
                sel.line,
                sel.column,
            )
        if value is None:
            out[sel.key] = None
        elif isinstance(value, list):
            out[sel.key] = [_resolve_object(schema, child_type, v, sel.children, variables) for v in value]
        else:
            out[sel.key] = _resolve_object(schema, child_type, value, sel.children, variables)
    return out
