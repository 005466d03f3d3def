"""Inferred models as nango.yaml text, and the mapping functions from the API's JSON to them."""

from __future__ import annotations

from nango_tui.codegen.models_py import py_literal
from nango_tui.codegen.naming import model_class_name

from .schema import InferredField, InferredModel, snake_name


def field_type_text(f: InferredField) -> str:
    return f"{f.type} | null" if f.nullable else f.type


def model_yaml(model: InferredModel, indent: str, step: str) -> list[str]:
    """The lines of one model under `models:` (`indent` before its name, `indent + step` before fields)."""
    lines = [f"{indent}{model.name}:\n"]
    for f in model.fields:
        mark = "?" if f.optional else ""
        lines.append(f"{indent}{step}{f.name}{mark}: {field_type_text(f)}\n")
    if not model.fields:
        lines[0] = f"{indent}{model.name}: {{}}\n"
    return lines


def mapper_name(model: str) -> str:
    return "to_" + snake_name(model)


def _value(f: InferredField, raw: str) -> str:
    """The expression for one field's value, read from `raw[...]` (known present)."""
    get = f"{raw}[{py_literal(f.source)}]"
    if f.ref is None:
        return get
    fn = mapper_name(f.ref)
    built = f"[{fn}(item) for item in {get}]" if f.is_list else f"{fn}({get})"
    return f"{built} if {get} is not None else None" if f.nullable else built


def mapping_source(models: list[InferredModel], described: str) -> str:
    """`to_<model>(raw) -> Model` for each model (nested ones first), with the import they need."""
    classes = [model_class_name(m.name) for m in models]
    out = [
        f"# Mapping from the API's JSON to the models, inferred by `nango-tui infer` from {described}.",
        f"from models import {', '.join(sorted(set(classes)))}",
    ]
    for model, cls in zip(models, classes):
        out += ["", "", f"def {mapper_name(model.name)}(raw: dict) -> {cls}:"]
        out.append(f'    """One item of the API\'s JSON as a {cls}."""')
        required = [f for f in model.fields if not f.optional]
        optional = [f for f in model.fields if f.optional]
        if not required and not optional:
            out.append(f"    return {cls}.model_validate({{}})")
            continue
        out.append("    record = {")
        for f in required:
            out.append(f"        {py_literal(f.name)}: {_value(f, 'raw')},")
        out.append("    }")
        for f in optional:
            out.append(f"    if {py_literal(f.source)} in raw:  # absent from some records")
            out.append(f"        record[{py_literal(f.name)}] = {_value(f, 'raw')}")
        out.append(f"    return {cls}.model_validate(record)")
    return "\n".join(out) + "\n"
