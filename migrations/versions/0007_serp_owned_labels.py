"""serp owned labels: the owned URLs each brand's check summaries are labelled with

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
    # Empty at first: the first read of a brand's labels relabels the summaries that hold one
    # of its owned URLs, and records them. The summaries' fingerprint no longer covers the
    # owned URLs, so every summary is relabelled once (its content is kept when unchanged).
    op.create_table(
        "serp_owned_labels",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_owned_labels_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", name=op.f("pk_serp_owned_labels")),
    )


def downgrade() -> None:
    op.drop_table("serp_owned_labels")
