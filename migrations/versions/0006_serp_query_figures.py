"""serp query figures: each tracked query's part of its brand's displacement figures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:45:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: each part is computed the first time its brand's figures are read.
    op.create_table(
        "serp_query_figures",
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=64), nullable=False),
        sa.Column("negatives", sa.String(length=64), nullable=False),
        sa.Column("own_negatives", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("series", sa.JSON(), nullable=False),
        sa.Column("computed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["serp_queries.id"],
            name=op.f("fk_serp_query_figures_query_id_serp_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_serp_query_figures")),
    )


def downgrade() -> None:
    op.drop_table("serp_query_figures")
