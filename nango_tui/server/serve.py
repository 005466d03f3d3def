"""`nango-tui serve` (the API, the scheduler tick and workers) and `nango-tui worker` (tick and workers).

SQLite under `--data` by default (one process); with `--database postgresql://...` any number of
`serve` and `worker` processes share one database, each with its own executor id. A worker also
serves the API, on a loopback port only: its runs' child processes read their connection from it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from nango_tui.config import heap

DEFAULT_DATA = ".nango-server"
DEFAULT_PORT = 3003


@dataclass
class ServeOptions:
    data_dir: Path
    database_url: str | None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tick: bool = True
    kind: str = "serve"  # serve | worker (a worker's API is for its own runs, on loopback)
    executor_id: str | None = None
    concurrency: int = 4
    reuse_port: bool = False  # several serve processes of one PostgreSQL database share the port


class ServeError(Exception):
    """A clear, one-line reason the server cannot start."""


def _lock(data_dir: Path, name: str = "serve.lock", who: str = "another `nango-tui serve`") -> IO[str]:
    handle = open(data_dir / name, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ServeError(f"{who} already uses {data_dir}; stop it or pass another --data") from None
    return handle


def default_executor_id(kind: str, is_sqlite: bool, port: int, reuse_port: bool = False) -> str:
    """SQLite: `local` (one process). PostgreSQL: `serve-HOST-PORT` (`serve-HOST-PORT-PID` when
    several share the port) or `worker-HOST-PID`.

    A stable id (`--id`) lets a restarted worker recover its own runs at once; otherwise the janitor
    hands them to a live worker once the old id stops beating."""
    if os.environ.get("NANGO_TUI_EXECUTOR_ID"):
        return os.environ["NANGO_TUI_EXECUTOR_ID"]
    if is_sqlite:
        return "local"
    host = socket.gethostname()
    if kind == "serve":
        return f"serve-{host}-{port}-{os.getpid()}" if reuse_port else f"serve-{host}-{port}"
    return f"worker-{host}-{os.getpid()}"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100]


def _check_port(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # Linux spreads new connections among the processes bound with it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            also = "" if reuse_port else " (or --reuse-port to share it with other serve processes)"
            raise ServeError(
                f"port {port} on {host} is in use: stop what uses it or pass --port{also}"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def run(options: ServeOptions, out: IO[str] = sys.stdout) -> int:
    """Serve until stopped; 0 on a clean stop. Raises ServeError for a setup problem."""
    data_dir = options.data_dir.resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
    except OSError as exc:
        raise ServeError(f"cannot use {data_dir} as the data folder: {exc.strerror}") from None

    import sqlalchemy as sa

    from . import db
    from .api.app import build
    from .api.common import ServerState
    from .runs import RunContext
    from .storage import environments as envs
    from .storage import syncs as sync_store
    from .storage import workers as worker_store
    from .vault import Vault

    url = options.database_url or db.default_url(data_dir)
    is_sqlite = url.startswith("sqlite")
    worker = options.kind == "worker"
    if worker and is_sqlite:
        raise ServeError(
            "a worker needs a shared database: pass --database postgresql://...; on SQLite,"
            " `nango-tui serve` runs the workers itself"
        )
    if options.concurrency < 1:
        raise ServeError("--concurrency must be at least 1")
    if options.reuse_port and is_sqlite:
        raise ServeError(
            "--reuse-port shares the port among serve processes of one PostgreSQL database; on SQLite"
            " one serve process owns the data folder: pass --database postgresql://... or drop --reuse-port"
        )
    executor_id = options.executor_id or default_executor_id(
        options.kind, is_sqlite, options.port, options.reuse_port
    )
    if is_sqlite:
        lock = _lock(data_dir)
    else:
        lock = _lock(
            data_dir, f"executor-{_safe(executor_id)}.lock", f"another process with id {executor_id!r}"
        )
    sock = (
        _check_port("127.0.0.1", 0) if worker else _check_port(options.host, options.port, options.reuse_port)
    )
    port = sock.getsockname()[1]
    shown_url = db.display_url(url)
    try:
        engine = db.create(url)
        db.prepare(engine, migrate_hint=_migrate_hint(options, url))
    except db.SchemaError as exc:
        raise ServeError(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise ServeError(f"cannot open the database {shown_url}: {_reason(exc)}") from None
    vault = Vault.open(data_dir)
    from nango_tui import __version__ as version

    try:
        made, _keys = _environments(engine, vault, envs)
        with engine.begin() as conn:
            sync_store.abandon_running(conn, executor_id)
            worker_store.register(
                conn, executor_id, options.kind, str(version), options.concurrency, _dead_after()
            )
    except worker_store.ExecutorInUse as exc:
        raise ServeError(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise ServeError(f"cannot use the database {shown_url}: {_reason(exc)}") from None
    shown_host = "127.0.0.1" if worker or options.host in ("0.0.0.0", "::") else options.host
    base_url = f"http://{shown_host}:{port}"
    # Read once, then out of this process's environment: a run's child inherits the environment,
    # and a script of one environment must not find another's key or the credentials' key there
    # (each run gets its own environment's key and NANGO_HOSTPORT: runs._child_env).
    for name in [
        k for k in os.environ if k.startswith("NANGO_SECRET_KEY") or k == "NANGO_TUI_ENCRYPTION_KEY"
    ]:
        del os.environ[name]
    run_ctx = RunContext(
        engine=engine, vault=vault, data_dir=data_dir, base_url=base_url, executor_id=executor_id
    )
    state = ServerState(engine=engine, vault=vault, data_dir=data_dir, run_ctx=run_ctx)
    for name, key in made.items():
        variable = f"NANGO_SECRET_KEY_{name.upper()}"
        if key is None:  # the user's own key: never echoed to a terminal or a log
            out.write(f"environment {name}: secret key from {variable}\n")
        else:
            out.write(f"environment {name}: secret key {key}  (shown once; also set {variable})\n")

    def ready() -> None:
        if worker:
            out.write(
                f"nango-tui worker {executor_id}: running syncs from {shown_url}"
                f" (concurrency {options.concurrency})\n"
            )
        else:
            where = f"database {shown_url}" if not is_sqlite else f"data in {data_dir}"
            out.write(f"nango-tui serve: listening on {base_url} ({where}; worker id {executor_id})\n")
        out.flush()
        starter.start()  # DBOS is imported after the API answers (it takes ~1 s to import)

    jobs_box: dict[str, Any] = {}

    def start_engine() -> None:
        try:
            from .engine import Engine

            system_url = db.normalize_url(url) if not is_sqlite else f"sqlite:///{data_dir / 'dbos.sqlite'}"
            jobs = Engine(
                run_ctx,
                system_url,
                executor_id=executor_id,
                version=str(version),
                concurrency=options.concurrency,
                kind=options.kind,
            )
            state.jobs = jobs
            jobs_box["jobs"] = jobs
            jobs.launch(tick=options.tick)
            # what start-up built (SQLAlchemy, DBOS, Starlette, pydantic: ~90k objects) lives as long as
            # the process: out of the collector's sight, a full collection no longer walks it (tens
            # of ms, a stall of every request in flight)
            heap.freeze()
        except Exception as exc:
            out.write(f"nango-tui {options.kind}: the engine failed to start: {type(exc).__name__}: {exc}\n")
            out.flush()

    import uvicorn

    app = build(state, on_ready=ready)

    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        access_log=False,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,  # nothing reads the client's address; X-Forwarded-* is not trusted
    )
    server = uvicorn.Server(config)
    starter = threading.Thread(target=start_engine, name="nango-engine", daemon=True)
    try:
        server.run(sockets=[sock])
    finally:
        jobs = jobs_box.get("jobs")
        if jobs is not None:
            jobs.shutdown()
        if state.readers is not None:
            state.readers.close()
        lock.close()
    return 0


def _dead_after() -> float:
    return float(os.environ.get("NANGO_TUI_WORKER_TIMEOUT", "30"))


def _reason(exc: BaseException) -> str:
    """The first line of the driver's message, without the URL's password."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text[:300]


