"""models.py for each case of nango.yaml's type language, checked by validating records against it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from nango_tui.codegen import generate, is_hand_edited, project_schema, render_models
from nango_tui.config import load_text
from tests.support.models_module import load_models_module

MODELS_YAML = """\
integrations:
    demo:
        syncs:
            things:
                runs: every hour
                output: Thing
                endpoint: GET /things
models:
    Base:
        id: string
        created: date
    Thing:
        __extends: Base
        name: string
        price: number
        count: integer
        active: boolean
        raw: object
        anything: any
        tags: string[]
        matrix: integer[][]
        kind: WORK | HOME | 42 | true
        maybe: string | null
        later?: string
        soon: string | undefined
        either: string | integer | null
        from: string
        class?: integer
        self-link: string
        2fa: boolean
        $state: string
        address:
            street: string
            zip?: string
        points:
            - x: number
              y: number
        owner: Person
        owners?: Person[]
    Person:
        name: string
        friend?: Person
        employer: Company | null
    Company:
        name: string
        ceo?: Person
    Bag:
        __string: integer
        label: string
    Field:
        name: string
    str:
        value: integer
    datetime:
        when: date
    MODELS:
        x: string
    Uses:
        f: Field
        s: str
        d: datetime
        m: MODELS
        str: string
        int: integer
        Field?: string
        datetime?: date
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    (root / "nango.yaml").write_text(MODELS_YAML)
    report = generate(root)
    assert report.ok, [d.format() for d in report.diagnostics]
    return load_models_module(root / "models.py")


def good_thing(**changes):
    record = {
        "id": "t1",
        "created": "2024-01-02T03:04:05Z",
        "name": "a thing",
        "price": 9.5,
        "count": 3,
        "active": True,
        "raw": {"a": [1, 2]},
        "anything": ["x", 1],
        "tags": ["red", "blue"],
        "matrix": [[1, 2], [3]],
        "kind": "HOME",
        "maybe": None,
        "soon": "s",
        "either": 7,
        "from": "alice",
        "self-link": "https://example.com/t1",
        "2fa": False,
        "$state": "ok",
        "address": {"street": "1 Main St"},
        "points": [{"x": 1.5, "y": 2.0}],
        "owner": {"name": "Ann", "employer": {"name": "Acme", "ceo": {"name": "Bob", "employer": None}}},
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _ABSENT}


_ABSENT = object()


def errors_of(cls, record) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as info:
        cls.model_validate(record)
    return {tuple(e["loc"]): e["type"] for e in info.value.errors()}


def test_models_map_names_every_model(models):
    assert set(models.MODELS) == {
        "Base",
        "Thing",
        "Person",
        "Company",
        "Bag",
        "Field",
        "str",
        "datetime",
        "MODELS",
        "Uses",
    }
    assert models.MODELS["Thing"] is models.Thing
    assert models.MODELS["Field"] is models.Field
    assert models.MODELS["str"] is models.str
    assert isinstance(models.MODELS, dict)  # `MODELS` the dict wins over the model named MODELS
    assert models.MODELS["MODELS"].__name__ != "MODELS"


def test_good_record_round_trips_by_alias(models):
    record = good_thing()
    thing = models.Thing.model_validate(record)
    assert thing.model_dump(mode="json", by_alias=True, exclude_unset=True) == record
    # python-mode dump has the same keys; absent optional fields are left out
    dumped = thing.model_dump(by_alias=True, exclude_unset=True)
    assert set(dumped) == set(record)
    assert "later" not in dumped and "class" not in dumped and "owners" not in dumped


