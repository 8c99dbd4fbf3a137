"""An upgrade: a database made by the previous release's migrations, with data in it, is
migrated forward by `flask db upgrade` and everything still works: logging in, the overview,
the worker publishing a due post, readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, inspect, select, text

from app import create_app
from core.cli import alembic_config
from core.crypto import encrypt_json
from core.db import db
from core.models import Role, User
from core.ops.heartbeat import heartbeat_job
from core.ops.web import schema_heads
from core.tenants import Brand, BrandMember
from listening.models import Mention, MentionSource
from planner.models import Channel, Post, PostStatus
from planner.publishing.worker import run_worker
from planner.reviews.models import Review
from serp.models import SerpCheck, TrackedQuery
from tests.conftest import IsolatedClient, login, password_hash, postgres_url

PREVIOUS_RELEASE = "0012"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_app(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else postgres_url()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "upgrade-secret",
            "DATABASE_URL": url,
            "OUTBOUND_ALLOW_PRIVATE": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = IsolatedClient
    engine = app.extensions["pageone.db"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with app.app_context():
        command.upgrade(alembic_config(app), PREVIOUS_RELEASE)
        yield app
    engine.dispose()


def old_row(model, **values) -> int:
    """A row as the previous release's schema holds it: only the columns that schema has (the
    code's models have grown since), each not given taking the model's default."""
    connection = db.session.connection()
    existing = {column["name"] for column in inspect(connection).get_columns(model.__tablename__)}
    table = Table(
        model.__tablename__,
        MetaData(),
        *(column._copy() for column in model.__table__.columns if column.name in existing),
    )
    return connection.execute(insert(table).values(**values)).inserted_primary_key[0]


def test_a_database_of_the_previous_release_upgrades_and_works(old_app, httpserver):
    now = datetime.now(UTC)
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    admin_id = old_row(
        User, email="admin@example.com", name="admin", role=Role.ADMIN.value,
        password_hash=password_hash(),
    )  # fmt: skip
    brand_id = old_row(Brand, name="Acme", slug="acme", timezone="Europe/Berlin")
    old_row(BrandMember, brand_id=brand_id, user_id=admin_id)
    channel_id = old_row(
        Channel,
        brand_id=brand_id,
        platform="webhook",
        name="hook",
        credentials_encrypted=encrypt_json(
            {"url": httpserver.url_for("/hook"), "secret": "whsec_" + "a2V5" * 8}, old_app.config
        ),
    )
    post_id = old_row(
        Post,
        channel_id=channel_id,
        text="Due before the upgrade",
        status=PostStatus.SCHEDULED.value,
        scheduled_at=now - timedelta(seconds=5),
    )
    source_id = old_row(
        MentionSource, brand_id=brand_id, kind="rss", name="feed", url="https://f.example"
    )
    query_id = old_row(TrackedQuery, brand_id=brand_id, text="acme")
    old_row(
        Review, brand_id=brand_id, source="google", external_id="r1", rating=5, author="Ann",
        created_at=now, content_hash="h",
    )  # fmt: skip
    old_row(
        Mention,
        brand_id=brand_id,
        source_id=source_id,
        external_id="m1",
        author="ann",
        published_at=now,
        due_at=now + timedelta(hours=1),
    )
    old_row(SerpCheck, query_id=query_id, status="ok", engine="google", provider="html")
    db.session.commit()

    result = old_app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with old_app.extensions["pageone.db"].connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() in (
            schema_heads(old_app)
        )
    run_worker(old_app, "w1", once=True)
    db.session.expire_all()
    assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED
    client = old_app.test_client()
    login(client, "admin@example.com")
    for path in (
        "/",
        f"/brands/{brand_id}/calendar",
        f"/brands/{brand_id}/reviews",
        f"/brands/{brand_id}/listening",
        f"/brands/{brand_id}/serp/dashboard",
    ):
        assert client.get(path).status_code == 200, path
    heartbeat_job(old_app, "host:1")
    assert client.get("/readyz").get_json()["status"] == "ready"
    assert db.session.scalar(select(Review.author)) == "Ann"