def _migrate_hint(options: ServeOptions, url: str) -> str:
    if options.database_url:
        from . import db

        return f"nango-tui migrate --database {db.display_url(url)}"
    return f"nango-tui migrate --data {options.data_dir}"


def _environments(engine: Any, vault: Any, envs: Any) -> tuple[dict[str, str | None], dict[str, str]]:
    """The default environments (made by the first process to start) and their keys.

    Two processes starting together on an empty database both try to make them: the loser of the
    unique constraint reads the winner's. A key that cannot be decrypted means another encryption key.
    """
    import sqlalchemy as sa

    for attempt in range(2):
        try:
            with engine.begin() as conn:
                made = envs.ensure(conn, vault)
                keys = {
                    name: envs.secret_key(conn, vault, envs.by_name(conn, name).id)
                    for name in envs.DEFAULT_ENVIRONMENTS
                }
            return made, keys
        except sa.exc.IntegrityError:
            if attempt:
                raise
        except ValueError:
            raise ServeError(
                "the database's secrets were encrypted with another key: give every process the same"
                " NANGO_TUI_ENCRYPTION_KEY (the first server's is in its <data>/encryption.key)"
            ) from None
    raise AssertionError("unreachable")


def migrate(database_url: str | None, data_dir: Path, out: IO[str] = sys.stdout) -> int:
    """`nango-tui migrate`: bring the schema to this version's; 0 when it is there."""
    import sqlalchemy as sa

    from . import db

    if database_url is None and not (Path(data_dir) / "nango.db").exists():
        raise ServeError(f"no server database in {data_dir}: pass --data DIR or --database URL")
    url = database_url or db.default_url(data_dir)
    shown = db.display_url(url)
    try:
        engine = db.create(url)
        before, after = db.migrate(engine)
    except db.SchemaError as exc:
        raise ServeError(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise ServeError(f"cannot migrate the database {shown}: {_reason(exc)}") from None
    if before == after:
        out.write(f"{shown}: the schema is already at revision {after}\n")
    elif before is None:
        out.write(f"{shown}: an empty database; created the schema at revision {after}\n")
    else:
        out.write(f"{shown}: migrated the schema from revision {before} to {after}\n")
    return 0
