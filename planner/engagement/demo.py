"""The demo brand's engagement: the reads of its published posts, as the worker would have
taken them (figures made up, steady per platform), and the ones still due."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus

from .models import MetricRead, ReadKind, ReadStatus

# Impressions only where the platform's API gives them.
GIVES_IMPRESSIONS = {"facebook", "instagram", "x", "linkedin"}


def load_engagement_demo(session: Session, brand: Brand, admin: User, now: datetime) -> None:
    rng = random.Random(11)
    rows = session.execute(
        select(Post, Channel.platform)
        .join(Channel, Post.channel_id == Channel.id)
        .where(
            Channel.brand_id == brand.id,
            Post.status == PostStatus.PUBLISHED.value,
            Post.published_at.is_not(None),
        )
    ).all()
    for post, platform in rows:
        base = rng.randint(4, 30)
        for growth, kind in zip((1.0, 2.6, 3.1), ReadKind, strict=True):
            due = post.published_at + kind.after
            read = MetricRead(post_id=post.id, kind=kind.value, due_at=due, attempts=0)
            if platform == "webhook":
                read.status = ReadStatus.SKIPPED.value
                read.reason = "a webhook receiver reports no engagement back"
            elif due <= now:
                read.status = ReadStatus.DONE.value
                read.fetched_at = due
                read.likes = round(base * growth)
                read.comments = round(base * growth / 6)
                read.shares = None if platform == "wordpress" else round(base * growth / 8)
                if platform == "wordpress":
                    read.likes = None
                if platform in GIVES_IMPRESSIONS:
                    read.impressions = round(base * growth * 40)
            else:
                read.status = ReadStatus.DUE.value
            session.add(read)
    session.flush()
