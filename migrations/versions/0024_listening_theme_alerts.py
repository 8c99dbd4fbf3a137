"""listening: complaint-theme alerts, one per brand, theme and week

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 22:55:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listening_theme_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=24), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_listening_theme_alerts_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_theme_alerts")),
        sa.UniqueConstraint(
            "brand_id", "theme", "week", name="uq_listening_theme_alerts_week"
        ),
    )
    with op.batch_alter_table("listening_theme_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listening_theme_alerts_brand_id"), ["brand_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listening_theme_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listening_theme_alerts_brand_id"))
    op.drop_table("listening_theme_alerts")
