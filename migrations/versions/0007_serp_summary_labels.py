"""serp summary labels: the labels each brand's check summaries carry

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: the first read of a brand's labels relabels its summaries once (the
    # fingerprint no longer covers the owned URLs; a summary's content is kept when unchanged)
    # and records the labels they carry.
    op.create_table(
        "serp_summary_labels",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_summary_labels_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", name=op.f("pk_serp_summary_labels")),
    )


def downgrade() -> None:
    op.drop_table("serp_summary_labels")
