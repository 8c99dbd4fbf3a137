"""An upgrade: a database made by the previous release's migrations, with data in it, is
migrated forward by `flask db upgrade` and everything still works: logging in, the overview,
the worker publishing a due post, readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text

from app import create_app
from core.cli import alembic_config
from core.crypto import encrypt_json
from core.db import db
from core.models import Role
from core.ops.heartbeat import heartbeat_job
from listening.models import Mention, MentionSource
from planner import brands
from planner.models import Channel, Post, PostStatus
from planner.publishing.worker import run_worker
from planner.reviews.models import Review
from serp.models import SerpCheck, TrackedQuery
from tests.conftest import IsolatedClient, create_user, login, postgres_url

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


def test_a_database_of_the_previous_release_upgrades_and_works(old_app, httpserver):
    now = datetime.now(UTC)
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    admin = create_user("admin@example.com", Role.ADMIN)
    brand = brands.create_brand(db.session, name="Acme", timezone="Europe/Berlin", creator=admin)
    channel = Channel(
        brand=brand,
        platform="webhook",
        name="hook",
        credentials_encrypted=encrypt_json(
            {"url": httpserver.url_for("/hook"), "secret": "whsec_" + "a2V5" * 8}, old_app.config
        ),
    )
    post = Post(
        channel=channel,
        text="Due before the upgrade",
        status=PostStatus.SCHEDULED.value,
        scheduled_at=now - timedelta(seconds=5),
    )
    db.session.add_all([channel, post])
    db.session.flush()
    source = MentionSource(brand_id=brand.id, kind="rss", name="feed", url="https://f.example")
    query = TrackedQuery(brand_id=brand.id, text="acme")
    db.session.add_all([source, query])
    db.session.flush()
    db.session.add_all(
        [
            Review(
                brand_id=brand.id,
                source="google",
                external_id="r1",
                rating=5,
                author="Ann",
                created_at=now,
                content_hash="h",
            ),
            Mention(
                brand_id=brand.id,
                source_id=source.id,
                external_id="m1",
                author="ann",
                published_at=now,
                due_at=now + timedelta(hours=1),
            ),
            SerpCheck(query_id=query.id, status="ok", engine="google", provider="html"),
        ]
    )
    db.session.commit()

    result = old_app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with old_app.extensions["pageone.db"].connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0015"
        )
    run_worker(old_app, "w1", once=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.PUBLISHED
    client = old_app.test_client()
    login(client, "admin@example.com")
    for path in (
        "/",
        f"/brands/{brand.id}/calendar",
        f"/brands/{brand.id}/reviews",
        f"/brands/{brand.id}/listening",
        f"/brands/{brand.id}/serp/dashboard",
    ):
        assert client.get(path).status_code == 200, path
    heartbeat_job(old_app, "host:1")
    assert client.get("/readyz").get_json()["status"] == "ready"
    assert db.session.scalar(select(Review.author)) == "Ann"
