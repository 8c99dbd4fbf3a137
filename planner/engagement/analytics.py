"""What the analytics pages and the JSON API show: a post's reads, a channel's posts with their
figures, a brand's channels side by side, the CSV of each, and the learned-windows proposal
built from a channel's 24-hour reads. Reads only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.tenants import Brand
from planner import slots
from planner.models import Channel, Post, PostStatus
from planner.serialize import iso

from . import learned
from .models import MetricRead, ProposalAnswer, ReadKind, ReadStatus

CHANNEL_POSTS = 200  # the most recent published posts a channel page shows
# An ignored proposal comes back once this many more posts have a 24-hour read.
SHOW_AGAIN_AFTER = 10
KIND_ORDER = {kind.value: i for i, kind in enumerate(ReadKind)}
FIGURES = ("likes", "comments", "shares", "impressions")


def local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def post_reads(session: Session, post_id: int) -> list[MetricRead]:
    reads = session.scalars(select(MetricRead).where(MetricRead.post_id == post_id)).all()
    return sorted(reads, key=lambda r: KIND_ORDER.get(r.kind, 9))


def read_dict(read: MetricRead) -> dict[str, object]:
    return {
        "kind": read.kind,
        "due_at": iso(read.due_at),
        "status": read.status,
        "fetched_at": iso(read.fetched_at),
        "likes": read.likes,
        "comments": read.comments,
        "shares": read.shares,
        "impressions": read.impressions,
        "reason": read.reason,
    }


def post_metrics(session: Session, post: Post) -> list[dict[str, object]]:
    """The post's reads as the JSON API gives them."""
    return [read_dict(read) for read in post_reads(session, post.id)]


@dataclass(frozen=True)
class PostFigures:
    post: Post
    reads: dict[str, MetricRead]  # by kind

    def interactions(self, kind: str) -> int | None:
        read = self.reads.get(kind)
        return read.interactions if read is not None else None


