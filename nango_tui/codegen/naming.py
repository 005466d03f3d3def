"""Python names for nango.yaml's model and field names, and for the helpers models.py uses.

nango.yaml allows field names such as `from`, `self-link`, `2fa` or `$state`, and model names
such as `Field` or `str`. The generated module must still import, so every name it spells goes
through here: a model keeps its name as its class name whenever Python allows it, a field gets
a safe name plus an alias, and a helper (`str`, `Any`, `Field` ...) is spelled under another
name when a model took its name.
"""

from __future__ import annotations

import keyword
import re

# attributes of pydantic.BaseModel a field must not shadow
_BASEMODEL_ATTRS = frozenset(
    """construct copy dict from_orm json model_computed_fields model_config model_construct model_copy
    model_dump model_dump_json model_extra model_fields model_fields_set model_json_schema
    model_parametrized_name model_post_init model_rebuild model_validate model_validate_json
    model_validate_strings parse_file parse_obj parse_raw schema schema_json update_forward_refs
    validate""".split()
)

# module-level names models.py always defines itself
RESERVED_MODULE_NAMES = frozenset({"MODELS"})

_NON_WORD = re.compile(r"[^0-9A-Za-z_]")


def identifier_from(text: str, prefix: str) -> str:
    """`self-link` -> `self_link`, `2fa` -> `<prefix>2fa`; never empty, never a keyword."""
    name = text if text.isidentifier() and text.isascii() else _NON_WORD.sub("_", text)
    name = name.lstrip("_")
    if not name or name[0].isdigit():
        name = prefix + name
    if keyword.iskeyword(name):
        name += "_"
    return name


class NameTable:
    """Allocates unique module-level names: model classes first, then nested and helper names."""

    def __init__(self) -> None:
        self.taken: set[str] = set(RESERVED_MODULE_NAMES)

    def claim(self, wanted: str) -> str:
        name = wanted
        n = 2
        while name in self.taken:
            name = f"{wanted}_{n}"
            n += 1
        self.taken.add(name)
        return name

    def helper(self, wanted: str) -> str:
        """A helper's spelling: its own name, or `_name` (`__name` ...) when a class took it."""
        name = wanted
        while name in self.taken:
            name = "_" + name
        self.taken.add(name)
        return name


def model_class_name(model: str) -> str:
    """The class name wanted for a model (the table makes it unique)."""
    if model.isidentifier() and not keyword.iskeyword(model) and model not in RESERVED_MODULE_NAMES:
        return model
    return identifier_from(model, "Model_") if model not in RESERVED_MODULE_NAMES else model + "_"


def field_names(names: list[str], forbidden: set[str]) -> list[str]:
    """Safe attribute names for a class's fields, in order; `forbidden` are module names annotations use."""
    out: list[str | None] = [None] * len(names)
    used: set[str] = set()

    def ok(name: str) -> bool:
        return (
            name not in used
            and name not in forbidden
            and name not in _BASEMODEL_ATTRS
            and not keyword.iskeyword(name)
        )

    # names that are already fine keep themselves first, so `from_` never steals `from_`'s name
    for i, name in enumerate(names):
        if name.isidentifier() and name.isascii() and not name.startswith("_") and ok(name):
            out[i] = name
            used.add(name)
    for i, name in enumerate(names):
        if out[i] is not None:
            continue
        safe = identifier_from(name, "field_")
        while not ok(safe):
            safe += "_"
        out[i] = safe
        used.add(safe)
    return [n for n in out if n is not None]
