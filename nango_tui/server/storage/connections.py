"""Connections of an environment; credentials sealed by the Vault (key outside the database)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .. import timeutil
from ..schema import connections
from ..vault import Vault


@dataclass
class StoredConnection:
    pk: int
    environment_id: int
    connection_id: str
    provider_config_key: str
    provider: str
    credentials: dict[str, Any] = field(default_factory=dict)
    connection_config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    replay: bool = False
    created_at: str = ""
    updated_at: str = ""


def _row(row: sa.Row[Any], vault: Vault | None) -> StoredConnection:
    return StoredConnection(
        pk=row.id,
        environment_id=row.environment_id,
        connection_id=row.connection_id,
        provider_config_key=row.provider_config_key,
        provider=row.provider,
        credentials=(vault.open_value(row.credentials_enc) or {}) if vault else {},
        connection_config=json.loads(row.connection_config),
        metadata=json.loads(row.metadata),
        replay=bool(row.replay),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def upsert(
    conn: sa.Connection,
    vault: Vault,
    environment_id: int,
    *,
    connection_id: str,
    provider_config_key: str,
    provider: str,
    credentials: dict[str, Any],
    connection_config: dict[str, Any],
    metadata: dict[str, Any],
    replay: bool,
) -> tuple[StoredConnection, bool]:
    """Create or replace a connection; returns it and whether it is new."""
    now = timeutil.now()
    values: dict[str, Any] = {
        "provider": provider,
        "credentials_enc": vault.seal(credentials) if credentials else None,
        "connection_config": json.dumps(connection_config),
        "metadata": json.dumps(metadata),
        "replay": replay,
        "updated_at": now,
    }
    existing = find(conn, None, environment_id, connection_id, provider_config_key)
    if existing is None:
        conn.execute(
            connections.insert().values(
                environment_id=environment_id,
                connection_id=connection_id,
                provider_config_key=provider_config_key,
                created_at=now,
                **values,
            )
        )
        created = True
    else:
        conn.execute(connections.update().where(connections.c.id == existing.pk).values(**values))
        created = False
    found = find(conn, vault, environment_id, connection_id, provider_config_key)
    assert found is not None
    return found, created


def find(
    conn: sa.Connection,
    vault: Vault | None,
    environment_id: int,
    connection_id: str,
    provider_config_key: str | None = None,
) -> StoredConnection | None:
    """One connection (of one integration when given); None when unknown or ambiguous."""
    query = sa.select(connections).where(
        connections.c.environment_id == environment_id, connections.c.connection_id == connection_id
    )
    if provider_config_key:
        query = query.where(connections.c.provider_config_key == provider_config_key)
    rows = conn.execute(query).all()
    return _row(rows[0], vault) if len(rows) == 1 else None


def by_pk(conn: sa.Connection, vault: Vault | None, pk: int) -> StoredConnection | None:
    row = conn.execute(sa.select(connections).where(connections.c.id == pk)).first()
    return _row(row, vault) if row else None


def list_for(
    conn: sa.Connection,
    environment_id: int,
    *,
    integration: str | None = None,
    connection_id: str | None = None,
) -> list[StoredConnection]:
    """The environment's connections, without credentials."""
    query = sa.select(connections).where(connections.c.environment_id == environment_id)
    if integration:
        query = query.where(connections.c.provider_config_key == integration)
    if connection_id:
        query = query.where(connections.c.connection_id == connection_id)
    return [_row(r, None) for r in conn.execute(query.order_by(connections.c.id))]


def set_credentials(conn: sa.Connection, vault: Vault, pk: int, credentials: dict[str, Any]) -> None:
    conn.execute(
        connections.update()
        .where(connections.c.id == pk)
        .values(credentials_enc=vault.seal(credentials), updated_at=timeutil.now())
    )


def set_metadata(conn: sa.Connection, pk: int, metadata: dict[str, Any]) -> None:
    conn.execute(
        connections.update()
        .where(connections.c.id == pk)
        .values(metadata=json.dumps(metadata), updated_at=timeutil.now())
    )


def count_by_integration(conn: sa.Connection, environment_id: int) -> dict[str, int]:
    rows = conn.execute(
        sa.select(connections.c.provider_config_key, sa.func.count())
        .where(connections.c.environment_id == environment_id)
        .group_by(connections.c.provider_config_key)
    )
    return {key: n for key, n in rows}
