"""Schema inference speed: `infer` over 100,000 records.

Run: .venv/bin/python benchmarks/bench_infer.py [N]
Target (issue 17): inference over 100,000 records < 2 s. The records are HubSpot-shaped contacts
(5 fields + 8-9 nested properties, ISO dates, nullables, an enum, an optional key), made by
tests/fixtures/infer/make_recordings.py. For scale, the same run times `json.loads` of the same
records (the cost of merely reading them) and, where it is installed (`pip install genson`),
genson's SchemaBuilder, a JSON Schema inference library, on the same records.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nango_tui.infer.render import mapping_source, model_yaml  # noqa: E402
from nango_tui.infer.schema import infer_models  # noqa: E402
from tests.fixtures.infer.make_recordings import big  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    records = big(n)
    text = json.dumps(records)
    print(f"{n:,} records, {len(text) / 1e6:.1f} MB of JSON")

    def ours() -> None:
        inference = infer_models(records, "HubspotContact")
        for m in inference.models:
            model_yaml(m, "  ", "  ")
        mapping_source(inference.models, "bench")

    times = timed(ours, 5)
    ours_median = statistics.median(times)
    print(
        f"infer (schema + nango.yaml + mapping), median of 5: {ours_median * 1000:.0f} ms  (target < 2000 ms)"
    )
    loads = statistics.median(timed(lambda: json.loads(text), 5))
    print(
        f"json.loads of the same records, median of 5: {loads * 1000:.0f} ms  (ours {ours_median / loads:.2f}x)"
    )
    try:
        from genson import SchemaBuilder
    except ImportError:
        print("genson is not installed: `pip install genson` to time it in the same run")
        return

    def peer() -> None:
        builder = SchemaBuilder()
        for record in records:
            builder.add_object(record)
        builder.to_schema()

    genson = statistics.median(timed(peer, 3))
    print(
        f"genson SchemaBuilder on the same records, median of 3: {genson * 1000:.0f} ms  (ours {genson / ours_median:.1f}x faster)"
    )


if __name__ == "__main__":
    main()
