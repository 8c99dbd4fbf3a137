"""The planner's part of running PageOne: per-brand retention of publish attempts and audit
entries (set with `flask ops retention`, swept by `flask ops retention-sweep` and the worker's
nightly job), and the command that shows the settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from core.retention import BrandRetention
from planner import brands

NOW = datetime.now(UTC)


def entry(brand_id: int, action: str, days: int) -> AuditEntry:
    return AuditEntry(
        actor="worker:w1",
        action=action,
        object_type="post",
        object_id=1,
        brand_id=brand_id,
        at=NOW - timedelta(days=days),
        detail={},
    )


def test_retention_is_set_per_brand_and_swept(app, brand, users):
    other = brands.create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    db.session.add_all(
        [
            entry(brand.id, "post.publish_attempt", 40),
            entry(brand.id, "post.publish_attempt", 10),
            entry(brand.id, "post.published", 400),
            entry(brand.id, "post.published", 100),
            entry(other.id, "post.publish_attempt", 40),
            entry(other.id, "post.published", 400),
        ]
    )
    db.session.commit()
    runner = app.test_cli_runner()

    shown = runner.invoke(args=["ops", "retention", str(brand.id)])
    assert shown.exit_code == 0 and "attempts_days: forever" in shown.output
    result = runner.invoke(
        args=["ops", "retention", str(brand.id), "--attempts-days", "30", "--audit-days", "365"]
    )
    assert result.exit_code == 0, result.output
    assert "attempts_days: 30" in result.output and "audit_days: 365" in result.output

    swept = runner.invoke(args=["ops", "retention-sweep"])

    assert swept.exit_code == 0, swept.output
    assert "publish_attempts 1" in swept.output and "audit_entries 1" in swept.output
    db.session.expire_all()
    left = db.session.execute(
        select(AuditEntry.brand_id, AuditEntry.action, AuditEntry.at).order_by(AuditEntry.id)
    ).all()
    ages = sorted((b, a, (NOW - at).days) for b, a, at in left if a.startswith("post."))
    assert ages == sorted(
        [
            (brand.id, "post.publish_attempt", 10),
            (brand.id, "post.published", 100),
            (other.id, "post.publish_attempt", 40),
            (other.id, "post.published", 400),
        ]
    )
    # Back to keeping forever.
    runner.invoke(args=["ops", "retention", str(brand.id), "--forever", "attempts_days"])
    assert db.session.get(BrandRetention, brand.id).attempts_days is None


def test_retention_refuses_nonsense(app, brand):
    runner = app.test_cli_runner()
    zero = runner.invoke(args=["ops", "retention", str(brand.id), "--attempts-days", "0"])
    assert zero.exit_code == 1 and "between 1 and" in zero.output
    missing = runner.invoke(args=["ops", "retention", "999", "--attempts-days", "5"])
    assert missing.exit_code == 1 and "No brand" in missing.output
    assert db.session.get(BrandRetention, brand.id) is None


def test_an_admin_sets_retention_and_downloads_the_brand_on_its_data_page(client, brand, users):
    import io
    import json
    import tarfile

    from tests.conftest import login

    login(client, "editor@example.com")
    assert client.get(f"/brands/{brand.id}/data").status_code == 403
    assert client.get(f"/brands/{brand.id}/export.tar.gz").status_code == 403
    client.post("/logout")
    login(client, "admin@example.com")
    assert 'id="brand-data-link"' in client.get(f"/brands/{brand.id}/settings").get_data(
        as_text=True
    )
    assert client.get(f"/brands/{brand.id}/data").status_code == 200

    refused = client.post(f"/brands/{brand.id}/data", data={"raw_pages_days": "0"})
    assert refused.status_code == 400
    assert db.session.get(BrandRetention, brand.id) is None
    saved = client.post(f"/brands/{brand.id}/data", data={"raw_pages_days": "30", "audit_days": ""})
    assert saved.status_code == 302
    db.session.expire_all()
    row = db.session.get(BrandRetention, brand.id)
    assert (row.raw_pages_days, row.attempts_days, row.audit_days) == (30, None, None)

    download = client.get(f"/brands/{brand.id}/export.tar.gz")
    assert download.status_code == 200 and download.mimetype == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(download.data)) as tar:
        part = json.load(tar.extractfile("brand.json"))
        retention = json.load(tar.extractfile("retention.json"))
    assert part[0]["name"] == brand.name and retention[0]["raw_pages_days"] == 30
    assert client.get("/brands/999/data").status_code == 404
