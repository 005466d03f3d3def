"""Pilot tests of the workbench shell: every key, the messages the panes post, the app's state."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.editor import editor_command
from nango_tui.tui.messages import OpenFile
from nango_tui.tui.screens.error_screen import ErrorScreen
from nango_tui.tui.screens.help_screen import HelpScreen
from nango_tui.tui.widgets.code_view import lex_lines, syntax_theme_for
from nango_tui.tui.widgets.config_tree import problems_by_key
from tests.support.pilot import until
from tests.support.tui_project import BROKEN_SCRIPT, BROKEN_YAML, copy_samples, write_project

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    """The user's own keymap and theme must not change what the tests see."""
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


def tree_labels(app: WorkbenchApp) -> list[str]:
    """Every node's label, collapsed ones' children included (added when first expanded)."""
    labels: list[str] = []
    tree = app.config_pane.tree

    def walk(node) -> None:
        for child in node.children:
            labels.append(str(child.label.plain))
            tree.fill(child)
            walk(child)

    walk(app.config_pane.tree.root)
    return labels


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    return write_project(tmp_path / "acme-demo")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_project(tmp_path / "broken-demo", BROKEN_YAML, BROKEN_SCRIPT)


# -- startup and layout ----------------------------------------------------------------------------


async def test_opens_on_the_project_with_the_tree_and_nango_yaml(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.current_pane_id() == "config"
        labels = tree_labels(app)
        assert labels[:5] == ["acme", "syncs", "customers", "every hour · full", "GET /customers"]
        assert "create-customer" in labels and "models" in labels and "Customer 4" in labels
        assert "tier: gold | silver" in labels
        assert app.script_pane.path == "nango.yaml"
        assert app.problems_pane.border_title == "Problems · none"
        assert app.sub_title == "acme-demo · dev"


async def test_q_quits_with_status_0(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


async def test_quitting_while_the_deployments_pane_mounts_is_clean(acme: Path) -> None:
    """Closing a moment after the start: the Deployments pane, mounted after the first frame, may be
    filling its tree as the app closes; a highlight it posted then arrived after its children were
    removed and the exit ended in a NoMatches traceback (CI at load 10; 23 of 30 quits here)."""
    for _ in range(6):
        app = WorkbenchApp(acme, watch=False)
        async with app.run_test(size=SIZE):
            app.run_worker(app.mount_deployments_pane())
            await asyncio.sleep(0)
        # leaving run_test closes the app: an error in any handler meanwhile is raised here


async def test_tab_shift_tab_and_f_keys_move_between_panes(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.current_pane_id())
        assert seen == ["script", "problems", "dryrun", "config"]
        await pilot.press("shift+tab")
        assert app.current_pane_id() == "dryrun"
        for key, pane in (("f3", "script"), ("f4", "problems"), ("f5", "dryrun"), ("f2", "config")):
            await pilot.press(key)
            assert app.current_pane_id() == pane, key


async def test_moving_in_the_tree_shows_the_script_and_selects_it(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")  # acme > syncs > customers
        await pilot.pause()
        assert app.selected_script == ("acme", "customers")
        assert app.script_pane.path == "acme/syncs/customers.py"
        assert "ScriptSelected" in app.messages_seen and "OpenFile" in app.messages_seen
        assert "fetch_data" in app.script_pane.view.text
        # a model shows its place in nango.yaml
        tree = app.config_pane.tree
        node = next(n for n in _all_nodes(tree.root) if n.data and n.data.key == "m:Customer")
        tree.move_cursor(node)
        await pilot.pause()
        assert app.script_pane.path == "nango.yaml"
        assert app.script_pane.view.line_text(app.script_pane.cursor_line).strip() == "Customer:"


def _all_nodes(node):
    for child in node.children:
        yield child
        yield from _all_nodes(child)


async def test_missing_script_says_to_generate(tmp_path: Path, acme: Path) -> None:
    (acme / "acme" / "syncs" / "customers.py").unlink()
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.script_pane.exists is False
        assert "Press g to generate" in app.script_pane.view.text
        assert app.script_pane.border_subtitle == "missing"


# -- filter ----------------------------------------------------------------------------------------


async def test_slash_filters_the_tree_and_escape_clears(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert app.focused.id == "config-filter"
        await pilot.press(*"create")
        await pilot.pause()
        labels = tree_labels(app)
        assert "create-customer" in labels and "customers" not in labels and "models" not in labels
        await pilot.press("enter")  # keeps the filter, back in the tree
        assert app.focused.id == "config-tree" and "customers" not in tree_labels(app)
        await pilot.press("slash", "escape")
        assert "customers" in tree_labels(app)
        assert app.focused.id == "config-tree"


async def test_slash_in_the_script_pane_finds_text(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "slash", *"tier", "enter")
        await pilot.pause()
        assert app.script_pane.view.line_text(app.script_pane.cursor_line).strip() == "tier: gold | silver"
        assert app.focused.id == "code-view"
        await pilot.press("slash")
        app.focused.value = ""
        await pilot.press(*"email", "enter")
        first = app.script_pane.cursor_line
        assert app.script_pane.view.line_text(first).strip() == "email?: string"  # wrapped to the top
        await pilot.press("n")
        assert app.script_pane.view.line_text(app.script_pane.cursor_line).strip() == "email: string | null"


# -- problems --------------------------------------------------------------------------------------


async def test_broken_project_marks_nodes_and_lists_errors_first(broken: Path) -> None:
    app = WorkbenchApp(broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        pane = app.problems_pane
        codes = [d.code for d in pane.diagnostics]
        assert {"syntax_error", "invalid_runs", "model_not_found"} <= set(codes)
        assert pane.border_title.startswith("Problems · ") and "errors" in pane.border_title
        assert all(d.is_error for d in pane.diagnostics[: codes.count("syntax_error")])
        labels = tree_labels(app)
        assert any(label.startswith("customers ● 3") for label in labels), labels
        assert any(label.startswith("create-customer ● 1") for label in labels), labels


async def test_enter_on_a_problem_opens_the_file_at_its_line(broken: Path) -> None:
    app = WorkbenchApp(broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        pane = app.problems_pane
        target = next(i for i, d in enumerate(pane.shown) if d.code == "syntax_error")
        await pilot.press("f4")
        for _ in range(target):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        diag = pane.shown[target]
        assert app.script_pane.path == diag.file == "acme/actions/create-customer.py"
        assert app.script_pane.cursor_line == diag.line
        assert app.current_pane_id() == "script"
        assert app.script_pane.view._marks[diag.line] == "error"


async def test_slash_filters_problems(broken: Path) -> None:
    app = WorkbenchApp(broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        await pilot.press("f4", "slash", *"invalid_runs")
        await pilot.pause()
        assert [d.code for d in app.problems_pane.shown] == ["invalid_runs"]


async def test_problems_follow_saves_and_the_script_view_follows_the_file(acme: Path) -> None:
    app = WorkbenchApp(acme)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        assert app.problems_pane.diagnostics == []
        await pilot.press("down", "down")
        await pilot.pause()
        script = acme / "acme" / "syncs" / "customers.py"
        script.write_text(script.read_text() + "\ndef broken(:\n")
        await until(lambda: any(d.code == "syntax_error" for d in app.problems_pane.diagnostics), pilot)
        await until(lambda: "def broken(:" in app.script_pane.view.text, pilot)
        assert app.problems_pane.border_title == "Problems · 1 error"
        (acme / "nango.yaml").write_text(
            (acme / "nango.yaml").read_text().replace("every hour", "every 2 seconds")
        )
        await until(lambda: any(d.code == "invalid_runs" for d in app.problems_pane.diagnostics), pilot)
        assert any("● " in label for label in tree_labels(app))


# -- keys that act ---------------------------------------------------------------------------------


async def test_g_generates_and_toasts_what_it_wrote(acme: Path) -> None:
    (acme / "models.py").unlink(missing_ok=True)
    (acme / "acme" / "actions" / "create-customer.py").unlink()
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await until(lambda: any("wrote" in n.message for n in app._notifications), pilot)
        message = next(n.message for n in app._notifications if "wrote" in n.message)
        assert "models.py" in message and "acme/actions/create-customer.py" in message
        assert (acme / "models.py").is_file() and (acme / "acme" / "actions" / "create-customer.py").is_file()


async def test_g_on_a_broken_config_writes_nothing(broken: Path) -> None:
    app = WorkbenchApp(broken, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await until(lambda: any("wrote nothing" in n.message for n in app._notifications), pilot)
        assert not (broken / "models.py").exists()


async def test_e_opens_the_editor_at_the_cursor_line(acme: Path, tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "editor-args"
    editor = tmp_path / "fake-editor"
    editor.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\necho "# edited" >> "$2"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "f3", "down", "down")
        assert app.script_pane.cursor_line == 3
        await pilot.press("e")
        await pilot.pause()
        args = log.read_text().split()
        assert args == ["+3", str(acme / "acme" / "syncs" / "customers.py")]
        assert app.script_pane.view.text.endswith("# edited\n")  # reloaded after the editor


def test_editor_command_forms() -> None:
    path = Path("/p/a.py")
    assert editor_command(path, 7, {"EDITOR": "nvim -u NONE"}) == ["nvim", "-u", "NONE", "+7", "/p/a.py"]
    assert editor_command(path, 7, {"EDITOR": "hx"}) == ["hx", "/p/a.py:7"]
    assert editor_command(path, 7, {"VISUAL": "code", "EDITOR": "vi"}) == [
        "code",
        "--wait",
        "--goto",
        "/p/a.py:7",
    ]
    assert editor_command(path, 0, {}) == ["vi", "+1", "/p/a.py"]


async def test_e_with_a_missing_editor_shows_a_copyable_error(acme: Path, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", "/nonexistent/editor-xyz")
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen)
        assert "/nonexistent/editor-xyz" in app.screen.text
        await pilot.press("c")
        assert app.clipboard == app.screen.text
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorScreen)


async def test_f1_shows_help_for_the_focused_pane(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        for key, title in (("f2", "Config"), ("f3", "Script"), ("f4", "Problems")):
            await pilot.press(key, "f1")
            assert isinstance(app.screen, HelpScreen) and app.screen.pane_title == title
            keys = dict(app.screen.keys)
            assert {"q", "g", "d", "r", "e", "/", "f1", "tab", "shift+tab", "f2", "f5", "ctrl+p"} <= set(keys)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)


async def test_z_zooms_the_focused_pane(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4", "z")
        assert app.screen.maximized is not None and app.screen.maximized.id == "problems"
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_workbench_keys_do_nothing_inside_a_modal(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1", "g", "d")
        assert isinstance(app.screen, HelpScreen)
        assert not any("generat" in n.message for n in app._notifications)


# -- palette -----------------------------------------------------------------------------------------


async def test_palette_open_file_and_environment(acme: Path) -> None:
    (acme / "connections.yaml").write_text(
        "environments:\n  dev: {connections: {}}\n  prod: {connections: {}}\n"
    )
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.environments == ["dev", "prod"]
        await pilot.press("ctrl+p", *"open models.py")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.script_pane.path == "models.py"
        await pilot.press("ctrl+p", *"environment prod")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.environment == "prod" and app.sub_title == "acme-demo · prod"


async def test_palette_compile_fills_problems(broken: Path) -> None:
    app = WorkbenchApp(broken, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        assert all(d.file == "nango.yaml" for d in app.problems_pane.diagnostics)
        await pilot.press("ctrl+p", *"compile")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(lambda: any(d.code == "syntax_error" for d in app.problems_pane.diagnostics), pilot)
        assert any(n.message.startswith("compile: ") for n in app._notifications)


# -- dryrun wiring (the pane and dialog are the other half of issue 6) -------------------------------


async def test_d_without_a_selection_says_so(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert any("Select a sync or action" in n.message for n in app._notifications)


async def test_d_ctrl_j_runs_a_dryrun_and_r_reruns_it(tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "samples")
    app = WorkbenchApp(root, watch=False)
    screens_at_start: list[str] = []  # the screen on top when the pane starts each run
    start = app.dryrun_pane.start

    def noting_start(request) -> None:
        screens_at_start.append(type(app.screen).__name__)
        start(request)

    app.dryrun_pane.start = noting_start  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")  # salesforce > syncs > contacts
        assert app.selected_script == ("salesforce", "contacts")
        await pilot.press("d")
        await until(lambda: type(app.screen).__name__ == "DryrunDialog", pilot)
        await until(lambda: getattr(app.screen, "_connections", None), pilot)
        await pilot.press("ctrl+j")
        await until(lambda: "RunFinished" in app.messages_seen, pilot)
        # started once, before the dialog closed (the child forks while the workbench redraws)
        assert screens_at_start == ["DryrunDialog"]
        assert app.messages_seen.count("RunStarted") == 1
        assert app.last_request.name == "contacts" and app.last_request.connection_id == "salesforce-demo"
        assert app.current_pane_id() == "dryrun"
        await pilot.press("r")
        await until(lambda: app.messages_seen.count("RunFinished") == 2, pilot)
        assert app.messages_seen.count("RunStarted") == 2
        assert screens_at_start == ["DryrunDialog", "WorkbenchScreen"]


async def test_palette_dryrun_opens_the_dialog_for_that_script(tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "samples")
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"dryrun fetch-fields")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(lambda: type(app.screen).__name__ == "DryrunDialog", pilot)
        assert app.screen.script.name == "fetch-fields"
        assert app.selected_script == ("salesforce", "fetch-fields")
        await pilot.press("escape")
        await until(lambda: type(app.screen).__name__ == "WorkbenchScreen", pilot)
        assert "RunStarted" not in app.messages_seen


# -- bad input and themes ----------------------------------------------------------------------------


async def test_unparseable_nango_yaml_opens_a_modal_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "nango.yaml").write_text("integrations: [\n  oops: {\n")
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen)
        assert "nango.yaml:" in app.screen.text
        await pilot.press("escape")
        assert "nango.yaml could not be read" in tree_labels(app)[0]


async def test_folder_without_nango_yaml(tmp_path: Path) -> None:
    from nango_tui.tui.screens.init_screen import InitScreen

    app = WorkbenchApp(tmp_path, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, InitScreen)  # it offers `init` (tests/test_tui_workbench_fixes.py)


async def test_ansi_dark_theme_uses_terminal_colours(acme: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_THEME", "ansi-dark")
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"
    assert syntax_theme_for("ansi-dark", True) == "ansi_dark"
    assert syntax_theme_for("textual-dark", True) == "github-dark"


def test_lexing_keeps_line_numbers_with_blank_edges() -> None:
    lines = lex_lines("\n\nx = 1\n\n", "a.py")
    assert len(lines) == 4 and "".join(v for _, v in lines[2]) == "x = 1"


def test_problems_are_attributed_by_line(broken: Path) -> None:
    from nango_tui.config import load_project

    result = load_project(broken)
    marks = problems_by_key(result.partial, result.diagnostics)
    assert marks["s:acme/customers"].errors == 2 and marks["i:acme"].errors == 2
    assert "s:acme/create-customer" not in marks


def test_no_secret_reaches_the_environment_list(tmp_path: Path, monkeypatch) -> None:
    from nango_tui.runtime.local_env import list_environments

    monkeypatch.setenv("NANGO_SECRET_KEY_STAGING", "sk-very-secret")
    (tmp_path / ".env").write_text("NANGO_SECRET_KEY_PROD=sk-other-secret\n")
    envs = list_environments(tmp_path)
    assert envs[0] == "dev" and {"staging", "prod"} <= set(envs)
    assert not any("secret" in e for e in envs)


# -- secrets, columns, themes, the engine's messages ------------------------------------------------


async def test_connections_yaml_shows_no_secret(acme: Path) -> None:
    (acme / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      mine:\n        integration: acme\n"
        "        credentials: {type: OAUTH2, access_token: ghp_SECRET1, refresh_token: '${REFRESH}'}\n"
        '        api_key: sk-SECRET2\n        password: "SECRET3"\n'
    )
    (acme / ".env").write_text("ACME_TOKEN=SECRET4\nREGION=eu\n")
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        for name in ("connections.yaml", ".env"):
            app.open_file(name)
            await pilot.pause()
            text = app.script_pane.view.text
            assert "SECRET" not in text and "***" in text
            for y in range(app.script_pane.view.size.height):
                assert "SECRET" not in app.script_pane.view.render_line(y).text
        assert "${REFRESH}" in (app.open_file("connections.yaml") or app.script_pane.view.text)
        assert "REGION=eu" in (app.open_file(".env") or app.script_pane.view.text)


async def test_a_problem_marks_its_column(broken: Path) -> None:
    app = WorkbenchApp(broken)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        diag = next(d for d in app.problems_pane.shown if d.code == "invalid_runs")
        app.problems_pane.post_message(OpenFile(diag.file, diag.line, diag.column))
        await pilot.pause()
        view = app.script_pane.view
        assert app.script_pane.cursor_line == diag.line and view.cursor_column == diag.column - 1
        await pilot.press("down")  # moving on drops the column mark
        assert view.cursor_column is None


async def test_switching_theme_recolours_the_script(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False, theme="textual-dark")
    async with app.run_test(size=SIZE) as pilot:
        view = app.script_pane.view
        view.render_line(0)
        assert view._syntax_theme is not None
        before = view._syntax_theme
        app.theme = "ansi-dark"
        await pilot.pause()
        view.render_line(0)
        assert view._syntax_theme is not before
        assert type(view._syntax_theme).__name__ == "ANSISyntaxTheme"


async def test_engine_updates_are_coalesced(acme: Path) -> None:
    from nango_tui.config import Diagnostic
    from nango_tui.tui.messages import DiagnosticsSnapshot

    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        old = Diagnostic("nango.yaml", 1, 1, "error", "old", "stale")
        new = Diagnostic("nango.yaml", 2, 1, "warning", "new", "newest")
        app.engine.deliver(DiagnosticsSnapshot([old], ["a.py"], 1.0))
        app.engine.deliver(DiagnosticsSnapshot([new], ["a.py"], 1.0))  # before the first was handled
        await pilot.pause()
        assert app.messages_seen.count("DiagnosticsUpdated") == 1
        assert app.problems_pane.diagnostics == [new]
        assert app.problems_pane.border_title == "Problems · 1 warning"


async def test_engine_failure_opens_a_modal(acme: Path, monkeypatch) -> None:
    import nango_tui.watch as watch

    class BrokenEngine:
        def __init__(self, root) -> None:
            pass

        async def __aenter__(self):
            raise OSError("inotify watch limit reached")

        async def __aexit__(self, *exc) -> None:
            return None

    monkeypatch.setattr(watch, "DevEngine", BrokenEngine)
    app = WorkbenchApp(acme)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: isinstance(app.screen, ErrorScreen), pilot)
        assert "inotify watch limit reached" in app.screen.text
        assert "EngineFailed" in app.messages_seen
        assert app.problems_pane.border_title == "Problems · none"


async def test_d_on_a_model_node_asks_for_a_script(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")  # customers
        assert app.selection() == ("acme", "customers")
        await pilot.press("down", "down", "down", "down")  # actions, create-customer, models, NewCustomer
        assert app.config_pane.selected.kind == "model"
        assert app.selection() is None
        await pilot.press("d")
        assert any("Select a sync or action" in n.message for n in app._notifications)
        await pilot.press("up", "up", "f3")  # create-customer, then the script pane showing it
        assert app.selection() == ("acme", "create-customer")


async def test_a_flood_of_problems_is_capped_but_counted(acme: Path) -> None:
    from nango_tui.config import Diagnostic
    from nango_tui.tui.messages import DiagnosticsSnapshot
    from nango_tui.tui.widgets.problems_pane import MAX_LISTED

    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        flood = [
            Diagnostic("acme/syncs/customers.py", i + 1, 1, "warning", "unused_import", f"w{i}")
            for i in range(MAX_LISTED + 250)
        ]
        app.apply_diagnostics(DiagnosticsSnapshot(flood, ["acme/syncs/customers.py"], 1.0))
        await pilot.pause()
        options = app.query_one("#problems-list")
        assert options.option_count == MAX_LISTED + 1
        assert app.problems_pane.border_title == f"Problems · {MAX_LISTED + 250} warnings"
        await pilot.press("f4", "slash", *"w1249")
        assert [d.message for d in app.problems_pane.shown] == ["w1249"]


async def test_a_save_that_changes_no_mark_does_not_rebuild_the_tree(acme: Path) -> None:
    app = WorkbenchApp(acme)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: "DiagnosticsUpdated" in app.messages_seen, pilot)
        tree = app.config_pane.tree
        before = tree.rebuilds
        script = acme / "acme" / "syncs" / "customers.py"
        script.write_text(script.read_text() + "\n# a comment\n")
        await until(lambda: app.messages_seen.count("DiagnosticsUpdated") >= 2, pilot)
        assert tree.rebuilds == before
        script.write_text(script.read_text() + "\ndef broken(:\n")
        await until(lambda: any(d.code == "syntax_error" for d in app.problems_pane.diagnostics), pilot)
        assert tree.rebuilds == before + 1
        assert any(label.startswith("customers ● 1") for label in tree_labels(app))


async def test_keymap_yaml_rebinds_keys(acme: Path, tmp_path: Path, monkeypatch) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("workbench.quit: ctrl+x\nworkbench.help: f10\n")
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(keymap))
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        assert isinstance(app.screen, HelpScreen)
        assert dict(app.screen.keys)["ctrl+x"].startswith("Quit")
        await pilot.press("escape", "q")
        assert app.is_running
        await pilot.press("ctrl+x")
        await pilot.pause()
    assert app.return_value == 0


async def test_a_broken_keymap_says_where_and_keeps_the_defaults(
    acme: Path, tmp_path: Path, monkeypatch
) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("workbench.quit: [ctrl+x\n")
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(keymap))
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any(
            n.message.startswith(f"{keymap}:2:") and "default keys" in n.message for n in app._notifications
        )
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


async def test_help_lists_the_pane_keys_with_their_ids(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "f1")
        assert ("n", "Next match  (code.next_match)") in app.screen.pane_keys


async def test_collapsed_nodes_get_their_children_when_expanded(acme: Path) -> None:
    app = WorkbenchApp(acme, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.config_pane.tree
        customer = next(n for n in _all_nodes(tree.root) if n.data and n.data.key == "m:Customer")
        script = next(n for n in _all_nodes(tree.root) if n.data and n.data.key == "s:acme/customers")
        assert not customer.children and not script.children  # built collapsed, filled on demand
        await pilot.press("down", "down")  # acme > syncs > customers
        assert tree.cursor_node is script
        await pilot.press("right")  # expand
        assert [str(c.label.plain) for c in script.children][:2] == ["every hour · full", "GET /customers"]
        tree.move_cursor(customer)
        await pilot.press("enter")  # toggles it open: its fields come with the NodeExpanded event
        await until(lambda: customer.is_expanded and len(customer.children) == 4, pilot)
        assert "tier: gold | silver" in [str(c.label.plain) for c in customer.children]
        await pilot.press("slash", *"tier")  # a filter opens every node: fields included
        await until(lambda: any("tier" in str(n.label.plain) for n in _all_nodes(tree.root)), pilot)
