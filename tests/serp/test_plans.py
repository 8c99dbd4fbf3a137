"""Displacement plans: drafts on the calendar for a negative item on page one, then progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db
from planner import operations as planner_ops
from planner.channels import create_channel
from planner.models import Post
from serp import plans
from serp.checks import store_check
from tests.serp.test_displacement import N2, N, build_scenario, page, week


@pytest.fixture
def scenario(app, brand, users):
    q1, q2 = build_scenario(app, brand, users["admin"])
    for platform in ("linkedin", "facebook"):
        create_channel(
            db.session, brand, users["admin"], platform=platform, name=f"Acme on {platform}"
        )
    db.session.commit()
    return brand, q1, q2


def test_a_plan_proposes_eleven_minus_the_position_and_drafts_them(scenario, users):
    brand, q1, q2 = scenario
    now = week(12) + timedelta(hours=2)
    # N2 is at 8 in the latest good check: 11 - 8 = 3 assets.
    plan = plans.create_plan(
        db.session, brand, users["editor"], query_id=q1.id, negative_url="https://" + N2, now=now
    )
    db.session.commit()
    assert (plan.position_at_start, plan.needed, len(plan.assets)) == (8, 3, 3)
    # The brand has its reviews page already (build_scenario): it is not proposed again.
    assert [a.kind for a in plan.assets] == ["case_study", "video_linkedin", "video_facebook"]
    case_study, video, _ = plan.assets
    # A long-form piece gets a target date a week ahead; no post.
    assert case_study.post_id is None and case_study.target_date == now + timedelta(weeks=1)
    # The LinkedIn video is a draft on the calendar, in the channel's next free slot.
    post = db.session.get(Post, video.post_id)
    assert post.status == "draft" and post.source == "plan"
    assert post.scheduled_at is not None and post.scheduled_at > now
    assert "acme bakery" in post.text
    progress = plans.plan_progress(db.session, plan)
    assert [p.stage_name for p in progress] == ["drafted"] * 3


def test_position_one_needs_ten_assets_and_the_catalogue_repeats(scenario, users):
    brand, q1, q2 = scenario
    plan = plans.create_plan(
        db.session, brand, users["editor"], query_id=q2.id, negative_url=N, now=week(12)
    )
    assert plan.needed == 10 and len(plan.assets) == 10
    drafts = db.session.scalars(
        select(Post).where(Post.id.in_([a.post_id for a in plan.assets if a.post_id]))
    ).all()
    assert {d.channel.platform for d in drafts} == {"linkedin", "facebook"}


def test_at_least_one_asset_and_only_for_page_one(scenario, users):
    assert len(plans.propose(10, [])) == 1
    assert len(plans.propose(11, [])) == 1
    brand, q1, q2 = scenario
    with pytest.raises(planner_ops.PlannerError, match="not on page one"):
        plans.create_plan(
            db.session, brand, users["editor"], query_id=q1.id, negative_url=N, now=week(12)
        )  # N is at 13
    with pytest.raises(planner_ops.PlannerError, match="Viewers"):
        plans.create_plan(
            db.session, brand, users["viewer"], query_id=q1.id, negative_url=N2, now=week(12)
        )


def test_progress_follows_an_asset_from_draft_to_above_the_negative(scenario, users):
    brand, q1, q2 = scenario
    plan = plans.create_plan(
        db.session, brand, users["editor"], query_id=q1.id, negative_url=N2, now=week(12)
    )
    case_study = plan.assets[0]
    new_page = "https://acme-bakery.example/selected-reviews"
    plans.mark_published(db.session, case_study, users["editor"], new_page, week(12))
    assert plans.owned_asset_for(db.session, brand.id, new_page) is not None
    assert plans.plan_progress(db.session, plan)[0].stage_name == "published"

    # Week 13: the new page appears at 7, above N2 at 9.
    placed = {N2: 9, "acme-bakery.example/selected-reviews": 7}
    fixed = {"en.wikipedia.org/wiki/Acme_Bakery": 1, "news.example/acme-opens-second-shop": 10}
    store_check(
        db.session, q1, status="ok", results=page(placed, 20, fixed), checked_at=week(13),
        provider="manual",
    )  # fmt: skip
    db.session.commit()
    progress = plans.plan_progress(db.session, plan)[0]
    assert (progress.stage_name, progress.position, progress.negative_position) == (
        "above the negative item", 7, 9,
    )  # fmt: skip
    summary = plans.plan_summary(db.session, plan)
    assert summary["stages"] == {
        "drafted": 3, "published": 1, "seen in results": 1, "above the negative item": 1,
    }  # fmt: skip
