"""The Deployments pane (F6) against a real `nango-tui serve` in a temporary folder (SQLite):
listing, server down, bad key, polling only while shown, deploy, acting, records."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import DataTable, TextArea

from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.deployments_view import NodeRef
from nango_tui.tui.screens.action_dialog import ActionDialog
from nango_tui.tui.screens.deploy_screen import DeployConfirmScreen
from nango_tui.tui.screens.inspector_screen import InspectorScreen
from nango_tui.tui.screens.prompt_screen import PromptScreen
from nango_tui.tui.screens.served_records_screen import ServedRecordsScreen, searchable_text
from nango_tui.tui.widgets import deployments_pane
from nango_tui.tui.widgets.deployments_pane import DeploymentsPane
from tests.support.pilot import screen_text, until, wait_for_text
from tests.support.server_process import ServerProcess, free_port
from tests.support.server_project import acme_headers, connection_body, write_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),  # a real server process
    pytest.mark.usefixtures("shared_warm_child"),  # one zygote per worker (tests/support/warm_child.py)
]

SIZE = (120, 40)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("panesrv")
    proc = ServerProcess(base / "data").start()
    project = write_project(base / "deployed")
    result = proc.cli("deploy", "dev", "--dir", str(project), "--auto-confirm")
    assert result.returncode == 0, result.stderr
    assert proc.post("/connections", json=connection_body("c1", count=3)).status_code == 200
    assert proc.post("/connections", json=connection_body("c2", count=450)).status_code == 200
    for connection, count in (("c1", 3), ("c2", 450)):
        proc.wait_for(
            lambda c=connection, n=count: (
                len(proc.get("/records?model=Item&limit=1000", headers=acme_headers(c)).json()["records"])
                == n
            ),
            what=f"{connection}'s first run",
        )
    yield proc
    proc.stop()


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)
    for name in ("NANGO_HOSTPORT", "NANGO_SECRET_KEY_DEV", "NANGO_SECRET_KEY_PROD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def client_env(server, monkeypatch):
    monkeypatch.setenv("NANGO_HOSTPORT", server.url)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", server.keys["dev"])
    return server


def labels(pane: DeploymentsPane) -> list[str]:
    out: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            out.append(child.label.plain)
            walk(child)

    walk(pane.tree.root)
    return out


def has_label(pane: DeploymentsPane, fragment: str) -> bool:
    return any(fragment in label for label in labels(pane))


def kinds_under(pane: DeploymentsPane, ref: NodeRef) -> set[str]:
    node = pane.tree.node_for(ref)
    return {child.data.kind for child in node.children} if node is not None else set()


async def highlight(pilot, pane: DeploymentsPane, ref: NodeRef, expand: bool = False) -> None:
    node = pane.tree.node_for(ref)
    assert node is not None, ref
    if expand:
        node.expand()
    await pilot.pause()  # the tree lays its lines out first
    pane.tree.move_cursor(node)
    await until(lambda: pane.highlighted() == ref, pilot)


async def test_f6_lists_the_deployed_scripts_their_syncs_and_runs(client_env, tmp_path) -> None:
    project = write_project(tmp_path / "proj")
    app = WorkbenchApp(project, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.deployments_pane
        assert not pane.display
        await pilot.press("f6")
        assert pane.display and not app.script_pane.display and not app.dryrun_pane.display
        assert app.current_pane_id() == "deployments"
        await until(lambda: has_label(pane, "items@v1") and has_label(pane, "echo@v1"), pilot)
        # the scripts show first, the connections once read (deployments_fetch's partial snapshot)
        await until(lambda: has_label(pane, "acme  2 connections"), pilot)
        await until(lambda: "3 scripts, 2 connections" in pane.status_text, pilot)
        assert client_env.url in pane.status_text
        items = NodeRef("script", "dev", "acme", "items", "sync")
        await highlight(pilot, pane, items)
        await until(lambda: "GET " + client_env.url + "/items" in screen_text(app), pilot)
        assert "deployed" in screen_text(app) and "track deletes" in screen_text(app)
        await highlight(pilot, pane, items, expand=True)
        await until(lambda: has_label(pane, "c1  ● SUCCESS  3 records"), pilot)
        c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
        await highlight(pilot, pane, c1, expand=True)
        await until(lambda: kinds_under(pane, c1) == {"model", "run"}, pilot)
        assert has_label(pane, "Item  3 records  last run +3 ~0 -0")
        await until(lambda: "frequency" in screen_text(app), pilot)
        assert "every 1800s" in screen_text(app)
        run_node = next(n for n in pane.tree.node_for(c1).children if n.data.kind == "run")
        await highlight(pilot, pane, run_node.data)
        await until(lambda: "logs (" in screen_text(app), pilot)
        assert "last_sync_date" in screen_text(app)  # the script's own log line
        await pilot.press("f3")  # back to Script + Dryrun
        assert not pane.display and app.script_pane.display


async def test_server_down_is_one_calm_line_with_the_address(server, tmp_path, monkeypatch) -> None:
    address = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("NANGO_HOSTPORT", address)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", "whatever")
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        pane = app.deployments_pane
        await until(lambda: "cannot reach" in pane.status_text, pilot)
        assert f"cannot reach the server at {address}" in pane.status_text
        assert "Traceback" not in screen_text(app)
        assert has_label(pane, "dev  unreachable")


async def test_a_bad_key_says_the_server_refused_it(client_env, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", "not-a-key")
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        pane = app.deployments_pane
        await until(lambda: "401" in pane.status_text, pilot)
        assert "unknown_account" in pane.status_text and "not-a-key" not in screen_text(app)


def notifications(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def open_pane(app, pilot) -> DeploymentsPane:
    await pilot.press("f6")
    pane = app.deployments_pane
    await until(lambda: has_label(pane, "items@v"), pilot)
    return pane


# -- point 2: deploy from the workbench ----------------------------------------------------------


async def test_deploy_shows_the_confirmation_and_deploys_only_on_yes(
    client_env, tmp_path, monkeypatch
) -> None:
    server = client_env
    monkeypatch.setenv("NANGO_SECRET_KEY_PROD", server.keys["prod"])
    project = write_project(tmp_path / "proj")
    app = WorkbenchApp(project, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        prod = NodeRef("env", "prod")
        await highlight(pilot, pane, prod)
        await pilot.press("D")
        await until(lambda: "Deploy 3 scripts to prod" in screen_text(app), pilot, timeout=120)
        text = screen_text(app)
        assert isinstance(app.screen, DeployConfirmScreen) and "Sync items (acme) is new" in text
        assert "Action echo (acme) is new" in text and "deletes data" not in text
        await pilot.press("n")
        await until(lambda: "deploy cancelled" in notifications(app), pilot)
        assert server.get("/scripts/config", key="prod").json() == []
        await pilot.press("D")
        await until(lambda: isinstance(app.screen, DeployConfirmScreen), pilot, timeout=120)
        await pilot.press("y")
        await until(lambda: "deployed " in notifications(app), pilot, timeout=120)
        assert "items@v1" in notifications(app)
        served = server.get("/scripts/config", key="prod").json()
        assert {s["name"] for s in served[0]["syncs"] + served[0]["actions"]} == {"items", "echo", "fail"}
        await until(lambda: pane.tree.node_for(NodeRef("script", "prod", "acme", "items", "sync")), pilot)
        # a removal that deletes data is marked, and still needs y
        assert server.post("/connections", key="prod", json=connection_body("p1", count=2)).status_code == 200
        yaml_text = (project / "nango.yaml").read_text()
        start = yaml_text.index("        syncs:")
        (project / "nango.yaml").write_text(
            yaml_text[:start] + yaml_text[yaml_text.index("        actions:") :]
        )
        (project / "acme" / "syncs" / "items.py").unlink()
        await pilot.press("D")
        await until(lambda: "Deploy 2 scripts to prod" in screen_text(app), pilot, timeout=120)
        text = screen_text(app)
        assert "! Sync items (acme) has been removed: its data will be deleted for 1 connection(s)" in text
        assert "This deploy deletes data" in text and app.screen.destructive
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, DeployConfirmScreen), pilot)
        assert "items" in {s["name"] for s in server.get("/scripts/config", key="prod").json()[0]["syncs"]}


async def test_the_palette_command_deploys_through_the_same_confirmation(
    client_env, tmp_path, monkeypatch
) -> None:
    server = client_env
    monkeypatch.setenv("NANGO_SECRET_KEY_PROD", server.keys["prod"])
    before = server.get("/scripts/config", key="prod").json()
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"deploy prod")
        await wait_for_text(pilot, app, "compile, show what changes on the prod server")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DeployConfirmScreen), pilot, timeout=120)
        assert "Deploy 3 scripts to prod" in screen_text(app) and "y: deploy" in screen_text(app)
        assert app.screen_stack[0].query_one(DeploymentsPane).display  # the pane came with it
        await pilot.press("n")
        await until(lambda: "deploy cancelled" in notifications(app), pilot)
    assert server.get("/scripts/config", key="prod").json() == before


async def test_compile_errors_block_the_deploy_and_focus_problems(client_env, tmp_path) -> None:
    project = write_project(tmp_path / "proj")
    (project / "acme" / "actions" / "echo.py").write_text(
        "async def run_action(nango, input):\n    return undefined_name\n"
    )
    before = client_env.get("/scripts/config").json()
    app = WorkbenchApp(project, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(app, pilot)
        await pilot.press("D")
        await until(lambda: app.current_pane_id() == "problems", pilot, timeout=120)
        assert "compile found" in notifications(app) and "nothing was deployed" in notifications(app)
        assert "echo.py" in screen_text(app)
        assert not isinstance(app.screen, DeployConfirmScreen)
    assert client_env.get("/scripts/config").json() == before


# -- point 3: act ---------------------------------------------------------------------------------


async def test_pause_start_trigger_full_resync_and_frequency(client_env, tmp_path) -> None:
    server = client_env
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        items = NodeRef("script", "dev", "acme", "items", "sync")
        await highlight(pilot, pane, items, expand=True)
        c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
        await until(lambda: pane.tree.node_for(c1) is not None, pilot)
        await highlight(pilot, pane, c1)
        await pilot.press("p")
        await until(lambda: "paused items for c1" in notifications(app), pilot)
        await until(lambda: has_label(pane, "c1  ● PAUSED"), pilot)
        await wait_for_text(pilot, app, "c1  ● PAUSED")  # a label changed in place is repainted
        assert server.sql(
            "SELECT state FROM syncs s JOIN connections c ON c.id = s.connection_pk "
            "WHERE c.connection_id = 'c1'"
        ) == [("PAUSED",)]
        await pilot.press("p")
        await until(lambda: "started items for c1" in notifications(app), pilot)
        await until(lambda: not has_label(pane, "c1  ● PAUSED"), pilot)
        runs = "SELECT count(*) FROM sync_runs r JOIN syncs s ON s.id = r.sync_id JOIN connections c ON c.id = s.connection_pk WHERE c.connection_id = 'c1'"
        # start runs a sync that is due at once; a trigger while it runs is skipped (as in Nango)
        server.wait_for(
            lambda: not server.sql(runs + " AND r.status = 'RUNNING'")[0][0], what="no run in flight"
        )
        before = server.sql(runs)[0][0]
        await pilot.press("t")
        await until(lambda: "triggered items for c1" in notifications(app), pilot)
        server.wait_for(lambda: server.sql(runs)[0][0] > before, what="the triggered run")
        server.wait_for(
            lambda: not server.sql(runs + " AND r.status = 'RUNNING'")[0][0], what="no run in flight"
        )
        await pilot.press("f")
        await until(lambda: "full resync of items for c1" in notifications(app), pilot)
        server.wait_for(
            lambda: server.sql("SELECT count(*) FROM sync_runs WHERE mode = 'full_refresh'")[0][0] > 0,
            what="the full resync",
        )
        await pilot.press("F")
        await until(lambda: isinstance(app.screen, PromptScreen), pilot)
        await pilot.press(*"every 5s", "enter")
        await until(lambda: "30" in notifications(app) and "answered 400" in notifications(app), pilot)
        await pilot.press("F")
        await until(lambda: isinstance(app.screen, PromptScreen), pilot)
        await pilot.press(*"every 2h", "enter")
        await until(lambda: "now runs every 7200s" in notifications(app), pilot)
        status = server.get("/sync/status?provider_config_key=acme&syncs=items&connection_id=c1").json()
        assert status["syncs"][0]["frequency"] == "every 7200s"


async def test_trigger_an_action_with_the_input_editor(client_env, tmp_path) -> None:
    from nango_tui.workflows import generate

    project = write_project(tmp_path / "proj")
    generate(project)  # models.py: the input is checked against Item
    app = WorkbenchApp(project, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "echo", "action"))
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ActionDialog), pilot)
        editor = app.screen.query_one("#input", TextArea)
        assert '"id": ""' in editor.text and '"n": 0' in editor.text  # the model's template
        editor.text = '{"id": 7}'
        await until(lambda: "does not match Item" in (app.screen.input_error or ""), pilot)
        await pilot.press("ctrl+j")
        assert isinstance(app.screen, ActionDialog)  # refused: the input is not an Item
        editor.text = '{"id": "x1", "n": 5}'
        await until(lambda: app.screen.input_error is None, pilot)
        await pilot.press("ctrl+j")
        await until(lambda: isinstance(app.screen, InspectorScreen), pilot, timeout=120)
        assert app.screen.title_text == "echo for c1: output"
        assert '"id": "x1"' in "\n".join(map(str, app.screen.lines))


async def test_an_action_error_is_answered_on_screen(client_env, tmp_path) -> None:
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "fail", "action"))
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ActionDialog), pilot)
        app.screen.query_one("#input", TextArea).text = '{"id": "z"}'
        await until(lambda: app.screen.input_error is None, pilot)
        await pilot.press("ctrl+j")
        await until(lambda: "action_script_runtime_error" in notifications(app), pilot, timeout=120)


# -- point 4: served records ------------------------------------------------------------------------


async def test_browse_the_served_records_paged_filtered_and_searched(client_env, tmp_path) -> None:
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "items", "sync"), expand=True)
        c2 = NodeRef("sync", "dev", "acme", "items", "sync", "c2")
        await until(lambda: pane.tree.node_for(c2) is not None, pilot)
        await highlight(pilot, pane, c2, expand=True)
        model = NodeRef("model", "dev", "acme", "items", "sync", "c2", "Item")
        await until(lambda: pane.tree.node_for(model) is not None, pilot)
        await highlight(pilot, pane, model)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ServedRecordsScreen) and app.screen.loads == 1, pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 200 and screen.columns == ["id", "n"]
        assert "page 1 · records 1-200 · more (n)" in screen_text(app)
        await pilot.press("n")
        await until(lambda: screen.loads == 2, pilot)
        await pilot.press("n")
        await until(lambda: screen.loads == 3, pilot)
        assert table.row_count == 50 and "records 401-450 · last page" in screen_text(app)
        await pilot.press("p")
        await until(lambda: screen.loads == 4, pilot)
        assert table.row_count == 200 and "page 2" in screen_text(app)
        await pilot.press("f")  # added
        await until(lambda: screen.loads == 5, pilot)
        assert screen.filter == "added" and table.row_count == 200 and "page 1" in screen_text(app)
        await pilot.press("f")  # updated: nothing was updated
        await until(lambda: screen.loads == 6, pilot)
        assert table.row_count == 0
        await pilot.press("f", "f")  # deleted, then all
        await until(lambda: screen.loads == 8 and screen.filter == "all", pilot)
        await pilot.press("m")
        await pilot.press(*"yesterday", "enter")
        await until(lambda: "not an ISO date" in screen_text(app), pilot)
        screen.query_one("#served-modified").value = "2999-01-01"
        await pilot.press("enter")  # the field still has the focus after a bad date
        await until(lambda: screen.loads == 9, pilot)
        assert table.row_count == 0 and "modified after 2999-01-01" in screen_text(app)
        await pilot.press("m")
        screen.query_one("#served-modified").value = ""
        await pilot.press("enter")
        await until(lambda: screen.loads == 10 and table.row_count == 200, pilot)
        await pilot.press("slash", *"i42", "enter")
        await until(lambda: screen.search_text == "i42", pilot)
        assert screen.search_counts == (11, 450)  # i42, i420-i429
        assert "“i42”: 11 of 450 records match" in screen_text(app)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, InspectorScreen), pilot)
        assert '"id": "i42' in "\n".join(map(str, app.screen.lines))
        await pilot.press("escape")
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, ServedRecordsScreen), pilot)


async def test_the_filter_finds_a_connection_and_the_cursor_stays_in_what_is_left(
    client_env, tmp_path, monkeypatch
) -> None:
    """Filtering by a connection keeps its script (it hid every script whose name did not match);
    a highlighted node the filter hides leaves the cursor on its nearest ancestor still shown."""
    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 600)
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        items = NodeRef("script", "dev", "acme", "items", "sync")
        await highlight(pilot, pane, items, expand=True)
        c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
        c2 = NodeRef("sync", "dev", "acme", "items", "sync", "c2")
        await until(lambda: pane.tree.node_for(c2) is not None, pilot)
        await highlight(pilot, pane, c2)
        await pilot.press("slash", *"c1")
        await until(lambda: pane.tree.node_for(c2) is None, pilot)
        assert pane.tree.node_for(c1) is not None and pane.tree.node_for(items) is not None
        assert pane.highlighted() == items  # c2's parent, not whatever took c2's line
        assert pane.tree.node_for(NodeRef("script", "dev", "acme", "echo", "action")) is None
        await wait_for_text(pilot, app, "c1  ● ")


async def test_a_status_request_that_fails_keeps_what_was_shown_and_says_so(
    client_env, local_server, tmp_path, monkeypatch
) -> None:
    """The server's own answers, replayed by a stub whose `/sync/status` then fails: the tree and
    the detail keep the last statuses, and the status line says a request failed."""
    from tests.support.http_server import Reply

    server = client_env
    for path in ("/scripts/config", "/connections"):
        local_server.route("GET", path, Reply(200, server.get(path).json()))
    statuses = server.get("/sync/status?provider_config_key=acme&syncs=items").json()
    local_server.route(
        "GET", "/sync/status", [Reply(200, statuses), Reply(500, {"error": {"code": "server_error"}})]
    )
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 0.2)
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "items", "sync"), expand=True)
        c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
        await until(lambda: pane.tree.node_for(c1) is not None, pilot)
        await highlight(pilot, pane, c1)
        await until(lambda: "1 request failed" in pane.status_text, pilot)
        assert pane.tree.node_for(c1) is not None and pane.highlighted() == c1
        await wait_for_text(pilot, app, "items of c1 (acme)")  # c1's detail, from the last answer
        assert has_label(pane, "c1  ● SUCCESS")
        await highlight(pilot, pane, NodeRef("env", "dev"))
        await wait_for_text(pilot, app, "⚠ acme/items: the server answered 500")


# -- point 5: live, never blocking ---------------------------------------------------------------


async def open_both_connections(pilot, pane: DeploymentsPane) -> tuple[NodeRef, NodeRef]:
    """items@v1 open, c1 and c2 open with their runs listed; the refs of c1's and c2's models."""
    await highlight(pilot, pane, NodeRef("script", "dev", "acme", "items", "sync"), expand=True)
    c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
    c2 = NodeRef("sync", "dev", "acme", "items", "sync", "c2")
    await until(lambda: pane.tree.node_for(c1) is not None and pane.tree.node_for(c2) is not None, pilot)
    await highlight(pilot, pane, c2, expand=True)
    await until(lambda: "run" in kinds_under(pane, c2), pilot)
    return replace(c1, kind="model", model="Item"), replace(c2, kind="model", model="Item")


async def test_a_key_right_after_a_refresh_moves_from_the_highlighted_node(
    client_env, tmp_path, monkeypatch
) -> None:
    """A refresh that adds lines above the cursor (c1's runs, asked for when c1 opens) and a Down
    handled before the tree lays its lines out again: the cursor goes to the node under the one
    highlighted, not to a line counted on the old layout (the tmux e2e's lost Down presses)."""
    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 600)  # only the answers this test asks for
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        _, c2_model = await open_both_connections(pilot, pane)
        await highlight(pilot, pane, c2_model)
        below = pane.tree.node_for(c2_model).next_sibling.data  # c2's latest run
        c1 = NodeRef("sync", "dev", "acme", "items", "sync", "c1")
        pressed: list[NodeRef | None] = []
        draw = pane._draw_env

        def draw_then_press(snap) -> None:  # the key is next in line when c1's runs arrive
            draw(snap)
            if not pressed and "run" in kinds_under(pane, c1):
                pane.tree.action_cursor_down()
                pressed.append(pane.highlighted())

        pane._draw_env = draw_then_press
        pane.tree.node_for(c1).expand()  # asks for c1's runs: they come above the cursor
        await until(lambda: pressed, pilot)
        assert pressed == [below]
        await pilot.pause()
        assert pane.highlighted() == below


async def test_a_refresh_that_did_not_ask_for_the_runs_keeps_them_and_the_cursor(
    client_env, tmp_path, monkeypatch
) -> None:
    """An answer to a request sent before a connection was opened (or whose runs request failed)
    says nothing about its runs: the runs shown and the highlighted one stay, detail included."""
    from nango_tui.tui.deployments_fetch import Wanted, fetch
    from nango_tui.tui.widgets.deployments_pane import Fetched

    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 600)
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        _, c2_model = await open_both_connections(pilot, pane)
        run = pane.tree.node_for(c2_model).next_sibling.data
        await highlight(pilot, pane, run)
        await until(lambda: "logs (" in screen_text(app), pilot)
        await until(lambda: not pane._fetching, pilot)
        only_scripts = Wanted(frozenset({("acme", "items")}))  # what was open before c2
        snap = await asyncio.to_thread(fetch, pane.links["dev"], only_scripts)
        assert not snap.runs and snap.error is None
        pane._fetched(Fetched(snap))  # applied as the pane applies any answer
        assert pane.tree.node_for(run) is not None
        assert pane.highlighted() == run
        await pilot.pause()
        assert pane.highlighted() == run and "logs (" in screen_text(app)


