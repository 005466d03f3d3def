"""codegen: models.py (pydantic v2 classes), .nango/schema.json, script scaffolding and `init`."""

from .generate import MODELS_FILE, SCHEMA_FILE, GenerateReport, generate, orphaned_scripts, write_atomic
from .init import InitError, InitReport, init_project
from .models_py import class_names, is_hand_edited, render_models
from .scaffold import scaffold_source
from .schema import project_schema, render_schema

__all__ = [
    "MODELS_FILE",
    "SCHEMA_FILE",
    "GenerateReport",
    "InitError",
    "InitReport",
    "class_names",
    "generate",
    "init_project",
    "is_hand_edited",
    "orphaned_scripts",
    "project_schema",
    "render_models",
    "render_schema",
    "scaffold_source",
    "write_atomic",
]
