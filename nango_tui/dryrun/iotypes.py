"""Action input/output types from nango.yaml names, and models.py loaded by path."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_PRIMITIVES: dict[str, Any] = {
    "string": str,
    "number": float,
    "float": float,
    "integer": int,
    "int": int,
    "boolean": bool,
    "bool": bool,
    "date": str,
    "Date": str,
    "object": dict,
    "any": Any,
    "null": None,
    "undefined": None,
}

_counter = itertools.count()


class ModelsError(Exception):
    """models.py is missing or does not load; the message says what to do."""


def load_models(root: Path, *, as_module: str | None = None) -> dict[str, type]:
    """The MODELS of `<root>/models.py` (model name -> pydantic class).

    `as_module` imports it under that name (the child uses "models", as scripts do);
    otherwise it is loaded under a fresh private name so a long-lived parent never sees
    a stale copy.
    """
    path = root / "models.py"
    if not path.is_file():
        raise ModelsError(f"{path.name} is missing in {root}: run `nango-tui generate` first")
    name = as_module or f"_nango_tui_models_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken models.py is the user's to fix: say where
        sys.modules.pop(name, None)
        raise ModelsError(
            f"models.py does not load: {type(exc).__name__}: {exc} (run `nango-tui generate`)"
        ) from None
    finally:
        if as_module is None:
            sys.modules.pop(name, None)
    models = getattr(module, "MODELS", None)
    if isinstance(models, dict):
        return dict(models)
    from pydantic import BaseModel

    return {
        k: v
        for k, v in vars(module).items()
        if isinstance(v, type) and issubclass(v, BaseModel) and v is not BaseModel and v.__module__ == name
    }


def python_type(type_name: str, models: dict[str, type]) -> Any:
    """The Python type for a nango.yaml input/output name: a model, `Model[]`, or a primitive."""
    text = type_name.strip()
    if text.endswith("[]"):
        return list[python_type(text[:-2], models)]  # type: ignore[misc]
    if text in models:
        return models[text]
    if text in _PRIMITIVES:
        return _PRIMITIVES[text]
    raise ModelsError(f"the model {text} is not in models.py: run `nango-tui generate`")


def adapter(type_name: str, models: dict[str, type]) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(python_type(type_name, models))


def format_validation_error(exc: Exception, limit: int = 5) -> str:
    """`field.path: message; ...` for a pydantic ValidationError (first `limit` errors)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    items = errors(include_url=False)
    for err in items[:limit]:
        path = ".".join(str(p) for p in err.get("loc", ())) or "(the value)"
        parts.append(f"{path}: {err.get('msg', 'invalid')}")
    if len(items) > limit:
        parts.append(f"and {len(items) - limit} more")
    return "; ".join(parts)


MAX_OUTPUT_DEPTH = 200


def json_problem(value: Any, where: str = "output") -> str | None:
    """Why `value` cannot be sent as JSON (a cycle, nesting deeper than MAX_OUTPUT_DEPTH, a set,
    bytes, an object...), naming the place; None when it can. Iterative: any depth is safe."""
    from datetime import date, datetime
    from enum import Enum

    from pydantic import BaseModel

    todo: list[tuple[Any, str, int, tuple[int, ...]]] = [(value, where, 0, ())]
    while todo:
        item, path, depth, parents = todo.pop()
        if len(path) > 120:
            path = path[:100] + "…"
        if depth > MAX_OUTPUT_DEPTH:
            return f"{path} nests more than {MAX_OUTPUT_DEPTH} levels deep"
        if item is None or isinstance(item, (str, bool, int, float, datetime, date, Enum, BaseModel)):
            continue
        if isinstance(item, (dict, list, tuple)):
            if id(item) in parents:
                return f"{path} contains itself (a cycle)"
            inner = (*parents, id(item))
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, (str, int, float, bool)) and key is not None:
                        return f"{path} has a key of type {type(key).__name__}, which JSON cannot hold"
                    todo.append((sub, f"{path}.{key}", depth + 1, inner))
            else:
                todo.extend((sub, f"{path}[{i}]", depth + 1, inner) for i, sub in enumerate(item))
            continue
        return f"{path} is a {type(item).__name__}, which is not JSON"
    return None


def to_jsonable(value: Any) -> Any:
    """A model / list of models / plain value as JSON-ready data (by alias, unset fields left out)."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def check_input_text(text: str, adapter: Any, type_name: str) -> tuple[Any, str | None]:
    """An input typed in an editor: (its value, None) or (what was parsed, the problem): not
    JSON with line and column, or not matching `type_name` (validated by the pydantic `adapter`
    when there is one). Empty text is `None`. The dryrun and action dialogs both check this way."""
    import json

    try:
        value = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if adapter is not None:
        from pydantic import ValidationError

        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            return value, f"does not match {type_name}: {format_validation_error(exc)}"
    return value, None