async def test_polls_while_shown_and_never_while_hidden(client_env, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 0.1)
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.deployments_pane
        ticks = pane.poll_ticks
        await until(lambda: pane.poll_ticks >= ticks + 5, pilot)
        assert pane.refreshes == 0  # never shown: nothing asked
        pane = await open_pane(app, pilot)
        shown = pane.refreshes
        await until(lambda: pane.refreshes >= shown + 3, pilot)  # refreshed while shown
        await pilot.press("f3")
        await pilot.pause()
        await until(lambda: not pane._fetching, pilot)
        hidden, ticks = pane.refreshes, pane.poll_ticks
        await until(lambda: pane.poll_ticks >= ticks + 5, pilot)
        assert pane.refreshes == hidden


async def test_opening_the_pane_asks_once(client_env, tmp_path, monkeypatch) -> None:
    """F6 sends one request set: the scripts, then the connections; the integrations opened by
    that answer need nothing more (they asked again, a second tree update for the first screen)."""
    monkeypatch.setattr(deployments_pane, "POLL_SECONDS", 600)
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot)
        await until(lambda: "2 connections" in pane.status_text and not pane._fetching, pilot)
        await pilot.pause()
        assert pane.fetches == 1 and not pane._fetching and not pane._again
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "items", "sync"), expand=True)
        await until(lambda: has_label(pane, "c1  ● "), pilot)  # opening a sync asks for its statuses
        assert pane.fetches == 2


