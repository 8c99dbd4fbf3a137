"""Alembic environment: the engine comes from the app (flask --app app db upgrade)."""

from alembic import context

import core.models  # noqa: F401  (registers the tables)
import planner.connections.models  # noqa: F401
import planner.models  # noqa: F401
from core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
