"""Schema inference on hand-made records: each rule, and hostile input."""

from __future__ import annotations

import pytest

from nango_tui.infer.schema import (
    MAX_DEPTH,
    MAX_KEYS,
    infer_models,
    pascal_name,
    singular,
    snake_name,
)


def fields(records: list, model: str = "Thing", **kw) -> dict[str, tuple[str, bool, bool]]:
    inference = infer_models(records, model, **kw)
    return {f.name: (f.type, f.optional, f.nullable) for f in inference.top.fields}


def test_primitive_types_optional_and_nullable() -> None:
    got = fields(
        [
            {"id": "a", "n": 1, "x": 1.5, "ok": True, "note": None},
            {"id": "b", "n": 2, "x": 2, "ok": False, "note": "hi", "extra": 3},
        ]
    )
    assert got == {
        "id": ("string", False, False),
        "n": ("integer", False, False),
        "x": ("number", False, False),  # an int where floats are seen is a number
        "ok": ("boolean", False, False),
        "note": ("string", False, True),
        "extra": ("integer", True, False),
    }


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-03T09:15:00.000+0000",
        "2024-01-03T09:15:00Z",
        "2024-01-03T09:15:00.123456+02:00",
        "2024-01-03 09:15:00",
        "2024-01-03",
    ],
)
def test_iso_dates_are_dates(value: str) -> None:
    assert fields([{"at": value}, {"at": "2023-12-31T23:59:59Z"}])["at"][0] == "date"


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "1704067200", "2024-01-03T09:15:00 UTC"])
def test_one_non_date_string_makes_a_string(value: str) -> None:
    assert fields([{"at": "2024-01-03T09:15:00Z"}, {"at": value}])["at"][0] == "string"


def test_unix_timestamps_stay_integers() -> None:
    assert fields([{"created": 1704067200}, {"created": 1704070800}])["created"][0] == "integer"


def test_enums_for_small_closed_sets_of_status_words() -> None:
    records = [
        {"status": s, "login": u} for s, u in zip(["open", "closed", "open", "closed"] * 2, "abcdabcd")
    ]
    got = fields(records)
    assert got["status"][0] == "open | closed"  # first-seen order
    assert got["login"][0] == "string"  # not named like a closed set


def test_no_enum_when_values_rarely_repeat_or_do_not_look_like_states() -> None:
    assert fields([{"status": s} for s in ["a", "b", "c", "d"]])["status"][0] == "string"
    assert fields([{"state": s} for s in ["In Progress", "Done"] * 3])["state"][0] == "string"
    assert fields([{"type": s} for s in ["open"] * 6])["type"][0] == "string"  # one value: a constant
    nine = [f"s{i}" for i in range(9)] * 3
    assert fields([{"status": s} for s in nine])["status"][0] == "string"  # more than ENUM_MAX
    # words nango.yaml reads as types or literals are never enum members
    assert fields([{"type": s} for s in ["string", "null", "string", "null"]])["type"][0] == "string"


def test_nullable_enum() -> None:
    records = [{"priority": p} for p in ["low", "high", None, "low", "high", None]]
    assert fields(records)["priority"] == ("low | high", False, True)


def test_nested_objects_become_models_named_after_their_place() -> None:
    records = [
        {"id": "1", "user": {"login": "a", "id": 1}, "labels": [{"name": "bug"}]},
        {"id": "2", "user": {"login": "b", "id": 2}, "labels": []},
    ]
    inference = infer_models(records, "Issue")
    names = [m.name for m in inference.models]
    assert names == ["IssueUser", "IssueLabel", "Issue"]  # nested first, the top one last
    top = {f.name: f for f in inference.top.fields}
    assert top["user"].type == "IssueUser" and top["user"].ref == "IssueUser" and not top["user"].is_list
    assert top["labels"].type == "IssueLabel[]" and top["labels"].is_list


