"""review replies: replies and saved replies, flags for removal, voice guides, review-site
connections, response-time targets and the overdue mark

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_alerted_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("review_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reply_targets", sa.JSON(), server_default="{}", nullable=False)
        )
    op.create_table(
        "voice_guides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("tone", sa.Text(), nullable=False),
        sa.Column("words_to_use", sa.Text(), nullable=False),
        sa.Column("words_to_avoid", sa.Text(), nullable=False),
        sa.Column("approvals", sa.Text(), nullable=False),
        sa.Column("image_rules", sa.Text(), nullable=False),
        sa.Column("approved_domains", sa.Text(), nullable=False),
        sa.Column("disclosure_tags", sa.Text(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_voice_guides_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_guides")),
        sa.UniqueConstraint("brand_id", name=op.f("uq_voice_guides_brand_id")),
    )
    op.create_table(
        "review_saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_review_saved_replies_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_saved_replies")),
    )
    with op.batch_alter_table("review_saved_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_saved_replies_brand_id"), ["brand_id"], unique=False
        )
    op.create_table(
        "review_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("saved_reply_id", sa.Integer(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_replies_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_reply_id"],
            ["review_saved_replies.id"],
            name=op.f("fk_review_replies_saved_reply_id_review_saved_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_review_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_review_replies_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_review_replies_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_replies")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_replies_review_id")),
    )
    op.create_table(
        "review_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("report_url", sa.String(length=2048), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_flags_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_review_flags_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_flags")),
    )
    with op.batch_alter_table("review_flags", schema=None) as batch_op:
        batch_op.create_index("ix_review_flags_review_state", ["review_id", "state"], unique=False)
    op.create_table(
        "review_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=True),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("access_expires_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("connected_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_review_connections_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_connections")),
        sa.UniqueConstraint("brand_id", "source", name=op.f("uq_review_connections_brand_id")),
    )


def downgrade() -> None:
    op.drop_table("review_connections")
    with op.batch_alter_table("review_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_review_flags_review_state")
    op.drop_table("review_flags")
    op.drop_table("review_replies")
    with op.batch_alter_table("review_saved_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_saved_replies_brand_id"))
    op.drop_table("review_saved_replies")
    op.drop_table("voice_guides")
    with op.batch_alter_table("review_settings", schema=None) as batch_op:
        batch_op.drop_column("reply_targets")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("overdue_alerted_at")
