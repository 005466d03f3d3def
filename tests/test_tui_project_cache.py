"""nango.yaml's load result kept for the workbench's next start (tui/project_cache.py): read
back only for the same bytes, folder and loader code, only from a file that is the user's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nango_tui.config import CONFIG_FILE, load_project
from nango_tui.tui import project_cache
from nango_tui.tui.app import WorkbenchApp
from tests.support.pilot import until
from tests.support.tui_project import BROKEN_YAML, write_project

pytestmark = pytest.mark.usefixtures("shared_warm_child")

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    return write_project(tmp_path / "acme-demo")


def test_the_config_file_name_is_the_loaders() -> None:
    assert project_cache.CONFIG_FILE == CONFIG_FILE


def test_a_saved_result_is_read_back_and_equals_a_fresh_load(acme: Path) -> None:
    first = project_cache.load(acme)
    assert not first.from_cache and project_cache.save(first)
    assert project_cache.cache_file(acme.resolve()).stat().st_mode & 0o777 == 0o600
    second = project_cache.load(acme)
    assert second.from_cache and not project_cache.save(second)
    assert second.result == load_project(acme) == first.result
    assert second.result.project is not None and second.result.project.scripts()


def test_changed_bytes_or_loader_code_load_again(acme: Path, monkeypatch) -> None:
    project_cache.save(project_cache.load(acme))
    config = acme / "nango.yaml"
    config.write_text(config.read_text() + "\n# a comment\n")
    again = project_cache.load(acme)
    assert not again.from_cache
    project_cache.save(again)
    assert project_cache.load(acme).from_cache
    monkeypatch.setattr(project_cache, "code_stamp", lambda: "another loader")
    assert not project_cache.load(acme).from_cache


def test_a_project_with_errors_comes_back_with_the_same_diagnostics(tmp_path: Path) -> None:
    root = write_project(tmp_path / "broken-demo", BROKEN_YAML)
    first = project_cache.load(root)
    assert first.result.diagnostics and project_cache.save(first)
    second = project_cache.load(root)
    assert second.from_cache and second.result.diagnostics == first.result.diagnostics


def test_no_nango_yaml_is_loaded_every_time_and_never_saved(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    start = project_cache.load(empty)
    assert start.key is None and not project_cache.save(start)
    assert [d.code for d in start.result.diagnostics] == ["missing_file"]


def test_a_file_changed_while_it_loaded_is_not_saved(acme: Path, monkeypatch) -> None:
    import nango_tui.config as config

    real = config.load_project

    def load_then_edit(root):
        result = real(root)
        (Path(root) / "nango.yaml").write_text("integrations: {}\n")
        return result

    monkeypatch.setattr(config, "load_project", load_then_edit)
    start = project_cache.load(acme)
    assert start.key is None and not project_cache.save(start)


@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_a_cache_file_others_may_write_is_not_read(acme: Path, mode: int) -> None:
    project_cache.save(project_cache.load(acme))
    os.chmod(project_cache.cache_file(acme.resolve()), mode)
    assert not project_cache.load(acme).from_cache


def test_a_foreign_or_broken_cache_file_is_not_read(acme: Path) -> None:
    path = project_cache.cache_file(acme.resolve())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x05garbage")
    os.chmod(path, 0o600)
    assert not project_cache.load(acme).from_cache
    path.unlink()
    path.symlink_to(acme / "nango.yaml")
    assert not project_cache.load(acme).from_cache


def test_only_the_newest_projects_are_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(project_cache, "KEEP_FILES", 2)
    roots = [write_project(tmp_path / f"p{i}") for i in range(3)]
    for root in roots:
        project_cache.save(project_cache.load(root))
    kept = sorted(p.name for p in project_cache.cache_file(roots[0].resolve()).parent.iterdir())
    assert kept == sorted(project_cache.cache_file(r.resolve()).name for r in roots[1:])


async def start(root: Path) -> tuple[str, bool]:
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shot = app.export_screenshot()
        await until(lambda: project_cache.cache_file(app.root).is_file(), pilot)
        return shot, app._next_start.load.from_cache


async def test_the_second_start_reads_the_result_back_and_draws_the_same_frame(acme: Path) -> None:
    cold_shot, cold = await start(acme)
    warm_shot, warm = await start(acme)
    assert (cold, warm) == (False, True)
    assert warm_shot == cold_shot


FIRST_FRAME_MODULES = r"""
import asyncio, sys
from pathlib import Path
from nango_tui.tui.app import WorkbenchApp

class Probe(WorkbenchApp):
    seen = None
    def on_workbench_footer_keys_shown(self, event):
        self.seen = [m for m in ("yaml", "nango_tui.config.loader") if m in sys.modules]
        super().on_workbench_footer_keys_shown(event)

async def main():
    app = Probe(Path(sys.argv[1]), watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        while app.seen is None:
            await pilot.pause(0.05)
        while not app.stylesheet.cache_file.is_file():
            await pilot.pause(0.05)
        await pilot.pause(0.5)
    print(app.seen)

asyncio.run(main())
"""


def test_a_start_from_the_cache_imports_neither_pyyaml_nor_the_loader_before_its_first_frame(
    acme: Path,
) -> None:
    def first_frame_modules() -> str:
        done = subprocess.run(
            [sys.executable, "-c", FIRST_FRAME_MODULES, str(acme)],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ.copy(),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert first_frame_modules() == "['yaml', 'nango_tui.config.loader']"  # the first start loads
    assert first_frame_modules() == "[]"


async def test_quitting_before_the_warm_up_still_keeps_both_caches(acme: Path, monkeypatch) -> None:
    monkeypatch.setattr(WorkbenchApp, "warm_up", lambda self: None)  # `q` came first
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_code == 0
    assert project_cache.cache_file(acme.resolve()).is_file() and app.stylesheet.cache_file.is_file()
    assert project_cache.load(acme).from_cache


async def test_nango_yaml_changed_while_the_workbench_ran_is_kept_for_the_next_start(acme: Path) -> None:
    from nango_tui.tui.messages import DiagnosticsSnapshot

    config = acme / "nango.yaml"
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: project_cache.cache_file(app.root).is_file(), pilot)  # the start's, saved
        await until(lambda: app._next_start.saved, pilot)
        config.write_text(config.read_text() + "\n# edited in the workbench\n")
        app.apply_diagnostics(DiagnosticsSnapshot([], ["nango.yaml"], 0.0, None))  # as the dev engine does
        await pilot.press("q")
    again = project_cache.load(acme)
    assert again.from_cache
    assert again.result == load_project(acme)
