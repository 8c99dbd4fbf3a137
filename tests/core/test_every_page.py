"""Every page and GET endpoint answers the demo brand's admin without a server error."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.db import db
from core.models import User
from core.tenants import Brand
from planner.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from planner.models import Channel, Post


def first_id(model) -> int | None:
    return db.session.scalar(select(model.id).order_by(model.id).limit(1))


def test_no_get_route_fails_for_the_demo_admin(app):
    load_demo(
        db.session,
        now=datetime.now(UTC),
        only_if_empty=False,
        more=app.extensions["pageone.demo_loaders"],
    )
    db.session.commit()
    from listening.playbook_models import CrisisScenario
    from planner.reviews.models import Review
    from serp.models import LabelRule, SerpCheck, TrackedQuery

    brand = db.session.scalar(select(Brand))
    values = {
        "brand_id": brand.id,
        "channel_id": first_id(Channel),
        "post_id": first_id(Post),
        "query_id": first_id(TrackedQuery),
        "check_id": first_id(SerpCheck),
        "review_id": first_id(Review),
        "rule_id": first_id(LabelRule),
        "slug": brand.slug,
        "brand_slug": brand.slug,
        "token": brand.ical_token,
        "user_id": first_id(User),
        "scenario_id": first_id(CrisisScenario),
    }
    client = app.test_client()
    client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    checked, failures = 0, []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "core.vendor"):
            continue
        if any(arg not in values for arg in rule.arguments):
            continue
        url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        checked += 1
        # /readyz answers 503 by design when not ready (this database was not made by the
        # migrations and no worker runs); a crash would not say so.
        not_ready = rule.endpoint == "ops.readyz" and response.get_json()["status"] == "not ready"
        if response.status_code >= 500 and not not_ready:
            failures.append((url, response.status_code))
    assert failures == []
    assert checked > 40
