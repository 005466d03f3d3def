"""`nango-tui compile` on a generated project of 100 realistic small scripts.

Run: .venv/bin/python benchmarks/bench_compile.py
Target (issue 5): a cold `compile` of all 100 scripts as a whole process < 1 s.
Also prints the in-process check time sequential vs in worker processes (why compile only uses
a process pool for large projects: check.project.PARALLEL_MIN_SCRIPTS).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

INTEGRATIONS = 10
SYNCS_PER_INTEGRATION = 7
ACTIONS_PER_INTEGRATION = 3

SYNC_TEMPLATE = '''\
"""Sync {name} of {key}: every {path} changed since the last run."""

from datetime import datetime, timezone

from nango_tui.sdk import NangoSync

from models import {model}


def to_record(item: dict) -> {model}:
    return {model}(id=str(item["id"]), name=item.get("name") or "", updated_at=item["updated_at"])


async def fetch_data(nango: NangoSync) -> None:
    since = nango.last_sync_date or datetime(2020, 1, 1, tzinfo=timezone.utc)
    await nango.log(f"fetching {path} since {{since.isoformat()}}")
    params = {{"updated_since": since.isoformat(), "limit": 100}}
    paginate = {{"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}}
    saved = 0
    async for page in nango.paginate("/{path}", params=params, paginate=paginate):
        records = [to_record(item) for item in page if item.get("id")]
        if records:
            await nango.batch_save(records, "{model}")
            saved += len(records)
    await nango.log(f"saved {{saved}} records")
'''

ACTION_TEMPLATE = '''\
"""Action {name} of {key}."""

from nango_tui.sdk import ActionError, NangoAction

from models import {input}, {model}


async def run_action(nango: NangoAction, input: {input}) -> {model}:
    response = await nango.get(f"/{path}/{{input.id}}")
    if response.status_code == 404:
        raise ActionError({{"message": "not found", "id": input.id}})
    data = response.json()
    return {model}(id=str(data["id"]), name=data.get("name") or "")
'''


def make_project(root: Path) -> list[str]:
    """nango.yaml with 100 scripts, generated models, and a realistic script for each; returns their paths."""
    from nango_tui.codegen import generate

    lines = ["integrations:"]
    models = ["models:"]
    scripts: dict[str, str] = {}
    for i in range(INTEGRATIONS):
        key = f"svc{i:02}"
        lines += [f"  {key}:", "    syncs:"]
        models += [f"  Svc{i:02}Id:", "    id: string"]
        for j in range(SYNCS_PER_INTEGRATION):
            model, path = f"Svc{i:02}Item{j}", f"items-{j}"
            lines += [
                f"      items-{j}:",
                "        runs: every hour",
                f"        output: {model}",
                f"        endpoint: GET /{key}/{path}",
            ]
            models += [f"  {model}:", "    id: string", "    name: string", "    updated_at: date"]
            scripts[f"{key}/syncs/items-{j}.py"] = SYNC_TEMPLATE.format(
                name=f"items-{j}", key=key, path=path, model=model
            )
        lines.append("    actions:")
        for k in range(ACTIONS_PER_INTEGRATION):
            model, path = f"Svc{i:02}Result{k}", f"thing-{k}"
            lines += [
                f"      get-thing-{k}:",
                f"        input: Svc{i:02}Id",
                f"        output: {model}",
                f"        endpoint: GET /{key}/{path}",
            ]
            models += [f"  {model}:", "    id: string", "    name: string"]
            scripts[f"{key}/actions/get-thing-{k}.py"] = ACTION_TEMPLATE.format(
                name=f"get-thing-{k}", key=key, path=path, model=model, input=f"Svc{i:02}Id"
            )
    (root / "nango.yaml").write_text("\n".join(lines + models) + "\n")
    for rel, text in scripts.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    report = generate(root)
    assert report.ok, report.diagnostics
    return sorted(scripts)


def process_times(cmd: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"compile failed:\n{proc.stdout}{proc.stderr}")
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    from nango_tui.check import compile_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scripts = make_project(root)
        result = compile_project(root)
        assert result.diagnostics == [], [d.format() for d in result.diagnostics[:5]]
        print(
            f"project: {len(scripts)} scripts, {sum(len((root / s).read_text().splitlines()) for s in scripts)} lines, models.py {len((root / 'models.py').read_text().splitlines())} lines"
        )

        cmd = [sys.executable, "-m", "nango_tui", "compile", "--dir", str(root)]
        times = process_times(cmd, 9)
        print(
            f"`nango-tui compile` (100 scripts), whole process: median {ms(statistics.median(times))}, max {ms(max(times))}  (target < 1 s)"
        )
        help_times = process_times([sys.executable, "-m", "nango_tui", "--help"], 5)
        print(f"  for scale, `nango-tui --help` as a process: median {ms(statistics.median(help_times))}")

        in_process(root, len(scripts))
    global INTEGRATIONS
    INTEGRATIONS *= 4
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        in_process(root, len(make_project(root)))


def in_process(root: Path, count: int) -> None:
    """Sequential vs a process pool of 2, in-process (the pool's cost against what it saves)."""
    from nango_tui.check import compile_project

    for jobs in (1, 2):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            compile_project(root, jobs=jobs)
            runs.append(time.perf_counter() - start)
        print(
            f"in-process compile_project, {count} scripts, jobs={jobs}: median {ms(statistics.median(runs))}"
        )


if __name__ == "__main__":
    main()
