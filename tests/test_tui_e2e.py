"""The workbench in a real terminal: tmux runs it, keys are sent, the screen is read back."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.support.tmux import Tmux
from tests.support.tui_project import copy_samples

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.slow,
]


@pytest.fixture
def tmux():
    session = Tmux("workbench")
    yield session
    session.kill()


def test_dryrun_from_the_keyboard_then_quit_restores_the_terminal(tmux: Tmux, tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "sample-integrations")
    tmux.start(tmp_path)
    tmux.wait_for("e2e$")
    tmux.keys("nango-tui sample-integrations; echo E2E-EXIT=$?", "Enter")
    screen = tmux.wait_for("Config", "Problems", "Script · nango.yaml", "q Quit")
    assert tmux.alternate_on()
    assert "salesforce" in screen and "▶ contacts" in screen
    tmux.keys("Down", "Down")  # salesforce > syncs > contacts
    tmux.wait_for("Script · salesforce/syncs/contacts.py", "from nango_tui.sdk import NangoSync")
    tmux.keys("d")
    tmux.wait_for("salesforce-demo", "ctrl+j")  # the dialog, with the demo connection chosen
    tmux.keys("C-j")
    screen = tmux.wait_for("done", "Contact", timeout=90)
    assert "Records" in screen and "0035g" in screen  # a record id of the saved Salesforce responses
    assert (root / ".nango").is_dir()  # the run's record file went under .nango/
    # into the records table: arrows and page keys move the row, enter inspects that record
    tmux.keys("Down", "Down", "Down")
    tmux.keys("Enter")
    screen = tmux.wait_for("save Contact #4", "escape: close")
    tmux.keys("Escape")
    tmux.wait_gone("escape: close")
    tmux.keys("z")  # zoomed: a page is most of the screen
    tmux.wait_for("Records 24")
    tmux.wait_gone("Script · ")  # the zoomed layout is drawn, so a page is the zoomed table's height
    tmux.keys("PPage", "NPage", "NPage")  # paging: top, then two pages down
    tmux.keys("Enter")
    screen = tmux.wait_for("save Contact #", "escape: close")
    assert "save Contact #1 " not in screen and "save Contact #4 " not in screen  # moved by a page
    tmux.keys("Escape")
    tmux.wait_gone("escape: close")
    tmux.wait_for("Records 24")  # the detail closed: the zoomed table is back before the next key
    tmux.keys("z")
    tmux.wait_for("Script · ", "Records 24")  # un-zoomed (the panes are back) before the next key
    # a request's detail: headers and bodies in the inspector
    tmux.keys("]")
    tmux.wait_for("log lines")
    tmux.keys("]")
    tmux.wait_for("3 requests")
    tmux.keys("Enter")
    screen = tmux.wait_for("Request headers", "Response body")
    tmux.keys("End")
    tmux.wait_for("escape: close")
    tmux.keys("Escape")
    tmux.wait_gone("escape: close")
    # the crash path: quick Up/Down in the Config tree after a dryrun (was DuplicateIds)
    tmux.keys("F2")
    for _ in range(10):
        tmux.keys("Up", "Down")
    time.sleep(1.0)
    screen = tmux.wait_for("Config", "q Quit")
    assert "DuplicateIds" not in screen and "Traceback" not in screen
    tmux.keys("q")
    screen = tmux.wait_for("E2E-EXIT=0\ne2e$")  # the exit code, then the prompt (printed a moment later)
    assert not tmux.alternate_on()
    assert screen.rstrip().splitlines()[-1].startswith("e2e$")  # the prompt is back, on a sane screen
