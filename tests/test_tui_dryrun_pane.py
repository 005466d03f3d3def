"""Pilot tests of the dryrun pane: real dryruns in child processes, plus a scripted stream."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from textual.widgets import DataTable, TabbedContent

from nango_tui.dryrun import DryrunRequest
from nango_tui.tui.dryrun_stream import PROGRESS_SECONDS
from nango_tui.tui.widgets import dryrun_results
from nango_tui.tui.widgets.dryrun_invalid import DryrunInvalid
from nango_tui.tui.widgets.dryrun_logs import DryrunLogs, LogFilter, LogLines
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from nango_tui.tui.widgets.dryrun_records import DryrunRecords
from nango_tui.tui.widgets.dryrun_requests import DryrunRequests
from tests.support.pilot import screen_text, wait_for, wait_for_text
from tests.support.tui_dryrun import SECRET, PaneApp, load, write_project

# runs fork from a zygote, as the workbench's after its warm-up (tests/support/warm_child.py)
pytestmark = pytest.mark.usefixtures("warm_dryrun_children")


@pytest.fixture
def project_root(tmp_path):
    return write_project(tmp_path / "proj")


def request(root, name="contacts", connection="local", **kwargs) -> DryrunRequest:
    return DryrunRequest(root=root, name=name, connection_id=connection, **kwargs)


async def test_real_sync_streams_into_bounded_views(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        began = time.monotonic()
        pane.start(request(project_root, metadata={"records": 2500, "logs": 2500}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        took = time.monotonic() - began
        await pilot.pause()
        started, finished = app.of(DryrunPane.RunStarted), app.of(DryrunPane.RunFinished)
        assert len(started) == 1 and started[0].request.name == "contacts"
        assert finished[0].status == "ok"
        assert finished[0].counts["Contact"]["save"] == 2500
        results = pane.shown
        assert results.state == "done" and results.tally.records == 2500 and results.tally.logs == 2500
        # the table holds the window, not the run; columns are the model's fields
        table = pane.query_one(DryrunRecords).query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == dryrun_results.RECORDS_KEPT)
        assert [str(c.label) for c in table.columns.values()] == ["id", "first_name", "last_name", "email"]
        await wait_for(pilot, lambda: pane.query_one(LogLines).line_count == 2500)
        await wait_for_text(pilot, app, "✔ done", "Contact 2,500", "1-1,000 shown (n/p: pages)")
        # progress is coalesced: at most one message every PROGRESS_SECONDS of the run, whatever
        # its 5,000 events (a fixed bound failed when a loaded machine made the run last 12 s)
        assert 1 <= len(app.of(DryrunPane.Progress)) <= took / PROGRESS_SECONDS + 1
        assert all(SECRET not in line.message for line in results.logs)


async def test_the_hidden_summary_is_drawn_when_its_tab_is_shown(project_root):
    """issue 18: a new summary text re-lays the whole screen out, so the Summary tab is not
    redrawn while it is hidden; showing it (here `[` from Records) shows the run's summary."""
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 3, "logs": 1}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        assert pane.tabs.active == "dryrun-records"  # an ok sync stays in Records
        summary_text = pane.tabs.summary.query_one("#summary-text")
        assert "Contact" not in str(summary_text.render())  # not redrawn while hidden
        pane.focus_body()
        await pilot.press("left_square_bracket")  # Records -> Summary
        await wait_for(pilot, lambda: pane.tabs.active == "dryrun-summary")
        await wait_for_text(pilot, app, "✔ ok", "1 log lines")
        assert "Contact" in screen_text(app)


async def test_escape_stops_a_running_dryrun(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="blocks"))
        await wait_for(pilot, lambda: pane.shown.tally.records == 5 and pane.controller.run is not None)
        pid = pane.controller.run.pid
        assert pane.running
        pane.query_one(DataTable).focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        assert app.of(DryrunPane.RunFinished)[0].status == "cancelled"
        assert not pane.running and pane.shown.state == "cancelled"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert "stopped" in screen_text(app)
        # escape with nothing running does nothing (the binding is off)
        await pilot.press("escape")
        assert pane.stop() is False


