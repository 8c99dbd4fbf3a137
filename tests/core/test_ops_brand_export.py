"""A brand's archive holds its posts, reviews, mentions, search history and settings, and no
credential; deleting the brand removes its rows everywhere, stored result pages included, and
the next sweep its audit entries."""

from __future__ import annotations

import json
import re
import tarfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select, text

from core import audit
from core.crypto import encrypt_json
from core.db import Base, db
from core.models import AuditEntry
from core.retention import set_retention
from listening.models import Mention, MentionSource
from planner.models import Channel, Post, PostPart
from planner.reviews.models import Review
from serp.models import SerpCheck, SerpResultRow, TrackedQuery
from tests.conftest import login

NOW = datetime.now(UTC)
TOKEN = "channel-token-never-exported"


def fill(app, brand):
    channel = Channel(
        brand=brand,
        platform="mastodon",
        name="m",
        credentials_encrypted=encrypt_json({"access_token": TOKEN}, app.config),
    )
    db.session.add(channel)
    db.session.add(
        Post(
            channel=channel,
            text="Spring menu",
            parts=[PostPart(position=1, kind="comment", text="Order inside")],
        )
    )
    source = MentionSource(brand_id=brand.id, kind="rss", name="feed", url="https://f.example")
    query = TrackedQuery(brand_id=brand.id, text="acme bakery")
    db.session.add_all([source, query])
    db.session.flush()
    check = SerpCheck(
        query_id=query.id,
        status="ok",
        engine="google",
        provider="html",
        raw_pages=b"<html>stored page</html>",
    )
    check.results.append(
        SerpResultRow(position=1, url="https://a.example/", normalized_url="a.example", domain="a")
    )
    db.session.add_all(
        [
            check,
            Review(
                brand_id=brand.id,
                source="google",
                external_id="r1",
                rating=4,
                text="Good bread",
                author="Ann",
                created_at=NOW,
                content_hash="h",
            ),
            Mention(
                brand_id=brand.id,
                source_id=source.id,
                external_id="m1",
                author="ann",
                text="Love it",
                published_at=NOW,
                due_at=NOW + timedelta(hours=1),
            ),
        ]
    )
    set_retention(db.session, brand.id, raw_pages_days=30)
    audit.record(db.session, "worker:w1", "post.publish_attempt", "post", 1, brand_id=brand.id)
    db.session.commit()


def test_a_brand_archive_holds_all_its_data_and_no_credential(app, brand, tmp_path):
    fill(app, brand)
    result = app.test_cli_runner().invoke(
        args=["ops", "brand-export", str(brand.id), "--to", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    archive = tmp_path / f"pageone-brand-{brand.id}.tar.gz"
    with tarfile.open(archive) as tar:
        parts = {
            m.name.removesuffix(".json"): json.load(tar.extractfile(m)) for m in tar.getmembers()
        }
        raw = b"".join(tar.extractfile(m).read() for m in tar.getmembers())
    assert parts["brand"][0]["name"] == "Acme Bakery"
    assert [p["text"] for p in parts["posts"]] == ["Spring menu"]
    assert [p["text"] for p in parts["post_parts"]] == ["Order inside"]
    assert [r["text"] for r in parts["reviews"]] == ["Good bread"]
    assert [m["text"] for m in parts["mentions"]] == ["Love it"]
    assert [q["text"] for q in parts["search_queries"]] == ["acme bakery"]
    assert len(parts["search_checks"]) == 1 and len(parts["search_results"]) == 1
    assert parts["retention"][0]["raw_pages_days"] == 30
    assert parts["manifest"]["parts"]["posts"] == 1
    assert TOKEN.encode() not in raw and b"credentials_encrypted" not in raw
    assert brand.ical_token.encode() not in raw

    elsewhere = tmp_path / "elsewhere"
    missing = app.test_cli_runner().invoke(
        args=["ops", "brand-export", "999", "--to", str(elsewhere)]
    )
    assert missing.exit_code == 1 and "No brand" in missing.output
    assert not elsewhere.exists()


def test_deleting_a_brand_removes_its_data_everywhere(app, client, brand, users):
    fill(app, brand)
    brand_id = brand.id
    login(client, "admin@example.com")
    answer = client.post(f"/brands/{brand_id}/delete", data={"delete-confirm_name": brand.name})
    assert answer.status_code == 302
    swept = app.test_cli_runner().invoke(args=["ops", "retention-sweep"])
    assert re.search(r"deleted_brands_entries [1-9]", swept.output), swept.output

    connection = db.session.connection()
    tables = set(inspect(connection).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name in tables and "brand_id" in table.columns:
            rows = connection.execute(select(table).where(table.c.brand_id == brand_id)).all()
            if table.name == "audit_log":
                assert [r.action for r in rows] == ["brand.deleted"]
            else:
                assert rows == [], table.name
    assert connection.execute(text("SELECT count(*) FROM serp_checks")).scalar() == 0
    assert connection.execute(text("SELECT count(*) FROM serp_results")).scalar() == 0
    assert db.session.scalars(select(AuditEntry.action)).all() == ["brand.deleted"]
