"""What the workbench's first frame leaves for later, and that what it left works when asked first.

The first full frame (footer keys included) is the start-up figure (issue 18: < 0.6 s); what it
does not show waits for it: the dev engine's first compile, the Deployments pane.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from nango_tui.tui import app as app_module
from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.widgets.workbench_footer import WorkbenchFooter
from tests.support.pilot import screen_text, until
from tests.support.tui_project import write_project

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    return write_project(tmp_path / "acme-demo")


class FirstFrameProbe(WorkbenchApp):
    """Notes what exists when the footer's keys are first composed (the first full frame)."""

    at_first_frame: dict[str, bool] | None = None

    def on_workbench_footer_keys_shown(self, event: WorkbenchFooter.KeysShown) -> None:
        self.at_first_frame = {
            "deployments": bool(self.screen_stack[0].query("#deployments")),
            "engine": "DiagnosticsUpdated" in self.messages_seen or self.engine_started,
        }
        super().on_workbench_footer_keys_shown(event)

    engine_started = False

    def run_dev_engine(self):  # type: ignore[override]
        self.engine_started = True
        return super().run_dev_engine()


async def test_the_first_frame_has_no_deployments_pane_and_no_engine_then_both_come(acme: Path) -> None:
    app = FirstFrameProbe(acme, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.at_first_frame is not None, pilot)
        assert app.at_first_frame == {"deployments": False, "engine": False}
        await until(lambda: app.deployments_mounted(), pilot)
        assert not app.deployments_pane.display  # mounted hidden, for F6
        assert app.current_pane_id() == "config"  # the focus stayed where it was
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)


async def test_f6_before_the_warm_up_mounts_shows_and_focuses_the_pane(acme: Path, monkeypatch) -> None:
    monkeypatch.setattr(WorkbenchApp, "warm_up", lambda self: None)  # as if F6 came first
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.deployments_mounted()
        await pilot.press("f6")
        await until(lambda: app.current_pane_id() == "deployments", pilot)
        assert app.deployments_pane.display and not app.script_pane.display and not app.dryrun_pane.display
        await pilot.press("f3")
        assert not app.deployments_pane.display and app.script_pane.display
        await pilot.press("f6")
        assert app.deployments_pane.display and app.current_pane_id() == "deployments"


async def test_tab_never_reaches_the_deployments_pane_before_it_is_mounted(acme: Path, monkeypatch) -> None:
    monkeypatch.setattr(WorkbenchApp, "warm_up", lambda self: None)
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        seen = []
        for _ in range(5):
            await pilot.press("tab")
            seen.append(app.current_pane_id())
        assert seen == ["script", "problems", "dryrun", "config", "script"]
        assert not app.deployments_mounted()


async def test_deploy_from_the_palette_before_the_warm_up_reaches_the_pane(acme: Path, monkeypatch) -> None:
    monkeypatch.setattr(WorkbenchApp, "warm_up", lambda self: None)
    from nango_tui.tui.widgets.deployments_pane import DeploymentsPane

    asked: list[str] = []
    monkeypatch.setattr(DeploymentsPane, "deploy", lambda self, env: asked.append(env))
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        app.deploy("dev")
        await until(lambda: asked == ["dev"], pilot)
        assert app.deployments_pane.display and app.current_pane_id() == "deployments"


async def test_the_warm_up_runs_when_a_dialog_is_the_first_frame(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "WARM_UP_LATEST", 600.0)  # not the fallback timer
    empty = tmp_path / "empty"
    empty.mkdir()
    app = WorkbenchApp(empty, watch=False)  # no nango.yaml: the init dialog opens over the workbench
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.deployments_mounted(), pilot)
        assert type(app.screen).__name__ == "InitScreen"


