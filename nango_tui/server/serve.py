"""`nango-tui serve`: the API, the scheduler and the workers in one process, SQLite under `--data`."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA = ".nango-server"
DEFAULT_PORT = 3003


@dataclass
class ServeOptions:
    data_dir: Path
    database_url: str | None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tick: bool = True


class ServeError(Exception):
    """A clear, one-line reason the server cannot start."""


def _lock(data_dir: Path):
    handle = open(data_dir / "serve.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ServeError(
            f"another `nango-tui serve` already uses {data_dir}; stop it or pass another --data"
        ) from None
    return handle


def _check_port(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is in use: stop what uses it or pass --port") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def run(options: ServeOptions, out=sys.stdout) -> int:
    """Serve until stopped; 0 on a clean stop. Raises ServeError for a setup problem."""
    data_dir = options.data_dir.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
    except OSError as exc:
        raise ServeError(f"cannot use {data_dir} as the data folder: {exc.strerror}") from None
    lock = _lock(data_dir)
    sock = _check_port(options.host, options.port)

    import sqlalchemy as sa

    from . import db
    from .api.app import build
    from .api.common import ServerState
    from .runs import RunContext
    from .storage import environments as envs
    from .storage import syncs as sync_store
    from .vault import Vault

    url = options.database_url or db.default_url(data_dir)
    try:
        engine = db.create(url)
        db.migrate(engine)
    except sa.exc.SQLAlchemyError as exc:
        raise ServeError(f"cannot open the database {url.split('@')[-1]}: {exc.__class__.__name__}") from None
    vault = Vault.open(data_dir)
    with engine.begin() as conn:
        made = envs.ensure(conn, vault)
        sync_store.abandon_running(conn)
        keys = {
            name: envs.secret_key(conn, vault, envs.by_name(conn, name).id)
            for name in envs.DEFAULT_ENVIRONMENTS
        }
    shown_host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
    base_url = f"http://{shown_host}:{options.port}"
    # the runs' child processes read their connection from this server, as from Nango
    os.environ["NANGO_HOSTPORT"] = base_url
    for name, key in keys.items():
        os.environ[f"NANGO_SECRET_KEY_{name.upper()}"] = key
    run_ctx = RunContext(engine=engine, vault=vault, data_dir=data_dir, base_url=base_url)
    state = ServerState(engine=engine, vault=vault, data_dir=data_dir, run_ctx=run_ctx)
    for name, key in made.items():
        out.write(
            f"environment {name}: secret key {key}  (shown once; also set NANGO_SECRET_KEY_{name.upper()})\n"
        )

    def ready() -> None:
        out.write(f"nango-tui serve: listening on {base_url} (data in {data_dir})\n")
        out.flush()
        starter.start()  # DBOS is imported after the API answers (it takes ~1 s to import)

    jobs_box: dict = {}

    def start_engine() -> None:
        try:
            from nango_tui import __version__ as version
        except ImportError:
            version = "0"
        try:
            from .engine import Engine

            system_url = url if not url.startswith("sqlite") else f"sqlite:///{data_dir / 'dbos.sqlite'}"
            jobs = Engine(
                run_ctx,
                system_url,
                executor_id=os.environ.get("NANGO_TUI_EXECUTOR_ID", "local"),
                version=str(version),
            )
            state.jobs = jobs
            jobs_box["jobs"] = jobs
            jobs.launch(tick=options.tick)
        except Exception as exc:
            out.write(f"nango-tui serve: the engine failed to start: {type(exc).__name__}: {exc}\n")
            out.flush()

    import uvicorn

    app = build(state, on_ready=ready)

    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    starter = threading.Thread(target=start_engine, name="nango-engine", daemon=True)
    try:
        server.run(sockets=[sock])
    finally:
        jobs = jobs_box.get("jobs")
        if jobs is not None:
            jobs.shutdown()
        lock.close()
    return 0
