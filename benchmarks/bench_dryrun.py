"""dryrun speed and memory. Prints its figures; run from the repository root:

    .venv/bin/python benchmarks/bench_dryrun.py [--json-only | --small-only]

1. whole-command time of `nango-tui dryrun` on a small sync (7 records, 3 pages, local server),
   and of Nango's CLI on the same sync written in TypeScript, in the same run, when it is
   installed, in both of its modes: zero-yaml (`mkdir -p /tmp/nangocli && cd /tmp/nangocli &&
   npm install nango@0.69`, or NANGO_CLI=path/to/nango) and nango.yaml (0.69.14, the reference
   version: `mkdir -p /tmp/nangocli14 && cd /tmp/nangocli14 && npm install nango@0.69.14`, or
   NANGO_CLI_YAML); target: ours >= 10x faster than the faster of them;
2. throughput: 100,000 records in pages of 1,000 from a local server, saved validated
   (`--validation`), end to end through the real command, target >= 50,000 records/s; and the
   same through `dryrun --json` (every record on stdout), target >= 100,000 records/s, with the
   local API serving prepared pages (the same bytes; a real API spends none of this machine's
   CPU) and, alternated run by run, building each page on demand (as before session 7);
3. the child's peak RSS at 10,000 and 100,000 records: it must not grow with the record count.
   Measured as the child's own VmHWM (reported in `done` as peak_rss_kib) and as ru_maxrss of
   children; on Linux the latter also counts the parent's RSS at fork, so the API serves pages
   built on demand to keep the parent flat.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from measure_env import cache_bytecode  # noqa: E402

from tests.support.dryrun_project import Api, write_project  # noqa: E402

NANGO_TUI = [sys.executable, "-m", "nango_tui"]

THROUGHPUT_SYNC = """\
from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    async for page in nango.paginate(endpoint="/contacts", paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}):
        await nango.batch_save(page, "Contact")
