"""The fast block-YAML reader gives exactly what the PyYAML path gives, or steps aside.

Every comparison here is value, type and mark for mark (`same`), and the duplicate-key
diagnostics too: the fast reader may refuse any text (it answers None and PyYAML reads it),
but what it accepts it must read identically.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nango_tui.config import blockyaml, yamlnodes
from nango_tui.config.diagnostics import DiagnosticList
from nango_tui.config.ytree import YList, YMap
from tests.support.paths import SAMPLES, corpus_files, needs_corpus


def same(fast: Any, slow: Any, where: str = "root") -> None:
    assert type(fast) is type(slow), f"{where}: {type(fast).__name__} != {type(slow).__name__}"
    if isinstance(slow, YMap):
        assert fast.mark == slow.mark, f"{where}: mapping mark"
        assert list(fast) == list(slow), f"{where}: keys"
        assert fast.key_marks == slow.key_marks, f"{where}: key marks"
        assert fast.value_marks == slow.value_marks, f"{where}: value marks"
        for key in slow:
            same(fast[key], slow[key], f"{where}.{key}")
    elif isinstance(slow, YList):
        assert fast.mark == slow.mark, f"{where}: list mark"
        assert fast.marks == slow.marks, f"{where}: item marks"
        assert len(fast) == len(slow), f"{where}: length"
        for index, (a, b) in enumerate(zip(fast, slow)):
            same(a, b, f"{where}[{index}]")
    elif isinstance(slow, float) and math.isnan(slow):
        assert math.isnan(fast)
    else:
        assert fast == slow, f"{where}: {fast!r} != {slow!r}"


def compare(text: str) -> bool:
    """True when the fast reader took the text (and agreed with PyYAML); False when it stepped aside."""
    fast = blockyaml.read(text)
    slow_diags = DiagnosticList("nango.yaml")
    slow = yamlnodes.parse_with_pyyaml(text, slow_diags)
    if fast is None:
        return False
    assert slow is not None, f"PyYAML refused what the fast reader took: {slow_diags.items}"
    root, duplicates = fast
    same(root, slow)
    fast_diags = DiagnosticList("nango.yaml")
    for line, col, key, first in duplicates:
        yamlnodes._duplicate(fast_diags, line, col, key, first)
    assert fast_diags.items == slow_diags.items
    return True


@needs_corpus
def test_every_corpus_file_reads_the_same_and_most_take_the_fast_path() -> None:
    files = corpus_files()
    taken = [path.name for path in files if compare(path.read_text(encoding="utf-8"))]
    # 2 use flow collections, 1 a folded block; everything else is the subset
    assert len(taken) >= 95, f"only {len(taken)} of {len(files)} took the fast path"


def test_the_samples_read_the_same() -> None:
    assert compare((SAMPLES / "nango.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: true\nc: ~\nd: 1.5\ne: 0x1F\nf: 2001-01-01\ng: .inf\nh: yes\ni: '1'\n",
        "1: a\ntrue: b\n~: c\n1.0: d\n0o7: e\n",
        "a: |\n  one\n  two\n\n\nb: x\n",
        "a: |-\n  one\n\n  # not a comment\nb: x",
        "a: |+\n  one\n\n\nb: x\n",
        "a: |+\n  one\n\n",
        "a: |+\n  one",
        "a: |\n  one",
        "a: |\n    deeper\n  less\n",
        "a: | # note\n\n  after a blank\n",
        "a:\n- x\n- y\nb:\n  - z\n  -\n  - k: v\n    l: w\n",
        "a:\n  -\n    k: v\n  - - nested\n",
        "a: 'it''s'  # c\nb: \"q #\" \nc: x # y\nd: x#y\ne: a:b\n",
        "a: string[]\nb: Record<string, any>\nc: A | B | null\nd: GET /x/{id}\n",
        "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n",
        "a:\n  x: 1\n  x: 2\na:\n  y: 1\n  y: 2\n",
        "a: b: c\n",
        "a: [1, 2]\n",
        "a: &x 1\nb: *x\n",
        "a: >\n  folded\n  lines\n\n\n  para\n",
        "a: >-\n  folded\n    more\n",
        "a: x\n  # comment ends it\nb: y\n",
        "a: x\n\n  after a blank\n   deeper\nb: y",
        "a: x\n  y: z\n",
        "- a: x\n    y\n",
        "a: multi\n  line\n",
        "a:\n  b: 1\n c: 2\n",
        "a: 'unclosed\n",
        'a: "esc\\n"\n',
        "a: -\n",
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "- a\n- b\n",
        "  a: 1\n",
        "---\na: 1\n",
        "# only a comment\n",
        "a:  \n   \nb:   # c\n",
        "<<: {a: 1}\n",
    ],
)
def test_edge_cases_agree_or_step_aside(text: str) -> None:
    # PyYAML refusing a text the fast reader also refused is fine: `parse` reports it
    compare(text)


def test_the_subset_is_what_real_files_use() -> None:
    taken = {
        "plain": "a: 1\nb:\n  c: d\n",
        "literal": "a: |\n  x\n",
        "quoted": "a: 'x'\nb: \"y\"\n",
        "dash lists": "a:\n  - x\n  - k: v\n",
        "folded": "a: >\n  x\n  y\n\n  z\n",
        "multi-line plain": "a: x\n  y\n\n  z\nb: 1\n",
        "colons in keys": "urn:x:y?: 1\n",
    }
    assert all(blockyaml.read(text) is not None for text in taken.values())
    refused = [
        "a: [1]\n",
        "a: &x 1\n",
        "a: >\n  x\n    y\n",
        "a: !!str 1\n",
        "a:\tb\n",
        '"a": 1\n',
        'a: "x\\n"\n',
    ]
    assert all(blockyaml.read(text) is None for text in refused)


def test_parse_reports_duplicates_found_by_the_fast_reader() -> None:
    diags = DiagnosticList("nango.yaml")
    value = yamlnodes.parse("models:\n  A:\n    id: string\n    id: number\n", diags)
    assert value["models"]["A"] == {"id": "string"}
    assert [(d.line, d.column, d.code) for d in diags.items] == [(4, 5, "duplicate_key")]
    assert "first at line 3" in diags.items[0].message


def test_deep_nesting_steps_aside_to_the_depth_diagnostic() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(300))
    assert blockyaml.read(text) is None
    diags = DiagnosticList("nango.yaml")
    yamlnodes.parse(text, diags)
    assert any(d.code == "yaml_too_deep" for d in diags.items)


KEYS = st.sampled_from(["a", "b", "id", "x?", "1", "true", "~", "a b", "k-1", "__extends", "GET /x"])
SCALARS = st.sampled_from(
    [
        "1",
        "x",
        "string | null",
        "'q''s'",
        '"dq"',
        "x # c",
        "# c",
        "",
        "a:b",
        "-1",
        "- x",
        "[1]",
        "yes",
        "0x10",
        "1e3",
        ".nan",
        "x:",
        "|",
        "|-",
        "|+",
        ">",
        "'open",
        ">-",
        "x CONT",
    ]
)
LINE = st.tuples(st.integers(min_value=0, max_value=6), st.booleans(), KEYS, SCALARS)


def _render(lines: list[tuple[int, bool, str, str]]) -> str:
    out = []
    for indent, dash, key, value in lines:
        head = " " * indent + ("- " if dash else "")
        if value == "x CONT":
            out += [f"{head}{key}: x", " " * (indent + 4) + "continued", "", " " * (indent + 3) + "again"]
            continue
        out.append(f"{head}{key}:" + (f" {value}" if value else ""))
        if value[:1] in ("|", ">"):
            out += [" " * (indent + 2) + "body", " " * (indent + 2) + "two", ""]
    return "\n".join(out) + "\n"


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(LINE, min_size=1, max_size=12))
def test_fuzzed_block_yaml_reads_the_same(lines: list[tuple[int, bool, str, str]]) -> None:
    compare(_render(lines))


TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(st.tuples(KEYS, children), min_size=1, max_size=4).map(lambda pairs: ("map", pairs)),
        st.lists(children, min_size=1, max_size=3).map(lambda items: ("seq", items)),
    ),
    max_leaves=12,
)


def _scalar_lines(value: str, indent: int) -> tuple[str, list[str]]:
    """What follows `key:` on its line, and the lines after it."""
    if value == "x CONT":
        return " x", [" " * (indent + 4) + "continued", "", " " * (indent + 3) + "again"]
    if value[:1] in ("|", ">"):
        return f" {value}", [" " * (indent + 2) + "body", " " * (indent + 2) + "two", ""]
    return (f" {value}" if value else ""), []


def _tree(node: object, indent: int, step: int, out: list[str]) -> None:
    kind, children = node  # type: ignore[misc]
    for child in children:
        key, value = child if kind == "map" else (None, child)
        head = " " * indent + (f"{key}:" if kind == "map" else "-")
        if isinstance(value, str):
            inline, after = _scalar_lines(value, indent)
            out.append(head + inline)
            out.extend(after)
        else:
            out.append(head)
            _tree(value, indent + step, step, out)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(KEYS, TREES), min_size=1, max_size=4),
    st.sampled_from([1, 2, 4]),
    st.integers(min_value=-1, max_value=40),
)
def test_fuzzed_trees_read_the_same(pairs: list, step: int, nudge: int) -> None:
    lines: list[str] = []
    _tree(("map", pairs), 0, step, lines)
    if 0 <= nudge < len(lines):  # one line one space off: the reader must notice or agree
        lines[nudge] = " " + lines[nudge]
    compare("\n".join(lines) + "\n")
