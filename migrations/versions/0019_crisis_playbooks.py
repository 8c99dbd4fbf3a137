"""crisis playbooks: a brand's scenarios and statements, and the runs opened from them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:47:44.633692
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crisis_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_language", sa.String(length=2), nullable=False),
        sa.Column("committee", sa.JSON(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_crisis_scenarios_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_scenarios")),
        sa.UniqueConstraint("brand_id", "name", name="uq_crisis_scenarios_name"),
    )
    with op.batch_alter_table("crisis_scenarios", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crisis_scenarios_brand_id"), ["brand_id"], unique=False
        )

    op.create_table(
        "crisis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=True),
        sa.Column("scenario_name", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("rehearsal", sa.Boolean(), nullable=False),
        sa.Column("open_key", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("page_statement", sa.Text(), nullable=False),
        sa.Column("draft_post_id", sa.Integer(), nullable=True),
        sa.Column("draft_channel_id", sa.Integer(), nullable=True),
        sa.Column("paused_publishing", sa.Boolean(), nullable=False),
        sa.Column("page_published", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("notified", sa.JSON(), nullable=False),
        sa.Column("first_mention_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_mention_id", sa.Integer(), nullable=True),
        sa.Column("alert_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("first_statement_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["crisis_alerts.id"],
            name=op.f("fk_crisis_runs_alert_id_crisis_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_crisis_runs_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_crisis_runs_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_crisis_runs_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["crisis_scenarios.id"],
            name=op.f("fk_crisis_runs_scenario_id_crisis_scenarios"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_runs")),
        sa.UniqueConstraint("open_key", name=op.f("uq_crisis_runs_open_key")),
    )
    with op.batch_alter_table("crisis_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crisis_runs_brand_opened", ["brand_id", "opened_at"], unique=False
        )

    op.create_table(
        "crisis_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_crisis_statements_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["crisis_scenarios.id"],
            name=op.f("fk_crisis_statements_scenario_id_crisis_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_statements")),
        sa.UniqueConstraint(
            "scenario_id", "platform", "language", name="uq_crisis_statements_slot"
        ),
    )
    with op.batch_alter_table("crisis_statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crisis_statements_scenario_id"), ["scenario_id"], unique=False
        )

    op.create_table(
        "crisis_run_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["users.id"],
            name=op.f("fk_crisis_run_steps_done_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crisis_runs.id"],
            name=op.f("fk_crisis_run_steps_run_id_crisis_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_crisis_run_steps_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_run_steps")),
    )
    with op.batch_alter_table("crisis_run_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crisis_run_steps_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crisis_run_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_run_steps_run_id"))

    op.drop_table("crisis_run_steps")
    with op.batch_alter_table("crisis_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_statements_scenario_id"))

    op.drop_table("crisis_statements")
    with op.batch_alter_table("crisis_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_crisis_runs_brand_opened")

    op.drop_table("crisis_runs")
    with op.batch_alter_table("crisis_scenarios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_scenarios_brand_id"))

    op.drop_table("crisis_scenarios")
