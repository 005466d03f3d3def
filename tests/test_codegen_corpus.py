"""The corpus: every nango.yaml generates, its models.py imports, and a record built from each
model's type tree validates (and dumps back to itself by alias); broken records are refused at
the right key; generating again changes no byte; every scaffold passes the project's checks."""

from __future__ import annotations

import shutil

import pytest

from nango_tui import check
from nango_tui.codegen import generate
from nango_tui.config import Project, load_project
from nango_tui.config import types as T
from tests.support.models_module import load_models_module
from tests.support.paths import corpus_files, needs_corpus

pytestmark = needs_corpus

DATE = "2024-01-02T03:04:05Z"
_PRIMITIVE_SAMPLES = {
    "string": "text",
    "number": 1.5,
    "integer": 3,
    "bigint": 4,
    "boolean": True,
    "date": DATE,
    "object": {"key": [1, "two"]},
    "any": {"anything": None},
}
_DEEP = 3  # below this depth, optional fields are left out and recursion takes the shortest way


def _recursive(node: T.TypeNode) -> bool:
    return any(isinstance(n, (T.ModelRef, T.InlineObject)) for n in T.walk(node))


def sample_value(node: T.TypeNode, project: Project, depth: int):
    """A valid JSON value for a type tree."""
    if isinstance(node, T.Primitive):
        return _PRIMITIVE_SAMPLES[node.name]
    if isinstance(node, T.Literal):
        return node.value
    if isinstance(node, T.ModelRef):
        model = project.models[node.name]
        return sample_object(model.fields, model.extra, project, depth + 1)
    if isinstance(node, T.ArrayOf):
        return [] if depth >= _DEEP else [sample_value(node.item, project, depth)]
    if isinstance(node, T.UnionOf):
        members = [m for m in node.members if not (isinstance(m, T.Literal) and m.undefined)]
        if depth >= _DEEP:
            members = sorted(members, key=_recursive)  # a member that does not recurse first
        return sample_value(members[0], project, depth)
    if isinstance(node, T.InlineObject):
        return sample_object(node.fields, node.extra, project, depth + 1)
    raise AssertionError(f"invalid type in a clean project: {node}")


def sample_object(fields, extra, project: Project, depth: int) -> dict:
    record = {}
    for f in fields:
        optional = f.optional or T.allows_undefined(f.type)
        if optional and depth >= _DEEP:
            continue
        record[f.name] = sample_value(f.type, project, depth)
    if extra is not None:
        record["an_extra_key"] = sample_value(extra, project, depth)
    return record


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Every corpus file generated into its own folder: [(name, root, project, module)]."""
    out = []
    base = tmp_path_factory.mktemp("corpus")
    for path in corpus_files():
        root = base / path.stem
        root.mkdir()
        shutil.copyfile(path, root / "nango.yaml")
        report = generate(root)
        assert report.ok, (path.name, [d.format() for d in report.diagnostics if d.is_error])
        out.append((path.name, root, load_project(root).project, report))
    return out


def test_corpus_is_all_there(generated):
    assert len(generated) == len(corpus_files()) >= 100


def test_every_models_py_imports_and_validates_a_record_of_each_model(generated):
    checked = 0
    for name, root, project, _ in generated:
        module = load_models_module(root / "models.py")
        assert set(module.MODELS) == set(project.models), name
        for model_name, model in project.models.items():
            cls = module.MODELS[model_name]
            record = sample_object(model.fields, model.extra, project, 0)
            try:
                instance = cls.model_validate(record)
            except Exception as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{name}: {model_name} refused {record}: {exc}")
            dumped = instance.model_dump(mode="json", by_alias=True, exclude_unset=True)
            assert dumped == record, (name, model_name)
            checked += 1
    assert checked > 800


def test_broken_records_are_refused_at_the_broken_key(generated):
    for name, root, project, _ in generated:
        module = load_models_module(root / "models.py")
        for model_name, model in project.models.items():
            cls = module.MODELS[model_name]
            record = sample_object(model.fields, model.extra, project, 0)
            required = [f for f in model.fields if not f.optional and not T.allows_undefined(f.type)]
            typed = [
                f
                for f in model.fields
                if not any(isinstance(n, T.Primitive) and n.name == "any" for n in T.walk(f.type))
            ]
            if required:
                missing = dict(record)
                del missing[required[0].name]
                errors = _errors(cls, missing)
                assert (required[0].name,) in errors, (name, model_name, errors)
            if typed:
                wrong = dict(record)
                wrong[typed[-1].name] = object()
                errors = _errors(cls, wrong)
                assert any(loc[:1] == (typed[-1].name,) for loc in errors), (name, model_name, errors)
            if model.extra is None:
                errors = _errors(cls, {**record, "surely not a field": 1})
                assert ("surely not a field",) in errors, (name, model_name)


def _errors(cls, record) -> set[tuple]:
    from pydantic import ValidationError

    try:
        cls.model_validate(record)
    except ValidationError as exc:
        return {tuple(e["loc"]) for e in exc.errors()}
    raise AssertionError(f"{cls.__name__} accepted {record}")


def test_generating_again_changes_no_byte(generated):
    for name, root, _, _ in generated[:: max(1, len(generated) // 25)]:
        before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}
        report = generate(root)
        assert report.ok and not report.created and not report.models_written and not report.schema_written, (
            name
        )
        after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}
        assert after == before, name


def test_every_scaffold_passes_the_project_checks(generated):
    scripts = 0
    for name, root, project, report in generated:
        assert sorted(report.created) == sorted(["models.py", *(s.script_path for s in project.scripts())]), (
            name
        )
        result = check.compile_project(root, jobs=1)
        assert result.diagnostics == [] or all(not d.is_error for d in result.diagnostics), (
            name,
            [d.format() for d in result.diagnostics],
        )
        scaffold_problems = [d for d in result.diagnostics if d.file.endswith(".py")]
        assert scaffold_problems == [], (name, [d.format() for d in scaffold_problems])
        scripts += len(project.scripts())
    assert scripts > 500
