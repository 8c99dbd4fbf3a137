"""post groups: one message composed for several channels

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2048), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_post_groups_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_post_groups_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_groups")),
    )
    with op.batch_alter_table("post_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_groups_brand_id"), ["brand_id"], unique=False)
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_posts_group_id_post_groups"), "post_groups", ["group_id"], ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_posts_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_group_id"))
        batch_op.drop_constraint(batch_op.f("fk_posts_group_id_post_groups"), type_="foreignkey")
        batch_op.drop_column("group_id")
    with op.batch_alter_table("post_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_groups_brand_id"))
    op.drop_table("post_groups")
