"""Issue 15 in the Dryrun pane: crash-free switching, keyboard reach, inspector, search, history."""

from __future__ import annotations

import pytest
from test_tui_dryrun_helpers import PaneApp, load, wait_for, write_project
from textual.widgets import DataTable

from nango_tui.dryrun import DryrunRequest
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from nango_tui.tui.widgets.dryrun_records import DryrunRecords


@pytest.fixture
def project_root(tmp_path):
    return write_project(tmp_path / "proj")


def request(root, name="contacts", connection="local", **kwargs) -> DryrunRequest:
    return DryrunRequest(root=root, name=name, connection_id=connection, **kwargs)


async def run_to_end(app, pilot, req) -> None:
    count = len(app.of(DryrunPane.RunFinished))
    app.pane.start(req)
    await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) > count)
    await pilot.pause()


async def test_switching_scripts_quickly_after_a_run_does_not_crash(project_root):
    """Moving up and down the tree re-shows runs faster than old tables are removed
    (it ended the app with DuplicateIds 'records-Contact')."""
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_end(app, pilot, request(project_root, name="contacts"))
        await run_to_end(app, pilot, request(project_root, name="sloppy"))
        for _ in range(10):  # in one go, as key repeats arrive
            app.pane.show_script("demo/contacts")
            app.pane.show_script("other/tickets")
            app.pane.show_script("demo/sloppy")
        app.pane.show_script("demo/contacts")
        await pilot.pause(0.3)
        records = app.pane.query_one(DryrunRecords)
        assert records.current_model == "Contact"
        tables = [t for t in records.query(DataTable) if t.display]
        assert len(tables) == 1 and tables[0].row_count == 10
    assert app.return_code in (None, 0)
