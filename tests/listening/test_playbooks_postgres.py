"""Two admins opening the same alert's playbook at the same moment start one run, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import db
from core.tenants import Brand
from listening import playbook_runs as runs
from listening import playbooks as ops
from listening.models import OVERALL, CrisisAlert
from listening.playbook_models import CrisisRun, CrisisScenario
from planner.channels import create_channel
from planner.models import Post
from tests.listening.conftest import NOW
from tests.listening.test_postgres import pg_brand, race  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


def test_two_admins_opening_one_alert_at_once_start_one_run(pg_app, pg_brand):  # noqa: F811
    brand, admin = pg_brand
    create_channel(db.session, brand, admin, platform="mastodon")
    ops.add_starters(db.session, brand, admin, NOW, approved=True)
    alert = CrisisAlert(
        brand_id=brand.id, term=OVERALL, bucket="1", count=30, baseline_mean=2,
        baseline_sigma=1, threshold=10, terms=[], sample_mention_ids=[], notified={},
        created_at=NOW,
    )  # fmt: skip
    db.session.add(alert)
    db.session.commit()
    brand_id, alert_id, admin_id = brand.id, alert.id, admin.id
    scenario_id = db.session.scalar(
        select(CrisisScenario.id).where(CrisisScenario.name == "Outage")
    )
    db.session.close()

    def open_it(session: Session) -> tuple[int, bool]:
        from core.models import User

        brand = session.get(Brand, brand_id)
        opened = runs.open_playbook(
            session, pg_app.config, brand, session.get(User, admin_id),
            session.get(CrisisScenario, scenario_id),
            alert=session.get(CrisisAlert, alert_id), platform="mastodon",
            updates_url="https://pageone.example/b/acme/updates",
            run_url=lambda run_id: f"https://pageone.example/runs/{run_id}",
            now=NOW + timedelta(minutes=10),
        )  # fmt: skip
        return opened.run.id, opened.created

    results = race(pg_app, open_it)
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    assert db.session.scalar(select(func.count()).select_from(CrisisRun)) == 1
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1
