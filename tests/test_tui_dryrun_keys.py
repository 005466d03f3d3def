"""Issue 15 in the Dryrun pane: crash-free switching, keyboard reach, inspector, search, history."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from nango_tui.dryrun import DryrunRequest
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from nango_tui.tui.widgets.dryrun_records import DryrunRecords
from tests.support.pilot import wait_for
from tests.support.tui_dryrun import SECRET, PaneApp, load, write_project

# runs fork from a zygote, as the workbench's after its warm-up (tests/support/warm_child.py)
pytestmark = pytest.mark.usefixtures("warm_dryrun_children")


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


# -- keyboard reach, the inspector, copy -----------------------------------------------------

FETCHER_SYNC = """\
from nango_tui.sdk import NangoSync
from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    response = await nango.post("/contacts/search", json={"q": "ada", "api_key": "leak-me-not"})
    await nango.batch_save([Contact(**c) for c in response.json()["contacts"]], "Contact")
"""


@pytest.fixture
def api(local_server):
    local_server.route(
        "POST",
        "/contacts/search",
        {"contacts": [{"id": f"c{i}", "first_name": "Ada", "last_name": f"L{i}"} for i in range(3)]},
    )
    return local_server


def use_api(root, api) -> None:
    """Point the `local` connection at the test server; the `contacts` sync calls it."""
    text = (root / "connections.yaml").read_text().replace("http://127.0.0.1:9", api.url)
    (root / "connections.yaml").write_text(text)
    (root / "demo" / "syncs" / "contacts.py").write_text(FETCHER_SYNC)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_enter_on_a_request_opens_the_inspector_with_headers_and_bodies(project_root, api, size):

    from nango_tui.tui.screens.inspector_screen import RequestInspector

    use_api(project_root, api)
    app = PaneApp(load(project_root))
    async with app.run_test(size=size) as pilot:
        await run_to_end(app, pilot, request(project_root))
        app.pane.show_tab("dryrun-requests")
        app.pane.focus_body()
        await pilot.pause()
        assert app.focused is app.pane.query_one("#requests-table")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RequestInspector)
        text = "\n".join(screen.view.line(i) for i in range(screen.view.line_count))
        assert "POST " + api.url + "/contacts/search" in text and "200" in text
        assert ("Request headers" in text and "x-api-key: ***" in text.lower()) or "***" in text
        assert '"q": "ada"' in text and '"api_key": "***"' in text  # pretty JSON, masked by name
        assert '"first_name": "Ada"' in text
        assert SECRET not in text and "leak-me-not" not in text
        await pilot.press("u")
        assert screen.copied.startswith("curl -X POST") and SECRET not in screen.copied
        await pilot.press("escape")
        assert app.screen is not screen


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_f5_focus_lands_in_the_records_table_and_enter_inspects(project_root, size):
    from nango_tui.tui.screens.inspector_screen import InspectorScreen

    app = PaneApp(load(project_root))
    async with app.run_test(size=size) as pilot:
        await run_to_end(app, pilot, request(project_root, metadata={"records": 30, "logs": 5}))
        app.pane.focus_body()
        await pilot.pause()
        table = app.focused
        assert isinstance(table, DataTable) and table.id == "records-Contact"
        await pilot.press("down", "down", "pagedown")
        assert table.cursor_row > 2  # arrows and page keys move the row
        table.move_cursor(row=29)
        await pilot.pause()
        await pilot.press("c")
        records = app.pane.query_one(DryrunRecords)
        assert '"id": "c29"' in records.copied
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen) and "#30" in app.screen.title_text
        await pilot.press("escape", "right_square_bracket")
        await pilot.pause()
        assert app.focused.id == "logs-lines"  # focus follows the tab


async def test_slash_searches_every_record_of_the_run(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_end(app, pilot, request(project_root, metadata={"records": 3000, "logs": 1}))
        app.pane.focus_body()
        await pilot.press("slash", *"last2999", "enter")
        records = app.pane.query_one(DryrunRecords)
        await wait_for(pilot, lambda: records._search is not None)
        await pilot.pause()
        table = app.focused
        assert isinstance(table, DataTable) and table.row_count == 1  # beyond the 1,000 kept in memory
        assert records._search.matches == 1 and records._search.scanned == 3000
        assert "#3000" in str(records.query_one("#records-json").render())
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert records._search is None and records._tables["Contact"].row_count == 1000


TWO_MODELS_SYNC = """\
from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    for start in range(0, 1500, 500):
        await nango.batch_save([{"id": f"c{i}", "first_name": "F", "last_name": f"L{i}"} for i in range(start, start + 500)], "Contact")
        await nango.batch_save([{"id": f"t{i}", "title": "needle" if i in (1234, 1400) else "hay"} for i in range(start, start + 500)], "Ticket")
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_slash_searches_every_model_of_the_run_and_jumps_to_the_match(project_root, size):
    yaml = project_root / "nango.yaml"
    yaml.write_text(
        yaml.read_text().replace(
            "        output: Contact\n        endpoint: GET /contacts",
            "        output: [Contact, Ticket]\n        endpoint: [GET /contacts, GET /contact-tickets]",
        )
    )
    (project_root / "demo" / "syncs" / "contacts.py").write_text(TWO_MODELS_SYNC)
    app = PaneApp(load(project_root))
    async with app.run_test(size=size) as pilot:
        await run_to_end(app, pilot, request(project_root))
        records = app.pane.query_one(DryrunRecords)
        app.pane.focus_body()
        await pilot.pause()
        assert records.current_model == "Contact"
        await pilot.press("slash", *"NEEDLE", "enter")
        await wait_for(pilot, lambda: records._search is not None)
        await pilot.pause()
        # the matches are in Ticket, beyond the 1,000 kept: the table jumped there
        assert records.current_model == "Ticket" and app.focused is records._tables["Ticket"]
        assert records._tables["Ticket"].row_count == 2 and records._tables["Contact"].row_count == 0
        assert records._search.matches == 2 and records._search.scanned == 3000
        header = str(records.query_one("#records-header").render())
        assert "Ticket" in header and "2 of 1,500 match" in header
        assert "#1235" in str(records.query_one("#records-json").render())
        await pilot.press("down")
        assert "#1401" in str(records.query_one("#records-json").render())
        # a needle in both models: m moves between them, each showing its own matches
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert records._search is None and records._tables["Ticket"].row_count == 1000
        await pilot.press("slash", *"1499", "enter")
        await wait_for(pilot, lambda: records._search is not None)
        await pilot.pause()
        assert records._search.matches == 2
        first = records.current_model
        assert first == "Ticket"  # the model shown had a match: it stays
        assert "also Contact 1" in str(records.query_one("#records-header").render())
        await pilot.press("m")
        await pilot.pause()
        assert records.current_model == "Contact" and records._tables["Contact"].row_count == 1
        assert "#1500" in str(records.query_one("#records-json").render())
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert records._tables["Contact"].row_count == 1000 and records._tables["Ticket"].row_count == 1000


