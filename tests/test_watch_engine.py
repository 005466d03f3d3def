"""The dev engine against real file writes in a temporary folder.

Every test waits for the state it expects with a generous timeout (the machine may be loaded),
then asserts that state exactly.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from nango_tui.watch import DevEngine, DevUpdate
from tests.support.projects import CRM_ACTION as ACTION
from tests.support.projects import CRM_SYNC as SYNC
from tests.support.projects import CRM_YAML as YAML
from tests.support.projects import write_crm_project

TIMEOUT = 60.0  # only a failing test waits this long; a loaded machine may take a while
QUIET = 0.6  # long enough for a stray update to show up


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_crm_project(tmp_path)


async def until(updates, predicate, timeout: float = TIMEOUT) -> tuple[DevUpdate, list[DevUpdate]]:
    """The first update that satisfies `predicate`, and every update seen on the way."""
    seen: list[DevUpdate] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            last = seen[-1] if seen else None
            raise AssertionError(
                f"no matching update in {timeout} s; last: {last and [d.format() for d in last.diagnostics]} changed={last and last.changed}"
            )
        update = await asyncio.wait_for(anext(updates), remaining)
        seen.append(update)
        if predicate(update):
            return update, seen


async def no_update(updates, seconds: float = QUIET) -> None:
    try:
        update = await asyncio.wait_for(anext(updates), seconds)
    except TimeoutError:
        return
    raise AssertionError(
        f"unexpected update: changed={update.changed} {[d.format() for d in update.diagnostics]}"
    )


def state(update: DevUpdate) -> list[tuple[str, int, int, str]]:
    return sorted((d.file, d.line, d.column, d.code) for d in update.diagnostics)


async def test_initial_update_is_the_full_compile(root: Path):
    (root / ACTION).write_text('async def run_action(nango):\n    print("x")\n    return None\n')
    async with DevEngine(root) as engine:
        updates = engine.updates()
        first = await anext(updates)
        assert first.seq == 0 and first.changed == []
        assert state(first) == [(ACTION, 2, 5, "print_call")]
        assert first.project is not None and "crm" in first.project.integrations
        assert engine.current is first
        assert first.to_json() == {
            "diagnostics": [first.diagnostics[0].to_dict()],
            "changed": [],
            "ms": round(first.ms, 1),
        }


async def test_syntax_error_appears_and_disappears(root: Path):
    script = root / SYNC
    good = script.read_text()
    async with DevEngine(root) as engine:
        updates = engine.updates()
        assert state(await anext(updates)) == []
        script.write_text(good + "\ndef broken(:\n")
        broken, _ = await until(updates, lambda u: u.diagnostics)
        line = len(good.splitlines()) + 2
        assert state(broken) == [(SYNC, line, 12, "syntax_error")]
        assert broken.changed == [SYNC]
        assert 0 <= broken.ms < 10_000
        script.write_text(good)
        fixed, _ = await until(updates, lambda u: not u.diagnostics)
        assert fixed.changed == [SYNC]
        await no_update(updates)


async def test_atomic_rename_save_is_one_change_and_editor_files_are_ignored(root: Path):
    script = root / SYNC
    good = script.read_text()
    async with DevEngine(root) as engine:
        updates = engine.updates()
        await anext(updates)
        folder = script.parent
        # editor litter alone triggers nothing
        (folder / "4913").write_text("")
        (folder / "contacts.py~").write_text(good)
        (folder / ".contacts.py.swp").write_bytes(b"\0swap")
        (folder / ".#contacts.py").write_text("lock")
        (folder / "#contacts.py#").write_text("autosave")
        (root / ".nango").mkdir(exist_ok=True)
        (root / ".nango" / "state.json").write_text("{}")
        (folder / "__pycache__").mkdir()
        (folder / "__pycache__" / "contacts.cpython-311.pyc").write_bytes(b"x")
        await no_update(updates)
        # write a temp file, rename it over the script: one change, the script
        tmp = folder / ".contacts.py.tmp123"
        tmp.write_text(good + '\nprint("saved")\n')
        os.replace(tmp, script)
        update, seen = await until(updates, lambda u: u.diagnostics)
        assert len(seen) == 1
        assert update.changed == [SYNC]
        assert state(update) == [(SYNC, len(good.splitlines()) + 2, 1, "print_call")]
        await no_update(updates)


async def test_vim_style_save_by_renaming_the_original_away(root: Path):
    script = root / SYNC
    good = script.read_text()
    async with DevEngine(root) as engine:
        updates = engine.updates()
        await anext(updates)
        backup = script.with_name("contacts.py~")
        (script.parent / "4913").write_text("")
        (script.parent / "4913").unlink()
        os.rename(script, backup)
        script.write_text(good + "\nundefined_here\n")
        backup.unlink()
        update, seen = await until(
            updates, lambda u: u.diagnostics and all(d.code != "missing_script" for d in u.diagnostics)
        )
        assert state(update) == [(SYNC, len(good.splitlines()) + 2, 1, "undefined_name")]
        assert update.changed == [SYNC]
        assert len(seen) <= 2  # one; two only if the test itself stalled between the rename and the write
        await no_update(updates)


class StallClock:
    """Counts the writer's own stalls longer than the debounce: each may rightly split a burst
    (the machine is shared; the writer is a Python loop that the scheduler can pause)."""

    def __init__(self, debounce_s: float) -> None:
        self.debounce_s = debounce_s
        self.stalls = 0
        self._last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self._last > self.debounce_s:
            self.stalls += 1
        self._last = now


async def test_a_burst_of_300_files_ends_in_one_update_with_the_final_state(root: Path):
    async with DevEngine(root, debounce_ms=500) as engine:
        updates = engine.updates()
        await anext(updates)
        folder = root / "bulk" / "syncs"
        folder.mkdir(parents=True)
        clock = StallClock(0.5)
        for i in range(300):
            (folder / f"s{i:03}.py").write_text(f"async def fetch_data(nango):\n    await nango.log({i})\n")
            clock.tick()
        expected = sorted((f"bulk/syncs/s{i:03}.py", 1, 1, "orphan_script") for i in range(300))
        final, seen = await until(updates, lambda u: state(u) == expected)
        # one update, or one more if the writer stalled (counted) or the engine was mid-check
        assert len(seen) <= 2 + clock.stalls, [len(u.diagnostics) for u in seen]
        assert len(final.changed) >= 1 and all(p.split("/")[0] == "bulk" for p in final.changed)
        await no_update(updates)
        # ... and back: deleting the folder is one update too
        clock = StallClock(0.5)
        for path in folder.iterdir():
            path.unlink()
            clock.tick()
        folder.rmdir()
        (root / "bulk").rmdir()
        cleared, seen = await until(updates, lambda u: state(u) == [])
        assert len(seen) <= 2 + clock.stalls


async def test_broken_then_fixed_nango_yaml(root: Path):
    models_before = (root / "models.py").read_bytes()
    async with DevEngine(root) as engine:
        updates = engine.updates()
        await anext(updates)
        (root / "nango.yaml").write_text(YAML.replace("output: Pong", "output: Pongg"))
        broken, _ = await until(updates, lambda u: u.diagnostics)
        assert broken.project is None
        assert state(broken) == [("nango.yaml", 10, 17, "model_not_found")]
        assert broken.changed == ["nango.yaml"]
        assert (root / "models.py").read_bytes() == models_before  # the last good models stay
        assert engine.last_good_project is not None
        # a script saved while the config is broken is still checked against the last good config
        (root / SYNC).write_text("def fetch_data(nango):\n    pass\n")
        both, _ = await until(updates, lambda u: len(u.diagnostics) == 2)
        assert state(both) == [(SYNC, 1, 1, "entry_not_async"), ("nango.yaml", 10, 17, "model_not_found")]
        (root / SYNC).write_text("async def fetch_data(nango):\n    pass\n")
        await until(updates, lambda u: len(u.diagnostics) == 1)
        # fixed, with a new model and a new sync: models regenerated, its scaffold written
        fixed_yaml = (
            YAML.replace(
                "    actions:",
                "      deals:\n        runs: every day\n        output: Deal\n        endpoint: GET /deals\n    actions:",
            )
            + "  Deal:\n    id: string\n"
        )
        (root / "nango.yaml").write_text(fixed_yaml)
        fixed, _ = await until(updates, lambda u: not u.diagnostics)
        assert fixed.project is not None and "deals" in fixed.project.integrations["crm"].syncs
        assert fixed.changed == ["nango.yaml"]
        assert "crm/syncs/deals.py" in fixed.generated and "models.py" in fixed.generated
        assert "class Deal(" in (root / "models.py").read_text()
        assert (root / "crm/syncs/deals.py").is_file()
        await no_update(updates)  # writing models.py and the scaffold does not loop


async def test_deleted_renamed_and_new_files_and_folders(root: Path):
    async with DevEngine(root) as engine:
        updates = engine.updates()
        await anext(updates)
        (root / SYNC).unlink()
        missing, _ = await until(updates, lambda u: u.diagnostics)
        assert state(missing) == [("nango.yaml", 4, 7, "missing_script")]
        (root / "crm/syncs/contacts.py").write_text("async def fetch_data(nango):\n    await nango.log(1)\n")
        await until(updates, lambda u: not u.diagnostics)
        os.rename(root / "crm", root / "crm2")
        moved, _ = await until(updates, lambda u: len(u.diagnostics) == 4)
        assert state(moved) == [
            ("crm2/actions/ping.py", 1, 1, "orphan_script"),
            ("crm2/syncs/contacts.py", 1, 1, "orphan_script"),
            ("nango.yaml", 4, 7, "missing_script"),
            ("nango.yaml", 9, 7, "missing_script"),
        ]
        os.rename(root / "crm2", root / "crm")
        await until(updates, lambda u: not u.diagnostics)
        os.rename(root / SYNC, root / "crm/syncs/renamed.py")
        renamed, _ = await until(updates, lambda u: len(u.diagnostics) == 2)
        assert state(renamed) == [
            ("crm/syncs/renamed.py", 1, 1, "orphan_script"),
            ("nango.yaml", 4, 7, "missing_script"),
        ]


async def test_models_py_change_rechecks_without_regenerating(root: Path):
    (root / SYNC).write_text(
        "from models import Contact\n\n\nasync def fetch_data(nango):\n    await nango.batch_save([Contact(id='1', name='a')], 'Contact')\n"
    )
    async with DevEngine(root) as engine:
        updates = engine.updates()
        assert state(await anext(updates)) == []
        (root / "models.py").write_text("# hand-written\nclass Other:\n    pass\n")
        update, _ = await until(updates, lambda u: u.diagnostics)
        assert state(update) == [
            (ACTION, 9, 20, "unknown_model_import"),
            (SYNC, 1, 20, "unknown_model_import"),
        ]
        assert update.changed == ["models.py"] and update.generated == []
        await no_update(updates)
        assert (root / "models.py").read_text().startswith("# hand-written")


async def test_a_helper_module_of_the_folder_appearing_and_going(root: Path):
    (root / SYNC).write_text(
        "import helpers\n\n\nasync def fetch_data(nango):\n    await nango.log(helpers.X)\n"
    )
    async with DevEngine(root) as engine:
        updates = engine.updates()
        assert state(await anext(updates)) == [(SYNC, 1, 1, "unresolved_import")]
        (root / "helpers.py").write_text("X = 1\n")
        update, _ = await until(updates, lambda u: not u.diagnostics)
        assert update.changed == ["helpers.py"]
        (root / "helpers.py").unlink()
        update, _ = await until(updates, lambda u: u.diagnostics)
        assert state(update) == [(SYNC, 1, 1, "unresolved_import")]


async def test_checks_do_not_block_the_event_loop(root: Path, monkeypatch):
    # the condition itself, not a timing: every reload/check runs off the event loop's thread
    threads: list[int] = []
    refresh = DevEngine._refresh

    def spying_refresh(self, changed):
        threads.append(threading.get_ident())
        return refresh(self, changed)

    monkeypatch.setattr(DevEngine, "_refresh", spying_refresh)
    async with DevEngine(root) as engine:
        updates = engine.updates()
        await anext(updates)
        folder = root / "crm" / "syncs"
        body = "".join(f"def helper_{i}(x):\n    return [y for y in x if y > {i}]\n\n\n" for i in range(30))
        for i in range(10):
            (folder / f"big{i}.py").write_text(body + "async def fetch_data(nango):\n    pass\n")
        await until(updates, lambda u: len(u.diagnostics) == 10)
    assert len(threads) >= 2 and threading.get_ident() not in threads  # the first check, then the change


async def test_updates_end_when_the_engine_stops(root: Path):
    engine = DevEngine(root)
    await engine.start()
    updates = engine.updates()
    await anext(updates)
    await engine.stop()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(updates), 5)


async def test_a_missing_folder_is_an_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        await DevEngine(tmp_path / "nope").start()
