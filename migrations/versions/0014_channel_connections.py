"""channel connections: how each channel was connected and until when; Mastodon apps per instance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_connections",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=True),
        sa.Column("access_expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reconnect_by", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshable", sa.Boolean(), nullable=False),
        sa.Column("connected_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("warned", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_channel_connections_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_connections")),
    )
    op.create_table(
        "mastodon_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_url", sa.String(length=255), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mastodon_apps")),
        sa.UniqueConstraint("instance_url", name=op.f("uq_mastodon_apps_instance_url")),
    )


def downgrade() -> None:
    op.drop_table("mastodon_apps")
    op.drop_table("channel_connections")
