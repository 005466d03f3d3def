"""The model type language: text to typed tree."""

from __future__ import annotations

import pytest

from nango_tui.config.types import (
    NULL,
    UNDEFINED,
    ArrayOf,
    InlineObject,
    Invalid,
    Literal,
    ModelRef,
    Primitive,
    UnionOf,
    allows_undefined,
    describe,
    parse_type_text,
    referenced_models,
)

MODELS = {"Contact", "Address", "Boolean"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("string", Primitive("string")),
        ("String", Primitive("string")),
        ("number", Primitive("number")),
        ("float", Primitive("number")),
        ("integer", Primitive("integer")),
        ("int", Primitive("integer")),
        ("bool", Primitive("boolean")),
        ("boolean", Primitive("boolean")),
        ("date", Primitive("date")),
        ("Date", Primitive("date")),
        ("object", Primitive("object")),
        ("any", Primitive("any")),
        ("array", ArrayOf(Primitive("any"))),
        ("null", NULL),
        ("undefined", UNDEFINED),
        ("true", Literal(True)),
        ("false", Literal(False)),
        ("42", Literal(42)),
        ("1.5", Literal(1.5)),
        ("HOME", Literal("HOME")),
        ("Contact", ModelRef("Contact")),
        ("Contact[]", ArrayOf(ModelRef("Contact"))),
        ("string[][]", ArrayOf(ArrayOf(Primitive("string")))),
        # a model named like a primitive wins over the alias
        ("Boolean", ModelRef("Boolean")),
    ],
)
def test_single_words(text, expected):
    assert parse_type_text(text, MODELS) == expected


def test_union_with_null_and_literals():
    node = parse_type_text("WORK | HOME | null", MODELS)
    assert node == UnionOf((Literal("WORK"), Literal("HOME"), NULL))
    assert describe(node) == "WORK | HOME | null"


def test_union_with_undefined_is_optional():
    node = parse_type_text("string | undefined", MODELS)
    assert allows_undefined(node)
    assert not allows_undefined(parse_type_text("string | null", MODELS))


def test_union_of_models_and_arrays():
    node = parse_type_text("Contact[] | Address | null", MODELS)
    assert node == UnionOf((ArrayOf(ModelRef("Contact")), ModelRef("Address"), NULL))
    assert referenced_models(node) == {"Contact", "Address"}


@pytest.mark.parametrize(
    "text", ["Record<string, any>", "Array<string>", "string |", "| string", "[]", "Map<a,b>[]"]
)
def test_unsupported_syntax_is_invalid(text):
    node = parse_type_text(text, MODELS)
    members = node.members if isinstance(node, UnionOf) else (node,)
    flat = []
    for m in members:
        while isinstance(m, ArrayOf):
            m = m.item
        flat.append(m)
    assert any(isinstance(m, Invalid) for m in flat) or isinstance(node, Invalid)


def test_literal_with_parentheses_is_a_literal():
    # zoom.yaml: a recording type named "shared_screen_with_speaker_view(CC)"
    node = parse_type_text("shared_screen_with_speaker_view(CC) | audio_only", MODELS)
    assert node == UnionOf((Literal("shared_screen_with_speaker_view(CC)"), Literal("audio_only")))


def test_describe_inline_object():
    from nango_tui.config.types import Field

    node = InlineObject((Field("a", Primitive("string"), True, 1, 1),))
    assert describe(node) == "{a?: string}"
