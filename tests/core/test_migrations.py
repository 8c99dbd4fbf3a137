"""Migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app import create_app
from core.cli import alembic_config
from core.db import Base
from tests.conftest import postgres_url


def upgrade_and_compare(database_url: str) -> list:
    from alembic import command

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url})
    engine = app.extensions["pageone.db"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with app.app_context():
        command.upgrade(alembic_config(app), "head")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    return diff


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert upgrade_and_compare(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres():
    assert upgrade_and_compare(postgres_url()) == []


def test_db_upgrade_command(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "head" in result.output
    with app.extensions["pageone.db"].connect() as connection:
        tables = {row[0] for row in connection.execute(text("select name from sqlite_master"))}
    assert {"users", "brands", "channels", "engagement_windows", "posts", "audit_log"} <= tables
