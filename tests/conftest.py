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


@pytest.fixture
def shared_warm_child(_warm_child_pool, monkeypatch):
    """Workbench tests: apps borrow this process's zygote instead of starting one each
    (tests/support/warm_child.py says what stays the same)."""
    from nango_tui.dryrun.zygote import Zygote

    monkeypatch.setattr(Zygote, "start", staticmethod(_warm_child_pool.borrow))


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


_WATCHED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGALRM)


@pytest.fixture(autouse=True)
def _signal_handlers_kept(request: pytest.FixtureRequest):
    """A test must leave the process's signal handlers as it found them: every later process the
    worker starts inherits an ignored SIGINT (Python keeps it ignored), and the Ctrl-C tests that
    come after it on that worker then time out far from the cause (seen in CI)."""
    before = {sig: signal.getsignal(sig) for sig in _WATCHED_SIGNALS}
    yield
    changed = {sig: handler for sig, handler in before.items() if signal.getsignal(sig) is not handler}
    for sig, handler in changed.items():
        signal.signal(sig, handler)
    if changed:
        names = ", ".join(
            f"{signal.Signals(sig).name} ({signal.getsignal(sig)} was {before[sig]})" for sig in changed
        )
        pytest.fail(f"{request.node.nodeid} left signal handlers changed: {names}", pytrace=False)


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