async def test_s_saves_every_record_to_a_new_jsonl_file(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 1500, "logs": 3}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        pane.query_one(DataTable).focus()
        await pilot.press("s")
        await wait_for(pilot, lambda: app.of(DryrunPane.RecordsSaved))
        await pilot.press("s")
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RecordsSaved)) == 2)
        first, second = app.of(DryrunPane.RecordsSaved)
        assert first.path != second.path  # never overwritten
        assert first.path.parent == project_root / ".nango" / "records"
        lines = first.path.read_text().splitlines()
        assert first.count == len(lines) == 1500  # the full set, not the 1,000-row window
        row = json.loads(lines[1499])
        assert row == {
            "op": "save",
            "model": "Contact",
            "record": {"id": "c1499", "first_name": "First1499", "last_name": "Last1499", "email": None},
        }
        assert any("Saved 1,500 records" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("link", [".nango/records", ".nango"])
async def test_s_refuses_a_records_folder_that_leads_outside_the_project(project_root, tmp_path, link):
    """Issue 10's rule: a symlinked .nango or .nango/records pointing elsewhere gets nothing written."""
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 3, "logs": 0}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        placed = project_root / link
        if link == ".nango":  # the run's own files move out with it: keep them reachable
            (outside / "runs").mkdir()
            for item in (project_root / ".nango").iterdir():
                item.rename(outside / item.name)
            (project_root / ".nango").rmdir()
        placed.symlink_to(outside, target_is_directory=True)
        pane.save_records()
        await wait_for(pilot, lambda: any("Could not save" in str(n.message) for n in app._notifications))
        assert not app.of(DryrunPane.RecordsSaved)
        assert [p for p in outside.rglob("*.jsonl") if "runs" not in p.parts] == []
        message = next(str(n.message) for n in app._notifications if "Could not save" in str(n.message))
        assert "outside the folder" in message


async def test_s_without_records_warns(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test() as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert not app.of(DryrunPane.RecordsSaved)
        assert any("No records" in str(n.message) for n in app._notifications)


async def test_results_stay_per_script_until_its_next_run(project_root):
    project = load(project_root)
    app = PaneApp(project)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 30, "logs": 2}))
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 1)
        pane.start(request(project_root, name="lookup", input={"id": "boom"}))
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 2)
        assert app.of(DryrunPane.RunFinished)[1].status == "failed"
        contacts = project.find_script("contacts")[0]
        lookup = project.find_script("lookup")[0]
        pane.show_script(contacts)
        await pilot.pause()
        assert pane.shown.script_key == "demo/contacts" and pane.shown.tally.records == 30
        assert pane.query_one(DryrunRecords).query_one(DataTable).row_count == 30
        pane.show_script(lookup)
        await pilot.pause()
        assert pane.shown.error["payload"] == {"message": "no contact boom", "code": 404}
        # a script never run shows nothing of the others
        pane.show_script(project.find_script("tickets")[0])
        await pilot.pause()
        assert pane.shown is None
        assert "No dryrun of tickets yet" in screen_text(app)
        # the next run of contacts replaces its results; lookup's stay
        first_contacts = pane.results_for(contacts)
        assert pane.rerun_last() is True  # the last request was lookup's
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 3)
        assert app.of(DryrunPane.RunStarted)[-1].request.name == "lookup"
        assert pane.results_for(contacts) is first_contacts
        pane.start(request(project_root, metadata={"records": 7, "logs": 0}))
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 4)
        assert pane.results_for(contacts) is not first_contacts
        assert pane.results_for(contacts).tally.records == 7
        assert pane.results_for(lookup).error["kind"] == "action_error"


