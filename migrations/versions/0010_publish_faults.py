"""posts: when the request of a claimed post began to leave

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:45:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_started_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Posts in flight during the upgrade may have been sent: a recovery treats them as such.
    op.execute("UPDATE posts SET send_started_at = updated_at WHERE status = 'publishing'")


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("send_started_at")
