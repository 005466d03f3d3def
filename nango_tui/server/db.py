"""The database: engine creation (SQLite tuned, PostgreSQL as is) and Alembic migrations at start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

MIGRATIONS = Path(__file__).with_name("migrations")


T = TypeVar("T")


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT made."""
    key = result.inserted_primary_key
    assert key is not None, "not an INSERT"
    return int(key[0])


def default_url(data_dir: Path) -> str:
    """`sqlite:///DATA/nango.db`."""
    return f"sqlite:///{Path(data_dir).resolve() / 'nango.db'}"


def create(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(
        normalize_url(url),
        pool_pre_ping=True,  # a connection cut by a database restart is replaced, not used
        pool_size=10,
        max_overflow=30,
        connect_args={"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10},
    )


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean the psycopg (3) driver, the one DBOS brings."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


HEAD = "0002"  # the newest revision in migrations/versions (a test checks it is Alembic's head)
_MIGRATE_LOCK = 0x6E616E676F  # pg_advisory_xact_lock key: one process migrates at a time


class SchemaError(Exception):
    """The database's schema is not the one this nango-tui needs (a clear, one-line reason)."""


def _revisions() -> list[str]:
    """The known revisions, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def _locked(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK})


def revision(conn: sa.Connection) -> str | None:
    """The database's Alembic revision; None for an empty database; "" for tables without a stamp."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("alembic_version"):
        return None if not inspector.get_table_names() else ""
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or ""


def _create_fresh(conn: sa.Connection) -> None:
    from .schema import metadata

    metadata.create_all(conn)
    conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD})


def prepare(engine: sa.Engine, migrate_hint: str = "nango-tui migrate") -> None:
    """At start: an empty database gets the schema; one at HEAD is used; any other is refused.

    A fresh database gets schema.py's tables stamped at HEAD (Alembic's advice for a new database;
    a test checks it equals the migrations). An older schema is not upgraded behind the operator's
    back (other processes may still run the old version): `nango-tui migrate` does that.
    """
    with engine.begin() as conn:
        _locked(conn)
        current = revision(conn)
        if current is None:
            _create_fresh(conn)
            return
    _refuse_unless_head(current, migrate_hint)


def _refuse_unless_head(current: str, migrate_hint: str) -> None:
    if current == HEAD:
        return
    known = _revisions()
    if current == "":
        raise SchemaError(
            "the database has tables but no nango-tui schema version: point --database at an empty"
            " database or at one made by nango-tui"
        )
    if current in known:
        raise SchemaError(
            f"the database schema is at revision {current}, this nango-tui needs {HEAD}:"
            f" stop the old servers and workers, then run `{migrate_hint}`"
        )
    raise SchemaError(
        f"the database schema is at revision {current}, newer than this nango-tui knows ({HEAD}):"
        " upgrade nango-tui on this machine"
    )


def migrate(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the schema to HEAD (`nango-tui migrate`); returns (revision before, revision after).

    An empty database gets the schema at HEAD; an older one is upgraded by Alembic, one process at a
    time (an advisory lock on PostgreSQL); a newer one is refused (SchemaError).
    """
    with engine.begin() as conn:
        _locked(conn)
        current = revision(conn)
        if current is None:
            _create_fresh(conn)
            return None, HEAD
        if current == HEAD:
            return current, HEAD
        if current == "" or current not in _revisions():
            _refuse_unless_head(current, "nango-tui migrate")
        _upgrade_on(conn)
    return current, HEAD


def upgrade(engine: sa.Engine) -> None:
    """Run Alembic's upgrade to head on `engine`."""
    with engine.begin() as conn:
        _locked(conn)
        _upgrade_on(conn)


def _upgrade_on(conn: sa.Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached (down, restarting, connection lost)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.OperationalError):
        return True
    return type(exc).__module__.startswith("psycopg") and type(exc).__name__ == "OperationalError"


def retrying(
    fn: Callable[[], T],
    what: str,
    deadline_seconds: float = 300.0,
    log: Callable[[str], object] | None = None,
) -> T:
    """Call `fn()`; while the database is unreachable, try again (backoff up to 2 s) until the deadline.

    A short database restart then costs a pause, not a failed run.
    """
    import time

    give_up = time.monotonic() + deadline_seconds
    delay = 0.1
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_unavailable(exc) or time.monotonic() > give_up:
                raise
            if log is not None:
                log(f"{what}: the database is unreachable ({type(exc).__name__}); retrying")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
