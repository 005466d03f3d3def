"""Fuzzing nango.yaml and the mocks format (issue 10): bounded, deterministic, never a traceback.

nango.yaml: documents built from hostile pieces (names, tags, anchors, odd scalars) and raw text
mutations of a valid file. The loader must return (never raise); a project it accepts must
generate only inside the folder, and every Python file generated must parse.
Mocks: a valid document with fields replaced by arbitrary JSON. `load_mocks` must answer with a
MocksFileError or a document a replay can use whole (matching, response building, expected).
"""

from __future__ import annotations

import ast
import json
import tempfile
from pathlib import Path

import httpx
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nango_tui.codegen import generate
from nango_tui.config import load_text
from nango_tui.runtime.errors import MocksFileError
from nango_tui.runtime.recording import Replayer, load_mocks, response_content

FUZZ = settings(
    max_examples=50,  # about 30 s in all on a busy 2-core machine
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

NAMES = st.sampled_from(
    [
        "gh",
        "Contact",
        "id",
        "../x",
        "/abs",
        "..",
        "",
        "a\0b",
        "a\nb",
        "__name__",
        "__doc__",
        "x" * 250,
        ".h",
        "ok-1",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["string", "number | null", "Contact[]", "A | B", "every hour", "GET /x", "Array<string>"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(NAMES, st.text(max_size=8)), inner, max_size=4)
    ),
    max_leaves=25,
)

BASE = """\
integrations:
  gh:
    syncs:
      issues:
        runs: every hour
        output: Issue
        endpoint: GET /issues
        description: All issues
    actions:
      create:
        input: Issue
        output: Issue
        endpoint: POST /issues
models:
  Issue:
    id: string
    title: string | null
    labels: string[]
    state: open | closed
"""

INSERTIONS = st.sampled_from(
    [
        "!!bool ",
        "!!int ''",
        "!!float ''",
        "!!python/object:os.system ",
        "&a ",
        "*a",
        "<<: *a\n",
        "[[[[",
        "]]",
        "{",
        "\0",
        "\t",
        "\r\n",
        "\ufeff",
        '"\\0"',
        "'\n'",
        ": ",
        "- ",
        "__extends: Issue\n    ",
        "    ",
        "\n  ",
        "#",
        "|\n",
        "? ",
        "%YAML 1.1\n---\n",
        "---\n",
    ]
)


def _check_loaded(text: str) -> None:
    result = load_text(text)  # must never raise
    for diagnostic in result.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1 and diagnostic.message
    if result.project is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        generate(root, result.project)
        assert list(Path(tmp).iterdir()) == [root], "generate wrote outside the folder"
        for path in root.rglob("*.py"):
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@FUZZ
@given(st.dictionaries(st.sampled_from(["integrations", "models", "x"]), VALUES, max_size=3))
def test_fuzz_structured_nango_yaml(document):
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return
    _check_loaded(text)


@FUZZ
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(BASE)), INSERTIONS), min_size=1, max_size=6))
def test_fuzz_mutated_nango_yaml(edits):
    text = BASE
    for position, piece in sorted(edits, reverse=True):
        text = text[:position] + piece + text[position:]
    _check_loaded(text)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["integrations", "gh", "syncs", "actions", "models", "Issue", "output", "input"]),
        st.one_of(NAMES, VALUES),
        max_size=4,
    )
)
def test_fuzz_hostile_values_in_a_valid_file(patch):
    document = yaml.safe_load(BASE)
    spots = [
        document,
        document["integrations"]["gh"],
        document["integrations"]["gh"]["syncs"]["issues"],
        document["models"]["Issue"],
    ]
    for i, (key, value) in enumerate(patch.items()):
        spots[i % len(spots)][key] = value
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return
    _check_loaded(text)


# -- mocks ------------------------------------------------------------------------------------------

VALID_MOCKS = {
    "format": 1,
    "integration": "gh",
    "script": "issues",
    "kind": "sync",
    "inputs": {"input": None, "metadata": None, "last_sync_date": "2024-01-01T00:00:00Z"},
    "exchanges": [
        {
            "method": "GET",
            "url": "https://api.example.com/issues",
            "query": {"page": "1", "tags": ["a", "b"]},
            "request_body": None,
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": [{"id": "1"}],
        },
        {
            "method": "POST",
            "url": "/issues",
            "query": {},
            "request_body": {"title": "x"},
            "status": 201,
            "headers": {},
            "body": "aGVsbG8=",
            "body_encoding": "base64",
        },
    ],
    "expected": {"records": {"Issue": [{"id": "1"}]}, "updated": {}, "deleted": {}, "output": None},
}
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
MOCK_PATHS = st.sampled_from(
    [
        ("format",),
        ("inputs",),
        ("inputs", "last_sync_date"),
        ("exchanges",),
        ("exchanges", 0),
        ("exchanges", 0, "method"),
        ("exchanges", 0, "url"),
        ("exchanges", 0, "query"),
        ("exchanges", 0, "query", "page"),
        ("exchanges", 0, "status"),
        ("exchanges", 0, "headers"),
        ("exchanges", 0, "body"),
        ("exchanges", 1, "body"),
        ("exchanges", 1, "body_encoding"),
        ("exchanges", 1, "request_body"),
        ("expected",),
        ("expected", "records"),
        ("expected", "records", "Issue"),
        ("expected", "output"),
    ]
)


def _replace(document, path, value):
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@FUZZ
@given(st.lists(st.tuples(MOCK_PATHS, JSON_VALUES), min_size=1, max_size=3))
def test_fuzz_mocks_documents(replacements):
    document = json.loads(json.dumps(VALID_MOCKS))
    for path, value in replacements:
        try:
            _replace(document, path, value)
        except (KeyError, IndexError, TypeError):
            pass
    _check_mocks(json.dumps(document))


@FUZZ
@given(st.integers(min_value=0, max_value=400), st.text(max_size=5))
def test_fuzz_mocks_text(position, piece):
    text = json.dumps(VALID_MOCKS)
    _check_mocks(text[:position] + piece + text[position:])


def _check_mocks(text: str) -> None:
    from nango_tui.dryrun.regress import Outcome

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "issues.json"
        path.write_text(text, encoding="utf-8")
        try:
            data = load_mocks(path)
        except MocksFileError as err:
            assert str(err)
            return
        replayer = Replayer(data["exchanges"], str(path))
        for exchange in data["exchanges"]:
            answer = replayer.answer(
                exchange["method"], exchange["url"], exchange.get("query"), exchange.get("request_body")
            )
            httpx.Response(
                answer["status"], headers=answer.get("headers") or {}, content=response_content(answer)
            )
        Outcome.from_expected(data.get("expected") or {})