def channel_posts(
    session: Session, channel: Channel, limit: int = CHANNEL_POSTS
) -> list[PostFigures]:
    """The channel's most recent published posts with their reads, oldest first."""
    posts = list(
        session.scalars(
            select(Post)
            .where(
                Post.channel_id == channel.id,
                Post.status == PostStatus.PUBLISHED.value,
                Post.published_at.is_not(None),
            )
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )
    posts.reverse()
    reads: dict[int, dict[str, MetricRead]] = {}
    if posts:
        for read in session.scalars(
            select(MetricRead).where(MetricRead.post_id.in_([p.id for p in posts]))
        ):
            reads.setdefault(read.post_id, {})[read.kind] = read
    return [PostFigures(post, reads.get(post.id, {})) for post in posts]


@dataclass(frozen=True)
class ChannelSummary:
    channel: Channel
    published: int
    read: int  # posts with a 24-hour read
    mean_24h: float | None  # mean interactions after 24 hours


def brand_channels(session: Session, brand: Brand) -> list[ChannelSummary]:
    """Each of the brand's channels: posts published, posts read at 24 h, their mean."""
    published = dict(
        session.execute(
            select(Post.channel_id, func.count())
            .join(Channel, Post.channel_id == Channel.id)
            .where(Channel.brand_id == brand.id, Post.status == PostStatus.PUBLISHED.value)
            .group_by(Post.channel_id)
        ).all()
    )
    interactions = (
        func.coalesce(MetricRead.likes, 0)
        + func.coalesce(MetricRead.comments, 0)
        + func.coalesce(MetricRead.shares, 0)
    )
    read = {
        channel_id: (count, mean)
        for channel_id, count, mean in session.execute(
            select(Post.channel_id, func.count(), func.avg(interactions))
            .join(Post, MetricRead.post_id == Post.id)
            .join(Channel, Post.channel_id == Channel.id)
            .where(
                Channel.brand_id == brand.id,
                MetricRead.kind == ReadKind.DAY.value,
                MetricRead.status == ReadStatus.DONE.value,
            )
            .group_by(Post.channel_id)
        ).all()
    }
    channels = session.scalars(
        select(Channel).where(Channel.brand_id == brand.id).order_by(Channel.id)
    ).all()
    return [
        ChannelSummary(
            channel,
            published.get(channel.id, 0),
            read.get(channel.id, (0, None))[0],
            float(read[channel.id][1]) if read.get(channel.id, (0, None))[1] is not None else None,
        )
        for channel in channels
    ]


# --- learned windows ---------------------------------------------------------------------------


def observations(session: Session, channel: Channel) -> list[learned.Observation]:
    """Each published post with a 24-hour read: local weekday and hour, and its interactions
    relative to the channel's mean over those posts (1.0 = an average post)."""
    rows = session.execute(
        select(Post.published_at, MetricRead.likes, MetricRead.comments, MetricRead.shares)
        .join(Post, MetricRead.post_id == Post.id)
        .where(
            Post.channel_id == channel.id,
            Post.published_at.is_not(None),
            MetricRead.kind == ReadKind.DAY.value,
            MetricRead.status == ReadStatus.DONE.value,
        )
    ).all()
    raw = [
        (published_at.astimezone(channel.zone), (likes or 0) + (comments or 0) + (shares or 0))
        for published_at, likes, comments, shares in rows
    ]
    mean = sum(value for _, value in raw) / len(raw) if raw else 0.0
    return [
        learned.Observation(when.weekday(), when.hour, value / mean if mean > 0 else 0.0)
        for when, value in raw
    ]


@dataclass(frozen=True)
class ProposalState:
    proposal: learned.Proposal
    answer: ProposalAnswer | None

    @property
    def showing(self) -> bool:
        """Whether the channel page offers the proposal (learned, and neither accepted nor
        ignored on this much history)."""
        if not self.proposal.learned:
            return False
        if self.answer is None:
            return True
        return self.proposal.posts >= self.answer.posts + SHOW_AGAIN_AFTER


def proposal_for(session: Session, channel: Channel) -> ProposalState:
    defaults = slots.default_windows(channel.platform)
    proposal = learned.propose_windows(observations(session, channel), defaults)
    answer = session.get(ProposalAnswer, channel.id)
    return ProposalState(proposal, answer)


# --- CSV ---------------------------------------------------------------------------------------


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def post_csv(reads: Sequence[MetricRead], zone: ZoneInfo) -> str:
    return _csv(
        ["read", "status", "due", "fetched", *FIGURES, "reason"],
        (
            [r.kind, r.status, local(r.due_at, zone), local(r.fetched_at, zone)]
            + [getattr(r, name) for name in FIGURES]
            + [r.reason]
            for r in reads
        ),
    )


def channel_csv(rows: Sequence[PostFigures], zone: ZoneInfo) -> str:
    header = ["post_id", "published", "text"]
    for kind in ReadKind:
        header += [f"{name}_{kind.value}" for name in FIGURES]
    lines = []
    for row in rows:
        line: list[object] = [row.post.id, local(row.post.published_at, zone), row.post.text[:80]]
        for kind in ReadKind:
            read = row.reads.get(kind.value)
            done = read is not None and read.status == ReadStatus.DONE.value
            line += [getattr(read, name) if done else None for name in FIGURES]
        lines.append(line)
    return _csv(header, lines)


def brand_csv(rows: Sequence[ChannelSummary]) -> str:
    return _csv(
        ["channel", "platform", "published", "read_24h", "mean_interactions_24h"],
        (
            [
                r.channel.name,
                r.channel.platform,
                r.published,
                r.read,
                None if r.mean_24h is None else round(r.mean_24h, 2),
            ]
            for r in rows
        ),
    )


def _window_dict(window: slots.WindowSpec) -> dict[str, object]:
    def clock(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return {
        "weekday": window.weekday,
        "start": clock(window.start_minute),
        "end": clock(window.end_minute),
        "weight": window.weight,
    }


def channel_summary(session: Session, channel: Channel) -> dict[str, object]:
    """A channel's analytics as the JSON API gives them."""
    rows = channel_posts(session, channel)
    state = proposal_for(session, channel)
    proposal = state.proposal
    return {
        "channel_id": channel.id,
        "posts": [
            {
                "post_id": row.post.id,
                "published_at": iso(row.post.published_at),
                "reads": [read_dict(row.reads[k]) for k in KIND_ORDER if k in row.reads],
            }
            for row in rows
        ],
        "learned_windows": {
            "learned": proposal.learned,
            "posts": proposal.posts,
            "method": proposal.method,
            "windows": [_window_dict(w) for w in proposal.windows],
            "answer": state.answer.answer if state.answer else None,
        },
    }
