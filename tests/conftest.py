"""Shared fixtures: an app on a fresh SQLite file (or PostgreSQL), users of each role, a brand."""

from __future__ import annotations

import contextvars
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from werkzeug.routing.rules import Rule
from werkzeug.security import generate_password_hash

import core.models  # noqa: F401  (registers the tables)
import planner.models  # noqa: F401
from app import create_app
from core.db import Base, db, make_engine
from core.models import ApiToken, Role, User
from planner.brands import add_member, create_brand

# Property tests judge results, not speed: on a busy two-core machine generating a large input
# can take longer than Hypothesis expects, which says nothing about the code under test.
settings.register_profile("pageone", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pageone")

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery"


def postgres_url() -> str:
    """The test PostgreSQL URL; fails when REQUIRE_POSTGRES=1 and it is unreachable, else skips."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except OperationalError as exc:
        message = f"PostgreSQL at {url} is unreachable: {exc.orig}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


# Every test gets an empty database with the full schema. Building it costs far more than the
# average test (64 tables and their indexes), so the schema is built once per run and each test
# starts from a copy of it (SQLite) or from the same schema emptied (PostgreSQL).

# What PostgreSQL's public schema holds: tables, columns, indexes, constraints and triggers.
# A test that migrated, dropped or altered anything leaves another fingerprint, and the next
# test then gets the schema rebuilt from scratch.
_PG_FINGERPRINT = text(
    """
    SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
      SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
             || ':' || coalesce(column_default, '') AS item
        FROM information_schema.columns WHERE table_schema = 'public'
      UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
      UNION ALL SELECT conrelid::regclass::text || ':' || conname || ':'
             || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL SELECT tgrelid::regclass::text || ':' || tgname
        FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL SELECT 'sequence:' || sequencename FROM pg_sequences WHERE schemaname = 'public'
    ) AS schema_items
    """
)
# (database URL, tables the models define) -> fingerprint of the schema create_all built there.
# Models a later import adds make a new key, so their tables are built too.
_pg_built: dict[tuple[str, int], str] = {}


def _empty_postgres(connection) -> None:
    # Without foreign-key triggers the tables empty in any order; every one of them is emptied.
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    for table in Base.metadata.sorted_tables:
        connection.execute(text(f'DELETE FROM "{table.name}"'))
    connection.execute(
        text(
            "SELECT setval(format('%I', sequencename)::regclass, start_value, false)"
            " FROM pg_sequences WHERE schemaname = 'public'"
        )
    )


def reset_schema(app: Flask) -> None:
    engine = app.extensions["pageone.db"]
    if engine.dialect.name == "postgresql":
        built = (engine.url.render_as_string(hide_password=False), len(Base.metadata.tables))
        with engine.begin() as connection:
            if _pg_built.get(built) == connection.execute(_PG_FINGERPRINT).scalar():
                _empty_postgres(connection)
                return
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            _pg_built[built] = connection.execute(_PG_FINGERPRINT).scalar()
        return
    Base.metadata.create_all(engine)


@functools.cache
def sqlite_schema_file(tables: int) -> Path:
    """A SQLite file holding the empty schema of `tables` tables, built once per test run."""
    path = Path(tempfile.mkdtemp(prefix="pageone-schema-")) / "schema.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    assert len(Base.metadata.tables) == tables
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@functools.cache
def app_modules() -> None:
    """Imports every module the app imports (so every model is defined) by building one app."""
    create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})


def _copy_sqlite_schema(database_url: str) -> bool:
    """Starts a new SQLite file as a copy of the built schema; False when the URL is not one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    target = Path(url.database)
    if target.exists():
        return False
    shutil.copyfile(sqlite_schema_file(len(Base.metadata.tables)), target)
    return True


# Werkzeug compiles a URL builder for each of the app's ~1,300 rules, and every test builds an
# app. A builder depends only on the rule's parts, so a run compiles each distinct one once.
# Rules with defaults are compiled as usual (their defaults are folded into the builder).
_compile_builder = Rule._compile_builder
_builders: dict[tuple, object] = {}


def _cached_builder(self: Rule, append_unknown: bool = True):
    if self.defaults:
        return _compile_builder(self, append_unknown)
    key = (append_unknown, tuple(self._trace))
    if key not in _builders:
        _builders[key] = _compile_builder(self, append_unknown)
    return _builders[key]


Rule._compile_builder = _cached_builder


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production.

    The tests keep an app context open for their own queries; without this, requests would share
    its `g` (the logged-in user) and its database session, and a view that forgot to commit
    would look as if it had saved.
    """

    def open(self, *args, **kwargs):
        # Buffered: a streamed body is read inside the request's own context too.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        try:
            db.session.expire_all()  # the test's own session sees what the request committed
        except RuntimeError:
            pass
        return response


def make_app(database_url: str, **extra: object) -> Flask:
    app_modules()
    copied = _copy_sqlite_schema(database_url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "OUTBOUND_ALLOW_PRIVATE": True,
            # Form tests post without tokens; tests/core/test_csrf.py turns the check back on.
            "WTF_CSRF_ENABLED": False,
            # Tests log in and send bad tokens many times; tests/core/test_auth_hardening.py
            # turns throttling back on and checks it.
            "RATELIMIT_ENABLED": False,
            # Uploaded media go to a directory of the test's own, never the repository's instance/.
            "MEDIA_DIR": tempfile.mkdtemp(prefix="pageone-media-"),
            **extra,
        }
    )
    app.test_client_class = IsolatedClient
    if not copied:
        reset_schema(app)
    return app


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    app = make_app(postgres_url())
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def password_hash() -> str:
    """The shared password's hash, made cheap to check.

    Real hashes are slow on purpose (scrypt, ~130 ms a check), and the tests log in hundreds of
    times. The login checks whatever method the stored hash names, so a cheap PBKDF2 hash goes
    through the same code; tests about the hashing itself make real hashes of their own.
    """
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def create_user(email: str, role: Role) -> User:
    user = User(email=email, name=email.split("@")[0], role=role.value)
    user.password_hash = password_hash()
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    made = {role.value: create_user(f"{role.value}@example.com", role) for role in Role}
    db.session.commit()
    return made


@pytest.fixture
def brand(app: Flask, users: dict[str, User]):
    brand = create_brand(
        db.session, name="Acme Bakery", timezone="Europe/Berlin", creator=users["admin"]
    )
    for role in ("editor", "viewer", "approver"):
        add_member(db.session, brand, users[role], users["admin"])
    db.session.commit()
    return brand


def token_for(user: User) -> str:
    token, plain = ApiToken.issue(user, "test")
    db.session.add(token)
    db.session.commit()
    return plain


@pytest.fixture
def api(app: Flask, users: dict[str, User]):
    """A JSON client per role: api['editor'].post(url, json=...)."""

    class RoleClient:
        def __init__(self, user: User) -> None:
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token_for(user)}"}

        def __getattr__(self, method: str):
            call = getattr(self.client, method)
            return lambda url, **kw: call(
                url, headers={**self.headers, **kw.pop("headers", {})}, **kw
            )

    return {name: RoleClient(user) for name, user in users.items()}


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})
