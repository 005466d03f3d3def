"""The checked nango.yaml as pydantic objects: a Project of integrations, scripts and models."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar
from typing import Literal as TLiteral

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from .types import Field, TypeNode

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


_Built = TypeVar("_Built", bound=_Frozen)
_FIELD_NAMES: dict[type[_Frozen], tuple[str, ...]] = {}


def checked(cls: type[_Built], **values: Any) -> _Built:
    """An instance of `cls` from values the loader has already checked, every field given.

    What `model_construct` makes (no validation, the fields in their declared order), without
    its walk over each field's aliases and defaults: a big nango.yaml builds 100,000 of these.
    A field left out is a KeyError, never a silent default.
    """
    names = _FIELD_NAMES.get(cls)
    if names is None:
        assert not cls.__private_attributes__ and not cls.__pydantic_post_init__
        assert all(f.alias is None and f.validation_alias is None for f in cls.model_fields.values())
        names = _FIELD_NAMES[cls] = tuple(cls.model_fields)
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(obj, "__dict__", {name: values[name] for name in names})
    setattr_(obj, "__pydantic_fields_set__", set(names))
    setattr_(obj, "__pydantic_extra__", None)
    setattr_(obj, "__pydantic_private__", None)
    return obj


class Endpoint(_Frozen):
    method: str
    path: str
    group: str | None = None
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class Script(_Frozen):
    """What syncs and actions share."""

    integration: str
    name: str
    description: str = ""
    version: str | None = None
    scopes: list[str] = PField(default_factory=list)
    input: str | None = None
    endpoints: list[Endpoint] = PField(default_factory=list)
    line: int = 1
    column: int = 1

    @property
    def kind(self) -> str:
        raise NotImplementedError

    @property
    def folder(self) -> str:
        return "syncs" if self.kind == "sync" else "actions"

    @property
    def script_path(self) -> str:
        """Path of the script relative to the integrations folder."""
        return f"{self.integration}/{self.folder}/{self.name}.py"


class Sync(Script):
    runs: str = ""
    runs_seconds: int = 0
    output: list[str] = PField(default_factory=list)
    sync_type: TLiteral["full", "incremental"] = "full"
    track_deletes: bool = False
    auto_start: bool = True
    webhook_subscriptions: list[str] = PField(default_factory=list)

    @property
    def kind(self) -> str:
        return "sync"


class Action(Script):
    output: list[str] = PField(default_factory=list)

    @property
    def kind(self) -> str:
        return "action"


class Integration(_Frozen):
    key: str
    syncs: dict[str, Sync] = PField(default_factory=dict)
    actions: dict[str, Action] = PField(default_factory=dict)
    on_events: dict[str, list[str]] = PField(default_factory=dict)
    line: int = 1
    column: int = 1

    def scripts(self) -> list[Sync | Action]:
        return [*self.syncs.values(), *self.actions.values()]


class ModelDef(_Frozen):
    """A model: its own fields as written, and all fields once `__extends` is merged."""

    name: str
    declared: tuple[Field, ...] = ()
    fields: tuple[Field, ...] = ()  # merged: extended models' fields first, own fields win
    extends: tuple[str, ...] = ()
    extra: TypeNode | None = None  # `__string: T`
    line: int = 1
    column: int = 1

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


class Project(_Frozen):
    """A loaded nango.yaml. `root` is the integrations folder."""

    root: Path
    config_file: str = "nango.yaml"
    integrations: dict[str, Integration] = PField(default_factory=dict)
    models: dict[str, ModelDef] = PField(default_factory=dict)

    def scripts(self) -> list[Sync | Action]:
        return [s for i in self.integrations.values() for s in i.scripts()]

    def find_script(self, name: str, integration: str | None = None) -> list[Script]:
        """Syncs and actions called `name` (in one integration when given)."""
        return [
            s
            for s in self.scripts()
            if s.name == name and (integration is None or s.integration == integration)
        ]

    def script_by_path(self, rel_path: str) -> Script | None:
        for s in self.scripts():
            if s.script_path == rel_path:
                return s
        return None
