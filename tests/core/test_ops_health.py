"""/healthz, /readyz and /metrics: no login for the first two, a token for the third, no
secret in any; the worker's heartbeat on the home overview."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text

from app import create_app
from core.cli import alembic_config
from core.crypto import encrypt_json
from core.db import db
from core.models import AuditEntry
from core.ops.heartbeat import beat, heartbeat_job, last_heartbeat
from core.ops.models import WorkerHeartbeat
from listening.models import MentionSource
from planner.models import Channel, Post, PostStatus
from serp.models import SerpCheck, TrackedQuery
from tests.conftest import IsolatedClient, login, postgres_url

METRICS_TOKEN = "metrics-token-4f9a8b7c6d5e"
CHANNEL_TOKEN = "EAAB-channel-access-token-9z8y7x"


def migrated_app(url: str, **extra: object) -> Flask:
    """An app whose database was made by the migrations (so it has a schema revision)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-never-shown",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "METRICS_TOKEN": METRICS_TOKEN,
            **extra,
        }
    )
    app.test_client_class = IsolatedClient
    engine = app.extensions["pageone.db"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with app.app_context():
        command.upgrade(alembic_config(app), "head")
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def ops_app(request, tmp_path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'ops.db'}" if request.param == "sqlite" else postgres_url()
    app = migrated_app(url)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def test_healthz_answers_without_login(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_readyz_wants_a_recent_worker(ops_app):
    client = ops_app.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert "no worker seen" in body["checks"]["worker"]

    heartbeat_job(ops_app, "host-a:101")
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "ready"

    # Ten minutes later with no new beat, the worker is gone.
    db.session.execute(
        WorkerHeartbeat.__table__.update().values(seen_at=datetime.now(UTC) - timedelta(minutes=10))
    )
    db.session.commit()
    assert client.get("/readyz").status_code == 503


def test_readyz_names_a_schema_behind_the_code(tmp_path):
    app = migrated_app(f"sqlite:///{tmp_path / 'old.db'}", READY_WORKER_MINUTES=0)
    with app.app_context():
        command.downgrade(alembic_config(app), "0012")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    head = ScriptDirectory.from_config(alembic_config(app)).get_current_head()
    assert answer.get_json()["checks"]["migrations"] == f"at 0012, code expects {head}"
    app.extensions["pageone.db"].dispose()


def test_readyz_without_a_worker_check_and_without_a_database(tmp_path):
    app = migrated_app(f"sqlite:///{tmp_path / 'web.db'}", READY_WORKER_MINUTES=0)
    assert app.test_client().get("/readyz").status_code == 200
    app.extensions["pageone.db"].dispose()
    # Nothing listens on port 9 of loopback: the database is unreachable.
    gone = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s3cret-of-the-unreachable-app",
            "DATABASE_URL": "postgresql+psycopg://pageone:hunter2hunter2@127.0.0.1:9/x",
        }
    )
    answer = gone.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "not ready", "checks": {"database": "unreachable"}}
    assert gone.test_client().get("/healthz").status_code == 200


def test_heartbeats_keep_one_row_per_worker_and_forget_old_ones(app, now):
    beat(db.session, "host-a:1", now - timedelta(days=8))
    beat(db.session, "host-b:2", now - timedelta(minutes=1))
    beat(db.session, "host-b:2", now)
    db.session.commit()
    rows = db.session.scalars(select(WorkerHeartbeat)).all()
    # The row names the worker by its id and says which host and process run it.
    assert [(row.worker_id, row.hostname, row.pid) for row in rows] == [
        ("host-b:2", socket.gethostname(), os.getpid())
    ]
    assert rows[0].started_at == now - timedelta(minutes=1) and rows[0].seen_at == now
    assert last_heartbeat(db.session) == now


