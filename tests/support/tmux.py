"""A private tmux server running one 80x24 session, for the end-to-end tests of the workbench:
keys are sent, the screen is read back."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class Tmux:
    """One private tmux server (its own socket) with one 80x24 session."""

    def __init__(self, name: str) -> None:
        self.socket = f"nango-e2e-{os.getpid()}-{name}"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def start(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        """A clean `sh` in `cwd`: only PATH (the venv first), HOME, TERM, LANG and `env`."""
        extra = "".join(f" {name}={shlex.quote(value)}" for name, value in (env or {}).items())
        env_cmd = (
            f"env -i PATH={VENV_BIN}:/usr/bin:/bin HOME={cwd} TERM=xterm-256color LANG=C.UTF-8"
            f"{extra} PS1='e2e$ ' sh"
        )
        self.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "e2e", "-c", str(cwd), env_cmd)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def alternate_on(self) -> bool:
        return self.run("display-message", "-p", "-t", "e2e", "#{alternate_on}").strip() == "1"

    def wait_for(self, *texts: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never saw {texts!r} on the screen:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 60.0) -> str:
        """Until `text` left the screen (an escape key then needs no pause before the next key:
        sent at once, the terminal would read them as one alt+key). Absent from two captures in a
        row: one capture taken while the app repaints can miss a line that is still there."""
        deadline = time.monotonic() + timeout
        screen = ""
        absent = 0
        while time.monotonic() < deadline:
            screen = self.screen()
            absent = absent + 1 if text not in screen else 0
            if absent == 2:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} stayed on the screen:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
