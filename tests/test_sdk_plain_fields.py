"""The plain-fields check (sdk/plain_fields.py): a batch it calls valid is one pydantic accepts,
for every kind of model it reads, and it reads the flat models nango-tui generates."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from nango_tui.sdk.records import _fields_validator


class Generated(BaseModel):  # as models.py's NangoModel (codegen)
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        protected_namespaces=(),
        defer_build=True,
    )
    id: str
    name: str | None
    count: int | None = None
    ratio: float = 0.0
    flag: bool = False
    value: Any = None
    anything: Any


class Lax(BaseModel):
    id: str
    count: int
    ratio: float | None = None
    flag: bool


class Allows(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str


class NotPlain(BaseModel):  # each field is outside what the check reads
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=3)
    aliased: int = Field(alias="Aliased")
    tags: list[str] = []

    @field_validator("id")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v


class NoNaN(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    ratio: float


class Short(BaseModel):
    model_config = ConfigDict(str_max_length=3)
    id: str


VALUES: list[Any] = [
    "a",
    "",
    "\ud800",
    0,
    1,
    -(2**70),
    2**70,
    1.5,
    float("nan"),
    float("inf"),
    True,
    False,
    None,
    [],
    {},
    b"x",
]


class _Str(str):
    pass


VALUES.append(_Str("sub"))


def _check(model: type[BaseModel]):
    return _fields_validator(TypeAdapter(list[model]).core_schema)[1]


def test_the_flat_models_it_reads_and_those_it_leaves_to_pydantic():
    assert _check(Generated) is not None and _check(Lax) is not None and _check(Allows) is not None
    assert _check(NotPlain) is None and _check(NoNaN) is None and _check(Short) is None


@pytest.mark.parametrize("model", [Generated, Lax, Allows])
def test_a_batch_called_valid_is_one_pydantic_accepts(model: type[BaseModel]):
    """Random records (each field's value of any type, or absent; keys the model does not have),
    alone and in batches: whenever the check says valid, pydantic accepts every record; and it
    does say so for the usual batch."""
    check = _check(model)
    assert check is not None
    adapter = TypeAdapter(list[model])
    rng = random.Random(18)
    likely = {"id": "a", "name": "n", "count": 1, "ratio": 1.5, "flag": True, "value": None, "anything": 2}
    said_valid = 0
    for _ in range(6000):
        record = {
            name: likely[name] if rng.random() < 0.85 else rng.choice(VALUES)
            for name in model.model_fields
            if rng.random() < 0.95
        }
        if rng.random() < 0.05:
            record["extra"] = rng.choice(VALUES)
        if check([record]):
            said_valid += 1
            adapter.validate_python([record])  # raises if the check was wrong
    assert said_valid > 20
    good = [
        {"id": f"c{i}", "name": "n", "count": 1, "ratio": 1.0, "flag": True, "anything": None}
        for i in range(50)
    ]
    good = [{k: v for k, v in r.items() if k in model.model_fields} for r in good]
    adapter.validate_python(good)
    assert check(good)
    for bad in ({**good[0], "id": 5}, {k: v for k, v in good[0].items() if k != "id"}):
        assert not check(good + [bad])
        with pytest.raises(ValidationError):
            adapter.validate_python([bad])


async def test_a_save_takes_the_check_and_still_reports_what_it_leaves_to_pydantic():
    """batch_save of plain records goes through the check; one invalid record still gets its
    `invalid` event, worded by pydantic."""
    from nango_tui.sdk import NangoSync
    from tests.support.runtime_ctx import make_ctx

    ctx, events = make_ctx("http://127.0.0.1:9", models={"Generated": Generated})
    nango = NangoSync(ctx)
    rows = [{"id": f"c{i}", "name": None, "anything": 1} for i in range(10)]
    await nango.batch_save(rows, "Generated")
    await nango.batch_save(rows + [{"id": 5, "name": "x", "anything": 1}], "Generated")
    [invalid] = events.of("invalid")
    assert invalid["record"]["id"] == 5 and "id" in invalid["errors"][0]["path"]
    assert sum(len(e["records"]) for e in events.of("batch")) == 21
