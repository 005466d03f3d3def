"""End to end in a real terminal (tmux, 80x24): the workbench deploys sample-integrations to a real
`nango-tui serve` (SQLite, temporary folder), the demo connections' syncs run on the server, and
the pane browses the records it serves."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.support.server_process import ServerProcess
from tests.support.tmux import Tmux
from tests.support.tui_project import copy_samples

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]


def press_until(tmux: Tmux, key: str, text: str, unmoved: str | None = None, tries: int = 10) -> str:
    """Press `key` until `text` is on the screen. A key sent while the focus moves can be lost, so
    it is pressed again, but only while `unmoved` (what the screen showed before) is still there:
    a key handled late on a busy machine, then pressed again, would go past the line wanted."""
    screen = ""
    for _ in range(tries):
        tmux.keys(key)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            screen = tmux.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        if unmoved is not None and unmoved not in screen:
            break  # the key was handled, and the screen shows something else
    raise AssertionError(f"never saw {text!r} after {key}:\n{screen}")


@pytest.fixture
def tmux():
    session = Tmux("deployments")
    yield session
    session.kill()


def test_deploy_the_samples_from_the_workbench_and_browse_served_records(tmux: Tmux, tmp_path: Path) -> None:
    root = copy_samples(tmp_path / "sample-integrations")
    with ServerProcess(tmp_path / "data") as server:
        pushed = server.cli("connections", "push", "dev", "--dir", str(root))  # the demo connections
        assert pushed.returncode == 0 or "salesforce-demo" in pushed.stdout, pushed.stderr
        tmux.start(tmp_path, env={"NANGO_HOSTPORT": server.url, "NANGO_SECRET_KEY_DEV": server.keys["dev"]})
        tmux.wait_for("e2e$")
        tmux.keys("nango-tui sample-integrations; echo E2E-EXIT=$?", "Enter")
        tmux.wait_for("Config", "Problems", "q Quit")
        tmux.keys("F6")
        tmux.wait_for("Deployments", "0 scripts")  # nothing deployed yet
        tmux.keys("z")  # the pane on the whole screen
        tmux.keys("D")
        screen = tmux.wait_for("Deploy ", "scripts to dev", "y: deploy", timeout=120)
        assert "Sync contacts (salesforce) is new" in screen
        tmux.keys("y")
        tmux.wait_for("contacts@v1", timeout=120)
        assert server.get("/scripts/config").json()  # deployed, by the workbench
        # the demo connection's sync runs on the server: open it in the tree
        press_until(tmux, "End", "action of salesforce")  # the last line: salesforce's action
        press_until(tmux, "Up", "sync of salesforce", unmoved="action of salesforce")  # contacts@v1
        tmux.keys("Enter")  # open it: each connection's sync
        tmux.wait_for("salesforce-demo", timeout=60)
        tmux.wait_for("● SUCCESS", timeout=180)
        press_until(tmux, "Down", "contacts of salesforce-demo", unmoved="sync of salesforce")
        tmux.keys("Enter")  # open the connection's sync: its model and runs
        tmux.wait_for("(enter: browse)", timeout=60)
        press_until(tmux, "Down", "enter browses them", unmoved="contacts of salesforce-demo")  # the model
        tmux.keys("Enter")  # its served records
        screen = tmux.wait_for("page 1", "0035g", timeout=60)  # a record id of the saved Salesforce responses
        assert "filter all" in screen
        tmux.keys("Escape")
        tmux.wait_gone("page 1")
        tmux.keys("q")
        screen = tmux.wait_for("E2E-EXIT=0\ne2e$")
        assert "Traceback" not in screen
