"""tests/support/warm_cli.py: a `nango-tui` forked from the warm process is what a cold one is.

Each case runs the same command both ways (a real `subprocess` and the fork) and compares what a
test can see: exit code, stdout, stderr, the cwd and environment the command used, its session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import warm_cli
from tests.support.paths import SAMPLES

NANGO_TUI = [sys.executable, "-m", "nango_tui"]


def both(args: list[str], input: bytes | None = None, **kwargs) -> tuple[subprocess.CompletedProcess, ...]:
    """The command run cold (a real exec) and forked, with the same options."""
    cold = subprocess.run([*NANGO_TUI, *args], capture_output=True, input=input, timeout=60, **kwargs)
    warm = warm_cli.popen(
        [*NANGO_TUI, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )
    assert isinstance(warm, warm_cli.WarmPopen)
    with warm:
        out, err = warm.communicate(input, timeout=60)
    return cold, subprocess.CompletedProcess(warm.args, warm.returncode, out, err)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],  # SystemExit(0) from argparse
        ["validate", "--no-such-option"],  # usage error: exit 2
        ["validate", "--dir", "missing-folder"],  # a user's mistake: exit 1, relative to the cwd
        ["validate", "--dir", "."],
        ["validate", "--json", "--dir", "."],
    ],
)
def test_a_fork_exits_and_prints_as_a_fresh_process(args: list[str], tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "nango.yaml").write_text((SAMPLES / "nango.yaml").read_text())
    cold, warm = both(args, cwd=project)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_a_fork_gets_the_environment_and_stdin_it_is_given(tmp_path: Path):
    """The environment given (not the test process's) and stdin a pipe, as `deploy` sees them: it
    checks whether stdin is a terminal before it would ask."""
    env = {**os.environ, "NANGO_SECRET_KEY_DEV": "k" * 24, "NO_COLOR": "1"}
    cold, warm = both(["deploy", "dev", "--dir", str(tmp_path)], env=env, input=b"y\n")
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert warm.returncode == 1 and warm.stderr


def test_a_fork_has_its_own_session_and_ends_by_signal_as_a_cold_one(tmp_path: Path):
    codes = []
    for start in (subprocess.Popen, warm_cli.popen):
        proc = start(
            [*NANGO_TUI, "serve", "--data", str(tmp_path / start.__name__), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NANGO_SECRET_KEY_DEV": "k" * 24},
        )
        assert os.getsid(proc.pid) == proc.pid  # set before popen returns, as an exec'd child's
        assert proc.poll() is None
        lines = [proc.stdout.readline() for _ in range(3)]  # two environments, then the address
        assert b"listening on" in lines[-1], lines
        proc.send_signal(signal.SIGINT)
        codes.append(proc.wait(30))
        proc.stdout.close()
    assert codes[0] == codes[1]


def test_what_a_fork_cannot_reproduce_runs_cold(tmp_path: Path):
    interpreter_setting = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    with warm_cli.popen(
        [*NANGO_TUI, "--help"], env=interpreter_setting, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        assert type(proc) is subprocess.Popen
        assert b"import time:" in proc.stderr.read()
    with warm_cli.popen([sys.executable, "-c", "pass"]) as proc:
        assert type(proc) is subprocess.Popen
    with warm_cli.popen([*NANGO_TUI, "--help"], stdout=subprocess.DEVNULL, pass_fds=()) as proc:
        assert type(proc) is subprocess.Popen  # an option the fork does not take
    with pytest.raises(FileNotFoundError):
        warm_cli.popen([*NANGO_TUI, "--help"], cwd=tmp_path / "absent")
