"""crisis_alerts: the terms of one spike, grouped in one alert

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crisis_alerts", schema=None) as batch_op:
        # Alerts written before this list their one term in `term` only.
        batch_op.add_column(sa.Column("terms", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("crisis_alerts", schema=None) as batch_op:
        batch_op.drop_column("terms")
