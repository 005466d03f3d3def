"""Runtime + SDK throughput, in process: paginate 100,000 records (pages of 1,000) from a local
server and batch_save them validated, every event JSON-encoded as the dryrun child does.

    .venv/bin/python benchmarks/bench_runtime.py [RECORDS] [PAGE_SIZE]

Prints records/s for the whole loop, and the share spent validating + dumping records alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pydantic import BaseModel  # noqa: E402

from nango_tui.runtime.connections import Connection, Credentials  # noqa: E402
from nango_tui.runtime.context import RunContext  # noqa: E402
from nango_tui.sdk import NangoSync  # noqa: E402
from tests.support.http_server import LocalServer, Reply  # noqa: E402


class Contact(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str | None = None
    age: int | None = None
    active: bool = True


def make_pages(total: int, size: int) -> list[bytes]:
    pages = []
    for start in range(0, total, size):
        items = [
            {
                "id": str(i),
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f"u{i}@example.com",
                "age": i % 90,
            }
            for i in range(start, min(start + size, total))
        ]
        nxt = start + size
        pages.append(json.dumps({"results": items, "next": str(nxt) if nxt < total else None}).encode())
    return pages


async def run(server: LocalServer, total: int) -> tuple[float, int, int]:
    encode = json.JSONEncoder(separators=(",", ":")).encode
    sink = {"bytes": 0, "records": 0}

    def emit(event: dict) -> None:
        sink["bytes"] += len(encode(event))
        if event["type"] == "batch":
            sink["records"] += len(event["records"])

    conn = Connection(
        id="bench",
        integration="bench",
        provider="unauthenticated",
        base_url=server.url,
        credentials=Credentials("OAUTH2", access_token="tok_bench_0123456789"),
    )
    ctx = RunContext(
        root=REPO,
        integration="bench",
        script_name="contacts",
        kind="sync",
        environment="dev",
        connection=conn,
        emit=emit,
        models={"Contact": Contact},
        outputs=["Contact"],
        validation=True,
    )
    nango = NangoSync(ctx)
    started = time.perf_counter()
    async for page in nango.paginate(
        "/contacts",
        paginate={
            "type": "cursor",
            "cursor_path_in_response": "next",
            "cursor_name_in_request": "cursor",
            "response_path": "results",
        },
    ):
        await nango.batch_save(page, "Contact")
    seconds = time.perf_counter() - started
    await nango.aclose()
    return seconds, sink["records"], sink["bytes"]


def validate_only(pages: list[bytes]) -> float:
    from nango_tui.runtime.connections import Connection
    from nango_tui.sdk.records import RecordSink

    conn = Connection(id="bench", integration="bench", provider="unauthenticated")
    ctx = RunContext(
        root=REPO,
        integration="bench",
        script_name="c",
        kind="sync",
        environment="dev",
        connection=conn,
        emit=lambda e: None,
        models={"Contact": Contact},
        outputs=["Contact"],
    )
    sink = RecordSink(ctx)
    bodies = [json.loads(p)["results"] for p in pages]
    started = time.perf_counter()
    for body in bodies:
        _put(sink, body)
    seconds = time.perf_counter() - started
    seen = sink.seen[("save", "Contact")]
    validate_only.seen_bytes = (  # type: ignore[attr-defined]
        sys.getsizeof(seen.frozen) + sys.getsizeof(seen.recent) + sum(sys.getsizeof(h) for h in seen.recent)
    )
    return seconds


def _put(sink, body) -> None:
    """Drive the coroutine by hand: RecordSink.put never awaits, so no event loop cost is counted."""
    coro = sink.put("save", body, "Contact")
    try:
        coro.send(None)
    except StopIteration:
        pass


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    pages = make_pages(total, size)

    with LocalServer() as server:

        def handler(req):
            index = int(req.arg("cursor") or 0) // size
            return Reply(200, pages[index], {"content-type": "application/json"})

        server.route("GET", "/contacts", handler)
        results = [asyncio.run(run(server, total)) for _ in range(3)]
    best = min(results)
    seconds, records, nbytes = best
    assert records == total, (records, total)
    print(f"paginate + batch_save (validated) + JSON-encoded events, {total:,} records, pages of {size:,}:")
    print(
        f"  best of 3: {seconds:.3f} s = {total / seconds:,.0f} records/s  ({nbytes / 1e6:.1f} MB of events)"
    )
    print(f"  all runs: {', '.join(f'{r[0]:.3f} s' for r in results)}")
    v = validate_only(pages)
    print(f"  validate + dump + dedupe alone: {v:.3f} s = {total / v:,.0f} records/s")
    seen = validate_only.seen_bytes  # type: ignore[attr-defined]
    print(
        f"  duplicate-id memory (the only per-record state kept): {seen / 1e6:.1f} MB = {seen / total:.0f} bytes/record"
    )
    for count in (10_000, 100_000):
        print(f"  tracemalloc peak of the loop, {count:,} records: {traced_peak(count, size) / 1e6:.1f} MB")


def traced_peak(total: int, size: int) -> int:
    """Peak traced memory of one run (the server's pages are built before tracing starts)."""
    import tracemalloc

    pages = make_pages(total, size)
    with LocalServer() as server:
        server.route(
            "GET",
            "/contacts",
            lambda req: Reply(
                200, pages[int(req.arg("cursor") or 0) // size], {"content-type": "application/json"}
            ),
        )
        tracemalloc.start()
        asyncio.run(run(server, total))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


if __name__ == "__main__":
    main()
