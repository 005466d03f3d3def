"""Real nango.yaml files that Nango's CLI accepts, and random damage to them."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nango_tui.config import load_text
from nango_tui.config.types import Literal, UnionOf
from tests.support.paths import CORPUS, corpus_files, needs_corpus

FILES = corpus_files()


@needs_corpus
def test_corpus_is_there():
    assert len(FILES) == 102


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_file_loads_without_errors(path):
    result = load_text(path.read_text(), path.parent, path.name)
    errors = [d.format() for d in result.diagnostics if d.is_error]
    assert errors == []
    assert result.project is not None
    assert result.project.scripts(), "every corpus file declares scripts"
    for model in result.project.models.values():
        assert model.line >= 1


@needs_corpus
@pytest.mark.parametrize("name", ["google-docs", "google-drive"])
def test_tab_in_plain_scalar_union_is_parsed(name):
    path = CORPUS / f"{name}.yaml"
    text = path.read_text()
    assert "\t" in text
    result = load_text(text, path.parent, path.name)
    assert result.ok
    unions = [
        f.type
        for m in result.project.models.values()
        for f in m.fields
        if isinstance(f.type, UnionOf) and Literal("PREVIEW_WITHOUT_SUGGESTIONS") in f.type.members
    ]
    assert unions, "the union holding the tab is parsed into its literal members"
    for union in unions:
        assert all(isinstance(m, Literal) and "\t" not in str(m.value) for m in union.members)


def _mutate(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    kind = rnd.randrange(6)
    if kind == 0 and len(lines) > 1:  # delete some lines
        for _ in range(rnd.randint(1, 5)):
            if len(lines) > 1:
                del lines[rnd.randrange(len(lines))]
    elif kind == 1:  # swap indentation of two lines
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        ii = len(lines[i]) - len(lines[i].lstrip())
        jj = len(lines[j]) - len(lines[j].lstrip())
        lines[i] = " " * jj + lines[i].lstrip()
        lines[j] = " " * ii + lines[j].lstrip()
    elif kind == 2:  # truncate
        return text[: rnd.randrange(len(text) + 1)]
    elif kind == 3:  # junk characters
        pos = rnd.randrange(len(text) + 1)
        junk = "".join(rnd.choice(":-[]{}|>&*!%@`\t\"'#?,\x00\x07 \n") for _ in range(rnd.randint(1, 8)))
        return text[:pos] + junk + text[pos:]
    elif kind == 4:  # indent or dedent a line
        i = rnd.randrange(len(lines))
        lines[i] = (" " * rnd.choice([1, 2, 4]) + lines[i]) if rnd.random() < 0.5 else lines[i].lstrip()
    else:  # duplicate a line (duplicate keys)
        i = rnd.randrange(len(lines))
        lines.insert(i, lines[i])
    return "\n".join(lines)


@needs_corpus
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0, max_value=101),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    rounds=st.integers(1, 4),
)
def test_mutated_corpus_never_raises_and_errors_have_lines(index, seed, rounds):
    path = FILES[index % len(FILES)]
    rnd = random.Random(seed)
    text = path.read_text()
    for _ in range(rounds):
        text = _mutate(text, rnd)
    result = load_text(text, path.parent, path.name)
    n_lines = text.count("\n") + 1
    for diag in result.diagnostics:
        assert 1 <= diag.line <= n_lines + 1, diag.format()
        assert diag.column >= 1
        assert diag.message
    if result.project is None:
        assert any(d.is_error for d in result.diagnostics)


@needs_corpus
@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=101), data=st.binary(min_size=1, max_size=40), at=st.floats(0, 1)
)
def test_junk_bytes_never_raise(tmp_path_factory, index, data, at):
    from nango_tui.config import load_project

    path = FILES[index % len(FILES)]
    raw = path.read_bytes()
    pos = int(len(raw) * at)
    folder = tmp_path_factory.mktemp("junk")
    (folder / "nango.yaml").write_bytes(raw[:pos] + data + raw[pos:])
    result = load_project(folder)
    for diag in result.diagnostics:
        assert diag.line >= 1 and diag.column >= 1
