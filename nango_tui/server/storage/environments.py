"""Environments (`dev`, `prod`) and their secret keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import timeutil
from ..schema import environments
from ..vault import Vault, key_hash, new_secret_key

DEFAULT_ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True)
class Environment:
    id: int
    name: str
    webhook_url: str | None = None
    webhook_url_secondary: str | None = None
    always_notify: bool = False


def ensure(conn: sa.Connection, vault: Vault) -> dict[str, str | None]:
    """Create the missing default environments; returns {name: key} of those made now, the key
    None when it came from `NANGO_SECRET_KEY_<ENV>` (the user has it: it is never echoed), else
    the generated key (to print once).
    """
    have = {row.name for row in conn.execute(sa.select(environments.c.name))}
    made: dict[str, str | None] = {}
    for name in DEFAULT_ENVIRONMENTS:
        if name in have:
            continue
        given = os.environ.get(f"NANGO_SECRET_KEY_{name.upper()}")
        key = given or new_secret_key()
        conn.execute(
            environments.insert().values(
                name=name,
                secret_key_hash=key_hash(key),
                secret_key_enc=vault.seal(key),
                always_notify=False,
                created_at=timeutil.now(),
            )
        )
        made[name] = None if given else key
    return made


def _env(row: sa.Row[Any]) -> Environment:
    return Environment(row.id, row.name, row.webhook_url, row.webhook_url_secondary, bool(row.always_notify))


def by_key(conn: sa.Connection, key: str) -> Environment | None:
    row = conn.execute(sa.select(environments).where(environments.c.secret_key_hash == key_hash(key))).first()
    return _env(row) if row else None


def by_name(conn: sa.Connection, name: str) -> Environment | None:
    row = conn.execute(sa.select(environments).where(environments.c.name == name)).first()
    return _env(row) if row else None


def secret_key(conn: sa.Connection, vault: Vault, environment_id: int) -> str:
    token = conn.execute(
        sa.select(environments.c.secret_key_enc).where(environments.c.id == environment_id)
    ).scalar_one()
    secret: str = vault.open_value(token)
    return secret


def set_webhooks(
    conn: sa.Connection, environment_id: int, primary: str | None, secondary: str | None, always_notify: bool
) -> None:
    conn.execute(
        environments.update()
        .where(environments.c.id == environment_id)
        .values(webhook_url=primary, webhook_url_secondary=secondary, always_notify=always_notify)
    )