async def test_the_hidden_pane_makes_its_client_and_asks_nothing(local_server, tmp_path, monkeypatch) -> None:
    """Mounted hidden after the first frame, the pane makes the environment's HTTP client (F6's
    first request then goes out at once) and sends nothing until it is shown."""
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", "k")
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(app.deployments_mounted, pilot)
        pane = app.deployments_pane
        await until(lambda: "dev" in pane.links, pilot)
        assert pane.links["dev"].client is not None and not pane.display
        await pilot.pause(0.5)
        assert local_server.requests == [] and pane.fetches == 0


async def test_a_slow_server_never_blocks_the_workbench(local_server, tmp_path, monkeypatch) -> None:
    import threading

    release = threading.Event()

    def held(request):
        release.wait(60)  # the answer comes when the test says so
        return []

    local_server.route("GET", "/scripts/config", held)
    local_server.route("GET", "/connections", {"connections": []})
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", "k")
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f6")
            pane = app.deployments_pane
            await until(lambda: local_server.requests, pilot)  # the request is in flight
            # the first frame waits a moment for the answer, never longer: the pane is painted
            await wait_for_text(pilot, app, "dev: asking the server")
            assert not release.is_set() and pane.refreshes == 0
            await pilot.press("f3")  # the keys still work at once
            assert app.script_pane.display and not pane.display
            await pilot.press("f6")
            assert pane.display and "dev" in pane._fetching and pane.refreshes == 0
            release.set()
            await until(lambda: pane.refreshes >= 1, pilot)
            await until(lambda: "0 scripts, 0 connections" in pane.status_text, pilot)
    finally:
        release.set()