async def test_a_short_dryrun_pane_hides_the_details_and_zoom_shows_them(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:  # 32 rows: the Dryrun pane is short
        # Records' detail is on the first frame; Requests' and Invalid's come with their views after it
        await until(lambda: len(app.dryrun_pane.query(".dryrun-detail")) == 3, pilot)
        details = list(app.dryrun_pane.query(".dryrun-detail"))
        await until(lambda: not any(d.display for d in details), pilot)
        await pilot.press("f5", "z")
        await until(lambda: all(d.display for d in details), pilot)
        await pilot.press("z")
        await until(lambda: not any(d.display for d in details), pilot)


def footer_text(app: WorkbenchApp) -> str:
    footer = app.screen_stack[0].query_one(WorkbenchFooter)
    return " ".join(key.description for key in footer.keys)


async def test_the_footer_recomposes_only_when_its_keys_change(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.screen_stack[0].query_one(WorkbenchFooter)
        await until(lambda: "Quit" in footer_text(app), pilot)
        assert footer.recomposes == 0  # the keys came with its first compose: no second frame for them
        before = footer.recomposes
        for key in ("f4", "f2", "f4", "f2"):  # Config and Problems show the same keys
            await pilot.press(key)
        await pilot.pause()
        assert footer.recomposes == before
        assert "Save" not in footer_text(app)
        await pilot.press("f5")  # the Dryrun pane has keys of its own: they appear
        await until(lambda: "Save" in footer_text(app), pilot)
        assert footer.recomposes == before + 1
        await pilot.press("f2")
        await until(lambda: "Save" not in footer_text(app), pilot)
        assert "Quit" in footer_text(app)


def test_the_workbench_module_and_a_project_load_import_no_pydantic_nor_later_panes(acme: Path) -> None:
    """What the first frame needs is imported at start; pydantic (~0.1 s), the Deployments pane
    and the screens opened later are not (a fresh interpreter, as `nango-tui DIR` starts)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import nango_tui.tui.app\n"
        "from nango_tui.config import load_project\n"
        f"assert load_project({str(acme)!r}).project is not None\n"
        "later = ['pydantic', 'nango_tui.tui.widgets.deployments_pane', 'nango_tui.tui.screens.help_screen',\n"
        "         'nango_tui.tui.screens.error_screen', 'nango_tui.tui.screens.init_screen',\n"
        "         'nango_tui.tui.commands', 'nango_tui.tui.screens.dryrun_dialog',\n"
        "         'nango_tui.runtime.local_env', 'dotenv', 'nango_tui.dryrun.regress',\n"
        "         'nango_tui.tui.screens.inspector_screen', 'nango_tui.tui.inspection']\n"
        "print([m for m in later if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


class QuitsAtOnce(WorkbenchApp):
    def on_workbench_footer_keys_shown(self, event: WorkbenchFooter.KeysShown) -> None:
        super().on_workbench_footer_keys_shown(event)
        self.exit(0)  # as a user pressing q at the first frame: the deferred mounts find no DOM


async def test_quitting_at_the_first_frame_leaves_no_error(acme: Path) -> None:
    app = QuitsAtOnce(acme, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert app.return_code == 0


class NotesTheCollector(WorkbenchApp):
    collector_at_first_frame: bool | None = None

    def on_workbench_footer_keys_shown(self, event: WorkbenchFooter.KeysShown) -> None:
        self.collector_at_first_frame = gc.isenabled()
        super().on_workbench_footer_keys_shown(event)


async def test_the_collector_is_off_until_the_first_frame_then_on_again(acme: Path) -> None:
    """`nango-tui DIR` turns the cyclic collector off before its imports (gc_policy); the warm-up
    after the first frame turns it on again."""
    from nango_tui.tui import gc_policy

    assert gc.isenabled()
    gc_policy.pause_until_first_frame()
    try:
        app = NotesTheCollector(acme, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.collector_at_first_frame is not None, pilot)
            assert app.collector_at_first_frame is False
            await until(lambda: gc.isenabled(), pilot)
            gc_policy.first_frame_drawn()  # a second call changes nothing
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_an_app_started_with_the_collector_on_leaves_it_on(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.deployments_mounted(), pilot)  # after the warm-up
        assert gc.isenabled()


class NotesTheFirstFrame(WorkbenchApp):
    """Notes the `/` bars and the records' search field at the first full frame."""

    parts_at_first_frame: list[str] | None = None

    def on_workbench_footer_keys_shown(self, event: WorkbenchFooter.KeysShown) -> None:
        screen = self.screen_stack[0]
        self.parts_at_first_frame = [w.id or "" for w in screen.query("FilterBar, RecordSearch")]
        super().on_workbench_footer_keys_shown(event)


async def test_the_filter_bars_and_the_records_search_come_after_the_first_frame(acme: Path) -> None:
    app = NotesTheFirstFrame(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.parts_at_first_frame is not None, pilot)
        assert app.parts_at_first_frame == []
        expected = {"config-filter", "problems-filter", "script-filter", "records-search"}
        await until(
            lambda: {w.id for w in app.screen_stack[0].query("FilterBar, RecordSearch")} == expected, pilot
        )
        assert not any(w.display for w in app.screen_stack[0].query("FilterBar, RecordSearch"))


async def test_slash_and_f1_before_the_warm_up_find_the_filter_bar(acme: Path, monkeypatch) -> None:
    monkeypatch.setattr(WorkbenchApp, "warm_up", lambda self: None)  # as if `/` came first
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen_stack[0].query("FilterBar")
        await pilot.press("f1")
        await until(lambda: "filter.clear" in screen_text(app), pilot)  # the help lists the bar's keys
        assert type(app.screen).__name__ == "HelpScreen" and "filter.keep" in screen_text(app)
        await pilot.press("escape", "slash")
        await until(lambda: app.focused is not None and app.focused.id == "config-filter", pilot)
        await pilot.press(*"customers", "enter")
        await until(lambda: app.focused is not None and app.focused.id == "config-tree", pilot)
        assert app.config_pane.filter_text == "customers"
        await pilot.press("slash")
        assert len(app.screen_stack[0].query("FilterBar")) == 1  # the same bar again


async def test_the_first_resume_restyles_nothing_a_full_restyle_would_change(acme: Path) -> None:
    """The workbench screen skips Textual's restyle of every widget at the app's first resume
    (each was styled as it mounted): restyling them all now changes no widget's style."""
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.deployments_mounted(), pilot)
        await pilot.pause()
        screen = app.screen_stack[0]
        assert screen._resumed  # its handler ran: the start's restyle was skipped

        def styles() -> dict[int, tuple]:
            return {
                id(w): (w.styles.css, str(w.rich_style), w.display, w.visible)
                for w in screen.walk_children(with_self=True)
            }

        before = styles()
        screen.update_node_styles(animate=False)
        await pilot.pause()
        assert styles() == before


async def test_the_focused_pane_is_framed_without_restyling_the_panes_subtrees(
    acme: Path, monkeypatch
) -> None:
    """The focused pane's border follows the focus (FocusFrame, not a `:focus-within` rule that
    makes Textual restyle each pane's ~45 widgets at every move) and the theme."""
    from textual.color import Color
    from textual.css.stylesheet import Stylesheet

    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.deployments_mounted(), pilot)
        await pilot.pause()
        panes = [app.config_pane, app.dryrun_pane]

        def framed() -> list[bool]:
            primary = Color.parse(app.get_css_variables()["primary"])
            return [pane.styles.border_top[1] == primary for pane in panes]

        app.config_pane.focus_body()
        await pilot.pause()
        assert framed() == [True, False]
        restyled: list[int] = []
        update_nodes = Stylesheet.update_nodes

        def counting(self, nodes, animate=False):
            nodes = list(nodes)
            restyled.append(len(nodes))
            return update_nodes(self, nodes, animate)

        monkeypatch.setattr(Stylesheet, "update_nodes", counting)
        app.action_focus_pane("dryrun")
        await pilot.pause()
        assert framed() == [False, True]
        assert max(restyled, default=0) < 20  # the widgets that gained or lost the focus, not two subtrees
        monkeypatch.setattr(Stylesheet, "update_nodes", update_nodes)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await pilot.pause()
        assert framed() == [False, True]  # the new theme's primary colour


FIRST_FRAME_MODULES = """
import sys
from pathlib import Path
from nango_tui.tui.app import WorkbenchApp

class Probe(WorkbenchApp):
    def on_workbench_footer_keys_shown(self, event):
        print(sorted(m for m in sys.argv[2:] if m in sys.modules))
        self.exit(0)

Probe(Path(sys.argv[1]), watch=False).run(headless=True, size=(100, 32))
"""


def test_the_first_frame_imports_no_emoji_table(acme: Path) -> None:
    """Rich's table of emoji names (~11 M instructions) is imported by its markup's emoji pass:
    nothing on the first frame is a str parsed as Rich markup (a fresh interpreter)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_MODULES, str(acme), "rich._emoji_codes", "nango_tui.tui.app"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['nango_tui.tui.app']"
