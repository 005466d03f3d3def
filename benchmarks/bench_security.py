"""Hostile-size inputs (issue 10): a 10 MB nango.yaml validated, generate of 3,000 syncs / 20k models.

Run: .venv/bin/python benchmarks/bench_security.py [--mb 10]
Targets: a 10 MB nango.yaml validated (load + every check) < 2 s; generate of 3,000 syncs and
20,000 models "fast" (was 38 s). The peer measured in the same run is PyYAML itself: composing the
same text with its C loader (`yaml.compose`, CSafeLoader), the floor under our loader, and
`yaml.load` (CSafeLoader) building plain objects; the ratio says what our checks cost on top.
An alias bomb of 380 bytes is timed too (was 38 s and 2.3 GB).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def big_nango_yaml(target_bytes: int, fields: int = 6) -> tuple[str, int, int]:
    """A realistic nango.yaml of about `target_bytes`: integrations of 100 syncs, one model each,
    fields of every common type, every third model referring to the next."""
    lines = ["integrations:"]
    models: list[str] = []
    size = 0
    n = 0
    while size < target_bytes:
        if n % 100 == 0:
            lines.append(f"  integration-{n // 100}:")
            lines.append("    syncs:")
        block = [
            f"      sync-{n}:",
            "        runs: every hour",
            f"        description: Sync number {n} of the benchmark",
            f"        output: Model{n}",
            f"        endpoint: GET /things-{n}",
            "        sync_type: incremental",
        ]
        model = [f"  Model{n}:", "    id: string"]
        for f in range(fields):
            model.append(f"    field_{f}: string | null" if f % 2 else f"    field_{f}?: number")
        model.append(
            f"    state: OPEN | CLOSED\n    next?: Model{n + 1} | null"
            if n % 3 == 0
            else "    tags: string[]"
        )
        lines += block
        models += model
        size += sum(len(x) + 1 for x in block + model)
        n += 1
    models += [f"  Model{n}:", "    id: string"]
    return "\n".join(lines + ["models:"] + models) + "\n", n, n + 1


def generate_yaml(syncs: int, models: int) -> str:
    lines = ["integrations:"]
    for i in range(syncs):
        if i % 100 == 0:
            lines += [f"  integration-{i // 100}:", "    syncs:"]
        lines += [
            f"      sync-{i}:",
            "        runs: every hour",
            f"        output: Model{i}",
            f"        endpoint: GET /x-{i}",
        ]
    lines.append("models:")
    for m in range(models):
        lines += [
            f"  Model{m}:",
            "    id: string",
            "    name?: string | null",
            "    count: number",
            "    tags: string[]",
        ]
    return "\n".join(lines) + "\n"


def best(fn, repeat: int) -> float:
    """Best wall time of `repeat` runs (the CPU time of that run is in `best.cpu`)."""
    times = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    wall, best.cpu = min(times)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import yaml

    from nango_tui.codegen import generate
    from nango_tui.config import load_project, load_text

    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    text, syncs, models = big_nango_yaml(int(args.mb * 1024 * 1024))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nango.yaml").write_text(text)
        ours = best(lambda: load_project(root), args.repeat)
        ours_cpu = best.cpu
        result = load_project(root)
        assert result.ok, result.diagnostics[:3]
    compose = best(lambda: yaml.compose(text, Loader=yaml.CSafeLoader), args.repeat)
    plain = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.repeat)
    mb = len(text) / 1024 / 1024
    print(
        f"{mb:.1f} MB nango.yaml ({syncs} syncs, {models} models) validated: {ours:.2f} s "
        f"(CPU {ours_cpu:.2f} s; target < 2 s); "
        f"PyYAML compose (C) {compose:.2f} s = {ours / compose:.1f}x, yaml.load (C) {plain:.2f} s = {ours / plain:.1f}x"
    )

    bomb = "a0: &a0 [lol]\n" + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 9)
    )
    took = best(lambda: load_text(bomb), args.repeat)
    print(f"alias bomb of {len(bomb)} bytes refused in {took * 1000:.0f} ms")

    text = generate_yaml(3000, 20000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "nango.yaml").write_text(text)
        started, cpu = time.perf_counter(), time.process_time()
        report = generate(root)
        took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.ok, report.diagnostics[:3]
        print(
            f"generate of 3,000 syncs and 20,000 models ({len(text) / 1024 / 1024:.1f} MB): {took:.2f} s, CPU {took_cpu:.2f} s (was 38 s)"
        )


if __name__ == "__main__":
    main()