async def test_a_server_that_is_not_nango_is_one_line(local_server, tmp_path, monkeypatch) -> None:
    local_server.route("GET", "/scripts/config", {"hello": "world"})
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", "k")
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        pane = app.deployments_pane
        await until(lambda: "bad_response" in pane.status_text, pilot)
        assert "Traceback" not in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_pane_at_80x24_and_160x45(client_env, tmp_path, size) -> None:
    app = WorkbenchApp(write_project(tmp_path / "proj"), watch=False)
    async with app.run_test(size=size) as pilot:
        pane = await open_pane(app, pilot)
        await highlight(pilot, pane, NodeRef("script", "dev", "acme", "items", "sync"))
        await until(lambda: "items@v1  sync of acme" in screen_text(app), pilot)
        text = screen_text(app)
        assert "Deployments" in text and "D Deploy" in text and "items@v1  sync" in text
        assert pane.query_one("#deployments-detail").display  # room for the detail at both sizes


def test_search_skips_the_opaque_cursor_of_a_served_record() -> None:
    """`/` finds what a record says, not the base64 of its cursor (a flaky `i42` search matched
    every record of a batch whose timestamp encoded to it)."""
    import base64

    cursor = base64.b64encode(b"2026-11-30T17:42:31.123456Z||i7").decode()
    record = {"id": "i7", "title": "Seven", "_nango_metadata": {"last_action": "ADDED", "cursor": cursor}}
    text = searchable_text(record)
    assert cursor.lower()[4:12] not in text
    assert '"id": "i7"' in text and "seven" in text and "added" in text
    assert record["_nango_metadata"]["cursor"] == cursor  # the record shown is left whole
