"""the first tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "deploy_locks",
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("environment_id"),
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("secret_key_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_key_enc", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_url_secondary", sa.Text(), nullable=True),
        sa.Column("always_notify", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("secret_key_hash"),
    )
    op.create_table(
        "records",
        sa.Column("connection_pk", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("data_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("deleted_at", sa.String(length=27), nullable=True),
        sa.Column("sync_id", sa.Integer(), nullable=True),
        sa.Column("sync_job_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("connection_pk", "model", "external_id"),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_page", ["connection_pk", "model", "updated_at", "id"], unique=False)

    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.String(length=255), nullable=False),
        sa.Column("provider_config_key", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("credentials_enc", sa.Text(), nullable=True),
        sa.Column("connection_config", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("replay", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("environment_id", "provider_config_key", "connection_id"),
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("sdk_version", sa.String(length=64), nullable=True),
        sa.Column("yaml_sha256", sa.String(length=64), nullable=True),
        sa.Column("nango_yaml", sa.Text(), nullable=True),
        sa.Column("models_py", sa.Text(), nullable=True),
        sa.Column("json_schema", sa.Text(), nullable=True),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("environment_id", "number"),
    )
    op.create_table(
        "action_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("connection_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("finished_at", sa.String(length=27), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_pk"],
            ["connections.id"],
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "scripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("runs", sa.String(length=64), nullable=True),
        sa.Column("frequency_ms", sa.BigInteger(), nullable=True),
        sa.Column("auto_start", sa.Boolean(), nullable=False),
        sa.Column("sync_type", sa.String(length=16), nullable=True),
        sa.Column("track_deletes", sa.Boolean(), nullable=False),
        sa.Column("models", sa.Text(), nullable=False),
        sa.Column("input", sa.String(length=255), nullable=True),
        sa.Column("endpoints", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("mocks", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scripts_active", ["environment_id", "integration", "name", "active"], unique=False
        )

    op.create_table(
        "syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("connection_pk", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("variant", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("frequency_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_date", sa.String(length=27), nullable=True),
        sa.Column("next_run_at", sa.String(length=27), nullable=True),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_pk"],
            ["connections.id"],
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_pk", "name", "variant"),
    )
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.create_index("ix_syncs_due", ["state", "next_run_at"], unique=False)

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.String(length=27), nullable=False),
        sa.Column("finished_at", sa.String(length=27), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("logs", sa.Text(), nullable=True),
        sa.Column("workflow_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["script_id"],
            ["scripts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["syncs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_sync", ["sync_id", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_sync")

    op.drop_table("sync_runs")
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.drop_index("ix_syncs_due")

    op.drop_table("syncs")
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.drop_index("ix_scripts_active")

    op.drop_table("scripts")
    op.drop_table("action_runs")
    op.drop_table("deployments")
    op.drop_table("connections")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_page")

    op.drop_table("records")
    op.drop_table("environments")
    op.drop_table("deploy_locks")