async def test_failed_action_switches_to_summary_with_its_payload(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="lookup", input={"id": "boom"}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        assert pane.query_one(TabbedContent).active == "dryrun-summary"
        await wait_for(pilot, lambda: "action_error" in screen_text(app))
        text = screen_text(app)
        assert "action_error" in text and "demo/actions/lookup.py:7" in text
        assert '"code": 404' in text


async def test_invalid_records_are_listed_with_their_errors(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="sloppy"))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        invalid = pane.query_one(DryrunInvalid)
        assert invalid.table.row_count == len(pane.shown.invalid) == 2
        pane.query_one(TabbedContent).active = "dryrun-invalid"
        invalid.table.focus()
        await pilot.pause()
        text = screen_text(app)
        assert "Invalid 2" in text and "2 invalid records" in text
        assert "id: Input should be a valid string; last_name: Field required" in text
        assert "✘ last_name: Field required" in text  # the highlighted record in detail
        await pilot.press("enter")  # the inspector, imported when first opened
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InspectorScreen")
        assert app.screen.title_text.startswith("Invalid ") and app.screen.title_text.endswith("#1")


async def test_setup_error_is_shown_not_raised(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, connection="nope"))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        assert app.of(DryrunPane.RunFinished)[0].status == "failed"
        assert pane.shown.setup_error and "nope" in pane.shown.setup_error
        assert "could not start" in screen_text(app)


async def test_slash_filters_the_logs_and_escape_closes_the_filter(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 0, "logs": 300}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        pane.query_one(TabbedContent).query_one("Tabs").focus()
        await pilot.press("slash")
        assert pane.query_one(TabbedContent).active == "dryrun-logs"
        assert isinstance(app.focused, LogFilter)
        await pilot.press(*"error")
        await pilot.pause()
        logs = pane.query_one(DryrunLogs)
        assert logs.filter_text == "error"
        assert logs.lines_view.line_count == 3  # items 7, 107, 207
        assert "3 match" in screen_text(app)
        await pilot.press("escape")
        assert logs.filter_text == "" and logs.lines_view.line_count == 300
        assert isinstance(app.focused, LogLines)


async def test_brackets_move_between_tabs(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test() as pilot:
        tabs = app.pane.query_one(TabbedContent)
        app.pane.query_one("Tabs").focus()
        await pilot.press("right_square_bracket")
        assert tabs.active == "dryrun-logs"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert tabs.active == "dryrun-summary"


class ScriptedRun:
    """A stand-in for DryrunRun streaming a fixed, large event list (no child process)."""

    def __init__(self, events: list[dict]) -> None:
        self._events = events
        self.records_file = None
        self.kind = "sync"
        self.cancelled = False

    async def events(self):
        for i, event in enumerate(self._events):
            if self.cancelled:
                yield {"type": "done", "status": "cancelled", "counts": {}}
                return
            yield event
            if i % 500 == 0:
                await asyncio.sleep(0)

    async def cancel(self) -> None:
        self.cancelled = True


async def test_windows_stay_bounded_whatever_the_run_streams(project_root):
    events: list[dict] = [{"type": "start", "t": 0, "kind": "sync"}]
    for start in range(0, 20_000, 1000):
        events.append(
            {
                "type": "batch",
                "op": "save",
                "model": "Contact",
                "records": [
                    {"id": f"c{i}", "first_name": "F", "last_name": "L"} for i in range(start, start + 1000)
                ],
            }
        )
        events.append(
            {
                "type": "batch",
                "op": "delete",
                "model": "Ticket",
                "records": [{"id": f"t{start}", "title": "x"}],
            }
        )
    events += [{"type": "log", "level": "info", "message": f"line {i}", "t": 1.0} for i in range(20_000)]
    events += [
        {
            "type": "request",
            "method": "GET",
            "url": f"http://x/api?page={i}",
            "status": 200,
            "ms": 3,
            "bytes": 10,
            "attempt": 1 + (i % 50 == 0),
        }
        for i in range(1500)
    ]
    events += [
        {
            "type": "invalid",
            "model": "Contact",
            "record": {"id": i},
            "errors": [{"path": "id", "message": "Input should be a valid string"}],
        }
        for i in range(700)
    ]
    events.append({"type": "done", "status": "ok", "counts": {"Contact": {"save": 20000}}})

    async def starter(_request):
        return ScriptedRun(events)

    app = PaneApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        results = pane.shown
        assert len(results.records["Contact"]) == dryrun_results.RECORDS_KEPT
        assert len(results.logs) == dryrun_results.LOGS_KEPT and results.logs[-1].message == "line 19999"
        assert len(results.requests) == dryrun_results.REQUESTS_KEPT
        assert len(results.invalid) == dryrun_results.INVALID_KEPT
        assert results.tally.requests == 1500 and results.tally.retries == 30
        await wait_for(
            pilot, lambda: pane.query_one(DryrunRequests).table.row_count == dryrun_results.REQUESTS_KEPT
        )
        await wait_for(
            pilot, lambda: pane.query_one(DryrunInvalid).table.row_count == dryrun_results.INVALID_KEPT
        )
        records = pane.query_one(DryrunRecords)
        assert records.current_model == "Contact"
        records.query_one("#records-Contact").focus()
        await pilot.press("m")
        assert records.current_model == "Ticket"
        await wait_for_text(pilot, app, "Records 20,020", "Logs 20,000", "Invalid 700")


async def test_a_new_start_replaces_the_running_run(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="blocks"))
        await wait_for(pilot, lambda: pane.controller.run is not None and pane.shown.tally.records == 5)
        pid = pane.controller.run.pid
        pane.start(request(project_root, metadata={"records": 3, "logs": 1}))
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 2)
        statuses = {m.request.name: m.status for m in app.of(DryrunPane.RunFinished)}
        assert statuses == {"blocks": "cancelled", "contacts": "ok"}
        await wait_for(pilot, lambda: not _alive(pid))


