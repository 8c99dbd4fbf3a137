"""Demo data: one brand, one channel per platform, a month of posts in their windows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Role, User
from core.tenants import Brand
from planner import operations as ops
from planner.brands import create_brand
from planner.channels import create_channel
from planner.models import Platform, Post, PostStatus

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"

SAMPLE_TEXTS = [
    "Our spring menu is here: five new dishes from local farms. Which one first?",
    "Behind the scenes: how we roast our beans every Tuesday morning.",
    "Thank you to the 2,000 guests who visited us this month!",
    "New opening hours from next week: we are open until 22:00 on Fridays.",
    "Meet Ana, our head baker, and the sourdough she has fed since 2019.",
    "Three tips for choosing a coffee grinder, from our baristas.",
    "Customer story: a wedding cake for 120 guests, delivered on time.",
    "We now deliver to the whole city centre. Order before 11:00 for lunch.",
    "Our team volunteered at the food bank on Saturday. Proud of them.",
    "Tasting evening next Thursday: six single-origin coffees, side by side.",
]
DEMO_IMAGE = "https://images.example.com/pageone-demo/coffee.jpg"


DemoLoader = Callable[[Session, Brand, User, datetime], Any]


def load_demo(
    session: Session,
    *,
    now: datetime,
    only_if_empty: bool = True,
    more: Sequence[DemoLoader] = (),
) -> bool:
    """The demo brand; ``more`` loaders (search history, say) add to it, given by create_app."""
    if only_if_empty and session.scalar(select(func.count(User.id))):
        return False
    user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = User(email=DEMO_EMAIL, name="Demo admin", role=Role.ADMIN.value)
        user.set_password(DEMO_PASSWORD)
        session.add(user)
        session.flush()
    brand = create_brand(
        session, name="Northwind Coffee", slug=None, timezone="Europe/Berlin", creator=user
    )
    rng = random.Random(7)
    for platform in Platform:
        channel = create_channel(
            session,
            brand,
            user,
            platform=platform.value,
            name=f"Northwind {platform.label}",
            min_gap_minutes=60,
            max_per_day=3,
        )
        # Fill the month: past posts as published, future ones queued in free slots.
        cursor = now - timedelta(days=14)
        for _ in range(6):
            slot = ops.next_free_slot(session, channel, cursor)
            if slot is None or slot > now + timedelta(days=31):
                break
            text = rng.choice(SAMPLE_TEXTS)
            image = DEMO_IMAGE if platform is Platform.INSTAGRAM else None
            status = PostStatus.PUBLISHED if slot < now else PostStatus.SCHEDULED
            post = Post(
                channel=channel,
                text=text,
                image_url=image,
                scheduled_at=slot,
                status=status.value,
                author_id=user.id,
                published_at=slot if status is PostStatus.PUBLISHED else None,
            )
            session.add(post)
            session.flush()
            cursor = slot + timedelta(days=rng.randint(2, 5))
    session.flush()
    from planner.reviews.demo import load_demo_reviews

    load_demo_reviews(session, brand, now=now)
    for loader in more:
        loader(session, brand, user, now)
    session.flush()
    return True