def test_types_map_as_the_issue_says(models):
    thing = models.Thing.model_validate(good_thing(price=5, created="2024-01-02"))
    assert thing.price == 5.0 and isinstance(thing.price, float)  # number takes ints
    assert thing.created == datetime(2024, 1, 2)  # date takes ISO strings
    aware = models.Thing.model_validate(good_thing(created=datetime(2024, 1, 2, tzinfo=UTC)))
    assert aware.created.tzinfo is not None
    assert thing.from_ == "alice" and thing.self_link.startswith("https") and thing.field_2fa is False
    assert thing.state == "ok"
    assert isinstance(thing.address, models.ThingAddress)
    assert thing.owner.employer.ceo.name == "Bob"  # references, cyclic ones included, resolve


def test_population_by_field_name_and_by_alias(models):
    by_alias = models.Thing.model_validate(good_thing())
    data = good_thing()
    for real, safe in (
        ("from", "from_"),
        ("self-link", "self_link"),
        ("2fa", "field_2fa"),
        ("$state", "state"),
    ):
        data[safe] = data.pop(real)
    by_name = models.Thing(**data)
    assert by_name.model_dump(by_alias=True, exclude_unset=True) == by_alias.model_dump(
        by_alias=True, exclude_unset=True
    )


@pytest.mark.parametrize(
    "changes, where, kind",
    [
        ({"id": 1}, ("id",), "string_type"),
        ({"name": _ABSENT}, ("name",), "missing"),
        ({"from": _ABSENT}, ("from",), "missing"),  # the error names the record's real key
        ({"self-link": 5}, ("self-link",), "string_type"),
        ({"count": 2.5}, ("count",), "int_type"),
        ({"count": "3"}, ("count",), "int_type"),  # no silent coercion of strings
        ({"price": "9.5"}, ("price",), "float_type"),
        ({"active": 1}, ("active",), "bool_type"),
        ({"kind": "OFFICE"}, ("kind",), "literal_error"),
        ({"maybe": _ABSENT}, ("maybe",), "missing"),  # `| null` still needs the key
        ({"later": None}, ("later",), "string_type"),  # optional is not nullable
        ({"tags": ["a", 2]}, ("tags", 1), "string_type"),
        ({"matrix": [[1], ["x"]]}, ("matrix", 1, 0), "int_type"),
        ({"address": {"zip": "1"}}, ("address", "street"), "missing"),
        ({"points": [{"x": 1, "y": "no"}]}, ("points", 0, "y"), "float_type"),
        ({"owner": {"name": "A", "employer": {"name": 3}}}, ("owner", "employer", "name"), "string_type"),
        ({"created": "not a date"}, ("created",), "datetime_from_date_parsing"),
        ({"unknown": 1}, ("unknown",), "extra_forbidden"),
    ],
)
def test_bad_records_are_rejected_where_they_are_wrong(models, changes, where, kind):
    errors = errors_of(models.Thing, good_thing(**changes))
    assert where in errors, errors
    assert errors[where].startswith(kind.split("_parsing")[0]), errors


def test_union_members_and_null(models):
    assert models.Thing.model_validate(good_thing(either="s")).either == "s"
    assert models.Thing.model_validate(good_thing(either=None)).either is None
    assert models.Thing.model_validate(good_thing(kind=42)).kind == 42
    assert models.Thing.model_validate(good_thing(kind=True)).kind is True
    errors = errors_of(models.Thing, good_thing(either=1.5))
    assert any(loc[0] == "either" for loc in errors)


def test_extends_merges_fields(models):
    assert {"id", "created", "name"} <= set(models.Thing.model_fields)
    errors = errors_of(models.Thing, good_thing(id=_ABSENT))
    assert ("id",) in errors


def test_string_extra_keys_are_typed(models):
    bag = models.Bag.model_validate({"label": "x", "a": 1, "b": 2})
    assert bag.model_dump(by_alias=True, exclude_unset=True) == {"label": "x", "a": 1, "b": 2}
    errors = errors_of(models.Bag, {"label": "x", "a": "one"})
    assert ("a",) in errors


