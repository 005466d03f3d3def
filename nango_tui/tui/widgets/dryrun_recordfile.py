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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

_MODEL = re.compile(rb'"model":\s*"([^"]*)"')
_LINE_HEAD = re.compile(rb'\{"op":"[^"]*","model":"([^"]*)"')  # how the child starts each line


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


@dataclass
class ModelHits:
    """What a search found in one model: the first matches as (position in the model, op,
    record), how many records of the model matched, how many the model has in the file."""

    model: str
    found: list[tuple[int, str, Any]] = field(default_factory=list)
    matches: int = 0
    scanned: int = 0


def _marker(model: str) -> bytes:
    return b',"model":' + json.dumps(model, ensure_ascii=False).encode("utf-8") + b',"record":'


def search_file(path: Path, needle: str, limit: int, models: Iterable[str] = ()) -> dict[str, ModelHits]:
    """The records of the run, every model, whose JSON line contains `needle` (case-insensitive;
    field names count too), by model: the first `limit` matches of each, and counts.

    `models` are the run's models (the pane's tally): each gets its record count even without a
    match. A match in a model not named there is still found (its records before the chunk it
    first matched in are then counted by reading that part again). The file is read in chunks; finding, counting and lower-casing run in C
    (bytes methods), so Python works only per match: 100,000 records take well under a second.
    """
    wanted = needle.lower().encode("utf-8")
    hits: dict[str, ModelHits] = {m: ModelHits(m) for m in models}
    markers = {m: _marker(m) for m in hits}
    try:
        handle = open(path, "rb")
    except OSError:
        return hits
    with handle:
        offset = 0  # of the chunk in the file
        for chunk in _line_chunks(handle):
            found_in = set(hits)
            _search_chunk(chunk, wanted, limit, hits, markers)
            if offset:
                for model in hits.keys() - found_in:  # first seen here: count its earlier records
                    _count_before(path, markers[model], offset, hits[model])
            offset += len(chunk)
    return hits


def _line_chunks(handle: BinaryIO, stop: int | None = None) -> Iterator[bytes]:
    """The file in chunks of whole lines (a last line without its newline is still being written)."""
    rest = b""
    read = 0
    while stop is None or read < stop:
        block = handle.read(SEARCH_CHUNK if stop is None else min(SEARCH_CHUNK, stop - read))
        read += len(block)
        chunk = rest + block
        end = chunk.rfind(b"\n") + 1
        chunk, rest = chunk[:end], chunk[end:]
        if chunk:
            yield chunk
        if not block:
            break


def _count_before(path: Path, marker: bytes, offset: int, hit: ModelHits) -> None:
    """Add the records of `hit`'s model in the file's first `offset` bytes to its places."""
    before = 0
    with open(path, "rb") as handle:
        for chunk in _line_chunks(handle, offset):
            before += chunk.count(marker)
    hit.scanned += before
    hit.found[:] = [(place + before, op, record) for place, op, record in hit.found]


def _search_chunk(
    chunk: bytes, wanted: bytes, limit: int, hits: dict[str, ModelHits], markers: dict[str, bytes]
) -> None:
    lower = chunk.lower()
    counted = dict.fromkeys(hits, 0)  # per model: where its `scanned` was counted up to
    head = _LINE_HEAD.match
    find, rfind = lower.find, chunk.rfind
    at = find(wanted) if wanted else -1
    while at >= 0:
        start = rfind(b"\n", 0, at) + 1
        stop = find(b"\n", at)
        line = head(chunk, start)
        if line is not None:
            model = line.group(1).decode("utf-8", "replace")
            hit = hits.get(model)
            if hit is None:
                hit = hits[model] = ModelHits(model)
                markers[model] = _marker(model)
                counted[model] = 0
            hit.matches += 1
            if len(hit.found) < limit:  # its place is needed: count the model's records before it
                hit.scanned += chunk.count(markers[model], counted[model], start)
                counted[model] = start
                try:
                    item = json.loads(chunk[start:stop])
                except ValueError:
                    item = {}
                hit.found.append((hit.scanned, str(item.get("op", "save")), item.get("record")))
        at = find(wanted, stop + 1)
    for model, hit in hits.items():
        hit.scanned += chunk.count(markers[model], counted[model])
