"""Pilot tests of the dryrun dialog: connections, live input validation, start and cancel keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Select, TextArea

from nango_tui.dryrun import DryrunRequest
from nango_tui.tui.screens.dryrun_dialog import environments, input_template, parse_date
from tests.support.pilot import screen_text, wait_for
from tests.support.tui_dryrun import SECRET, UNSET, DialogApp, load, make_dialog_app, write_project

# runs fork from a zygote, as the workbench's after its warm-up (tests/support/warm_child.py)
pytestmark = pytest.mark.usefixtures("warm_dryrun_children")


@pytest.fixture
def root(tmp_path):
    return write_project(tmp_path / "proj")


async def set_text(pilot, area: TextArea, text: str) -> None:
    area.text = text
    await pilot.pause()


async def test_input_is_validated_live_against_the_input_model(root):
    app = make_dialog_app(root, "lookup")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = app.dialog
        editor = dialog.query_one("#input", TextArea)
        assert app.focused is editor
        assert editor.text.replace(" ", "").replace("\n", "") == '{"id":""}'  # a template of IdEntity
        assert dialog.input_error is None
        await set_text(pilot, editor, '{"id": ')
        assert dialog.input_error.startswith("not JSON")
        assert "not JSON" in screen_text(app)
        await set_text(pilot, editor, '{"name": "x"}')
        assert dialog.input_error.startswith("does not match IdEntity")
        assert "id: Field required" in dialog.input_error
        assert "id: Field required" in screen_text(app)
        await set_text(pilot, editor, '{"id": 12}')
        assert "id: Input should be a valid string" in dialog.input_error
        await set_text(pilot, editor, "")
        assert "takes an input (IdEntity)" in dialog.input_error
        # typing, not only setting the text, re-validates
        editor.text = ""
        await pilot.press(*'{"id": "abc"}')
        assert dialog.input_error is None
        assert "✔ a valid IdEntity" in screen_text(app)


async def test_ctrl_j_starts_with_the_request(root):
    app = make_dialog_app(root, "lookup")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await set_text(pilot, app.dialog.query_one("#input", TextArea), '{"id": "c7"}')
        await set_text(pilot, app.dialog.query_one("#metadata", TextArea), '{"region": "eu"}')
        await pilot.press("ctrl+j")
        await pilot.pause()
        request = app.result
        assert isinstance(request, DryrunRequest)
        assert (request.name, request.integration, request.connection_id, request.environment) == (
            "lookup",
            "demo",
            "local",
            "dev",
        )
        assert request.input == {"id": "c7"} and request.metadata == {"region": "eu"}
        assert request.root == root


async def test_ctrl_enter_starts_too_and_escape_cancels(root):
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await pilot.press("ctrl+enter")
        await pilot.pause()
        assert isinstance(app.result, DryrunRequest) and app.result.input is None
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_invalid_input_keeps_the_dialog_open_and_focuses_the_field(root):
    app = make_dialog_app(root, "lookup")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await set_text(pilot, app.dialog.query_one("#input", TextArea), '{"id": 1}')
        app.dialog.query_one("#metadata", TextArea).focus()
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result is UNSET
        assert app.focused is app.dialog.query_one("#input", TextArea)
        await set_text(pilot, app.dialog.query_one("#metadata", TextArea), "[1, 2]")
        await set_text(pilot, app.dialog.query_one("#input", TextArea), '{"id": "1"}')
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result is UNSET
        assert app.dialog.metadata_error == "metadata must be a JSON object ({...})"
        assert app.focused is app.dialog.query_one("#metadata", TextArea)


async def test_sync_options_last_sync_date_and_max_records(root):
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: dialog.connections_loaded)
        assert not dialog.query("#input")  # no input editor for a sync
        dialog.query_one("#last-sync-date", Input).value = "yesterday"
        dialog.query_one("#max-records", Input).value = "0"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result is UNSET
        text = screen_text(app)
        assert "is not an ISO date" in text and "at least 1" in text
        dialog.query_one("#last-sync-date", Input).value = "2024-03-01T10:00:00Z"
        dialog.query_one("#max-records", Input).value = "50"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result.last_sync_date == datetime(2024, 3, 1, 10, tzinfo=UTC)
        assert app.result.max_records == 50


async def test_connections_of_the_environment_first_one_preselected(root):
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = app.dialog
        await wait_for(pilot, lambda: dialog.connections_loaded)
        select = dialog.query_one("#connection", Select)
        assert select.value == "local"
        assert [str(label) for label, _ in select._options if _ is not Select.NULL and str(label)] == [
            "local",
            "second",
        ]
        dialog.query_one("#environment", Select).value = "prod"
        await wait_for(pilot, lambda: dialog.connections_loaded and dialog.environment == "prod")
        assert select.value == "live"
        assert SECRET not in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert (app.result.environment, app.result.connection_id) == ("prod", "live")


async def test_no_connection_for_the_integration_blocks_the_start(root):
    app = make_dialog_app(root, "tickets")  # integration `other` has no connection
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        assert "No connection of other in dev" in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result is UNSET
        assert "pick a connection" in screen_text(app)


async def test_defaults_prefill_the_form(root):
    defaults = DryrunRequest(
        root=root,
        name="lookup",
        connection_id="second",
        integration="demo",
        input={"id": "again"},
        metadata={"a": 1},
        max_records=3,
        validation=True,
    )
    app = make_dialog_app(root, "lookup", defaults=defaults)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        assert app.dialog.query_one("#connection", Select).value == "second"
        await pilot.press("ctrl+j")
        await pilot.pause()
        result = app.result
        assert (
            result.connection_id,
            result.input,
            result.metadata,
            result.max_records,
            result.validation,
        ) == ("second", {"id": "again"}, {"a": 1}, None, True)  # an action has no record cap


async def test_broken_connections_file_is_reported(root):
    (root / "connections.yaml").write_text("environments: [oops\n")
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        assert "connections.yaml" in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result is UNSET


def test_helpers(root):
    assert environments(root, "staging") == ["dev", "staging", "prod"]
    project = load(root)
    assert input_template("IdEntity", project) == {"id": ""}
    assert input_template("IdEntity[]", project) == []
    assert input_template(None, project) is None
    assert parse_date("2024-01-31") == datetime(2024, 1, 31)
    with pytest.raises(ValueError):
        parse_date("31/01/2024")


async def test_a_replay_connection_starts_from_the_recorded_inputs():
    from tests.support.paths import SAMPLES

    project = load(SAMPLES)
    script = project.find_script("create-issue", "github")[0]
    app = DialogApp(((project, script, SAMPLES, "dev"), {}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await pilot.pause()
        assert app.dialog.query_one("#connection", Select).value == "github-demo"
        assert "replays github/mocks/create-issue.json" in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert app.result.input["title"] == "Widgets vanish after an import"
        assert app.result.connection_id == "github-demo"


async def test_an_action_is_not_offered_max_records(root):
    app = make_dialog_app(root, "lookup")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        assert not app.dialog.query("#max-records") and not app.dialog.query("#last-sync-date")
        assert "Max records" not in screen_text(app)


async def test_no_loading_prompt_once_the_connections_are_known(root):
    app = make_dialog_app(root, "tickets")  # the `other` integration has no connection
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await pilot.pause()
        text = screen_text(app)
        assert "loading" not in text and "no connection" in text


async def test_save_responses_and_replay_toggles_reach_the_request(root):
    app = make_dialog_app(root, "contacts")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        dialog = app.dialog
        dialog.query_one("#replay", Select).value = "off"
        dialog.query_one("#save-responses").value = True
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert (app.result.replay, app.result.save_responses) == (False, True)


async def test_the_last_runs_start_is_offered_as_the_next_last_sync_date(root):
    started = datetime(2026, 11, 30, 6, 0, 5, tzinfo=UTC)
    project = load(root)
    script = project.find_script("contacts")[0]
    app = DialogApp(((project, script, root, "dev"), {"last_started": started}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        assert "ctrl+l" in screen_text(app)
        await pilot.press("ctrl+l", "ctrl+j")
        await pilot.pause()
        assert app.result.last_sync_date == started


SETS_METADATA = """\
async def fetch_data(nango):
    await nango.update_metadata({"cursor": "c-42"})
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_dialog_shows_the_metadata_a_run_of_the_connection_starts_from(root, monkeypatch, size):
    """Issue 11: what set_metadata/update_metadata left (.nango/metadata.json) is shown, over
    connections.yaml's metadata, whose ${VAR} references stay references."""
    from nango_tui.dryrun import start_dryrun

    monkeypatch.setenv("REGION_CODE", "rk-VALUE-never-shown")
    text = (root / "connections.yaml").read_text()
    text = text.replace(
        f"credentials: {{type: API_KEY, api_key: {SECRET}}}\n      second:",
        f"credentials: {{type: API_KEY, api_key: {SECRET}}}\n"
        '        metadata: {region: eu, code: "${REGION_CODE}", api_key: plain-written}\n      second:',
        1,
    )
    (root / "connections.yaml").write_text(text)

    async def note_of(connection: str) -> str:
        app = make_dialog_app(root, "sloppy")
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.dialog.connections_loaded)
            app.dialog.query_one("#connection", Select).value = connection
            await pilot.pause()
            note = str(app.dialog.query_one("#metadata-note").render())
            assert note.startswith("empty:")
            await wait_for(pilot, lambda: note[:30] in screen_text(app))  # on screen, at 80x24 too
            return note

    note = await note_of("local")
    assert "connections.yaml's metadata" in note and '"region": "eu"' in note
    assert '"code": "${REGION_CODE}"' in note and "rk-VALUE" not in note
    assert '"api_key": "***"' in note and "plain-written" not in note  # a secret-named key
    assert "no metadata" in await note_of("second")
    # a real run sets metadata: the dialog now shows what it left, and connections.yaml's beside it
    (root / "demo" / "syncs" / "sloppy.py").write_text(SETS_METADATA)
    run = await start_dryrun(DryrunRequest(root=root, name="sloppy", connection_id="local"))
    async for _ in run.events():
        pass
    done = run.done
    assert done["status"] == "ok", done
    note = await note_of("local")
    assert ".nango/metadata.json" in note and '"cursor": "c-42"' in note and '"region": "eu"' in note
    assert (
        note.count('"code": "${REGION_CODE}"') == 2 and "rk-VALUE" not in note
    )  # the run's value, as its reference
    assert "plain-written" not in note
    assert "no metadata" in await note_of("second")  # another connection's overlay is its own


