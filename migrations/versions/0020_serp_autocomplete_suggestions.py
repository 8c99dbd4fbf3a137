"""serp autocomplete: terms looked up, each look-up and its suggestions, people's labels, a
brand's own words, and the negative suggestions already alerted on

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:51:02.133909
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serp_suggest_negatives_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("term", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("first_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_suggest_negatives_seen_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggest_negatives_seen")),
        sa.UniqueConstraint(
            "brand_id", "key", name=op.f("uq_serp_suggest_negatives_seen_brand_id")
        ),
    )
    op.create_table(
        "serp_suggest_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("extra_terms", sa.JSON(), nullable=False),
        sa.Column("negative_words", sa.JSON(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_suggest_settings_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggest_settings")),
        sa.UniqueConstraint("brand_id", name=op.f("uq_serp_suggest_settings_brand_id")),
    )
    op.create_table(
        "serp_suggest_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_fetch_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_fetched_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_until", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_suggest_terms_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggest_terms")),
        sa.UniqueConstraint(
            "brand_id",
            "text",
            "engine",
            "language",
            "country",
            name=op.f("uq_serp_suggest_terms_brand_id"),
        ),
    )
    with op.batch_alter_table("serp_suggest_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serp_suggest_terms_brand_id"), ["brand_id"], unique=False
        )
        batch_op.create_index(
            "ix_serp_suggest_terms_due", ["next_fetch_at", "active"], unique=False
        )

    op.create_table(
        "serp_suggestion_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_suggestion_marks_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["users.id"],
            name=op.f("fk_serp_suggestion_marks_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggestion_marks")),
        sa.UniqueConstraint("brand_id", "key", name=op.f("uq_serp_suggestion_marks_brand_id")),
    )
    op.create_table(
        "serp_suggest_fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_serp_suggest_fetches_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["serp_suggest_terms.id"],
            name=op.f("fk_serp_suggest_fetches_term_id_serp_suggest_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggest_fetches")),
    )
    with op.batch_alter_table("serp_suggest_fetches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serp_suggest_fetches_brand_id"), ["brand_id"], unique=False
        )
        batch_op.create_index(
            "ix_serp_suggest_fetches_term_fetched", ["term_id", "fetched_at"], unique=False
        )

    op.create_table(
        "serp_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fetch_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["fetch_id"],
            ["serp_suggest_fetches.id"],
            name=op.f("fk_serp_suggestions_fetch_id_serp_suggest_fetches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serp_suggestions")),
    )
    with op.batch_alter_table("serp_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_serp_suggestions_fetch_id"), ["fetch_id"], unique=False
        )
        batch_op.create_index("ix_serp_suggestions_key", ["key", "fetch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("serp_suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_serp_suggestions_key")
        batch_op.drop_index(batch_op.f("ix_serp_suggestions_fetch_id"))

    op.drop_table("serp_suggestions")
    with op.batch_alter_table("serp_suggest_fetches", schema=None) as batch_op:
        batch_op.drop_index("ix_serp_suggest_fetches_term_fetched")
        batch_op.drop_index(batch_op.f("ix_serp_suggest_fetches_brand_id"))

    op.drop_table("serp_suggest_fetches")
    op.drop_table("serp_suggestion_marks")
    with op.batch_alter_table("serp_suggest_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_serp_suggest_terms_due")
        batch_op.drop_index(batch_op.f("ix_serp_suggest_terms_brand_id"))

    op.drop_table("serp_suggest_terms")
    op.drop_table("serp_suggest_settings")
    op.drop_table("serp_suggest_negatives_seen")
