"""Displacement plans: what to publish to push a negative result off page one, on the calendar.

A plan for a negative item at position p proposes 11 - p assets (at least one), drawn from a
catalogue of kinds of content that rank for brand queries. Social ones become draft posts in the
next free slots of the brand's channels; long-form ones get target dates one week apart. Each
asset is then followed: drafted → published → seen in results → above the negative item.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core import audit, tenants
from core.db import Base, utcnow
from core.errors import NotFound, Refused
from core.i18n import language
from core.models import Role, User
from core.tenants import Brand
from core.urls import normalize_url
from planner import drafts
from planner.assets import AssetKind, OwnedAsset, record_owned_asset
from serp import upkeep
from serp.models import CheckStatus, SerpCheck, SerpResultRow, TrackedQuery

# --- catalogue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetIdea:
    """A kind of content that ranks for brand queries."""

    key: str
    label: Any  # lazy: read in the brand's language when a plan is made
    platform: str | None  # a planner platform: drafted as a post on the brand's channel
    note: Any


# In the order they are proposed: owned pages the brand controls first, then third-party ones.
CATALOGUE: tuple[AssetIdea, ...] = (
    AssetIdea("reviews_page", _l("Promoted reviews page"), None,
              _l("A 'selected reviews' page on the brand's site, linking to the full profile.")),
    AssetIdea("case_study", _l("Case study"), None, _l("A customer story on the brand's site.")),
    AssetIdea("video_linkedin", _l("Video testimonial on LinkedIn"), drafts.LINKEDIN,
              _l("A customer's video testimonial, posted on the brand's LinkedIn page.")),
    AssetIdea("video_facebook", _l("Video testimonial on Facebook"), drafts.FACEBOOK,
              _l("A customer's video testimonial, posted on the brand's Facebook page.")),
    AssetIdea("video_youtube", _l("Video testimonial on YouTube"), None,
              _l("A testimonial video on the brand's YouTube channel, titled with the query.")),
    AssetIdea("white_paper", _l("White paper"), None,
              _l("A downloadable paper on the brand's site.")),
    AssetIdea("guest_article", _l("Guest article"), None,
              _l("An article by the brand on a respected site of its field.")),
    AssetIdea("encyclopedia_entry", _l("Neutral encyclopedia entry"), None,
              _l("A neutral, sourced entry; follow the site's conflict-of-interest rules.")),
    AssetIdea("forum_answers", _l("Answers on forums"), None,
              _l("Helpful answers signed by the brand where its customers ask.")),
    AssetIdea("platform_profile", _l("Profile on a missing platform"), None,
              _l("A complete profile on a platform where the brand has none yet.")),
)  # fmt: skip
IDEAS = {idea.key: idea for idea in CATALOGUE}


class PlanStatus:
    ACTIVE = "active"
    DONE = "done"


class DisplacementPlan(Base):
    """What the brand publishes to push one negative result of one query off page one."""

    __tablename__ = "serp_displacement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("serp_queries.id", ondelete="CASCADE"))
    negative_url: Mapped[str] = mapped_column(String(2048))  # normalized
    position_at_start: Mapped[int]
    needed: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=PlanStatus.ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assets: Mapped[list[PlanAsset]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PlanAsset.id",
    )


class PlanAsset(Base):
    """One piece of content of a plan: a draft post, or a long-form piece with a target date."""

    __tablename__ = "serp_plan_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("serp_displacement_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    brief: Mapped[str] = mapped_column(Text, default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    target_date: Mapped[datetime | None]
    url: Mapped[str | None] = mapped_column(String(2048))  # where it was published
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[DisplacementPlan] = relationship(back_populates="assets")


# --- operations ---------------------------------------------------------------------------------


# Ideas of which a brand has only one, so one it already owns is never proposed again.
ONE_PER_BRAND = {"reviews_page": AssetKind.REVIEWS_PAGE.value}


def propose(
    position: int, channels: Sequence[drafts.BrandChannel], owned_kinds: Collection[str] = ()
) -> list[AssetIdea]:
    """The assets a negative item at ``position`` needs: 11 - position, at least one.

    Social kinds are proposed only when the brand has a channel on that platform, and a page the
    brand can have only one of (its reviews page) only when it has none yet (``owned_kinds``:
    the kinds of its owned assets); when more assets are needed than the catalogue holds, it is
    used again from the top, single pages left out.
    """
    count = max(1, 11 - position)
    platforms = {c.platform for c in channels}
    usable = [
        i
        for i in CATALOGUE
        if (i.platform is None or i.platform in platforms)
        and ONE_PER_BRAND.get(i.key) not in owned_kinds
    ]
    repeatable = [i for i in usable if i.key not in ONE_PER_BRAND]
    ideas = usable[:count]
    while len(ideas) < count:
        ideas.append(repeatable[(len(ideas) - len(usable)) % len(repeatable)])
    return ideas


def owned_asset_kinds(session: Session, brand_id: int) -> set[str]:
    """The kinds of owned asset the brand has, e.g. {"reviews_page", "social_post"}."""
    return set(
        session.scalars(select(OwnedAsset.kind).where(OwnedAsset.brand_id == brand_id).distinct())
    )


def _latest_position(session: Session, query_id: int, url: str) -> int | None:
    latest = session.scalar(
        select(SerpCheck.id)
        .where(SerpCheck.query_id == query_id, SerpCheck.status == CheckStatus.OK.value)
        .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    return session.scalar(
        select(SerpResultRow.position)
        .where(SerpResultRow.check_id == latest, SerpResultRow.normalized_url == url)
        .order_by(SerpResultRow.position)
        .limit(1)
    )


def create_plan(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    query_id: int,
    negative_url: str,
    now: datetime,
) -> DisplacementPlan:
    """Plan the displacement of a negative item now on page one, drafts on the calendar."""
    if actor is not None and not actor.has_role(Role.EDITOR):
        raise Refused(_("Viewers cannot plan content."))
    query = session.get(TrackedQuery, query_id)
    if query is None or query.brand_id != brand.id:
        raise NotFound(f"No tracked query {query_id} of this brand.")
    url = normalize_url(negative_url)
    position = _latest_position(session, query_id, url)
    if position is None or position > 10:
        raise Refused(
            _("This result is not on page one in the latest good check: there is nothing to push.")
        )
    channels = drafts.channels_of(session, brand.id)
    ideas = propose(position, channels, owned_asset_kinds(session, brand.id))
    plan = DisplacementPlan(
        brand_id=brand.id,
        query_id=query_id,
        negative_url=url,
        position_at_start=position,
        needed=11 - position,
        created_by_id=actor.id if actor else None,
    )
    session.add(plan)
    session.flush()
    after: dict[int, datetime] = {}
    long_form = 0
    for idea in ideas:
        # The titles, briefs and drafts are the brand's texts: written in its language.
        with language(brand.language):
            label, note = str(idea.label), str(idea.note)
        title = f"{label}: {query.text}"
        asset = PlanAsset(plan=plan, kind=idea.key, title=title[:300], brief=note)
        session.add(asset)
        channel = next((c for c in channels if c.platform == idea.platform), None)
        if channel is not None:
            text = f"{label} — {query.text}. {note}"
            placed = drafts.draft_in_next_free_slot(
                session, channel.id, actor, text=text, after=after.get(channel.id, now), now=now
            )
            asset.post_id, asset.target_date = placed.post_id, placed.scheduled_at
            slot = placed.scheduled_at
            # Drafts do not occupy slots; the next draft of this channel goes after this one.
            if slot is not None:
                after[channel.id] = slot + timedelta(minutes=max(channel.min_gap_minutes, 1))
        else:
            long_form += 1
            asset.target_date = now + timedelta(weeks=long_form)
    session.flush()
    audit.record(
        session, actor, "serp.plan_created", "serp_plan", plan.id, brand_id=brand.id,
        query_id=query_id, url=url, position=position, assets=len(ideas),
    )  # fmt: skip
    return plan


def mark_published(
    session: Session, asset: PlanAsset, actor: User | None, url: str, now: datetime
) -> PlanAsset:
    """A long-form asset went live at ``url``: recorded as an owned asset of the brand."""
    if actor is not None and not actor.has_role(Role.EDITOR):
        raise Refused(_("Viewers cannot change plans."))
    url = (url or "").strip()
    if not drafts.is_public_url(url):
        raise Refused(_("The address must be a full http(s) URL."))
    asset.url, asset.published_at = url, asset.published_at or now
    kind = AssetKind.REVIEWS_PAGE if asset.kind == "reviews_page" else AssetKind.OTHER
    record_owned_asset(
        session, asset.plan.brand_id, url, kind, asset.published_at, None, asset.title
    )
    session.flush()
    upkeep.labels_changed(session, asset.plan.brand_id)
    audit.record(
        session, actor, "serp.plan_asset_published", "serp_plan_asset", asset.id,
        brand_id=asset.plan.brand_id, url=url,
    )  # fmt: skip
    return asset


def plans_of(session: Session, brand_id: int) -> list[DisplacementPlan]:
    return list(
        session.scalars(
            select(DisplacementPlan)
            .where(DisplacementPlan.brand_id == brand_id)
            .order_by(DisplacementPlan.created_at.desc(), DisplacementPlan.id.desc())
        )
    )


def plan_for(session: Session, user: User, plan_id: int) -> DisplacementPlan:
    plan = session.get(DisplacementPlan, plan_id)
    if plan is None or not tenants.is_member(session, user, plan.brand_id):
        raise NotFound(f"No plan {plan_id} that you can see.")
    return plan


STAGES = ("drafted", "published", "seen in results", "above the negative item")


@dataclass
class AssetProgress:
    asset: PlanAsset
    url: str | None  # public address once published
    stage: int  # index into STAGES
    position: int | None  # in the latest good check of the plan's query
    negative_position: int | None

    @property
    def stage_name(self) -> str:
        return STAGES[self.stage]


def plan_progress(session: Session, plan: DisplacementPlan) -> list[AssetProgress]:
    """Where each asset of the plan stands: drafted → published → seen → above the negative."""
    good = select(SerpCheck.id).where(
        SerpCheck.query_id == plan.query_id, SerpCheck.status == CheckStatus.OK.value
    )
    latest = session.scalar(good.order_by(SerpCheck.checked_at.desc()).limit(1))
    negative_position = (
        _latest_position(session, plan.query_id, plan.negative_url) if latest else None
    )
    published_posts = drafts.published_urls(
        session, [a.post_id for a in plan.assets if a.post_id is not None]
    )
    out = []
    for asset in plan.assets:
        url = asset.url
        post_published = asset.post_id in published_posts
        if post_published:
            url = published_posts[asset.post_id] or url
        published = url is not None or post_published
        stage, position = (1 if published else 0), None
        if url:
            key = normalize_url(url)
            seen = session.scalar(
                select(SerpResultRow.id)
                .where(SerpResultRow.check_id.in_(good), SerpResultRow.normalized_url == key)
                .limit(1)
            )
            if seen is not None:
                stage = 2
                position = session.scalar(
                    select(SerpResultRow.position)
                    .where(SerpResultRow.check_id == latest, SerpResultRow.normalized_url == key)
                    .order_by(SerpResultRow.position)
                    .limit(1)
                )
                if position is not None and (
                    negative_position is None or position < negative_position
                ):
                    stage = 3
        out.append(AssetProgress(asset, url, stage, position, negative_position))
    return out


def owned_asset_for(session: Session, brand_id: int, url: str) -> OwnedAsset | None:
    return session.scalar(
        select(OwnedAsset).where(
            OwnedAsset.brand_id == brand_id, OwnedAsset.normalized_url == normalize_url(url)
        )
    )


def plan_summary(session: Session, plan: DisplacementPlan) -> dict[str, Any]:
    progress = plan_progress(session, plan)
    return {
        "id": plan.id,
        "query_id": plan.query_id,
        "negative_url": plan.negative_url,
        "position_at_start": plan.position_at_start,
        "needed": plan.needed,
        "assets": [
            {
                "id": p.asset.id,
                "kind": p.asset.kind,
                "title": p.asset.title,
                "post_id": p.asset.post_id,
                "target_date": p.asset.target_date.isoformat() if p.asset.target_date else None,
                "url": p.url,
                "stage": p.stage_name,
                "position": p.position,
            }
            for p in progress
        ],
        "stages": {name: sum(1 for p in progress if p.stage >= i) for i, name in enumerate(STAGES)},
    }
