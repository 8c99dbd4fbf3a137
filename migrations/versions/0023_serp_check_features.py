"""serp page features: the blocks of each check's pages, their items, and their weights

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serp_check_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["serp_checks.id"],
            name=op.f("fk_serp_check_features_check_id_serp_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_check_features")),
    )
    op.create_index(
        "ix_serp_check_features_check",
        "serp_check_features",
        ["check_id", "page", "position"],
        unique=False,
    )
    op.create_table(
        "serp_check_feature_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("item_order", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("normalized_url", sa.String(length=2048), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("date", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["serp_checks.id"],
            name=op.f("fk_serp_check_feature_items_check_id_serp_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["serp_check_features.id"],
            name=op.f("fk_serp_check_feature_items_feature_id_serp_check_features"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_check_feature_items")),
    )
    op.create_index(
        "ix_serp_check_feature_items_feature",
        "serp_check_feature_items",
        ["feature_id", "item_order"],
        unique=False,
    )
    op.create_index(
        "ix_serp_check_feature_items_url_check",
        "serp_check_feature_items",
        ["normalized_url", "check_id"],
        unique=False,
    )
    with op.batch_alter_table("serp_check_summaries") as batch_op:
        batch_op.add_column(sa.Column("blocks", sa.JSON(), nullable=True))
    with op.batch_alter_table("serp_brand_settings") as batch_op:
        batch_op.add_column(sa.Column("block_weights", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("serp_brand_settings") as batch_op:
        batch_op.drop_column("block_weights")
    with op.batch_alter_table("serp_check_summaries") as batch_op:
        batch_op.drop_column("blocks")
    op.drop_index("ix_serp_check_feature_items_url_check", table_name="serp_check_feature_items")
    op.drop_index("ix_serp_check_feature_items_feature", table_name="serp_check_feature_items")
    op.drop_table("serp_check_feature_items")
    op.drop_index("ix_serp_check_features_check", table_name="serp_check_features")
    op.drop_table("serp_check_features")
