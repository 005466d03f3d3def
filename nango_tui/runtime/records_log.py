"""The records a run saved, as the runs after it see them (get_records_by_ids, track_deletes).

A dryrun writes every record to `.nango/runs/<stamp>-<integration>-<name>.jsonl` as
{"op", "model", "record"} lines. `.nango/runs/latest.json` names, per environment, integration,
script and connection, the file of the last run that ended well. `fold` replays such a file
into the records it leaves (save replaces, update merges its fields, delete removes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LATEST = ".nango/runs/latest.json"
MAX_INDEX_BYTES = 4 * 1024 * 1024


def _key(environment: str, integration: str, script: str, connection_id: str) -> str:
    return json.dumps([environment, integration, script, connection_id])


def _read_index(root: Path) -> dict[str, Any]:
    path = Path(root) / LATEST
    try:
        if path.stat().st_size > MAX_INDEX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def latest_run_file(
    root: Path, environment: str, integration: str, script: str, connection_id: str
) -> Path | None:
    """The records file of the last good run of this script on this connection, if it still exists."""
    name = _read_index(root).get(_key(environment, integration, script, connection_id))
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = Path(root) / ".nango" / "runs" / name
    return path if path.is_file() else None


def remember_run(
    root: Path, environment: str, integration: str, script: str, connection_id: str, records_file: Path
) -> None:
    """Note `records_file` as the last good run of this script on this connection."""
    path = Path(root) / LATEST
    index = _read_index(root)
    index[_key(environment, integration, script, connection_id)] = Path(records_file).name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index), encoding="utf-8")
    os.replace(tmp, path)


def read_lines(path: Path) -> Iterable[dict[str, Any]]:
    """The {"op", "model", "record"} items of a records file (unreadable lines skipped)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and isinstance(item.get("record"), dict):
                yield item


def fold(items: Iterable[dict[str, Any]], model: str | None = None) -> dict[str, dict[str, Any]]:
    """model -> {str(id): record} after applying every save/update/delete in order."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name = item.get("model")
        if model is not None and name != model:
            continue
        record = item["record"]
        rid = record.get("id")
        if rid is None:
            continue
        key = str(rid)
        records = out.setdefault(str(name), {})
        op = item.get("op", "save")
        if op == "delete":
            records.pop(key, None)
        elif op == "update" and key in records:
            records[key] = {**records[key], **record}
        else:
            records[key] = record
    return out
