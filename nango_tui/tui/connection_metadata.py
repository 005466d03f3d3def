"""The metadata a dryrun of a connections.yaml connection starts from, for the dryrun dialog.

A run reads `.nango/metadata.json` (what earlier runs set with set_metadata/update_metadata,
`runtime.metadata_store.read_overlay`) over connections.yaml's `metadata`, as the SDK does; the
dialog shows which one the next run gets when its Metadata field is left empty. connections.yaml's
values are shown as written: a `${VAR}` reference stays a reference (never its value). The overlay
holds what the run had, expanded: the value of any variable the connection references is shown
as its `${VAR}` again, and a value under a secret-sounding key (`tui.masking.is_secret_name`) as
`***`. No Textual here: the dialog calls it from a thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nango_tui.tui.masking import MASK, is_secret_name

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

OVERLAY, CONFIGURED, NONE = "overlay", "connections.yaml", "none"


@dataclass(frozen=True)
class ConnectionMetadata:
    """What a run of one connection gets as metadata, and from where (OVERLAY, CONFIGURED, NONE)."""

    metadata: dict[str, Any] | None
    source: str
    configured: dict[str, Any] | None = None  # connections.yaml's, shown beside an overlay


def connection_metadata(
    root: Path, environment: str, integrations: dict[str, str]
) -> dict[str, ConnectionMetadata]:
    """Per connection id of connections.yaml in `environment` (`integrations`: id -> integration):
    the metadata its next run starts from. Connections of a Nango server are not listed."""
    from nango_tui.runtime.local_env import connection_entries
    from nango_tui.runtime.local_env import environment as variables_of
    from nango_tui.runtime.metadata_store import read_overlay

    entries, _ = connection_entries(Path(root), environment)
    variables: dict[str, str] | None = None
    out: dict[str, ConnectionMetadata] = {}
    for entry in entries:
        integration = integrations.get(entry.id) or str(entry.data.get("integration") or "")
        configured = entry.data.get("metadata")
        configured = _shown(dict(configured), {}) if isinstance(configured, dict) and configured else None
        overlay = read_overlay(Path(root), environment, integration, entry.id) if integration else None
        if overlay is not None:
            if variables is None:
                variables = variables_of(Path(root))
            names = set(_VAR.findall(repr(entry.data)))
            values = {variables[n]: n for n in names if variables.get(n)}
            out[entry.id] = ConnectionMetadata(_shown(overlay, values), OVERLAY, configured)
        elif configured is not None:
            out[entry.id] = ConnectionMetadata(configured, CONFIGURED)
        else:
            out[entry.id] = ConnectionMetadata(None, NONE)
    return out


def _shown(value: Any, variables: dict[str, str], key: str = "") -> Any:
    """`value` with secret-named keys' values masked and referenced variables' values as `${VAR}`."""
    if key and is_secret_name(key):
        return MASK
    if isinstance(value, dict):
        return {k: _shown(v, variables, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v, variables) for v in value]
    if isinstance(value, str):
        for secret, name in sorted(variables.items(), key=lambda item: -len(item[0])):
            value = value.replace(secret, "${" + name + "}")
    return value
