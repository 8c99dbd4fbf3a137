"""serp checks: when each check's page-one summary was last written

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 07:45:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("serp_checks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summarized_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE serp_checks SET summarized_at = (SELECT s.computed_at FROM serp_check_summaries s"
        " WHERE s.check_id = serp_checks.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("serp_checks", schema=None) as batch_op:
        batch_op.drop_column("summarized_at")
