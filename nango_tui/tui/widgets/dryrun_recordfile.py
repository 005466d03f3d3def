"""Random access to a run's records file (`.nango/runs/*.jsonl`) by model and position.

The child writes one `{"op": ..., "model": ..., "record": {...}}` object a line. The index keeps
only byte offsets per model (8 bytes a record in an `array`), so paging through a million
records costs ~8 MB and reads one page of lines at a time. No Textual here; the pane calls it
from a thread worker.
"""

from __future__ import annotations

import json
import re
from array import array
from pathlib import Path

_MODEL = re.compile(rb'"model":\s*"([^"]*)"')


class RecordsFileIndex:
    """Offsets of the records of each model in a (possibly still growing) records file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offsets: dict[str, array] = {}
        self._scanned = 0  # bytes indexed so far (always at a line start)

    def update(self) -> None:
        """Index the complete lines written since the last call."""
        try:
            handle = open(self.path, "rb")
        except OSError:
            return
        with handle:
            handle.seek(self._scanned)
            position = self._scanned
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # the child is still writing this one
                model = _model_of(line)
                if model is not None:
                    self._offsets.setdefault(model, array("q")).append(position)
                position += len(line)
            self._scanned = position

    def count(self, model: str) -> int:
        return len(self._offsets.get(model, ()))

    def read(self, model: str, start: int, n: int) -> list[tuple[str, dict]]:
        """Records `start` .. `start + n - 1` of `model` as (op, record)."""
        offsets = self._offsets.get(model)
        if not offsets or start >= len(offsets):
            return []
        rows: list[tuple[str, dict]] = []
        with open(self.path, "rb") as handle:
            for offset in offsets[start : start + n]:
                handle.seek(offset)
                try:
                    item = json.loads(handle.readline())
                except ValueError:
                    continue
                rows.append((str(item.get("op", "save")), item.get("record")))
        return rows


def _model_of(line: bytes) -> str | None:
    # the child writes `{"op":...,"model":"Name","record":...}`: the first "model" key is the line's
    match = _MODEL.search(line, 0, 200)
    return match.group(1).decode("utf-8", "replace") if match else None


SEARCH_CHUNK = 8 << 20  # bytes read (and lower-cased) at a time


def search_file(
    path: Path, model: str, needle: str, limit: int
) -> tuple[list[tuple[int, str, dict]], int, int]:
    """The records of `model` whose JSON line contains `needle` (case-insensitive; field names
    count too): the first `limit` as (position in the model, op, record), the number of matching
    records, the number of records of `model` scanned.

    The file is read in chunks; finding, counting and lower-casing run in C (bytes methods), so
    Python works only per match: 100,000 records take well under a second.
    """
    wanted = needle.lower().encode("utf-8")
    marker = b',"model":' + json.dumps(model, ensure_ascii=False).encode("utf-8") + b',"record":'
    found: list[tuple[int, str, dict]] = []
    matches = before = 0  # records of `model` before the current chunk
    try:
        handle = open(path, "rb")
    except OSError:
        return [], 0, 0
    with handle:
        rest = b""
        while True:
            block = handle.read(SEARCH_CHUNK)
            chunk = rest + block
            end = chunk.rfind(b"\n") + 1  # complete lines only (the child may be writing one)
            chunk, rest = chunk[:end], chunk[end:]
            if chunk:
                lower = chunk.lower()
                counted = 0  # where `before` was counted up to in this chunk
                at = lower.find(wanted) if wanted else -1
                while at >= 0:
                    start = chunk.rfind(b"\n", 0, at) + 1
                    stop = chunk.find(b"\n", at)
                    if chunk.find(marker, start, min(stop, start + 300)) >= 0:
                        before += chunk.count(marker, counted, start)
                        counted = start
                        matches += 1
                        if len(found) < limit:
                            try:
                                item = json.loads(chunk[start:stop])
                            except ValueError:
                                item = {}
                            found.append((before, str(item.get("op", "save")), item.get("record")))
                    at = lower.find(wanted, stop + 1)
                before += chunk.count(marker, counted)
            if not block:
                break
    return found, matches, before
