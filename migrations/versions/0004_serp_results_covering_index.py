"""serp results: covering index by URL, check and position

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:30:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("serp_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_serp_results_url_check_position",
            ["normalized_url", "check_id", "position"],
            unique=False,
        )
        batch_op.drop_index("ix_serp_results_normalized_url")


def downgrade() -> None:
    with op.batch_alter_table("serp_results", schema=None) as batch_op:
        batch_op.create_index("ix_serp_results_normalized_url", ["normalized_url"], unique=False)
        batch_op.drop_index("ix_serp_results_url_check_position")
