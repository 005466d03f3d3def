"""The checked nango.yaml as frozen dataclasses: a Project of integrations, scripts and models.

Plain dataclasses, not pydantic models: the loader checks every value itself, and importing
pydantic and building these classes cost the workbench's first frame ~0.1 s (issue 18)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from .types import Field, TypeNode

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_Built = TypeVar("_Built")
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def checked(cls: type[_Built], **values: Any) -> _Built:
    """An instance of `cls` from values the loader has already checked, every field given.

    What the constructor makes, without a frozen dataclass's `object.__setattr__` per field: a
    big nango.yaml builds 100,000 of these. A field left out is a KeyError, never a silent default.
    """
    return built(cls, values)


def built(cls: type[_Built], values: dict[str, Any]) -> _Built:
    """`checked` given the fields as a new dict (the loader's hot paths write it out in the fields'
    order: no keyword call, and the dict becomes the instance's as it is)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    obj: _Built = _new(cls)
    _set(obj, "__dict__", values if tuple(values) == names else {name: values[name] for name in names})
    return obj


_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    method: str
    path: str
    group: str | None = None
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, kw_only=True)
class Script:
    """What syncs and actions share."""

    integration: str
    name: str
    description: str = ""
    version: str | None = None
    scopes: list[str] = dataclasses.field(default_factory=list)
    input: str | None = None
    endpoints: list[Endpoint] = dataclasses.field(default_factory=list)
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


@dataclass(frozen=True, kw_only=True)
class Sync(Script):
    runs: str = ""
    runs_seconds: int = 0
    output: list[str] = dataclasses.field(default_factory=list)
    sync_type: Literal["full", "incremental"] = "full"
    track_deletes: bool = False
    auto_start: bool = True
    webhook_subscriptions: list[str] = dataclasses.field(default_factory=list)

    @property
    def kind(self) -> str:
        return "sync"


@dataclass(frozen=True, kw_only=True)
class Action(Script):
    output: list[str] = dataclasses.field(default_factory=list)

    @property
    def kind(self) -> str:
        return "action"


@dataclass(frozen=True, kw_only=True)
class Integration:
    key: str
    syncs: dict[str, Sync] = dataclasses.field(default_factory=dict)
    actions: dict[str, Action] = dataclasses.field(default_factory=dict)
    on_events: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    line: int = 1
    column: int = 1

    def scripts(self) -> list[Sync | Action]:
        return [*self.syncs.values(), *self.actions.values()]


@dataclass(frozen=True, kw_only=True)
class ModelDef:
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


@dataclass(frozen=True, kw_only=True)
class Project:
    """A loaded nango.yaml. `root` is the integrations folder."""

    root: Path
    config_file: str = "nango.yaml"
    integrations: dict[str, Integration] = dataclasses.field(default_factory=dict)
    models: dict[str, ModelDef] = dataclasses.field(default_factory=dict)

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
