"""The database: engine creation (SQLite tuned, PostgreSQL as is) and Alembic migrations at start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url(data_dir: Path) -> str:
    """`sqlite:///DATA/nango.db`."""
    return f"sqlite:///{Path(data_dir).resolve() / 'nango.db'}"


def create(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


HEAD = "0001"  # the newest revision in migrations/versions (a test checks it is Alembic's head)


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest Alembic revision.

    A fresh database gets schema.py's tables and is stamped at HEAD (Alembic's own advice for a new
    database, and it keeps `serve` under a second); one at HEAD is left alone; an older one is
    upgraded by Alembic.
    """
    from .schema import metadata

    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        if not inspector.has_table("alembic_version"):
            if not inspector.get_table_names():
                metadata.create_all(conn)
                conn.execute(
                    sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
                )
                conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD})
                return
        elif conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD:
            return
    upgrade(engine)


def upgrade(engine: sa.Engine) -> None:
    """Run Alembic's upgrade to head on `engine`."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
