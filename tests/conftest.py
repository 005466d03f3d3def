from __future__ import annotations

import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support.http_server import local_server  # noqa: F401 - the fixture, for every test module

# Hypothesis's wall-clock checks (deadline, slow generation) flake when the suite shares the machine.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` (pyproject's addopts) tests go to the workers one by one, so a big
    file no longer holds one worker while the other idles; a module with a module-scoped fixture
    (a server process, steps that build on each other) stays whole on one worker: set up once."""
    for item in items:
        fixture_info = getattr(item, "_fixtureinfo", None)
        if fixture_info is None:
            continue
        scopes = {d.scope for defs in fixture_info.name2fixturedefs.values() for d in defs}
        if "module" in scopes:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture(scope="session")
def _warm_child_pool():
    from tests.support import warm_child

    yield warm_child
    warm_child.close_all()


@pytest.fixture(scope="session", autouse=True)
def _warm_cli():
    """`nango-tui` processes the tests start fork from one warm process per test process
    (tests/support/warm_cli.py); it ends with the session."""
    from tests.support import warm_cli

    yield
    warm_cli.close()


@pytest.fixture
def shared_warm_child(_warm_child_pool, monkeypatch):
    """Workbench tests: apps borrow this process's zygote instead of starting one each
    (tests/support/warm_child.py says what stays the same)."""
    from nango_tui.dryrun.zygote import Zygote

    monkeypatch.setattr(Zygote, "start", staticmethod(_warm_child_pool.borrow))


@pytest.fixture(autouse=True)
def _heap_thawed_after_each_test():
    """Each test's workbench freezes the heap at its first run as a workbench process of its own
    would (tests/support/heap.py says why)."""
    yield
    from tests.support.heap import thaw

    thaw()


@pytest.fixture
def warm_dryrun_children(_warm_child_pool):
    """Dryrun pane tests: their runs fork from this process's zygote, as the workbench's do after
    its warm-up, instead of each starting a cold interpreter (~0.45 s of CPU a run)."""
    from nango_tui.dryrun.runner import use_zygote

    handle = _warm_child_pool.borrow()
    use_zygote(handle)
    yield handle
    use_zygote(None)
    handle.close()


# A suite started in the background by a non-interactive shell (`.ci/run &`, nohup) inherits SIGINT
# ignored, and so would every process it starts (Python keeps an inherited SIG_IGN): the tests that
# press Ctrl-C on a `dev` or `dryrun` would wait for an exit that cannot come. Their processes get
# the default a terminal gives.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# pytest-timeout owns SIGALRM (a handler per test); these are the ones every process inherits
_WATCHED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)
_WATCHED_MASK = sum(1 << (sig - 1) for sig in _WATCHED_SIGNALS)


def _kernel_signal_state() -> dict[str, int]:
    """This thread's blocked and ignored signals as the kernel has them (a C library can change
    them without Python's handler table knowing), limited to the watched ones."""
    try:
        lines = Path("/proc/thread-self/status").read_text().splitlines()
    except OSError:
        return {}
    return {
        name: int(value, 16) & _WATCHED_MASK
        for name, _, value in (line.partition(":\t") for line in lines)
        if name in ("SigBlk", "SigIgn")
    }


@pytest.fixture(autouse=True)
def _signal_handlers_kept(request: pytest.FixtureRequest):
    """A test must leave the process's signal handlers as it found them: every process the worker
    starts later inherits an ignored or blocked SIGINT, and the Ctrl-C tests that come after it on
    that worker then time out far from the cause (seen in CI)."""
    before = {sig: signal.getsignal(sig) for sig in _WATCHED_SIGNALS}
    kernel_before = _kernel_signal_state()
    yield
    changed = {
        sig: signal.getsignal(sig) for sig, handler in before.items() if signal.getsignal(sig) is not handler
    }
    kernel_after = _kernel_signal_state()
    for sig in changed:
        signal.signal(sig, before[sig])
    problems = [
        f"{signal.Signals(sig).name} handler {now} (was {before[sig]})" for sig, now in changed.items()
    ]
    problems += [
        f"{name} {kernel_before[name]:#x} -> {value:#x} (kernel)"
        for name, value in kernel_after.items()
        if value != kernel_before.get(name)
    ]
    if problems:
        pytest.fail(f"{request.node.nodeid} left signals changed: {'; '.join(problems)}", pytrace=False)


@pytest.fixture
def project_dir(tmp_path: Path):
    """A function that writes a nango.yaml (and other files) into a temporary folder."""

    def make(yaml_text: str, files: dict[str, str] | None = None) -> Path:
        (tmp_path / "nango.yaml").write_text(yaml_text)
        for rel, content in (files or {}).items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        return tmp_path

    return make


# -- the server's database backends (issue 14): SQLite, and a throw-away PostgreSQL cluster ----------

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster in a temporary folder for the whole session (removed after)."""
    from tests.support import postgres as pg

    if not pg.available():
        pytest.skip("PostgreSQL binaries are absent (apt-get install postgresql); .ci/run installs them")
    cluster = pg.PostgresCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend_url(request):
    """None for SQLite (the server's default), else the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(params=BACKENDS)
def fresh_backend_url(request):
    """As `backend_url`, but a new database for each test."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").new_database()
