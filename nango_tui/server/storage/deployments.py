"""Deployments: the confirmation diff, the per-environment deploy lock, and the atomic apply."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import timeutil
from ..db import inserted_id
from ..schema import deploy_locks, deployments, scripts
from . import connections as conns
from . import records as recs
from . import syncs as sync_store

if TYPE_CHECKING:  # pydantic is imported only when a deploy arrives (serve starts faster)
    from ..deploy_body import DeployBody, FlowConfig

LOCK_SECONDS = 60


class ConcurrentDeployment(Exception):
    pass


class BadDeploy(ValueError):
    pass


@dataclass
class Active:
    id: int
    integration: str
    name: str
    type: str
    version: str
    models: list[str]
    auto_start: bool


def active_scripts(
    conn: sa.Connection, environment_id: int, integration: str | None = None
) -> Sequence[sa.Row[Any]]:
    query = sa.select(scripts).where(scripts.c.environment_id == environment_id, scripts.c.active.is_(True))
    if integration:
        query = query.where(scripts.c.integration == integration)
    return conn.execute(query.order_by(scripts.c.integration, scripts.c.name)).all()


def active_script(
    conn: sa.Connection, environment_id: int, integration: str, name: str, kind: str | None = None
) -> sa.Row[Any] | None:
    query = sa.select(scripts).where(
        scripts.c.environment_id == environment_id,
        scripts.c.integration == integration,
        scripts.c.name == name,
        scripts.c.active.is_(True),
    )
    if kind:
        query = query.where(scripts.c.type == kind)
    return conn.execute(query).first()


def script_by_id(conn: sa.Connection, script_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(scripts).where(scripts.c.id == script_id)).first()


def deployment_of(conn: sa.Connection, deployment_id: int) -> sa.Row[Any] | None:
    return conn.execute(sa.select(deployments).where(deployments.c.id == deployment_id)).first()


# -- lock ------------------------------------------------------------------------------------------


def acquire_lock(engine: sa.Engine, environment_id: int, holder: str) -> None:
    """Take the environment's deploy lock (60 s at most); ConcurrentDeployment when another holds it."""
    now = timeutil.now()
    expires = timeutil.after(now, LOCK_SECONDS)
    try:
        with engine.begin() as conn:
            conn.execute(
                deploy_locks.insert().values(environment_id=environment_id, holder=holder, expires_at=expires)
            )
        return
    except sa.exc.IntegrityError:
        pass
    with engine.begin() as conn:
        taken = conn.execute(
            deploy_locks.update()
            .where(deploy_locks.c.environment_id == environment_id, deploy_locks.c.expires_at < now)
            .values(holder=holder, expires_at=expires)
        ).rowcount
    if taken != 1:
        raise ConcurrentDeployment()


def release_lock(engine: sa.Engine, environment_id: int, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            deploy_locks.delete().where(
                deploy_locks.c.environment_id == environment_id, deploy_locks.c.holder == holder
            )
        )


# -- diff ------------------------------------------------------------------------------------------


def differences(conn: sa.Connection, environment_id: int, body: DeployBody) -> dict[str, Any]:
    """Nango's ScriptDifferences for this body against the environment's active scripts."""
    current = {(r.integration, r.name): r for r in active_scripts(conn, environment_id)}
    counts = conns.count_by_integration(conn, environment_id)
    incoming = {(f.providerConfigKey, f.syncName): f for f in body.flowConfigs}
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "newSyncs",
            "updatedSyncs",
            "deletedSyncs",
            "newActions",
            "updatedActions",
            "deletedActions",
            "deletedModels",
            "newOnEventScripts",
            "updatedOnEventScripts",
            "deletedOnEventScripts",
        )
    }
    for key, flow in incoming.items():
        kind = "Syncs" if flow.type == "sync" else "Actions"
        old = current.get(key)
        bucket = "updated" if old is not None and old.type == flow.type else "new"
        out[f"{bucket}{kind}"].append(_entry(flow.syncName, flow.providerConfigKey, flow.auto_start, counts))
    if not body.singleDeployMode:
        kept_models: dict[str, set[str]] = {}
        for flow in body.flowConfigs:
            if flow.type == "sync":
                kept_models.setdefault(flow.providerConfigKey, set()).update(flow.models)
        deleted_models: set[str] = set()
        for key, old in current.items():
            if key in incoming and incoming[key].type == old.type:
                continue
            kind = "Syncs" if old.type == "sync" else "Actions"
            out[f"deleted{kind}"].append(_entry(old.name, old.integration, bool(old.auto_start), counts))
            if old.type == "sync" and counts.get(old.integration):
                gone = set(json.loads(old.models)) - kept_models.get(old.integration, set())
                deleted_models.update(gone)
        out["deletedModels"] = sorted(deleted_models)
    return out


def _entry(name: str, integration: str, auto_start: bool, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "name": name,
        "providerConfigKey": integration,
        "connections": counts.get(integration, 0),
        "auto_start": auto_start,
    }


def is_destructive(diff: dict[str, Any]) -> bool:
    return bool(diff["deletedModels"]) or any(d["connections"] for d in diff["deletedSyncs"])