def test_nested_objects_of_the_same_shape_share_one_model() -> None:
    person = {"login": "a", "id": 1}
    inference = infer_models([{"author": person, "assignee": person, "reviewers": [person]}], "Pr")
    assert [m.name for m in inference.models] == ["PrAuthor", "Pr"]
    assert [f.type for f in inference.top.fields] == ["PrAuthor", "PrAuthor", "PrAuthor[]"]


def test_names_taken_by_other_models_are_not_reused_and_hints_are() -> None:
    records = [{"user": {"id": 1}, "team": {"key": "X"}}]
    inference = infer_models(records, "Issue", taken={"IssueUser"}, hints={("Issue", "team"): "Team"})
    assert [m.name for m in inference.models] == ["IssueUser2", "Team", "Issue"]


def test_arrays_of_scalars_empty_arrays_and_mixed_values() -> None:
    got = fields(
        [
            {"tags": ["a"], "none": [], "mixed": "x", "num": 1, "both": {"a": 1}},
            {"tags": [], "none": [], "mixed": 2, "num": 2.5, "both": "text"},
        ]
    )
    assert got["tags"][0] == "string[]"
    assert got["none"][0] == "any[]"
    assert got["mixed"][0] == "string | integer"
    assert got["num"][0] == "number"
    assert got["both"][0] == "any"  # an object sometimes, a string other times: no honest model


def test_only_nulls_and_empty_objects() -> None:
    got = fields([{"gone": None, "meta": {}}, {"gone": None, "meta": {}}])
    assert got["gone"] == ("any", False, False)
    assert got["meta"][0] == "object"


def test_dictionaries_with_many_keys_are_objects() -> None:
    big = {f"k{i}": i for i in range(MAX_KEYS + 50)}
    assert fields([{"counts": big}])["counts"][0] == "object"


def test_hostile_depth_is_bounded() -> None:
    deep: dict = {}
    node = deep
    for _ in range(MAX_DEPTH * 20):
        node["a"] = {}
        node = node["a"]
    inference = infer_models([{"deep": deep}], "Deep")  # no RecursionError
    assert len(inference.models) <= MAX_DEPTH + 2


def test_field_names_are_snake_case_and_unique() -> None:
    got = fields([{"FirstName": "a", "first_name": "b", "@odata.etag": "x", "2fa": True, "URL": "u"}])
    assert list(got) == ["first_name", "first_name_2", "odata_etag", "f_2fa", "url"]
    assert snake_name("LastModifiedDate") == "last_modified_date"
    assert snake_name("htmlURL") == "html_url"
    assert snake_name("createdAt") == "created_at"
    assert pascal_name("line_items") == "LineItems"
    assert [singular(w) for w in ["issues", "entries", "boxes", "status", "labels", "data"]] == [
        "issue",
        "entry",
        "box",
        "status",
        "label",
        "data",
    ]


def test_records_that_are_not_objects_do_not_break_inference() -> None:
    inference = infer_models([{"id": "a"}, "stray", 3, None], "Thing")
    assert [f.name for f in inference.top.fields] == ["id"]


@pytest.mark.parametrize(
    ("values", "dates"),
    [
        (["2024-01-03T09:15:00.000+0000", "2024-01-03"], True),
        (["2024-01-03T09:15:00z"], True),  # Python's parser refuses a lowercase z, ours does not
        (["20240103"], False),
        (["2024-W01-1"], False),
        (["2024-01-03T09"], False),
        (["2024-01-03T09:15:00Z", "2024-01-03T09:15:00Z\n2024-01-03"], False),
        (["2024-01-03T09:15:00Z"] * 1000 + ["not a date"], False),
    ],
)
def test_date_columns(values: list[str], dates: bool) -> None:
    from nango_tui.infer.schema import all_dates

    assert all_dates(values) is dates


def test_yaml_boolean_words_are_not_field_names() -> None:
    assert list(fields([{"on": 1, "no": 2, "yes": True, "null": None, "one": 3}])) == [
        "on_",
        "no_",
        "yes_",
        "null_",
        "one",
    ]
