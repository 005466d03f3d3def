"""`nango-tui dev` as a process: one JSON line per update, plain text when piped, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import warm_cli
from tests.support.projects import CRM_SYNC as SYNC
from tests.support.projects import write_crm_project

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")


class DevProcess:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "", "PYTHONUNBUFFERED": "1"}
        self.proc = warm_cli.popen(
            [sys.executable, "-m", "nango_tui", "dev", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, predicate=lambda line: True, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if predicate(line):
                return line

    def interrupt(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return code, self.proc.stderr.read()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_crm_project(tmp_path)


def test_dev_json_lines_and_ctrl_c(root: Path):
    dev = DevProcess("--dir", str(root), "--json")
    try:
        first = json.loads(dev.next_line())
        assert first["diagnostics"] == [] and first["changed"] == [] and first["ms"] >= 0
        (root / SYNC).write_text('async def fetch_data(nango):\n    nango.log("x")\n')
        update = json.loads(dev.next_line())
        assert update["changed"] == [SYNC]
        assert [(d["file"], d["line"], d["column"], d["code"]) for d in update["diagnostics"]] == [
            (SYNC, 2, 5, "sdk_call_not_awaited")
        ]
        assert isinstance(update["ms"], (int, float)) and update["ms"] >= 0
    finally:
        code, stderr = dev.interrupt()
    assert code == 0
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr


def test_dev_plain_output_when_piped(root: Path):
    dev = DevProcess("--dir", str(root))
    try:
        assert dev.next_line(lambda line: "no problems" in line).startswith("no problems (")
        (root / SYNC).write_text("async def fetch_data(nango):\n    x = (\n")
        assert (
            dev.next_line(lambda line: "syntax_error" in line)
            == f"{SYNC}:2:9: error syntax_error: '(' was never closed"
        )
        assert dev.next_line(lambda line: "error" in line and "(" in line).startswith("1 error (")
    finally:
        code, stderr = dev.interrupt()
    assert code == 0
    assert "Traceback" not in stderr
    assert "\x1b[2J" not in "".join(list(dev.lines.queue))  # no screen clearing when piped


def test_dev_on_a_missing_folder_exits_1(tmp_path: Path):
    proc = warm_cli.run(
        [sys.executable, "-m", "nango_tui", "dev", "--dir", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "is not a folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_print_update_redraws_on_a_terminal_and_appends_when_piped(tmp_path: Path):
    import io

    from nango_tui.config import Diagnostic
    from nango_tui.console import Out
    from nango_tui.watch import DevUpdate
    from nango_tui.watch.terminal import CLEAR_SCREEN, print_update

    diag = Diagnostic(SYNC, 3, 5, "error", "undefined_name", "undefined name 'x'")
    update = DevUpdate([diag], [SYNC], 12.4, None, [], 3)
    tty, piped = io.StringIO(), io.StringIO()
    print_update(update, Out(tty, colour=False), tmp_path, clear=True)
    print_update(update, Out(piped, colour=False), tmp_path, clear=False)
    assert tty.getvalue().startswith(CLEAR_SCREEN)
    assert CLEAR_SCREEN not in piped.getvalue()
    lines = piped.getvalue().splitlines()
    assert lines[0].endswith(f"changed: {SYNC}")
    assert lines[1:] == [f"{SYNC}:3:5: error undefined_name: undefined name 'x'", "1 error (12 ms)"]
