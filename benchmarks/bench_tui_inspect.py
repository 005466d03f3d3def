"""Opening the request inspector on a 5 MB response body; searching 100,000 records of a run.

    .venv/bin/python benchmarks/bench_tui_inspect.py [--runs N]

1. A request event whose response body is 5 MB of JSON (as a recording or a future larger
   bound could give; the runtime's events carry at most 64 KiB of a body): the time from
   pushing the inspector to its first frame drawn (App.run_test, 120x40).
   Bodies over 1 MB are shown as they came (folded, not indented: Python's indenting JSON
   encoder would take seconds); `end` then jumps to the last line.
2. A run's records file of 100,000 records of two models (the child's format, ~120 bytes a
   record): the time `/` takes in the Records tab to find one record among all of them (every
   model is searched at once), and a needle every record matches (the first 1,000 of each model
   are loaded), the search's own function timed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual.app import App  # noqa: E402

from nango_tui.tui.screens.inspector_screen import Copy, RequestInspector  # noqa: E402
from nango_tui.tui.widgets.dryrun_recordfile import search_file  # noqa: E402

TCSS = REPO / "nango_tui" / "tui" / "app.tcss"
MODELS = ["Contact", "Ticket"]  # the records file alternates batches of 1,000 of each


def big_event(megabytes: float = 5.0) -> dict:
    items = []
    size = 0
    while size < megabytes * 1_000_000:
        item = {"id": f"id{len(items)}", "name": f"Name {len(items)}", "tags": ["a", "b"], "n": len(items)}
        items.append(item)
        size += len(json.dumps(item, separators=(",", ":"))) + 1
    body = json.dumps({"items": items}, separators=(",", ":"))
    return {
        "type": "request",
        "method": "GET",
        "url": "https://api.example.com/items",
        "status": 200,
        "ms": 120.0,
        "bytes": len(body),
        "attempt": 1,
        "request_headers": {"authorization": "***", "accept": "application/json"},
        "request_body": None,
        "response_headers": {"content-type": "application/json"},
        "response_body": body,
    }


class Bench(App):
    CSS_PATH = [str(TCSS)]


async def inspector_once(event: dict) -> tuple[float, float]:
    app = Bench()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        screen = RequestInspector(event, "Request 1", [Copy("c", "Response body", event["response_body"])])
        await app.push_screen(screen)
        await pilot.pause()  # one frame
        first = time.perf_counter() - started
        started = time.perf_counter()
        await pilot.press("end")  # the last lines
        await pilot.pause()
        end = time.perf_counter() - started
    return first, end


def records_file(folder: Path, n: int) -> Path:
    path = folder / "run.jsonl"
    with open(path, "w") as out:
        for i in range(n):
            record = {
                "id": f"c{i}",
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f"p{i}@example.com",
            }
            out.write(
                json.dumps(
                    {"op": "save", "model": MODELS[(i // 1000) % 2], "record": record}, separators=(",", ":")
                )
                + "\n"
            )
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for label, event in (("1 KB", big_event(0.001)), ("5 MB", big_event())):
        firsts, ends = [], []
        for _ in range(args.runs):
            first, end = asyncio.run(inspector_once(event))
            firsts.append(first * 1000)
            ends.append(end * 1000)
        print(
            f"inspector on a {label} body ({len(event['response_body']):,} bytes): first frame median "
            f"{statistics.median(firsts):.0f} ms (min {min(firsts):.0f}, max {max(firsts):.0f}); "
            f"end (to the body's last line) median {statistics.median(ends):.0f} ms"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = records_file(Path(tmp), 100_000)
        print(f"records file: 100,000 records, {path.stat().st_size / 1e6:.1f} MB")
        for needle in ("last99999", "first"):
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                hits = search_file(path, needle, 1000, MODELS)
                times.append((time.perf_counter() - started) * 1000)
                found = [f for hit in hits.values() for f in hit.found]
                matches = sum(hit.matches for hit in hits.values())
                scanned = sum(hit.scanned for hit in hits.values())
            print(
                f"search {needle!r}: {matches:,} of {scanned:,} match, {len(found):,} loaded: "
                f"median {statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f})"
            )


if __name__ == "__main__":
    main()
