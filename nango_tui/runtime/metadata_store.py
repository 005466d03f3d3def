"""Where set_metadata/update_metadata persist: the Nango server, or a local overlay file.

A connections.yaml connection's metadata changes go to `.nango/metadata.json`
({env: {integration: {connection_id: metadata}}}); later runs read it over connections.yaml's
`metadata` (`read_overlay`). A Nango server connection's go to the server (`POST` / `PATCH
/connection/metadata`, as Nango's SDK does). A replay (`test`, `--replay`) persists nothing.

The file keeps what the user wrote, never what a `${VAR}` expanded to: every part of the saved
metadata that is still connections.yaml's value at the same place is saved as connections.yaml
writes it (`as_written`), and a later run expands it again (`as_run_sees`). What a script sets
is saved as the script gave it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

OVERLAY = ".nango/metadata.json"
MAX_OVERLAY_BYTES = 16 * 1024 * 1024


def _read(root: Path) -> dict[str, Any]:
    path = Path(root) / OVERLAY
    try:
        if path.stat().st_size > MAX_OVERLAY_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_overlay(root: Path, environment: str, integration: str, connection_id: str) -> dict[str, Any] | None:
    """The metadata a run left for a local connection, or None when no run set any."""
    found = _read(root).get(environment, {})
    found = found.get(integration, {}) if isinstance(found, dict) else {}
    value = found.get(connection_id) if isinstance(found, dict) else None
    return value if isinstance(value, dict) else None


def write_overlay(
    root: Path, environment: str, integration: str, connection_id: str, metadata: dict[str, Any]
) -> Path:
    """Keep `metadata` for a local connection (atomic replace of the overlay file). Raises
    PathOutsideFolder when `.nango` leads out of the folder (a symlink): nothing is written."""
    from ..config.names import inside_folder

    path = inside_folder(root, OVERLAY)
    data = _read(root)
    data.setdefault(environment, {}).setdefault(integration, {})[connection_id] = metadata
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (True is not 1; a mapping's order does not matter)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _swap_matching(value: Any, match: Any, replacement: Any) -> Any:
    """`value` with each part equal to `match` at the same place replaced by `replacement`'s."""
    if _same(value, match):
        return replacement
    if isinstance(value, dict) and isinstance(match, dict) and isinstance(replacement, dict):
        return {
            k: _swap_matching(v, match[k], replacement[k]) if k in match and k in replacement else v
            for k, v in value.items()
        }
    return value


def as_written(value: Any, expanded: Any, written: Any) -> Any:
    """`value` with each part still equal to connections.yaml's metadata (`expanded`: after
    `${VAR}` expansion) at the same place replaced by that part as written (`written`)."""
    return _swap_matching(value, expanded, written)


def as_run_sees(stored: Any, written: Any, expanded: Any) -> Any:
    """The saved metadata `stored` with each part saved as connections.yaml writes it
    (`written`) at the same place expanded again (`expanded`): `as_written` undone."""
    return _swap_matching(stored, written, expanded)


async def store_metadata(ctx: Any, metadata: dict[str, Any], how: str, given: dict[str, Any]) -> str:
    """Persist a metadata change; returns where it went (for a debug log)."""
    connection = ctx.connection
    if ctx.replayer is not None:
        return "replay: kept in memory only"
    if getattr(connection, "source", "file") == "nango" and connection.nango_host:
        import httpx

        body = {"connection_id": connection.id, "provider_config_key": ctx.integration, "metadata": given}
        from .http import tls_context

        async with httpx.AsyncClient(timeout=ctx.http_timeout, verify=tls_context()) as client:
            response = await client.request(
                "POST" if how == "set" else "PATCH",
                f"{connection.nango_host}/connection/metadata",
                json=body,
                headers={"Authorization": f"Bearer {connection.nango_secret_key}"},
            )
        if response.status_code >= 400:
            from .errors import ConnectionProblem

            raise ConnectionProblem(
                ctx.redactor.text(
                    f"the Nango server refused {how}_metadata ({response.status_code}): {response.text[:300]}"
                )
            )
        return f"saved on the Nango server {connection.nango_host}"
    from ..config.names import PathOutsideFolder

    if connection.metadata_as_written is not None:
        metadata = as_written(metadata, connection.metadata, connection.metadata_as_written)
    try:
        path = write_overlay(ctx.root, ctx.environment, ctx.integration, connection.id, metadata)
    except PathOutsideFolder as exc:
        from .errors import ConnectionProblem

        raise ConnectionProblem(f"{how}_metadata was not saved: {exc}") from None
    return f"saved in {path.relative_to(ctx.root) if path.is_relative_to(ctx.root) else path}"