async def test_a_started_dialog_closes_once_the_runs_child_is_forked(root):
    """issue 18 (ctrl+j): given a future for the warm child's fork, the dialog closes when it is
    done (the closing's work then no longer competes with the thread that forks), and ignores
    a second ctrl+j or an escape meanwhile (the run started); without it, after FORK_WAIT."""
    import asyncio

    from tests.support.tui_dryrun import UNSET

    started: list[DryrunRequest] = []
    forks: list[asyncio.Future] = []

    def start_run(request):
        started.append(request)
        forks.append(asyncio.get_running_loop().create_future())
        return forks[-1]

    project = load(root)
    script = project.find_script("contacts")[0]
    app = DialogApp(((project, script, root, "dev"), {"start_run": start_run}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        app.dialog.set_timer = lambda *args, **kwargs: None  # no FORK_WAIT here: the fork decides
        await pilot.press("ctrl+j")
        await pilot.pause(0.2)
        assert len(started) == 1 and app.result is UNSET  # still open: not forked yet
        await pilot.press("ctrl+j", "escape")
        await pilot.pause(0.1)
        assert len(started) == 1 and app.result is UNSET
        forks[0].set_result(None)
        await wait_for(pilot, lambda: app.result is not UNSET)
        assert app.result is started[0]
    app = DialogApp(((project, script, root, "dev"), {"start_run": start_run}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        await pilot.press("ctrl+j")  # a fork that never completes: closed after FORK_WAIT
        await wait_for(pilot, lambda: app.result is not UNSET)
        assert app.result is started[1] and not forks[1].done()


async def test_a_dialog_that_started_a_run_is_removed_once_the_start_is_drawn(root):
    """issue 18 (ctrl+j): given `after_start_drawn`, the dialog's widgets are torn down once the
    run's start is drawn, not as it closes (their teardown and the focused field's blur restyle
    would come before the run's first records); an escape removes it at once, as before."""
    from textual.widgets import Select

    from tests.support.tui_dryrun import UNSET

    later: list = []
    project = load(root)
    script = project.find_script("contacts")[0]
    kwargs = {"start_run": lambda request: None, "after_start_drawn": later.append}
    app = DialogApp(((project, script, root, "dev"), kwargs))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        dialog = app.dialog
        field = dialog.query_one("#connection", Select)
        field.focus()
        await pilot.pause()
        restyled: list = []
        field.watch_has_focus = lambda has_focus: restyled.append(has_focus)
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: app.result is not UNSET)
        await pilot.pause(0.2)
        assert app.screen is not dialog and len(later) == 1
        assert dialog.is_attached and field.is_attached and not restyled  # kept meanwhile
        later[0]()  # the run's start is drawn
        await wait_for(pilot, lambda: not field.is_attached and not dialog.is_attached)
        assert not app._installed_screens
    app = DialogApp(((project, script, root, "dev"), kwargs))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.dialog.connections_loaded)
        dialog = app.dialog
        await pilot.press("escape")
        await wait_for(pilot, lambda: not dialog.is_attached)
        assert len(later) == 1 and app.result is None