"""


_CPU_OF_COMMANDS: list[float] = []  # CPU (user+sys) of each `_command`'s processes


def _command(root: Path, *extra: str) -> float:
    before = _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*NANGO_TUI, "dryrun", "contacts", "local", "--dir", str(root), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    took = time.perf_counter() - started
    _CPU_OF_COMMANDS.append(_cpu(resource.RUSAGE_CHILDREN) - before)
    if done.returncode != 0:
        raise SystemExit(f"dryrun failed ({done.returncode}): {done.stderr}")
    return took


def small_sync(tmp: Path, runs: int = 7) -> float:
    with Api(total=7, page_size=3) as api:
        root = write_project(tmp / "small", api.url)
        _command(root)  # warm the page cache and .pyc files
        _CPU_OF_COMMANDS.clear()
        times = [_command(root) for _ in range(runs)]
    print(
        f"small sync (7 records, 3 pages), whole command: median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s over {runs} runs"
        f"; CPU of the command's processes median {statistics.median(_CPU_OF_COMMANDS):.3f} s; {_load()}"
    )
    return statistics.median(times)


NANGO_PROJECT = Path(__file__).parent / "nango_project"


class NangoApi(Api):
    """The same API behind an imitation of a Nango server, as Nango's CLI uses one: the
    connection and the integration (provider `github`: Nango's paginate wants a known provider
    template; the sync's cursor pagination is explicit), and `/proxy/<path>` to the API."""

    def _answer(self, request):
        from tests.support.dryrun_project import NANGO_SECRET, TOKEN

        if request.path.startswith("/proxy/"):
            if request.headers.get("authorization") != f"Bearer {NANGO_SECRET}":
                return (401, b"{}", {"content-type": "application/json"})
            request.path = request.path[len("/proxy") :]
            request.headers["authorization"] = f"Bearer {TOKEN}"
        elif request.path.startswith("/connection/"):
            request.path = "/connection/remote"
        reply = super()._answer(request)
        if request.path in ("/connection/remote", "/integrations/demo"):
            body = json.loads(reply.body)
            target = body.get("data", body)
            target["provider"] = "github"
            reply.body = json.dumps(body).encode()
        return reply


NANGO_PROJECT_YAML = Path(__file__).parent / "nango_project_yaml"


def nango_clis() -> dict[str, str]:
    """Nango's CLIs for the comparison, by mode: "zero-yaml" (0.69.50: NANGO_CLI or /tmp/nangocli,
    `npm install nango@0.69`) and "nango.yaml" (0.69.14, the reference version, which still runs
    nango.yaml projects: NANGO_CLI_YAML or /tmp/nangocli14, `npm install nango@0.69.14`)."""
    found = {}
    for mode, variable, default in (
        ("zero-yaml", "NANGO_CLI", "/tmp/nangocli/node_modules/.bin/nango"),
        ("nango.yaml", "NANGO_CLI_YAML", "/tmp/nangocli14/node_modules/.bin/nango"),
    ):
        path = os.environ.get(variable) or default
        if Path(path).exists():
            found[mode] = path
    return found


def _nango_project(tmp: Path, nango: str, mode: str) -> Path:
    """The small sync as a Nango project of that mode, Nango's own node_modules linked in."""
    project = tmp / f"nango-integrations-{mode}"
    (project / "demo" / "syncs").mkdir(parents=True)
    (project / ".nango").mkdir()
    if mode == "zero-yaml":
        (project / "demo" / "syncs" / "contacts.ts").write_text((NANGO_PROJECT / "contacts.ts").read_text())
        (project / "index.ts").write_text("import './demo/syncs/contacts.js';\n")
        for name in ("package.json", "tsconfig.json"):
            (project / name).write_text((NANGO_PROJECT / name).read_text())
    else:
        for name, target in (("nango.yaml", "nango.yaml"), ("contacts.ts", "demo/syncs/contacts.ts")):
            (project / target).write_text((NANGO_PROJECT_YAML / name).read_text())
        (project / "package.json").write_text(
            '{"name": "nango-integrations", "version": "1.0.0", "private": true, "devDependencies": {"nango": "0.69.14"}}\n'
        )
    modules = Path(nango).resolve().parent.parent.parent  # .../node_modules
    (project / "node_modules").symlink_to(modules)
    return project


def nango_small_sync(tmp: Path, nango: str, mode: str, runs: int = 3) -> float | None:
    """`nango dryrun contacts local -e dev` on the same sync in TypeScript (its dryrun compiles
    first, as it always does), against the same API behind the imitated Nango server."""
    from tests.support.dryrun_project import NANGO_SECRET

    project = _nango_project(tmp, nango, mode)
    with NangoApi(total=7, page_size=3) as api:
        env = {
            **os.environ,
            "NANGO_SECRET_KEY_DEV": NANGO_SECRET,
            "NANGO_HOSTPORT": api.url,
            "NANGO_CLI_UPGRADE_MODE": "ignore",
        }
        # `nango dryrun` reads the build's definitions before it compiles (again, timed below)
        subprocess.run(
            [nango, "compile"], cwd=project, env=env, capture_output=True, stdin=subprocess.DEVNULL
        )
        times, cpus = [], []
        for _ in range(runs + 1):  # the first run warms node's caches
            before = _cpu(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [nango, "dryrun", "contacts", "local", "-e", "dev"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=600,
            )
            times.append(time.perf_counter() - started)
            cpus.append(_cpu(resource.RUSAGE_CHILDREN) - before)
            if done.returncode != 0 or '"added": 7' not in done.stdout:  # the 7 records, or it failed
                print(
                    f"Nango's CLI ({mode}) dryrun failed ({done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-800:]}"
                )
                return None
    median = statistics.median(times[1:])
    print(
        f"Nango's CLI {mode} mode (`nango dryrun`, same sync in TypeScript), whole command: median {median:.3f} s over {runs} runs"
        f"; CPU median {statistics.median(cpus[1:]):.2f} s; {_load()}"
    )
    return median


def compare_with_nango(tmp: Path, ours: float) -> None:
    """Nango's CLI in each mode installed, and the ratio against the faster of them."""
    clis = nango_clis()
    if not clis:
        print(
            "Nango's CLI is not installed: `mkdir -p /tmp/nangocli && cd /tmp/nangocli && npm install nango@0.69`"
            " (zero-yaml) and/or `mkdir -p /tmp/nangocli14 && cd /tmp/nangocli14 && npm install nango@0.69.14`"
            " (nango.yaml mode), or set NANGO_CLI / NANGO_CLI_YAML, to compare"
        )
        return
    theirs = {mode: nango_small_sync(tmp, path, mode) for mode, path in clis.items()}
    measured = {mode: t for mode, t in theirs.items() if t}
    if measured:
        mode, fastest = min(measured.items(), key=lambda item: item[1])
        print(
            f"small sync: ours is {fastest / ours:.1f}x faster than Nango's CLI (its faster mode here: {mode}; target >= 10x)"
        )


def throughput(tmp: Path, total: int = 100_000, runs: int = 3) -> None:
    with Api(total=total, page_size=1000) as api:
        root = write_project(tmp / "big", api.url, contacts_sync=THROUGHPUT_SYNC)
        times = [_command(root, "--validation") for _ in range(runs)]
        best, median = min(times), statistics.median(times)
    print(
        f"throughput ({total:,} records, pages of 1,000, validated), whole command: median {median:.2f} s = {total / median:,.0f} records/s, best {best:.2f} s = {total / best:,.0f} records/s (target >= 50,000/s)"
    )


def throughput_json(tmp: Path, total: int = 100_000, runs: int = 3) -> None:
    """Issue 18's figure: `dryrun --json` (every event on stdout, here a pipe drained at once).

    The local API runs in this process, on the command's two cores. It serves the pages prepared
    before the runs (`PreparedApi`: the same bytes, built once; a real API spends no CPU of the
    machine that runs the command), and, alternated run by run, built on demand as before
    session 7 (`Api`: ~3 ms of this process's CPU a page of 1,000): both lines are printed."""
    from tests.support.dryrun_project import PreparedApi

    with PreparedApi(total=total, page_size=1000) as prepared, Api(total=total, page_size=1000) as built:
        figures = {}
        roots = {}
        for label, api in (("prepared", prepared), ("on demand", built)):
            roots[label] = write_project(
                tmp / f"big-json-{label.replace(' ', '-')}", api.url, contacts_sync=THROUGHPUT_SYNC
            )
            figures[label] = ([], [], [])
            _command(roots[label], "--json")  # fills the bytecode cache (measure_env.py) and the page cache
        for _ in range(runs):
            for label, root in roots.items():
                times, cpus, api_cpus = figures[label]
                before, api_before = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
                started = time.perf_counter()
                done = subprocess.run(
                    [*NANGO_TUI, "dryrun", "contacts", "local", "--dir", str(root), "--json"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                times.append(time.perf_counter() - started)
                cpus.append(_cpu(resource.RUSAGE_CHILDREN) - before)
                api_cpus.append(_cpu(resource.RUSAGE_SELF) - api_before)
                assert done.returncode == 0 and done.stdout.count(b"\n") > total // 1000, done.stderr
    for label, (times, cpus, api_cpus) in figures.items():
        best, median = min(times), statistics.median(times)
        print(
            f"`dryrun --json` ({total:,} records, pages of 1,000), whole command, the local API serving pages {label}: median {median:.2f} s = {total / median:,.0f} records/s, best {best:.2f} s = {total / best:,.0f} records/s (target >= 100,000/s)"
            f"; CPU (user+sys) of the command's processes: median {statistics.median(cpus):.2f} s, of the local API (this process): {statistics.median(api_cpus):.2f} s; {_load()}"
        )


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_peak(tmp: Path) -> None:
    figures = {}
    for total in (10_000, 100_000):
        out = subprocess.run(
            [sys.executable, __file__, "--child-peak", str(total), str(tmp / f"peak{total}")],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[total] = json.loads(out.stdout.strip().splitlines()[-1])
    for total, f in figures.items():
        print(
            f"child peak RSS at {total:,} records: own VmHWM {f['own_kib'] / 1024:.1f} MiB, ru_maxrss(children) {f['maxrss_kib'] / 1024:.1f} MiB"
            f" ({f['records']:,} records in {f['seconds']:.2f} s)"
        )
    grow = figures[100_000]["own_kib"] / figures[10_000]["own_kib"]
    print(f"child peak RSS 100k / 10k: {grow:.2f}x (must not grow with the record count)")


def _child_peak_main(total: int, folder: str) -> None:
    """Run in a fresh process so RUSAGE_CHILDREN holds only this dryrun's child."""
    import asyncio
    import resource

    from nango_tui.dryrun import DryrunRequest, start_dryrun

    with Api(total=total, page_size=1000) as api:
        root = write_project(Path(folder), api.url, contacts_sync=THROUGHPUT_SYNC)

        async def go() -> dict:
            run = await start_dryrun(DryrunRequest(root, "contacts", "local", validation=True))
            async for _ in run.events():
                pass
            return run.done

        started = time.perf_counter()
        done = asyncio.run(go())
        seconds = time.perf_counter() - started
    assert done["status"] == "ok", done
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "records": done["records"],
                "seconds": seconds,
                "maxrss_kib": peak,
                "own_kib": done.get("peak_rss_kib") or peak,
            }
        )
    )


def main() -> None:
    cache_bytecode()  # the commands run with their bytecode cached, as an installed program's
    if len(sys.argv) > 1 and sys.argv[1] == "--child-peak":
        _child_peak_main(int(sys.argv[2]), sys.argv[3])
        return
    if "--json-only" in sys.argv:  # issue 18's throughput figure alone
        with tempfile.TemporaryDirectory() as tmp:
            throughput_json(Path(tmp), runs=5)
        return
    if "--small-only" in sys.argv:  # issue 18's small-sync figure alone: ours, then Nango's CLI
        with tempfile.TemporaryDirectory() as tmp:
            compare_with_nango(Path(tmp), small_sync(Path(tmp)))
        return
    os.chdir(REPO)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores (shared machine: figures are noisy)")
    with tempfile.TemporaryDirectory() as tmp:
        compare_with_nango(Path(tmp), small_sync(Path(tmp)))
        throughput(Path(tmp))
        throughput_json(Path(tmp))
        child_peak(Path(tmp))


if __name__ == "__main__":
    main()