# -- apply -----------------------------------------------------------------------------------------


def next_version(previous: str | None) -> str:
    """1, 2, 3 ... ; a semver-looking version gets a patch bump."""
    if previous is None:
        return "1"
    if re.fullmatch(r"\d+", previous):
        return str(int(previous) + 1)
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", previous)
    if match:
        major, minor, patch = match.groups()
        return f"{major}.{minor}.{int(patch) + 1}"
    return f"{previous}.1"


def _frequency_ms(flow: FlowConfig) -> int | None:
    if flow.type != "sync" or not flow.runs:
        return None
    try:
        return _parse_runs(flow.runs) * 1000
    except ValueError as err:
        raise BadDeploy(f"{flow.providerConfigKey}/{flow.syncName}: runs: {err}") from None


def apply(
    conn: sa.Connection, environment_id: int, body: DeployBody, diff: dict[str, Any]
) -> tuple[int, list[dict[str, Any]]]:
    """Write the deployment, the new script versions and the reconcile; all in the caller's transaction."""
    frequencies = {(f.providerConfigKey, f.syncName): _frequency_ms(f) for f in body.flowConfigs}
    now = timeutil.now()
    number = (
        conn.execute(
            sa.select(sa.func.max(deployments.c.number)).where(deployments.c.environment_id == environment_id)
        ).scalar()
        or 0
    ) + 1
    yaml_text = body.nangoYamlBody or ""
    deployment_id = inserted_id(
        conn.execute(
            deployments.insert().values(
                environment_id=environment_id,
                number=number,
                created_at=now,
                sdk_version=body.sdkVersion,
                yaml_sha256=hashlib.sha256(yaml_text.encode()).hexdigest(),
                nango_yaml=yaml_text,
                models_py=body.modelsPy or "",
                json_schema=json.dumps(body.jsonSchema) if body.jsonSchema is not None else None,
                diff=json.dumps(diff),
            )
        )
    )
    results = []
    new_syncs: list[tuple[str, Any]] = []
    for flow in body.flowConfigs:
        old = active_script(conn, environment_id, flow.providerConfigKey, flow.syncName)
        version = flow.version or next_version(old.version if old is not None else None)
        if old is not None:
            conn.execute(scripts.update().where(scripts.c.id == old.id).values(active=False))
        script_id = inserted_id(
            conn.execute(
                scripts.insert().values(
                    environment_id=environment_id,
                    deployment_id=deployment_id,
                    integration=flow.providerConfigKey,
                    name=flow.syncName,
                    type=flow.type,
                    version=version,
                    active=True,
                    runs=flow.runs,
                    frequency_ms=frequencies[(flow.providerConfigKey, flow.syncName)],
                    auto_start=flow.auto_start,
                    sync_type=flow.sync_type or ("full" if flow.type == "sync" else None),
                    track_deletes=flow.track_deletes,
                    models=json.dumps(flow.models),
                    input=flow.input,
                    endpoints=json.dumps([e.model_dump(exclude_none=True) for e in flow.endpoints]),
                    source=flow.fileBody.py,
                    mocks=flow.mocks,
                    extra=json.dumps(
                        {
                            "metadata": flow.metadata.model_dump(),
                            "attributes": flow.attributes,
                            "webhookSubscriptions": flow.webhookSubscriptions,
                        }
                    ),
                    created_at=now,
                )
            )
        )
        if flow.type == "sync" and (old is None or old.type != "sync"):
            row = script_by_id(conn, script_id)
            new_syncs.append((flow.providerConfigKey, row))
        results.append(
            {
                "name": flow.syncName,
                "version": version,
                "providerConfigKey": flow.providerConfigKey,
                "type": flow.type,
                "models": flow.models,
                "runs": flow.runs if flow.type == "sync" else None,
                "endpoints": [e.model_dump(exclude_none=True) for e in flow.endpoints],
            }
        )
    for integration, row in new_syncs:
        for connection in conns.list_for(conn, environment_id, integration=integration):
            sync_store.create_for_connection(conn, environment_id, connection.pk, integration, [row])
    if not body.singleDeployMode:
        _remove_missing(conn, environment_id, body, diff)
    return number, results


def _remove_missing(conn: sa.Connection, environment_id: int, body: DeployBody, diff: dict[str, Any]) -> None:
    incoming = {(f.providerConfigKey, f.syncName) for f in body.flowConfigs}
    deleted_models = set(diff["deletedModels"])
    for row in active_scripts(conn, environment_id):
        if (row.integration, row.name) in incoming:
            continue
        conn.execute(scripts.update().where(scripts.c.id == row.id).values(active=False))
        if row.type != "sync":
            continue
        for connection_pk in sync_store.soft_delete(conn, environment_id, row.integration, row.name):
            gone = [m for m in json.loads(row.models) if m in deleted_models]
            recs.clear(conn, connection_pk, gone)


def _parse_runs(text: str) -> int:
    """nango.yaml's `runs` in seconds (imported when needed: the config part is slow to import)."""
    from nango_tui.config.runs import parse_runs

    return parse_runs(text)
