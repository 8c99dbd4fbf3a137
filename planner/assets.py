"""Owned assets: the pages and posts a brand publishes on places it controls.

SERP measurement recognises these automatically as "owned" results. An asset is kept once per
brand and normalised URL, so recording the same page again (a re-publish, a second worker, a
settings page saved twice) changes nothing but fills in what was missing.

Assets are keyed by ``core.urls.normalize_url``, the same normal form search results and label
rules use (scheme and ``www.`` dropped, host lower case, fragment, tracking parameters and
trailing slash dropped).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.urls import normalize_url
from planner.models import Platform, Post


class AssetKind(StrEnum):
    SOCIAL_POST = "social_post"
    REVIEWS_PAGE = "reviews_page"
    BLOG_POST = "blog_post"
    OTHER = "other"


class OwnedAsset(Base):
    __tablename__ = "owned_assets"
    __table_args__ = (UniqueConstraint("brand_id", "normalized_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    normalized_url: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(20), default=AssetKind.OTHER.value)
    title: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def record_owned_asset(
    session: Session,
    brand_id: int,
    url: str,
    kind: str | AssetKind,
    published_at: datetime | None,
    post_id: int | None = None,
    title: str | None = None,
) -> OwnedAsset:
    """The brand's asset at this URL, created once; later calls only fill in missing details."""
    kind = AssetKind(kind).value
    key = normalize_url(url)
    asset = session.scalar(
        select(OwnedAsset).where(OwnedAsset.brand_id == brand_id, OwnedAsset.normalized_url == key)
    )
    if asset is None:
        asset = OwnedAsset(
            brand_id=brand_id,
            url=url.strip(),
            normalized_url=key,
            kind=kind,
            title=(title or None) and title[:300],
            published_at=published_at,
            post_id=post_id,
        )
        session.add(asset)
    else:
        asset.title = asset.title or ((title or None) and title[:300])
        asset.published_at = asset.published_at or published_at
        asset.post_id = asset.post_id or post_id
    session.flush()
    return asset


def record_published_posts(session: Session, posts: list[dict[str, Any]]) -> None:
    """Hook for the publishing worker: published posts with a public URL become owned assets, in
    one statement for a batch. Each dict holds the post's ``brand_id``, ``platform``, ``post_id``,
    ``url``, ``text`` and ``published_at``; an asset already kept only gets what it lacked."""
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for post in posts:
        if not post.get("url"):
            continue
        key = normalize_url(post["url"])
        kind = AssetKind.BLOG_POST if post["platform"] == Platform.WORDPRESS.value else None
        # The first of two posts at one URL in a batch wins, as the first call would.
        rows.setdefault(
            (post["brand_id"], key),
            {
                "brand_id": post["brand_id"],
                "url": post["url"].strip(),
                "normalized_url": key,
                "kind": (kind or AssetKind.SOCIAL_POST).value,
                "title": (post["text"].strip().splitlines() or [""])[0][:300] or None,
                "published_at": post["published_at"] or utcnow(),
                "post_id": post["post_id"],
                "created_at": utcnow(),
            },
        )
    if not rows:
        return
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    if module is None:
        for row in rows.values():
            record_owned_asset(
                session,
                row["brand_id"],
                row["url"],
                row["kind"],
                row["published_at"],
                post_id=row["post_id"],
                title=row["title"],
            )
        return
    table = OwnedAsset.__table__
    statement = module.insert(table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.brand_id, table.c.normalized_url],
            set_={
                name: func.coalesce(table.c[name], statement.excluded[name])
                for name in ("title", "published_at", "post_id")
            },
        ),
        list(rows.values()),
    )


def owned_assets(session: Session, brand_id: int) -> list[OwnedAsset]:
    """Every owned asset of the brand, newest first."""
    return list(
        session.scalars(
            select(OwnedAsset)
            .where(OwnedAsset.brand_id == brand_id)
            .order_by(OwnedAsset.published_at.desc(), OwnedAsset.id.desc())
        )
    )


def record_published_post(session: Session, post: Post) -> OwnedAsset | None:
    """Hook for the publishing worker: a published post with a public URL is an owned asset."""
    if not post.public_url:
        return None
    kind = (
        AssetKind.BLOG_POST
        if post.channel.platform == Platform.WORDPRESS.value
        else AssetKind.SOCIAL_POST
    )
    title = (post.text.strip().splitlines() or [""])[0][:300] or None
    return record_owned_asset(
        session,
        post.channel.brand_id,
        post.public_url,
        kind,
        post.published_at or utcnow(),
        post_id=post.id,
        title=title,
    )
