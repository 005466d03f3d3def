"""Compare an inferred model with one of nango.yaml, field by field, up to union order."""

from __future__ import annotations

from dataclasses import dataclass

from nango_tui.config import ModelDef
from nango_tui.config import types as T

from .render import field_type_text
from .schema import InferredModel


@dataclass(frozen=True)
class FieldShape:
    """A field as compared: its name, the members of its type (order ignored) and `?`."""

    name: str
    members: frozenset[str]
    optional: bool


def _members(node: T.TypeNode) -> frozenset[str]:
    if isinstance(node, T.UnionOf):
        return frozenset(
            T.describe(m) for m in node.members if not (isinstance(m, T.Literal) and m.undefined)
        )
    return frozenset({T.describe(node)})


def declared_shape(model: ModelDef) -> dict[str, FieldShape]:
    """nango.yaml's model (its `__extends` merged) as field shapes by name."""
    return {
        f.name: FieldShape(f.name, _members(f.type), f.optional or T.allows_undefined(f.type))
        for f in model.fields
    }


def inferred_shape(model: InferredModel, model_names: set[str]) -> dict[str, FieldShape]:
    """The inferred model as field shapes by name."""
    return {
        f.name: FieldShape(f.name, _members(T.parse_type_text(field_type_text(f), model_names)), f.optional)
        for f in model.fields
    }


def same_fields(declared: ModelDef, inferred: InferredModel, model_names: set[str]) -> bool:
    return declared_shape(declared) == inferred_shape(inferred, model_names)