async def test_sample_action_replays_end_to_end_through_the_pane(tmp_path):
    import shutil

    from nango_tui.dryrun.regress import saved_inputs
    from tests.support.paths import SAMPLES as ORIGINAL

    SAMPLES = tmp_path / "samples"  # the run writes .nango/runs: keep the checkout clean
    shutil.copytree(ORIGINAL, SAMPLES, ignore=shutil.ignore_patterns(".nango", "__pycache__"))
    project = load(SAMPLES)
    inputs = saved_inputs(SAMPLES, "github", "create-issue")
    app = PaneApp(project)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(
            request(
                SAMPLES,
                name="create-issue",
                connection="github-demo",
                integration="github",
                input=inputs["input"],
            )
        )
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        finished = app.of(DryrunPane.RunFinished)[0]
        assert finished.status == "ok", finished.error
        assert pane.shown.tally.requests >= 1
        assert pane.query_one(DryrunRequests).table.row_count == pane.shown.tally.requests
        pane.show_tab("dryrun-requests")
        pane.query_one(DryrunRequests).table.focus()
        await wait_for(pilot, lambda: '"method": "POST"' in screen_text(app))  # the exchange in detail
        assert "POST" in screen_text(app) and "api.github" in screen_text(app)
        pane.show_tab("dryrun-summary")
        await pilot.pause()
        assert app.focused is pane.query_one("DryrunSummary")
        await wait_for(pilot, lambda: "output:" in screen_text(app))


async def test_escape_while_starting_cancels_before_any_child(project_root):
    started = asyncio.Event()

    async def slow_starter(_request):
        started.set()
        await asyncio.sleep(30)

    app = PaneApp(load(project_root), starter=slow_starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root))
        await wait_for(pilot, started.is_set)
        assert pane.running and pane.controller.run is None
        pane.query_one("Tabs").focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        assert app.of(DryrunPane.RunFinished)[0].status == "cancelled"
        assert not pane.running


async def test_save_after_the_records_file_is_gone_saves_what_was_kept_and_says_so(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 1200, "logs": 0}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        pane.shown.records_file.unlink()
        pane.save_records()
        await wait_for(pilot, lambda: app.of(DryrunPane.RecordsSaved))
        saved = app.of(DryrunPane.RecordsSaved)[0]
        assert saved.count == 1000 and len(saved.path.read_text().splitlines()) == 1000
        assert any("Saved 1,000 of 1,200 records" in str(n.message) for n in app._notifications)


