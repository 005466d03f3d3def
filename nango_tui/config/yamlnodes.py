"""YAML text to plain values that remember where each key and value sits in the file.

PyYAML's C composer gives nodes with marks; we build dicts and lists from them ourselves so
that duplicate keys are caught (YAML silently keeps the last) and every key and value keeps
its 1-based line and column for diagnostics.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from . import blockyaml
from .blockyaml import scalar as _scalar
from .diagnostics import DiagnosticList
from .ytree import Mark, YList, YMap

__all__ = ["Mark", "YList", "YMap", "decode", "parse"]


class _Loader(yaml.CSafeLoader):
    """The safe loader with its tag resolution memoised: a big file repeats the same few plain
    scalars (`string`, `every hour`...) and PyYAML tries its regular expressions on each."""

    _resolved: dict[str, str] = {}

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = self._resolved.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(self._resolved) < 100_000:
                    self._resolved[value] = tag
            return tag
        resolved: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return resolved


_MAX_DEPTH = 200


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _TooManyNodes(Exception):
    """Aliases expanded past the node budget (an alias bomb)."""

    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _Builder:
    def __init__(self, diags: DiagnosticList, budget: int) -> None:
        self.diags = diags
        self.budget = budget  # nodes still allowed: aliases re-expand shared nodes every time

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooManyNodes(node)
        if depth > _MAX_DEPTH:
            line, col = _mark(node)
            self.diags.error(
                line, col, "yaml_too_deep", "the YAML nests too deeply (or an alias refers to itself)"
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            out = YList(_mark(node))
            for item in node.value:
                out.append(self.build(item, depth + 1))
                out.marks.append(_mark(item))
            return out
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        return None  # pragma: no cover - composer yields only the three kinds

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        out = YMap(_mark(node))
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                value = self.build(value_node, depth + 1)
                merged.extend(
                    v for v in (value if isinstance(value, list) else [value]) if isinstance(v, YMap)
                )
                continue
            line, col = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.diags.error(
                    line, col, "invalid_key", "a key must be a plain name, not a list or a mapping"
                )
                continue
            key = blockyaml.key_text(_scalar(key_node), key_node.value)
            if key in out:
                _duplicate(self.diags, line, col, key, out.key_marks[key])
                continue
            out[key] = self.build(value_node, depth + 1)
            out.key_marks[key] = (line, col)
            out.value_marks[key] = _mark(value_node)
        for extra in merged:
            for key, value in extra.items():
                if key not in out:
                    out[key] = value
                    out.key_marks[key] = extra.key_marks.get(key, extra.mark)
                    out.value_marks[key] = extra.value_marks.get(key, extra.mark)
        return out


def _duplicate(diags: DiagnosticList, line: int, col: int, key: str, first: Mark) -> None:
    diags.error(
        line,
        col,
        "duplicate_key",
        f'the key "{key}" appears twice in this mapping (first at line {first[0]}); '
        "YAML would silently keep only the last one",
        hint="remove or rename one of them",
    )


_TAB_AFTER_TEXT = re.compile(r"(?<=\S)([ ]*)\t")


def _soften_tabs(text: str) -> str:
    """Turn tabs that follow text on a line into spaces (same column count).

    Nango's parser accepts a tab inside a plain scalar (`A | B\t| C`); PyYAML's scanner does
    not. Tabs in indentation are left alone: YAML forbids them and so do we.
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "\t" in line.lstrip(" \t"):
            stripped = line.lstrip(" \t")
            head = line[: len(line) - len(stripped)]
            lines[i] = head + stripped.replace("\t", " ")
    return "\n".join(lines)


def _yaml_error(err: yaml.YAMLError, text: str, diags: DiagnosticList) -> None:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    lines = text.split("\n")
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in problem or "'\\t'" in problem or (col <= len(current) and current[col - 1 : col] == "\t"):
        diags.error(
            line,
            col,
            "yaml_tab",
            "a tab character where YAML allows only spaces (indentation must use spaces)",
            hint="replace the tab with spaces",
        )
        return
    message = f"this is not valid YAML: {problem}"
    if context:
        message += f" ({context})"
    hint = None
    if "mapping values are not allowed" in problem:
        hint = "a value holding ': ' must be quoted, or a key is indented wrongly"
    elif "could not find expected ':'" in problem or "expected <block end>" in problem:
        hint = "check the indentation of this line and the one before"
    diags.error(line, col, "yaml_syntax", message, hint=hint)


def decode(data: bytes, diags: DiagnosticList) -> str | None:
    """Bytes to text, or a diagnostic at the first byte that is not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        col = err.start - (before.rfind(b"\n") + 1) + 1
        diags.error(
            line,
            col,
            "invalid_encoding",
            f"byte 0x{data[err.start]:02x} is not valid UTF-8; nango.yaml must be a UTF-8 text file",
            hint="is this a binary file? re-save it as UTF-8",
        )
        return None


def parse(text: str, diags: DiagnosticList) -> Any:
    """Parse one YAML document; on a syntax error add a diagnostic and return None."""
    fast = blockyaml.read(text)
    if fast is not None:
        root, duplicates = fast
        for line, col, key, first in duplicates:
            _duplicate(diags, line, col, key, first)
        return root
    return parse_with_pyyaml(text, diags)


def parse_with_pyyaml(text: str, diags: DiagnosticList) -> Any:
    """`parse` through PyYAML's C composer: any YAML, at about 1 MB/s."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        if "\t" not in text:
            _yaml_error(err, text, diags)
            return None
        softened = _soften_tabs(text)
        try:
            node = yaml.compose(softened, Loader=_Loader)
        except yaml.YAMLError:
            _yaml_error(err, text, diags)
            return None
    except (ValueError, RecursionError) as err:  # pragma: no cover - defensive: never raise for input
        diags.error(1, 1, "yaml_syntax", f"this is not valid YAML: {err}")
        return None
    if node is None:
        return None
    # A file's own nodes number at most about its length; aliases may repeat them up to that
    # again. More is an alias bomb (a few hundred bytes expanding to billions of nodes).
    try:
        return _Builder(diags, budget=2 * len(text) + 10_000).build(node)
    except _TooManyNodes as bomb:
        line, col = _mark(bomb.node)
        diags.error(
            line,
            col,
            "yaml_alias_bomb",
            "the YAML's aliases (*name) expand to far more values than the file holds",
            hint="an anchor repeated inside anchors multiplies; write the values out or use fewer aliases",
        )
        return None
