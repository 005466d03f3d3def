"""The user's own keys: `keymap.yaml` maps binding ids (shown in F1 help) to keys."""

from __future__ import annotations

import os
from pathlib import Path


def keymap_path(environ: dict[str, str] | None = None) -> Path:
    """`$NANGO_TUI_KEYMAP`, else `$XDG_CONFIG_HOME/nango-tui/keymap.yaml` (~/.config by default)."""
    env = os.environ if environ is None else environ
    if env.get("NANGO_TUI_KEYMAP"):
        return Path(env["NANGO_TUI_KEYMAP"])
    base = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")).expanduser() / ".config")
    return base / "nango-tui" / "keymap.yaml"


def load_keymap(path: Path) -> tuple[dict[str, str], str | None]:
    """The mapping {binding id: "key,other_key"} and a message saying what is wrong, if anything."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except OSError as err:
        return {}, f"{path}: cannot read it ({err.strerror or err})"
    import yaml  # here: without a keymap.yaml the workbench's start needs no PyYAML

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        return {}, f"{where}: not valid YAML ({getattr(err, 'problem', None) or err})"
    if data is None:
        return {}, None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        return {}, f"{path}: write one `binding-id: key` a line, e.g. `workbench.generate: ctrl+g`"
    return {k: v.strip() for k, v in data.items()}, None


def unknown_ids(keymap: dict[str, str], known: set[str]) -> list[str]:
    """The ids of `keymap` that name no binding (a typo would otherwise be ignored silently)."""
    return sorted(k for k in keymap if k not in known)


def binding_ids() -> set[str]:
    """The id of every binding of the widgets and screens imported so far (for keymap.yaml)."""
    from textual.dom import DOMNode

    ids: set[str] = set()
    classes: list[type] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        ids.update(b.id for b in cls.__dict__.get("BINDINGS", []) if getattr(b, "id", None))
    return ids
