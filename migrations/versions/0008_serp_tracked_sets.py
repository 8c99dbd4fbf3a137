"""serp tracked sets: query parts follow only the negatives and owned assets in their results

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The parts are computed again at the next read, in the new layout.
    op.execute("DELETE FROM serp_query_figures")
    with op.batch_alter_table("serp_query_figures") as batch_op:
        batch_op.drop_column("negatives")
        batch_op.add_column(sa.Column("tracked", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("present", sa.JSON(), nullable=False))
    op.create_table(
        "serp_tracked_sets",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_tracked_sets_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", "digest", name=op.f("pk_serp_tracked_sets")),
    )


def downgrade() -> None:
    op.drop_table("serp_tracked_sets")
    op.execute("DELETE FROM serp_query_figures")
    with op.batch_alter_table("serp_query_figures") as batch_op:
        batch_op.drop_column("present")
        batch_op.drop_column("tracked")
        batch_op.add_column(sa.Column("negatives", sa.String(length=64), nullable=False))
