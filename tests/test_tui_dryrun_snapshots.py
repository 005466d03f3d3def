"""Snapshots (80x24, textual-dark) of the dryrun dialog and pane, from real dryruns.

Times are made deterministic by freezing the pane's clock once the run reached the state
shown; the "in progress" run is a sync that saves 5 records and then blocks.
`pytest --snapshot-update tests/test_tui_dryrun_snapshots.py` rewrites them (check by eye).
"""

from __future__ import annotations

import pytest

from nango_tui.dryrun import DryrunRequest
from nango_tui.tui.widgets import dryrun_results
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from tests.support.pilot import wait_for
from tests.support.tui_dryrun import PaneApp, load, make_dialog_app, write_project

SIZE = (80, 24)


@pytest.fixture
def root(tmp_path):
    return write_project(tmp_path / "proj")


def freeze(monkeypatch, results, elapsed: float) -> None:
    """Make the shown run `elapsed` seconds old, for good."""
    monkeypatch.setattr(dryrun_results, "clock", lambda: 1000.0 + elapsed)
    results.started = 1000.0
    if results.finished is not None:
        results.finished = 1000.0 + elapsed
    if results.done is not None:
        results.done["seconds"] = elapsed


async def settle_tabs(pilot, app) -> None:
    """Wait until the tab bar's underline sits under the (relabelled) active tab."""
    await pilot.pause(0.1)
    tabs = app.pane.query_one("ContentTabs")
    underline = tabs.query_one("Underline")

    def settled() -> bool:
        active = tabs.active_tab
        if active is None:
            return True
        span = active.virtual_region.shrink(active.styles.gutter).column_span
        return (underline.highlight_start, underline.highlight_end) == span

    try:
        await wait_for(pilot, settled)
    except AssertionError:
        active = tabs.active_tab
        print(
            "UNSETTLED",
            active,
            active.virtual_region,
            (underline.highlight_start, underline.highlight_end),
            [str(t.label) for t in tabs.query("ContentTab")],
        )
        raise
    await pilot.pause()


def pane_app(root) -> PaneApp:
    app = PaneApp(load(root))
    app.animation_level = "none"
    return app


def test_snapshot_dryrun_dialog(root, snap_compare):
    app = make_dialog_app(root, "lookup")
    app.animation_level = "none"

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        for widget in app.dialog.query("TextArea, Input"):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_dryrun_in_progress(root, snap_compare, monkeypatch):
    app = pane_app(root)

    async def run_before(pilot) -> None:
        pane = app.pane
        pane.start(DryrunRequest(root=root, name="blocks", connection_id="local"))
        try:
            await wait_for(pilot, lambda: pane.shown.tally.records == 5 and pane.shown.tally.logs == 2)
        except AssertionError:
            print(
                "NOT REACHED",
                pane.shown.tally.records,
                pane.shown.tally.logs,
                [l.message for l in pane.shown.logs],
            )
            raise
        freeze(monkeypatch, pane.shown, 2.5)
        pane.drain(force=True)
        pane.query_one("#records-Contact").focus()
        await settle_tabs(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_dryrun_done(root, snap_compare, monkeypatch):
    app = pane_app(root)

    async def run_before(pilot) -> None:
        pane = app.pane
        pane.start(
            DryrunRequest(
                root=root, name="contacts", connection_id="local", metadata={"records": 1500, "logs": 40}
            )
        )
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        freeze(monkeypatch, pane.shown, 1.5)
        pane.query_one("#records-Contact").focus()
        await pilot.press("down", "down")
        pane.drain(force=True)
        await settle_tabs(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_failed_action_with_its_action_error(root, snap_compare, monkeypatch):
    app = pane_app(root)

    async def run_before(pilot) -> None:
        pane = app.pane
        pane.start(DryrunRequest(root=root, name="lookup", connection_id="local", input={"id": "boom"}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        freeze(monkeypatch, pane.shown, 0.25)
        pane.drain(force=True)
        await settle_tabs(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