async def test_n_and_p_page_through_the_records_file(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 2500, "logs": 0}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        records = pane.query_one(DryrunRecords)
        table = records.query_one(DataTable)
        table.focus()

        def first_id() -> str:
            return str(table.get_row_at(0)[0])

        await pilot.press("n")
        await wait_for(pilot, lambda: first_id() == "c1000")
        assert table.row_count == 1000 and "1,001-2,000 shown" in screen_text(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: first_id() == "c2000")
        assert table.row_count == 500 and str(table.get_row_at(499)[0]) == "c2499"
        await pilot.press("down", "down")
        assert '"id": "c2002"' in screen_text(app) and "#2003" in screen_text(app)
        await pilot.press("n")  # past the end: stays
        await pilot.pause(0.2)
        assert first_id() == "c2000"
        await pilot.press("p")
        await wait_for(pilot, lambda: first_id() == "c1000")
        await pilot.press("p")
        await wait_for(pilot, lambda: first_id() == "c0")
        assert table.row_count == 1000 and "1-1,000 shown" in screen_text(app)


def test_records_file_index_reads_pages_by_model_and_skips_a_partial_line(tmp_path):
    from nango_tui.tui.widgets.dryrun_recordfile import RecordsFileIndex

    path = tmp_path / "run.jsonl"
    lines = []
    for i in range(5):
        lines.append(json.dumps({"op": "save", "model": "A", "record": {"id": i}}))
        lines.append(json.dumps({"op": "delete", "model": "B", "record": {"id": f"b{i}"}}))
    path.write_text("\n".join(lines) + "\n" + '{"op":"save","model":"A","rec')
    index = RecordsFileIndex(path)
    index.update()
    assert index.count("A") == 5 and index.count("B") == 5
    assert index.read("A", 3, 10) == [("save", {"id": 3}), ("save", {"id": 4})]
    assert index.read("B", 0, 1) == [("delete", {"id": "b0"})]
    with open(path, "a") as handle:  # the child finishes the line
        handle.write('ord":{"id":5}}\n')
    index.update()
    assert index.count("A") == 6 and index.read("A", 5, 1) == [("save", {"id": 5})]
    assert index.read("C", 0, 1) == [] and RecordsFileIndex(tmp_path / "gone").read("A", 0, 1) == []


async def test_focus_follows_the_tab_so_brackets_keep_working_from_a_table(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, metadata={"records": 5, "logs": 5}))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause()
        pane.query_one("#records-Contact").focus()
        tabs = pane.query_one(TabbedContent)
        for expected, focused in [
            ("dryrun-logs", LogLines),
            ("dryrun-requests", DataTable),
            ("dryrun-invalid", DataTable),
            ("dryrun-summary", DryrunPane),
        ]:
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert tabs.active == expected
            assert isinstance(app.focused, focused) or (
                focused is DryrunPane and app.focused.id == "dryrun-summary-view"
            )
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert tabs.active == "dryrun-records" and app.focused.id == "records-Contact"


async def test_two_starts_in_one_tick_leave_no_run_starting_forever(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="blocks"))
        pane.start(request(project_root, metadata={"records": 2, "logs": 0}))
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 2)
        statuses = {m.request.name: m.status for m in app.of(DryrunPane.RunFinished)}
        assert statuses == {"blocks": "cancelled", "contacts": "ok"}
        assert not pane.results_for("demo/blocks").running


