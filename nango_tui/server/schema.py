"""The server's tables (SQLAlchemy Core). Alembic's migrations (`migrations/versions/`) create them.

Portable on purpose (PostgreSQL follows in issue 14): times are fixed-width UTC strings
(`timeutil`), JSON is TEXT, booleans are SQLAlchemy `Boolean`, ids are integers or uuid strings.
A change here needs a new migration.
"""

from __future__ import annotations

import sqlalchemy as sa

TS = sa.String(27)  # timeutil: 2026-11-30T06:37:53.123456Z

metadata = sa.MetaData()

environments = sa.Table(
    "environments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_key_enc", sa.Text, nullable=False),  # the key itself, encrypted: it signs webhooks
    sa.Column("webhook_url", sa.Text),
    sa.Column("webhook_url_secondary", sa.Text),
    sa.Column("always_notify", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", TS, nullable=False),
)

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("sdk_version", sa.String(64)),
    sa.Column("yaml_sha256", sa.String(64)),
    sa.Column("nango_yaml", sa.Text),
    sa.Column("models_py", sa.Text),
    sa.Column("json_schema", sa.Text),
    sa.Column("diff", sa.Text),
    sa.UniqueConstraint("environment_id", "number"),
)

deploy_locks = sa.Table(
    "deploy_locks",
    metadata,
    sa.Column("environment_id", sa.Integer, primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", TS, nullable=False),
)

scripts = sa.Table(
    "scripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
    sa.Column("deployment_id", sa.Integer, sa.ForeignKey("deployments.id"), nullable=False),
    sa.Column("integration", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),  # sync | action
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("runs", sa.String(64)),
    sa.Column("frequency_ms", sa.BigInteger),
    sa.Column("auto_start", sa.Boolean, nullable=False, default=True),
    sa.Column("sync_type", sa.String(16)),
    sa.Column("track_deletes", sa.Boolean, nullable=False, default=False),
    sa.Column("models", sa.Text, nullable=False),  # JSON list
    sa.Column("input", sa.String(255)),
    sa.Column("endpoints", sa.Text, nullable=False),  # JSON list of {method, path, group?}
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("mocks", sa.Text),  # saved responses for replay connections (JSON text)
    sa.Column("extra", sa.Text),  # JSON: metadata, attributes, webhookSubscriptions
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_scripts_active", "environment_id", "integration", "name", "active"),
)

connections = sa.Table(
    "connections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
    sa.Column("connection_id", sa.String(255), nullable=False),
    sa.Column("provider_config_key", sa.String(255), nullable=False),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("credentials_enc", sa.Text),  # Fernet, key outside the database
    sa.Column("connection_config", sa.Text, nullable=False),  # JSON
    sa.Column("metadata", sa.Text, nullable=False),  # JSON
    sa.Column("replay", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("environment_id", "provider_config_key", "connection_id"),
)

syncs = sa.Table(
    "syncs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
    sa.Column("connection_pk", sa.Integer, sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("integration", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("variant", sa.String(255), nullable=False, default="base"),
    sa.Column("state", sa.String(16), nullable=False),  # STARTED | PAUSED | DELETED
    sa.Column("frequency_ms", sa.BigInteger),  # per-connection override (update-connection-frequency)
    sa.Column("last_sync_date", TS),
    sa.Column("next_run_at", TS),
    sa.Column("checkpoint", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("connection_pk", "name", "variant"),
    sa.Index("ix_syncs_due", "state", "next_run_at"),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # the generation: records' sync_job_id
    sa.Column("sync_id", sa.Integer, sa.ForeignKey("syncs.id"), nullable=False),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id")),
    sa.Column("type", sa.String(16), nullable=False),  # INITIAL | INCREMENTAL
    sa.Column(
        "mode", sa.String(40), nullable=False
    ),  # incremental | full_refresh | full_refresh_and_clear_cache
    sa.Column("status", sa.String(16), nullable=False),  # RUNNING | SUCCESS | ERROR
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("result", sa.Text),  # JSON {model: {added, updated, deleted}}
    sa.Column("error", sa.Text),
    sa.Column("logs", sa.Text),  # the last lines, bounded
    sa.Column("workflow_id", sa.String(64)),
    sa.Column("executor_id", sa.String(128)),  # the worker that runs it (0002)
    sa.Index("ix_sync_runs_sync", "sync_id", "id"),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("connection_pk", sa.Integer, primary_key=True),
    sa.Column("model", sa.String(255), primary_key=True),
    sa.Column("external_id", sa.String(255), primary_key=True),
    sa.Column("id", sa.String(36), nullable=False),  # uuid5(connection, model, external_id)
    sa.Column("json", sa.Text, nullable=False),
    sa.Column("data_hash", sa.String(32), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("deleted_at", TS),
    sa.Column("sync_id", sa.Integer),
    sa.Column("sync_job_id", sa.Integer),
    sa.Index("ix_records_page", "connection_pk", "model", "updated_at", "id"),
)

action_runs = sa.Table(
    "action_runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
    sa.Column("connection_pk", sa.Integer, sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # WAITING | RUNNING | SUCCESS | ERROR
    sa.Column("input", sa.Text),
    sa.Column("output", sa.Text),
    sa.Column("error", sa.Text),  # JSON of Nango's error body
    sa.Column("created_at", TS, nullable=False),
    sa.Column("finished_at", TS),
)

workers = sa.Table(  # 0002: one row per running process (serve or worker), its heartbeat
    "workers",
    metadata,
    sa.Column("executor_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # serve | worker
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("beat_at", sa.Float, nullable=False),  # the database's clock, epoch seconds
    sa.Column("running", sa.Integer, nullable=False, default=0),  # sync runs in progress here
)
