"""The infer screen in the workbench (Pilot): palette, diff, apply, cancel, source switch, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.screens.infer_screen import InferScreen
from tests.support.pilot import until
from tests.support.tui_project import copy_samples

pytestmark = pytest.mark.usefixtures(
    "shared_warm_child"
)  # one zygote per worker (tests/support/warm_child.py)

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)


def screen_text(app: WorkbenchApp) -> str:
    return str(app.screen.query_one("#infer-text").render())


async def _open_infer(pilot, app: WorkbenchApp, name: str) -> InferScreen:
    await pilot.press("ctrl+p", *f"infer {name}")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await until(lambda: isinstance(app.screen, InferScreen), pilot)
    screen = app.screen
    assert isinstance(screen, InferScreen)
    await until(
        lambda: screen.proposal is not None or "-error" in screen.query_one("#infer-status").classes, pilot
    )
    return screen


async def test_palette_infer_shows_the_diff_and_a_applies_it(tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "samples")
    before = (root / "nango.yaml").read_text()
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_infer(pilot, app, "contacts")
        text = screen_text(app)
        assert "inferred from the recording contacts.json" in text
        assert (
            "+        attributes: ContactAttributes" in text
            and "def to_contact(raw: dict) -> Contact:" in text
        )
        assert (root / "nango.yaml").read_text() == before  # nothing written yet
        await pilot.press("a")
        await until(lambda: not isinstance(app.screen, InferScreen), pilot)
        assert any(n.message.startswith("wrote Contact, ContactAttributes") for n in app._notifications)
    after = (root / "nango.yaml").read_text()
    assert "    ContactAttributes:\n        type: string\n" in after
    assert "class ContactAttributes(" in (root / "models.py").read_text()


async def test_escape_leaves_nango_yaml_alone_and_s_switches_the_source(tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "samples")
    before = (root / "nango.yaml").read_text()
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_infer(pilot, app, "teams")
        await pilot.press("s")  # auto -> run: no run yet, the recording's saved results are used
        await until(
            lambda: screen.source == "run" and not screen.busy and "saved in teams.json" in screen_text(app),
            pilot,
        )
        assert "nango.yaml already holds LinearTeam: nothing to change" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert "clipboard" in str(screen.query_one("#infer-status").render())
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, InferScreen), pilot)
    assert (root / "nango.yaml").read_text() == before


async def test_an_error_is_shown_in_the_screen(tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "samples")
    (root / "salesforce" / "mocks" / "contacts.json").write_text("{broken")
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_infer(pilot, app, "contacts")
        assert screen.proposal is None and "not valid JSON" in screen_text(app)
        await pilot.press("a")  # nothing to apply: stays, no crash
        await pilot.pause()
        assert isinstance(app.screen, InferScreen)