async def test_logs_follow_the_end_but_stay_still_when_scrolled_up(project_root):
    gate = asyncio.Event()

    class TwoPhaseRun(ScriptedRun):
        async def events(self):
            yield {"type": "start", "t": 0, "kind": "sync"}
            for i in range(6000):
                yield {"type": "log", "level": "info", "message": f"line {i}", "t": 0.0}
            await gate.wait()
            for i in range(6000, 7000):
                yield {"type": "log", "level": "info", "message": f"line {i}", "t": 0.0}
            yield {"type": "done", "status": "ok", "counts": {}}

    async def starter(_request):
        return TwoPhaseRun([])

    app = PaneApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root))
        pane.show_tab("dryrun-logs")
        await wait_for(pilot, lambda: pane.query(LogLines))  # the Logs view is mounted after the first frame
        view = pane.query_one(LogLines)
        await wait_for(
            pilot, lambda: view.line_count == dryrun_results.LOGS_KEPT and pane.shown.tally.logs == 6000
        )
        await pilot.pause(0.2)
        # following: the last line is on screen
        assert "line 5999" in screen_text(app)
        view.focus()
        view.scroll_to(y=2000, animate=False, immediate=True)
        await pilot.pause()
        top = pane.shown.logs[int(view.scroll_y)].message
        assert top == "line 3000" and not view.following
        gate.set()
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await pilot.pause(0.2)
        # 1,000 lines left the top of the kept 5,000; the view moved with its lines
        assert view.scroll_y == 1000 and pane.shown.logs[1000].message == top
        assert "line 3000" in screen_text(app) and "line 6999" not in screen_text(app)
        await pilot.press("end")  # back at the end: following again
        await pilot.pause()
        assert view.following and "line 6999" in screen_text(app)


def test_request_cells_for_a_network_error_and_sizes():
    from nango_tui.tui.widgets.dryrun_requests import size_cell, status_cell

    assert status_cell(None).plain == "—" and str(status_cell(None).style) == "red"
    assert str(status_cell(204).style) == "green" and str(status_cell(429).style) == "red"
    assert str(status_cell(302).style) == "yellow"
    assert (size_cell(None), size_cell(512), size_cell(2048), size_cell(3 << 20)) == (
        "",
        "512 B",
        "2.0 KB",
        "3.0 MB",
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_first_records_are_drawn_at_once_not_on_the_next_tick(project_root, monkeypatch):
    from nango_tui.tui.widgets import dryrun_pane

    monkeypatch.setattr(dryrun_pane, "DRAIN_SECONDS", 3600.0)  # the timer never drains here
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root, name="blocks"))  # saves 5 records, then waits
        records = pane.query_one(DryrunRecords)
        await wait_for(pilot, lambda: any(t.row_count == 5 for t in records.query(DataTable)), timeout=30)
        pane.stop()
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))


async def test_a_tab_whose_view_was_not_mounted_yet_shows_the_run_and_takes_the_focus(
    project_root, monkeypatch
):
    from nango_tui.tui.widgets.dryrun_tabs import DryrunTabs

    monkeypatch.setattr(DryrunTabs, "mount_views", lambda self: None)  # no view but Records' yet
    events = [
        {"type": "start", "t": 0, "kind": "sync"},
        *({"type": "log", "level": "info", "message": f"line {i}", "t": 0.0} for i in range(3)),
        {"type": "batch", "op": "save", "model": "Contact", "records": [{"id": "1", "first_name": "a"}]},
        {"type": "done", "status": "ok", "counts": {"Contact": {"save": 1}}},
    ]

    async def starter(_request):
        return ScriptedRun(events)

    app = PaneApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.start(request(project_root))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        assert not pane.tabs.ready("dryrun-logs") and not pane.query(LogLines)
        records = pane.query_one(DryrunRecords)
        await wait_for(pilot, lambda: any(t.row_count for t in records.query(DataTable)))
        next(t for t in records.query(DataTable) if t.row_count).focus()
        await pilot.press("right_square_bracket")  # ] : Logs, mounted now, the focus follows
        await wait_for(pilot, lambda: isinstance(app.focused, LogLines))
        assert app.focused.line_count == 3
        await pilot.press("right_square_bracket")  # Requests
        await wait_for(pilot, lambda: app.focused is pane.query_one(DryrunRequests).table)


MARKUP_SYNC = """\
from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    await nango.batch_save([
        {"id": "c1", "first_name": "[/x] closes nothing", "last_name": "[bold]Hopper[/bold] :smile:"},
        {"id": "[/y]", "first_name": "no last name"},
    ], "Contact")
"""