def seed_figures(app: Flask, now: datetime) -> None:
    """One post due, one claimed, one published 30 s late; one search query due, a blocked
    check; a failing listening source; a channel with stored credentials."""
    from core.models import Role
    from planner import brands
    from tests.conftest import create_user

    admin = create_user("admin@example.com", Role.ADMIN)
    brand = brands.create_brand(db.session, name="Acme", timezone="UTC", creator=admin)
    channel = Channel(
        brand=brand,
        platform="mastodon",
        name="m",
        credentials_encrypted=encrypt_json({"access_token": CHANNEL_TOKEN}, app.config),
    )
    db.session.add(channel)
    db.session.add_all(
        [
            Post(
                channel=channel,
                text="due",
                status="scheduled",
                scheduled_at=now - timedelta(minutes=5),
            ),
            Post(channel=channel, text="claimed", status="publishing", scheduled_at=now),
            Post(
                channel=channel,
                text="out",
                status=PostStatus.PUBLISHED.value,
                scheduled_at=now - timedelta(hours=1),
                published_at=now - timedelta(hours=1) + timedelta(seconds=30),
            ),
        ]
    )
    query = TrackedQuery(brand_id=brand.id, text="acme", next_check_at=now - timedelta(minutes=1))
    db.session.add(query)
    db.session.flush()
    db.session.add(
        SerpCheck(
            query_id=query.id, checked_at=now, status="blocked", engine="google", provider="html"
        )
    )
    db.session.add(
        MentionSource(
            brand_id=brand.id, kind="rss", name="feed", url="https://f.example/x", failing=True
        )
    )
    db.session.add(
        AuditEntry(
            actor="worker:w1",
            action="post.publish_attempt",
            object_type="post",
            object_id=1,
            brand_id=brand.id,
            at=now - timedelta(minutes=3),
            detail={"platform": "mastodon", "outcome": "published"},
        )
    )
    db.session.commit()


def samples(body: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_need_the_token_and_show_the_figures_but_no_secret(ops_app):
    now = datetime.now(UTC)
    seed_figures(ops_app, now)
    heartbeat_job(ops_app, "host-a:101")
    client = ops_app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/healthz")
    login(client, "admin@example.com", "correct horse battery")  # a request to time, at least

    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    body = answer.get_data(as_text=True)
    found = samples(body)
    assert found[("pageone_posts_due", ())] == 1
    assert found[("pageone_posts_claimed", ())] == 1
    assert found[("pageone_posts_late", ())] == 1
    assert found[("pageone_publish_lateness_seconds_bucket", (("le", "15.0"),))] == 0
    assert found[("pageone_publish_lateness_seconds_bucket", (("le", "30.0"),))] == 1
    assert found[("pageone_publish_lateness_seconds_count", ())] == 1
    key = (("outcome", "published"), ("platform", "mastodon"))
    assert found[("pageone_publish_attempts_last_day", key)] == 1
    assert found[("pageone_search_checks_due", ())] == 1
    assert found[("pageone_search_checks_blocked_last_day", ())] == 1
    assert found[("pageone_listening_sources_failing", (("kind", "rss"),))] == 1
    assert found[("pageone_mail_failures_total", ())] >= 0
    assert found[("pageone_worker_heartbeat_age_seconds", (("worker", "host-a:101"),))] < 60
    health = (("endpoint", "ops.healthz"), ("method", "GET"))
    assert found[("pageone_request_seconds_count", health)] >= 1
    for secret in (METRICS_TOKEN, CHANNEL_TOKEN, ops_app.config["SECRET_KEY"]):
        assert secret not in body


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_the_home_overview_shows_the_workers_last_heartbeat(app, client, users, brand):
    login(client, "editor@example.com")
    page = client.get("/").get_data(as_text=True)
    assert 'data-worker-recent="no"' in page and "No worker has run yet" in page
    heartbeat_job(app, "host-a:7")
    page = client.get("/").get_data(as_text=True)
    assert 'data-worker-recent="yes"' in page and "Worker last seen" in page
    page = client.get(f"/brands/{brand.id}/home").get_data(as_text=True)
    assert "Worker last seen" in page


def test_a_mail_the_server_refuses_is_counted(refused_port):
    from core.mail import send_mail
    from core.ops.metrics import MAIL_FAILURES

    before = MAIL_FAILURES._value.get()
    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": refused_port, "SMTP_TIMEOUT": 2}
    with pytest.raises(OSError):
        send_mail(config, "a@example.com", "Weekly report", "text")
    assert MAIL_FAILURES._value.get() == before + 1


@pytest.fixture
def refused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
