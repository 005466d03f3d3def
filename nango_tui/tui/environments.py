"""Which environments and connections the project knows (no secret ever leaves here)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

_SECRET_VAR = re.compile(r"^NANGO_SECRET_KEY_([A-Z0-9_]+)$")


def _dotenv_names(root: Path) -> list[str]:
    try:
        lines = (root / ".env").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line.split("=", 1)[0].strip().removeprefix("export ").strip() for line in lines if "=" in line]


def list_environments(root: Path) -> list[str]:
    """`dev` first, then the environments of connections.yaml and of NANGO_SECRET_KEY_<ENV> variables."""
    found: list[str] = ["dev"]
    try:
        data = yaml.load(
            (root / "connections.yaml").read_text(encoding="utf-8"),
            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
        )
    except (OSError, yaml.YAMLError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("environments"), dict):
        found.extend(str(name) for name in data["environments"])
    for name in [*os.environ, *_dotenv_names(root)]:
        match = _SECRET_VAR.match(name)
        if match:
            found.append(match.group(1).lower())
    return list(dict.fromkeys(found))