def test_names_that_clash_with_python_still_work(models):
    uses = models.Uses.model_validate(
        {
            "f": {"name": "n"},
            "s": {"value": 1},
            "d": {"when": "2024-01-01"},
            "m": {"x": "y"},
            "str": "s",
            "int": 3,
            "Field": "F",
        }
    )
    assert isinstance(uses.f, models.Field) and isinstance(uses.s, models.MODELS["str"])
    assert isinstance(uses.d, models.MODELS["datetime"]) and isinstance(uses.m, models.MODELS["MODELS"])
    assert uses.model_dump(by_alias=True, exclude_unset=True)["str"] == "s"
    assert ("int",) in errors_of(
        models.Uses,
        {
            "f": {"name": "n"},
            "s": {"value": 1},
            "d": {"when": "2024-01-01"},
            "m": {"x": "y"},
            "str": "s",
            "int": "3",
        },
    )


def test_output_is_deterministic_and_hashed(project_dir):
    root = project_dir(MODELS_YAML)
    project = load_text(MODELS_YAML, root).project
    first = render_models(project)
    assert render_models(load_text(MODELS_YAML, root).project) == first
    assert first.startswith("# Generated by `nango-tui generate`")
    assert not is_hand_edited(first)
    assert is_hand_edited(first.replace('"Uses": Uses,', '"Uses": Base,'))
    assert is_hand_edited("class Mine: pass\n")


def test_generated_models_have_no_pyflakes_warnings(project_dir):
    import io

    from pyflakes.api import check
    from pyflakes.reporter import Reporter

    for yaml_text in (MODELS_YAML, "integrations: {}\nmodels:\n    Only:\n        id: string\n"):
        text = render_models(load_text(yaml_text, ".").project)
        out = io.StringIO()
        assert check(text, "models.py", Reporter(out, out)) == 0, out.getvalue()


def test_json_schema_describes_the_same_rules(project_dir):
    schema = project_schema(load_text(MODELS_YAML, ".").project)
    thing = schema["$defs"]["Thing"]
    assert thing["additionalProperties"] is False
    assert (
        "later" not in thing["required"] and "soon" not in thing["required"] and "maybe" in thing["required"]
    )
    assert thing["properties"]["from"] == {"type": "string"}
    assert thing["properties"]["kind"] == {"enum": ["WORK", "HOME", 42, True]}
    assert thing["properties"]["maybe"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert thing["properties"]["owner"] == {"$ref": "#/$defs/Person"}
    assert thing["properties"]["created"] == {"type": "string", "format": "date-time"}
    assert schema["$defs"]["Bag"]["additionalProperties"] == {"type": "integer"}


def test_empty_models_section(project_dir):
    root = project_dir("integrations: {}\n")
    report = generate(root)
    assert report.ok
    module = load_models_module(root / "models.py")
    assert module.MODELS == {}


CLASH_YAML = """\
integrations: {}
models:
    class:
        a: Any
    NangoModel:
        d: DateTime
        l: Literal
        n: None
    DateTime:
        when: date
    Any:
        x: any
    Literal:
        v: a | b
    None:
        z: string
    _str:
        y: string
    str:
        s: string
    "2fa":
        k: string
"""


def test_model_names_that_are_keywords_or_helpers(project_dir):
    root = project_dir(CLASH_YAML)
    assert generate(root).ok
    module = load_models_module(root / "models.py")
    record = {"d": {"when": "2024-01-01T00:00:00"}, "l": {"v": "b"}, "n": {"z": "q"}}
    assert (
        module.MODELS["NangoModel"]
        .model_validate(record)
        .model_dump(mode="json", by_alias=True, exclude_unset=True)
        == record
    )
    assert isinstance(module.MODELS["class"].model_validate({"a": {"x": [1]}}).a, module.MODELS["Any"])
    assert module.MODELS["2fa"].__name__ == "Model_2fa" and module.MODELS["None"].__name__ == "None_"
    assert ("v",) in errors_of(module.MODELS["Literal"], {"v": "c"})
    assert ("z",) in errors_of(module.MODELS["None"], {"z": 1})
