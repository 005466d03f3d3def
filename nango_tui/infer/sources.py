"""Where records to infer from come from: a run's records file, or a recording's responses.

- A run: `.nango/runs/<stamp>-<integration>-<name>.jsonl`, one `{"op", "model", "record"}` a
  line (written by the dryrun). Saved and updated records count; deletes (ids only) do not.
- A recording: `<integration>/mocks/<name>.json` (`dryrun --save-responses`). Its responses
  are the API's raw JSON: in each 2xx JSON body the array of objects that holds the most
  items (Salesforce `records`, Stripe `data`, a GraphQL `data.issues.nodes`, a top-level
  list...) is taken to be the records, the same path across every page; a body without such an
  array is one record itself (an action's answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nango_tui.runtime.errors import MocksFileError
from nango_tui.runtime.recording import load_mocks, mocks_path

MAX_RECORDS = 1_000_000  # more than this many records in one source: the rest is left out
MAX_SEARCH_DEPTH = 12  # how deep in a response body the records array is looked for
MAX_LINE_BYTES = 64 << 20


class SourceError(Exception):
    """No usable records: the message says where it looked and what to do."""


class NoRecords(SourceError):
    """The source is fine but holds no records (an action's run, a run that saved nothing)."""


@dataclass
class RecordSource:
    """Records to infer from, and where they came from (for the user)."""

    records: list[dict[str, Any]]
    described: str  # "the run .nango/runs/... (Contact: 24 records)" / "the recording ... path `records`"
    path: Path
    raw: bool  # True for an API's raw responses (field names need mapping), False for a run's records
    model: str | None = None  # the model a run saved the records as
    truncated: bool = False


def latest_run_file(root: Path, integration: str, name: str) -> Path | None:
    """The newest records file of one script, or None."""
    runs = Path(root) / ".nango" / "runs"
    suffix = f"-{integration}-{name}.jsonl"
    try:
        candidates = sorted(p for p in runs.iterdir() if p.name.endswith(suffix) and p.is_file())
    except OSError:
        return None
    return candidates[-1] if candidates else None


def from_run_file(path: Path, model: str | None = None) -> RecordSource:
    """The saved/updated records of one run (of `model`, or of the model most records were saved as)."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    truncated = False
    total = 0
    try:
        with open(path, "rb") as lines:
            for number, line in enumerate(lines, 1):
                if len(line) > MAX_LINE_BYTES:
                    raise SourceError(f"{path}:{number}: a line of more than {MAX_LINE_BYTES >> 20} MiB")
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except RecursionError:
                    raise SourceError(f"{path}:{number}: the JSON nests too deeply to read") from None
                except ValueError:
                    raise SourceError(
                        f"{path}:{number}: not a JSON line; is this a dryrun records file?"
                    ) from None
                if not isinstance(entry, dict) or entry.get("op") == "delete":
                    continue
                record = entry.get("record")
                if not isinstance(record, dict):
                    continue
                if total >= MAX_RECORDS:
                    truncated = True
                    break
                by_model.setdefault(str(entry.get("model") or "Record"), []).append(record)
                total += 1
    except OSError as err:
        raise SourceError(f"cannot read {path}: {err.strerror or err}") from None
    if not by_model:
        raise NoRecords(f"{path} holds no saved records; run the script until it saves some")
    chosen = model if model in by_model else max(by_model, key=lambda m: len(by_model[m]))
    records = by_model[chosen]
    return RecordSource(
        records,
        f"the run {path.name} ({chosen}: {len(records)} records)",
        path,
        raw=False,
        model=chosen,
        truncated=truncated,
    )


def _arrays(value: object, path: tuple[str, ...], depth: int, out: dict[tuple[str, ...], list[Any]]) -> None:
    """Every array of objects inside `value`, by key path (arrays inside arrays are not searched)."""
    if depth > MAX_SEARCH_DEPTH:
        return
    if isinstance(value, list):
        if any(isinstance(item, dict) for item in value[:16]):
            out.setdefault(path, []).extend(item for item in value if isinstance(item, dict))
        return
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, (dict, list)):
                _arrays(child, (*path, str(key)), depth + 1, out)


def records_in_bodies(bodies: list[object]) -> tuple[list[dict[str, Any]], tuple[str, ...] | None]:
    """The records in a list of response bodies, and the key path they were found at (None: whole bodies)."""
    arrays: dict[tuple[str, ...], list[Any]] = {}
    for body in bodies:
        _arrays(body, (), 0, arrays)
    if arrays:
        path = max(arrays, key=lambda p: (len(arrays[p]), -len(p)))
        return arrays[path][:MAX_RECORDS], path
    return [b for b in bodies if isinstance(b, dict)][:MAX_RECORDS], None


def _load_mocks(path: Path) -> dict[str, Any]:
    try:
        return load_mocks(path)
    except MocksFileError as err:
        raise SourceError(str(err)) from None
    except RecursionError:
        raise SourceError(f"{path}: the JSON nests too deeply to read") from None


def from_recording(path: Path) -> RecordSource:
    """The records in a recording's successful JSON responses."""
    mocks = _load_mocks(path)
    bodies = [
        ex.get("body")
        for ex in mocks["exchanges"]
        if 200 <= ex["status"] < 300
        and ex.get("body_encoding") is None
        and isinstance(ex.get("body"), (dict, list))
    ]
    records, where = records_in_bodies(bodies)
    if not records:
        raise SourceError(
            f"{path}: no JSON object in its successful responses; record a run that fetches some "
            "(`nango-tui dryrun NAME CONNECTION --save-responses`)"
        )
    at = "the whole responses" if where is None else ("the top-level list" if not where else ".".join(where))
    return RecordSource(
        records,
        f"the recording {path.name} ({len(records)} records at {at}, {len(bodies)} responses)",
        path,
        raw=True,
    )


def from_recorded_results(path: Path, model: str | None = None) -> RecordSource:
    """The records (or an action's output) a recording saved as the run's result (`expected`)."""
    mocks = _load_mocks(path)
    saved = mocks.get("expected")
    expected: dict[str, Any] = saved if isinstance(saved, dict) else {}
    by_model = {
        str(name): [r for r in records if isinstance(r, dict)][:MAX_RECORDS]
        for name, records in (expected.get("records") or {}).items()
        if isinstance(records, list)
    }
    by_model = {name: records for name, records in by_model.items() if records}
    if by_model:
        chosen = model if model in by_model else max(by_model, key=lambda m: len(by_model[m]))
        records = by_model[chosen]
        return RecordSource(
            records,
            f"the results saved in {path.name} ({chosen}: {len(records)} records)",
            path,
            False,
            chosen,
        )
    output = expected.get("output")
    items = [output] if isinstance(output, dict) else [o for o in output or [] if isinstance(o, dict)]
    if not items:
        raise NoRecords(f"{path} saved no records and no object output to infer from")
    return RecordSource(items, f"the output saved in {path.name}", path, raw=False)


def recording_path(root: Path, integration: str, name: str) -> Path:
    return mocks_path(root, integration, name)