async def test_o_opens_the_error_line_in_the_script_pane(project_root):
    from nango_tui.tui.messages import OpenFile

    (project_root / "demo" / "syncs" / "tickets.py")  # untouched
    (project_root / "demo" / "syncs" / "sloppy.py").write_text(
        "async def fetch_data(nango):\n    x = 1\n    raise ValueError('boom')\n"
    )
    opened = []

    class App(PaneApp):
        def on_open_file(self, message: OpenFile) -> None:
            opened.append((message.path, message.line, message.focus))

    app = App(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_end(app, pilot, request(project_root, name="sloppy"))
        app.pane.focus_body()
        await pilot.press("o")
        await pilot.pause()
    assert opened == [("demo/syncs/sloppy.py", 3, True)]


async def test_d_shows_the_difference_with_the_previous_run(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_end(app, pilot, request(project_root, metadata={"records": 5, "logs": 1}))
        await run_to_end(app, pilot, request(project_root, metadata={"records": 7, "logs": 1}))
        app.pane.focus_body()
        await pilot.press("D")
        await wait_for(pilot, lambda: app.pane.last_diff is not None)
        assert (
            app.pane.last_diff[0]
            == "Contact (saved): expected 5 records, got 7 (2 added, 0 removed, 0 changed)"
        )
        assert any(line.startswith("  + c6") for line in app.pane.last_diff)


async def test_watch_reruns_on_a_clean_save_of_the_script_only(project_root):
    app = PaneApp(load(project_root))
    async with app.run_test(size=(100, 30)) as pilot:
        await run_to_end(app, pilot, request(project_root, metadata={"records": 2, "logs": 1}))
        app.pane.focus_body()
        await pilot.press("w")
        assert app.pane.watching and "watching" in app.pane.border_title
        assert not app.pane.files_saved(["demo/syncs/contacts.py"], clean=False)
        assert not app.pane.files_saved(["other/syncs/tickets.py"], clean=True)
        finished = len(app.of(DryrunPane.RunFinished))
        assert app.pane.files_saved(["demo/syncs/contacts.py"], clean=True)
        await wait_for(pilot, lambda: len(app.of(DryrunPane.RunFinished)) > finished)
        await pilot.press("w")
        assert not app.pane.files_saved(["demo/syncs/contacts.py"], clean=True)


def test_search_file_counts_places_per_model_and_skips_a_line_being_written(tmp_path):
    import json

    from nango_tui.tui.widgets import dryrun_recordfile
    from nango_tui.tui.widgets.dryrun_recordfile import search_file

    path = tmp_path / "run.jsonl"
    lines = []
    for i in range(50):
        model = "Contact" if i % 2 else "Ticket"
        record = {"id": f"{model[0]}{i}", "title": "Needle" if i in (7, 8, 31) else "hay"}
        lines.append(json.dumps({"op": "save", "model": model, "record": record}, separators=(",", ":")))
    path.write_text("\n".join(lines) + '\n{"op":"save","model":"Contact","record":{"title":"needle')

    def summary(hits):
        return {
            m: (h.matches, h.scanned, [(place, record["id"]) for place, _, record in h.found])
            for m, h in hits.items()
        }

    # every model at once; Contact lines are the odd ones: 7 -> 3rd, 31 -> 15th; Ticket 8 -> 4th
    expected = {"Contact": (2, 25, [(3, "C7"), (15, "C31")]), "Ticket": (1, 25, [(4, "T8")])}
    assert summary(search_file(path, "NEEDLE", 10, ["Contact", "Ticket"])) == expected
    assert summary(search_file(path, "needle", 10)) == {  # models not named: found all the same
        "Contact": (2, 25, [(3, "C7"), (15, "C31")]),
        "Ticket": (1, 25, [(4, "T8")]),
    }
    assert summary(search_file(path, "needle", 1, ["Ticket", "Contact", "Deal"]))["Contact"] == (
        2,
        25,
        [(3, "C7")],
    )
    assert summary(search_file(path, "zzz", 10, ["Contact", "Deal"])) == {
        "Contact": (0, 25, []),
        "Deal": (0, 0, []),
    }
    assert search_file(tmp_path / "gone.jsonl", "x", 10, ["Contact"])["Contact"].scanned == 0
    # the same across chunk boundaries
    dryrun_recordfile.SEARCH_CHUNK, saved = 100, dryrun_recordfile.SEARCH_CHUNK
    try:
        assert summary(search_file(path, "needle", 10, ["Contact", "Ticket"])) == expected
    finally:
        dryrun_recordfile.SEARCH_CHUNK = saved


NESTED_CRASH = """\
from nango_tui.sdk import NangoSync


def parse(item):
    return item["missing"]


async def fetch_data(nango: NangoSync) -> None:
    rows = [{"id": 1}]
    for row in rows:
        parse(row)
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_each_frame_of_a_crash_traceback_opens_its_line(project_root, size):
    from nango_tui.tui.messages import OpenFile
    from nango_tui.tui.widgets.traceback_view import TracebackView

    (project_root / "demo" / "syncs" / "sloppy.py").write_text(NESTED_CRASH)
    opened = []

    class App(PaneApp):
        def on_open_file(self, message: OpenFile) -> None:
            opened.append((message.path, message.line, message.focus))

    app = App(load(project_root))
    async with app.run_test(size=size) as pilot:
        await run_to_end(app, pilot, request(project_root, name="sloppy"))
        assert app.pane.tabs.active == "dryrun-summary"  # a failed run shows its summary
        app.pane.focus_body()
        await pilot.pause()
        view = app.focused
        assert isinstance(view, TracebackView)
        shown = [f.text.splitlines()[0].strip() for f in view.frames if f.file]
        assert shown == [
            'File "demo/syncs/sloppy.py", line 11, in fetch_data',
            'File "demo/syncs/sloppy.py", line 5, in parse',
        ]
        assert "KeyError: 'missing'" in view.frames[-1].text  # shown, not selectable
        assert view.highlighted == view.openable[-1]  # the innermost frame first
        await pilot.press("enter")
        await pilot.press("up")  # to the outer frame (other lines are skipped)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down")  # back to the inner frame
        await pilot.press("enter")
        await pilot.pause()
    assert opened == [
        ("demo/syncs/sloppy.py", 5, True),
        ("demo/syncs/sloppy.py", 11, True),
        ("demo/syncs/sloppy.py", 5, True),
    ]


def test_frame_lines_pair_a_frame_with_its_source_and_never_point_outside():
    from nango_tui.tui.widgets.traceback_view import frame_lines

    frames = frame_lines(
        'Traceback (most recent call last):\n  File "demo/a.py", line 3, in f\n    x()\n'
        '  File "/usr/lib/python3.11/json/__init__.py", line 9, in loads\n    y\n'
        '  File "../outside.py", line 2, in g\n  File "<string>", line 1, in <module>\nValueError: no'
    )
    assert [(f.file, f.line) for f in frames] == [
        (None, 0),
        ("demo/a.py", 3),
        (None, 9),
        (None, 2),
        (None, 1),
        (None, 0),
    ]
    assert frames[1].text.endswith("\n    x()")
