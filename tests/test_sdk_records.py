"""batch_save/update/delete, log, metadata and checkpoints of NangoSync."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nango_tui.sdk import ActionError, InvalidRecordsError, NangoSync, RecordLimitReached, SdkUsageError
from tests.support.runtime_ctx import TOKEN, make_ctx


class Address(BaseModel):
    city: str
    zip: str


class Contact(BaseModel):
    id: str
    name: str
    email: str | None = None
    created_at: datetime | None = Field(default=None, alias="createdAt")
    address: Address | None = None

    model_config = {"populate_by_name": True}


class Company(BaseModel):
    id: str


MODELS = {"Contact": Contact, "Company": Company}


def sync(**options):
    options.setdefault("models", MODELS)
    options.setdefault("outputs", ["Contact"])
    ctx, events = make_ctx("http://127.0.0.1:9", **options)
    return NangoSync(ctx), events


async def test_batch_save_dicts_and_instances_dumped_by_alias_without_unset_fields():
    nango, events = sync()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await nango.batch_save(
        [
            {"id": "1", "name": "Ann", "createdAt": "2026-01-02T03:04:05Z"},
            Contact(id="2", name="Bob", created_at=when),
        ],
        "Contact",
    )
    [batch] = events.of("batch")
    assert batch["op"] == "save" and batch["model"] == "Contact"
    assert batch["records"] == [
        {"id": "1", "name": "Ann", "createdAt": "2026-01-02T03:04:05Z"},
        {"id": "2", "name": "Bob", "createdAt": "2026-01-02T03:04:05Z"},
    ]
    json.dumps(batch)  # JSON-ready


async def test_every_invalid_record_reported_with_all_its_errors_and_saved_anyway():
    nango, events = sync()
    records = [
        {"id": "1", "name": "ok"},
        {
            "id": 2,
            "email": 5,
            "address": {"city": "X"},
        },  # id type, name missing, email type, address.zip missing
        {"name": "no id"},
        {"id": "4", "name": "also ok"},
    ]
    await nango.batch_save(records, "Contact")
    invalid = events.of("invalid")
    assert [e["record"] for e in invalid] == [records[1], records[2]]
    paths = {e["path"] for e in invalid[0]["errors"]}
    assert paths == {"id", "name", "email", "address.zip"}
    assert all(e["message"] for e in invalid[0]["errors"])
    assert invalid[1]["errors"] == [{"path": "id", "message": "Field required"}]
    # as Nango's CLI: a warning, and the records are saved as sent
    assert events.of("batch")[0]["records"] == records
    assert any("kept anyway" in e["message"] for e in events.of("log") if e["level"] == "warn")


async def test_validation_mode_fails_at_the_first_invalid_record_naming_every_field():
    nango, events = sync(validation=True)
    with pytest.raises(InvalidRecordsError) as info:
        await nango.batch_save([{"id": "1"}, {"id": "2", "name": "ok"}, {"id": 3}], "Contact")
    text = str(info.value)
    assert "record id '1'" in text and "name: Field required" in text
    assert len(events.of("invalid")) == 1
    assert events.of("batch") == []
    nango, events = sync(validation=True)
    with pytest.raises(InvalidRecordsError) as info:
        await nango.batch_save([{"id": 7, "email": 5}], "Contact")
    assert {"id:", "name:", "email:"} <= set(str(info.value).replace(";", " ").split())


async def test_model_must_be_an_output_and_exist():
    nango, _ = sync()
    with pytest.raises(
        SdkUsageError, match="`Company` is not an output of sync `test-script` \\(its outputs: Contact\\)"
    ):
        await nango.batch_save([{"id": "1"}], "Company")
    nango, _ = sync(outputs=["Ghost"])
    with pytest.raises(SdkUsageError, match="no model `Ghost` in models.py"):
        await nango.batch_save([{"id": "1"}], "Ghost")
    nango, events = sync()
    await nango.batch_save([Contact(id="9", name="n")], Contact)  # the class works as the model too
    assert events.of("batch")[0]["model"] == "Contact"
    with pytest.raises(SdkUsageError):
        await nango.batch_save([{"id": "1"}], 42)


async def test_wrong_instance_class_is_invalid():
    nango, events = sync()
    await nango.batch_save([Company(id="1")], "Contact")
    [invalid] = events.of("invalid")
    assert invalid["record"] == {"id": "1"} and invalid["errors"][0]["path"] == "(record)"


async def test_repeated_id_in_a_batch_keeps_the_last_and_later_batches_are_saved_too():
    nango, events = sync()
    await nango.batch_save(
        [{"id": "1", "name": "a"}, {"id": "2", "name": "x"}, {"id": "1", "name": "b"}], "Contact"
    )
    await nango.batch_save([{"id": "1", "name": "c"}, {"id": "3", "name": "d"}], "Contact")
    first, second = events.of("batch")
    # Nango keeps the last occurrence, in the place it last appears
    assert [(r["id"], r["name"]) for r in first["records"]] == [("2", "x"), ("1", "b")]
    # a later batch replaces an earlier one: it is emitted (what is kept is folded by id later)
    assert [(r["id"], r["name"]) for r in second["records"]] == [("1", "c"), ("3", "d")]
    warnings = [e for e in events.of("log") if e["level"] == "warn"]
    assert len(warnings) == 1 and "keeping the last occurrence" in warnings[0]["message"]
    assert "ids: 1" in warnings[0]["message"]


async def test_a_batch_of_plain_dicts_drops_nango_metadata_and_keeps_the_scripts_list_its_own():
    """The all-dicts batch (its C-level path, issue 18): `_nango_metadata` is left out as on the
    per-record path, and the batch is a list of its own (the script may reuse its list)."""
    nango, events = sync()
    rows = [{"id": "1", "name": "a"}, {"id": "2", "name": "b", "_nango_metadata": {"x": 1}}]
    await nango.batch_save(rows, "Contact")
    plain = [{"id": "3", "name": "c"}, {"id": "4", "name": "d"}]
    await nango.batch_save(plain, "Contact")
    plain.clear()
    first, second = events.of("batch")
    assert first["records"] == [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]
    assert second["records"] == [{"id": "3", "name": "c"}, {"id": "4", "name": "d"}]
    assert rows[1]["_nango_metadata"] == {"x": 1}  # the script's record itself is untouched


async def test_records_keep_their_json_values_as_sent():
    class Deal(BaseModel):
        id: str
        amount: float
        closed: datetime | None = None

    nango, events = sync(models={"Deal": Deal}, outputs=["Deal"])
    await nango.batch_save([{"id": "d", "amount": 1001, "closed": "2026-01-02T03:04:05.000Z"}], "Deal")
    [batch] = events.of("batch")
    assert batch["records"] == [{"id": "d", "amount": 1001, "closed": "2026-01-02T03:04:05.000Z"}]
    assert (
        json.dumps(batch["records"]) == '[{"id": "d", "amount": 1001, "closed": "2026-01-02T03:04:05.000Z"}]'
    )


async def test_batch_update_takes_partial_records_and_checks_only_given_fields():
    nango, events = sync()
    await nango.batch_update([{"id": "1", "email": "new@x"}, {"id": "2", "name": "N"}], "Contact")
    assert events.of("invalid") == []
    assert events.of("batch")[0]["records"] == [{"id": "1", "email": "new@x"}, {"id": "2", "name": "N"}]
    await nango.batch_update([{"id": "3", "email": 5}, {"name": "no id"}], "Contact")
    invalid = events.of("invalid")
    assert invalid[0]["errors"] == [{"path": "email", "message": "Input should be a valid string"}]
    assert invalid[1]["errors"][0]["path"] == "id"
    nango, _ = sync(validation=True)
    with pytest.raises(InvalidRecordsError, match="email"):
        await nango.batch_update([{"id": "3", "email": 5}], "Contact")


async def test_batch_delete_takes_id_alone():
    nango, events = sync()
    await nango.batch_delete([{"id": "1"}, {"id": "2"}], "Contact")
    assert events.of("invalid") == [] and events.of("batch")[0]["records"] == [{"id": "1"}, {"id": "2"}]


async def test_max_records_stops_after_exactly_n():
    nango, events = sync(max_records=5)
    await nango.batch_save([{"id": str(i), "name": "x"} for i in range(3)], "Contact")
    with pytest.raises(RecordLimitReached) as info:
        await nango.batch_save([{"id": str(i), "name": "x"} for i in range(3, 10)], "Contact")
    assert info.value.limit == 5
    assert sum(len(b["records"]) for b in events.of("batch")) == 5
    nango, events = sync(max_records=2)
    with pytest.raises(RecordLimitReached):
        await nango.batch_save([{"id": "a", "name": "x"}, {"id": "b", "name": "y"}], "Contact")
    assert len(events.of("batch")[0]["records"]) == 2


async def test_batch_delete_needs_ids():
    nango, events = sync()
    await nango.batch_delete([{"id": "1"}, {"name": "no id"}, Contact(id="3", name="z")], "Contact")
    assert events.of("batch")[0]["records"] == [{"id": "1"}, {"id": "3", "name": "z"}]
    assert events.of("invalid")[0]["errors"] == [{"path": "id", "message": "a deleted record needs its id"}]
    assert [r.get("id") for r in events.of("batch")[0]["records"]] == ["1", "3"]


async def test_log_formats_objects_and_levels_and_redacts():
    nango, events = sync()
    await nango.log("count:", 3, {"a": [1, 2]}, ["x"], Contact(id="1", name="n"), level="warning")
    await nango.log("token is", TOKEN, level="nonsense")
    first, second = events.of("log")
    assert first["level"] == "warn"
    assert first["message"] == 'count: 3 {"a": [1, 2]} ["x"] {"id":"1","name":"n"}'
    assert "[object Object]" not in first["message"]
    assert second["level"] == "info" and TOKEN not in second["message"] and "***" in second["message"]


async def test_metadata_checkpoints_and_properties(tmp_path):
    nango, events = sync(
        root=tmp_path, metadata={"stub": True}, last_sync_date=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert await nango.get_metadata() == {"stub": True}
    await nango.update_metadata({"b": 2})
    assert await nango.get_metadata() == {"stub": True, "b": 2}
    await nango.set_metadata({"c": 3})
    assert await nango.get_metadata() == {"c": 3}
    assert (await nango.get_connection())["metadata"] == {"c": 3}
    assert await nango.get_checkpoint() is None
    await nango.save_checkpoint({"cursor": "abc"})
    assert await nango.get_checkpoint() == {"cursor": "abc"}
    await nango.clear_checkpoint()
    assert await nango.get_checkpoint() is None
    assert nango.last_sync_date.year == 2026
    assert (
        nango.connection_id,
        nango.provider_config_key,
        nango.provider,
        nango.environment,
        nango.dry_run,
    ) == ("test-conn", "test-integration", "unauthenticated", "dev", True)


def test_action_error_payload():
    err = ActionError({"message": "bad input", "field": "id"})
    assert err.payload == {"message": "bad input", "field": "id"} and str(err) == "bad input"
    assert str(ActionError("plain")) == "plain"


def test_seen_ids_present_is_exact_with_repeats_inside_and_across_batches():
    import random

    from nango_tui.sdk.records import SeenIds, id_hash

    rng = random.Random(7)
    keys = [rng.randrange(-(2**63), 2**63) for _ in range(3000)]
    seen = SeenIds()
    for i in range(0, 3000, 97):  # repeats inside a batch and across batches
        seen.add_all(keys[i : i + 97] + keys[i : i + 5])
    asked = set(keys[::13]) | {12345, id_hash("never saved")}
    assert seen.present(asked) == set(keys[::13])
    assert seen.present(set()) == set() and SeenIds().present({1, 2}) == set()


async def test_the_ids_remembered_are_the_id_hashes_of_every_kind_of_record():
    """Dict records (the C path), model instances, ids that are numbers, records without an id."""
    from nango_tui.sdk.records import id_hash

    nango, _ = sync()
    sink = nango._records
    await sink.put("save", [{"id": "a", "name": "A"}, {"id": 7, "name": "x"}], "Contact")
    await sink.put("save", [Contact(id="m", name="M"), {"name": "no id"}], "Contact")
    await sink.put("save", ["not a record"], "Contact")
    await sink.put("delete", [{"id": "gone"}], "Contact")
    wanted = {id_hash(i) for i in ("a", 7, "7", "m", "gone", "other")}
    assert sink.saved["Contact"].present(wanted) == {id_hash("a"), id_hash("7"), id_hash("m")}
    assert sink.deleted["Contact"].present(wanted) == {id_hash("gone")}
    assert len(sink.saved["Contact"]) == 3


async def test_whole_numbers_are_integers_at_every_depth_of_a_model_instance():
    class Line(BaseModel):
        qty: float
        prices: list[float]

    class Order(BaseModel):
        model_config = ConfigDict(extra="allow")
        __pydantic_extra__: dict[str, float | None] = Field(init=False)
        id: str
        total: float | None
        lines: list[Line]
        by_code: dict[str, float]
        note: str
        parent: Order | None = None

    Order.model_rebuild()
    order = Order(
        id="o",
        total=1001.0,
        lines=[Line(qty=2.0, prices=[1.0, 2.5])],
        by_code={"a": 3.0},
        note="1.0",
        parent=Order(id="p", total=0.5, lines=[], by_code={}, note="n", tip=7.0),
        tip=4.0,
    )
    nango, events = sync(models={"Order": Order}, outputs=["Order"])
    await nango.batch_save([order], "Order")
    [batch] = events.of("batch")
    text = json.dumps(batch["records"][0])
    assert '"total": 1001,' in text and '"qty": 2,' in text and '"prices": [1, 2.5]' in text
    assert '"by_code": {"a": 3}' in text and '"note": "1.0"' in text and '"tip": 7}, "tip": 4}' in text
    assert '"total": 0.5' in text


def test_plain_dict_batches_are_judged_valid_exactly_as_the_model_judges_them():
    """The fast check of plain-dict batches (no model instances built, issue 18) against the
    model's own validation, on models with aliases, strict types, dates, literals, nested and
    self-referencing models, extra keys allowed or not; model validators keep the model's path."""
    from typing import Annotated, Literal

    from pydantic import Strict, model_validator

    from nango_tui.sdk.records import _ModelCodec, _valid_dicts

    strict = ConfigDict(strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    class Tag(BaseModel):
        model_config = strict
        name: str

    class Node(BaseModel):
        model_config = strict
        id: str
        children: list[Node] = Field(default_factory=list)

    class Rich(BaseModel):
        model_config = strict
        id: str
        count: int | None = None
        when: Annotated[datetime, Strict(False)] | None = None
        kind: Literal["a", "b"] = "a"
        tags: list[Tag] = Field(default_factory=list)
        email_address: str | None = Field(default=None, alias="emailAddress")

    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        __pydantic_extra__: dict[str, float]
        id: str

    class Checked(BaseModel):
        id: str

        @model_validator(mode="after")
        def never_x(self) -> Checked:
            if self.id == "x":
                raise ValueError("x is refused")
            return self

    Node.model_rebuild()
    good = {"id": "1", "count": 2, "when": "2024-01-01T00:00:00Z", "kind": "b", "tags": [{"name": "t"}]}
    cases = {
        Rich: [
            [good],
            [good, {"id": "2", "emailAddress": "a@b"}, {"id": "3", "email_address": "c@d"}],
            [dict(good, count="2")],  # strict: no text for an int
            [dict(good, when="not a date")],
            [dict(good, kind="c")],
            [dict(good, tags=[{"name": 1}])],
            [dict(good, unknown=1)],
            [{"count": 1}],
            [good, "not a record"],
            [Rich(id="m"), good],
        ],
        Node: [
            [{"id": "1", "children": [{"id": "2", "children": []}]}],
            [{"id": "1", "children": [{"id": 2}]}],
        ],
        Loose: [[{"id": "1", "score": 1.5}], [{"id": "1", "score": "high"}]],
        Checked: [[{"id": "ok"}], [{"id": "x"}]],
    }
    for cls, batches in cases.items():
        codec = _ModelCodec(cls)
        assert (codec.dicts is None) == (cls is Checked)
        for batch in batches:
            try:
                codec.many.validate_python(batch)
                valid = True
            except ValidationError:
                valid = False
            plain = all(type(r) is dict for r in batch)
            assert _valid_dicts(codec.dicts, batch) == (valid and plain and cls is not Checked), (cls, batch)
