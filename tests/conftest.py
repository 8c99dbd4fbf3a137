"""Shared fixtures: an app on a fresh SQLite file (or PostgreSQL), users of each role, a brand."""

from __future__ import annotations

import contextvars
import functools
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from werkzeug.security import generate_password_hash

import core.models  # noqa: F401  (registers the tables)
import planner.models  # noqa: F401
from app import create_app
from core.db import Base, db
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


def reset_schema(app: Flask) -> None:
    engine = app.extensions["pageone.db"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)


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
    # Hashing is slow on purpose; the tests hash the shared password once.
    return generate_password_hash(PASSWORD)


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