async def test_record_values_show_as_written_never_as_markup(project_root):
    """A value from the API is text, not Rich markup: `[/x]` ended the app with a MarkupError (the
    table read str cells as markup), `[bold]` and `:smile:` were styled and replaced."""
    (project_root / "demo" / "syncs" / "contacts.py").write_text(MARKUP_SYNC)
    app = PaneApp(load(project_root))
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.pane
        pane.start(request(project_root))
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        assert app.of(DryrunPane.RunFinished)[0].status == "ok"
        table = pane.query_one(DryrunRecords).query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)  # an invalid record is kept too, as in Nango
        await wait_for_text(pilot, app, "[/x] closes nothing", "[bold]Hopper[/bold] :smile:")
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")  # Invalid
        await wait_for(pilot, lambda: pane.query_one(DryrunInvalid).table.row_count == 1)
        await wait_for_text(pilot, app, "[/y]")


class GatedRun(ScriptedRun):
    """A ScriptedRun that waits for `gate` before each batch (the first records come when the
    test says); `pid`: a process standing in for the child (niceness is read from it)."""

    def __init__(self, events: list[dict], gate: asyncio.Event, pid: int | None = None) -> None:
        super().__init__(events)
        self.gate = gate
        self.pid = pid

    async def events(self):
        for event in self._events:
            if event["type"] == "batch":
                await self.gate.wait()
            if self.cancelled:
                yield {"type": "done", "status": "cancelled", "counts": {}}
                return
            yield event

    async def cancel(self) -> None:
        self.cancelled = True
        self.gate.set()  # a killed child's stream ends at once


FIRST_RECORDS = [
    {"type": "start", "t": 0, "kind": "sync"},
    {"type": "batch", "op": "save", "model": "Contact", "records": [{"id": "c1", "first_name": "Ada"}]},
    {"type": "done", "status": "ok", "counts": {"Contact": {"save": 1}}},
]


class FrameCountingApp(PaneApp):
    """Counts the frames Textual displays (a frame held by `batch_update` is not displayed)."""

    frames = 0

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if renderable is not None and not self._batch_count:
            self.frames += 1


async def test_a_runs_start_and_its_first_records_take_one_frame(project_root):
    """issue 18 (ctrl+j): the pane's reset, the focus move and the first rows are drawn together
    (one layout and render) when the records come within HOLD_SECONDS of the start; the focus
    moves once, into the records table."""
    gate = asyncio.Event()

    async def starter(_request):
        return GatedRun(FIRST_RECORDS, gate)

    app = FrameCountingApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        await pilot.pause()
        pane.hold_seconds = 30.0  # the records decide, not the deadline
        frames, focused = app.frames, app.focused
        pane.start(request(project_root))
        pane.focus_body()  # what the workbench does as the dialog closes
        await pilot.pause(0.3)
        assert app.frames == frames, "a frame was drawn before the first records"
        assert app.focused is focused  # not moved yet: once, into the table, with the records
        gate.set()
        await wait_for(pilot, lambda: app.frames > frames)
        table = pane.query_one(DryrunRecords).query_one(DataTable)
        assert table.row_count == 1 and app.focused is table
        await wait_for_text(pilot, app, "Ada")


async def test_work_after_the_start_is_drawn_waits_for_the_first_records_frame(project_root):
    """issue 18 (ctrl+j): `after_start_drawn` callbacks (the dryrun dialog's teardown) run after
    the frame with the run's first records, not while the pane waits for them; with no run
    starting, after the next frame."""
    gate = asyncio.Event()

    async def starter(_request):
        return GatedRun(FIRST_RECORDS, gate)

    app = FrameCountingApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        await pilot.pause()
        pane.hold_seconds = 30.0  # the records decide, not the deadline
        called: list[int] = []
        pane.after_start_drawn(lambda: called.append(app.frames))  # nothing starting
        await wait_for(pilot, lambda: called)
        frames = app.frames
        pane.start(request(project_root))
        pane.after_start_drawn(lambda: called.append(app.frames))
        await pilot.pause(0.3)
        assert len(called) == 1 and app.frames == frames, "called while the frames were held"
        gate.set()
        await wait_for(pilot, lambda: len(called) == 2)
        assert called[1] > frames  # after the first records' frame
        table = pane.query_one(DryrunRecords).query_one(DataTable)
        assert table.row_count == 1


async def test_a_run_without_records_soon_is_drawn_after_hold_seconds(project_root):
    gate = asyncio.Event()

    async def starter(_request):
        return GatedRun(FIRST_RECORDS, gate)

    app = FrameCountingApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        await pilot.pause()
        frames = app.frames
        began = time.monotonic()
        pane.start(request(project_root))
        pane.focus_body()
        pane.screen.set_focus(None)
        await wait_for(pilot, lambda: app.frames > frames)
        assert time.monotonic() - began < 5  # HOLD_SECONDS (0.15 s) on a loaded machine
        await wait_for(pilot, lambda: app.focused is pane.query_one("Tabs"))  # in the pane meanwhile
        await wait_for_text(pilot, app, "running", "No records yet.")
        gate.set()
        await wait_for(pilot, lambda: app.of(DryrunPane.RunFinished))
        await wait_for(pilot, lambda: isinstance(app.focused, DataTable))


async def test_the_child_is_niced_once_its_first_records_are_in(project_root, monkeypatch):
    """The child runs at the workbench's priority while the workbench waits for its first records
    (it is the critical path then), niced (CHILD_NICENESS) from then on, or after NICE_AFTER."""
    import subprocess

    from nango_tui.tui import dryrun_stream

    monkeypatch.setattr(dryrun_stream, "NICE_AFTER", 3600.0)
    stand_in = subprocess.Popen(["sleep", "60"], start_new_session=True)  # noqa: ASYNC220 - leads its own group
    gate = asyncio.Event()

    async def starter(_request):
        return GatedRun(FIRST_RECORDS, gate, pid=stand_in.pid)

    app = PaneApp(load(project_root), starter=starter)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.pane
            pane.start(request(project_root))
            await wait_for(pilot, lambda: pane.controller.run is not None)
            await pilot.pause(0.2)
            assert os.getpriority(os.PRIO_PROCESS, stand_in.pid) == 0
            gate.set()
            await wait_for(pilot, lambda: pane.shown.tally.records == 1)
            assert os.getpriority(os.PRIO_PROCESS, stand_in.pid) == dryrun_stream.CHILD_NICENESS
            # no records at all: niced after NICE_AFTER
            monkeypatch.setattr(dryrun_stream, "NICE_AFTER", 0.05)
            os.setpriority(os.PRIO_PROCESS, stand_in.pid, 0)
            gate.clear()
            pane.start(request(project_root))
            await wait_for(
                pilot,
                lambda: os.getpriority(os.PRIO_PROCESS, stand_in.pid) == dryrun_stream.CHILD_NICENESS,
            )
            assert pane.shown.tally.records == 0
            pane.stop()
            await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 2)
    finally:
        stand_in.kill()
        stand_in.wait()


async def test_a_live_runs_start_is_drawn_once_its_child_runs(project_root):
    """A run calling a live API gets its first records after the API answers: the frames are held
    only until its child has started (the replay flag of its spec), not for the records."""
    from types import SimpleNamespace

    gates = [asyncio.Event(), asyncio.Event()]
    live = SimpleNamespace(replay=False)

    async def starter(_request):
        run = GatedRun(FIRST_RECORDS, gates[0] if live.replay is False else gates[1])
        run.spec = SimpleNamespace(replay=live.replay)
        return run

    app = FrameCountingApp(load(project_root), starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        await pilot.pause()
        pane.hold_seconds = 3600.0  # only the child's start can end the hold here
        frames = app.frames
        pane.start(request(project_root))
        await wait_for(pilot, lambda: app.frames > frames)
        assert pane.shown.tally.records == 0
        live.replay = True  # a replaying run: held until its records
        frames = app.frames
        pane.start(request(project_root))
        await pilot.pause(0.3)
        assert app.frames == frames
        gates[1].set()
        await wait_for(pilot, lambda: app.frames > frames)
        assert pane.shown.tally.records == 1
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) == 2)
