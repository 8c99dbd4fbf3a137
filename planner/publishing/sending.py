"""Sending claimed posts: reading them with their channel's credentials, marking the send begun
(durable before any request leaves), and calling the platform's adapter.

``send_started_at`` is committed before the request leaves, for a whole batch in one statement:
a recovery can then tell a post that may have landed from one that never went out. A claim that
ran out before its send began, or a brand archived meanwhile, hands the post back to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core import claims
from core.crypto import CredentialsUnreadable, decrypt_json
from core.tenants import Brand
from planner.media.outgoing import outgoing_media
from planner.models import Channel, Post, PostPart, PostStatus

from .adapters import (
    ALLOW_PRIVATE_KEY,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    UnknownPlatform,
    get_adapter,
)
from .adapters.base import Redactor, redactor_for
from .queue import POSTS, release, time_limit

logger = logging.getLogger("pageone.worker")


@dataclass(frozen=True)
class Prepared:
    """A claimed post ready to go out (or, with ``problem``, to fail without a request)."""

    outgoing: OutgoingPost
    platform: str
    channel_id: int
    brand_id: int
    attempts: int
    credentials: dict[str, Any] | None
    problem: str | None
    scheduled_at: datetime | None = None
    time_limit: float = 0.0  # seconds a request that may have landed can still land
    has_parts: bool = False  # thread replies or a first comment follow once it is published

    @property
    def post_id(self) -> int:
        return self.outgoing.post_id

    @property
    def redact(self) -> Redactor:
        """Redacts every shape of the channel's secrets from what is stored about the attempt."""
        return redactor_for(self.credentials or {})


def outgoing(post: Any, platform: str, media: tuple[OutgoingMedia, ...] = ()) -> OutgoingPost:
    """The post as its platform's adapter sends it: the idempotency key is stable across the
    retries of one version of the post; the adapter adds what its platform needs."""
    generic = OutgoingPost(
        post_id=post.id,
        text=post.text,
        link=post.link,
        image_url=post.image_url,
        idempotency_key=f"pageone-{post.id}-v{post.version}",
        media=media,
    )
    try:
        return get_adapter(platform).outgoing(generic)
    except UnknownPlatform:  # fails when it is sent
        return generic


def _credentials(
    encrypted: str | None, config: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The channel's credentials, or the reason the post cannot go out."""
    try:
        credentials = decrypt_json(encrypted, config)
    except CredentialsUnreadable:
        return None, "the channel's credentials cannot be decrypted; connect the channel again"
    if not credentials:
        return credentials, "the channel has no credentials; connect the channel before publishing"
    return credentials, None


def prepare(
    session: Session,
    post_ids: Sequence[int],
    worker_id: str,
    config: Mapping[str, Any],
    now: datetime,
) -> list[Prepared]:
    """Read this worker's claimed posts and mark the send begun on those that can go out, in one
    statement; what to send (and the posts that fail without a request). Posts no longer ours
    are left alone; a claim that ran out, or a brand archived since the claim, is released."""
    rows = session.execute(
        select(
            Post.id,
            Post.channel_id,
            Post.text,
            Post.link,
            Post.image_url,
            Post.version,
            Post.attempts,
            Post.scheduled_at,
            Post.lease_until,
            Channel.platform,
            Channel.brand_id,
            Channel.credentials_encrypted,
            Brand.archived_at,
            exists().where(PostPart.post_id == Post.id).label("has_parts"),
        )
        .join(Channel, Post.channel_id == Channel.id)
        .join(Brand, Channel.brand_id == Brand.id)
        .where(
            Post.id.in_(list(post_ids)),
            Post.status == PostStatus.PUBLISHING.value,
            claims.held_by(POSTS, worker_id),
        )
    ).all()
    ran_out = [row.id for row in rows if row.lease_until is not None and row.lease_until <= now]
    gone = [row.id for row in rows if row.archived_at is not None and row.id not in ran_out]
    # The claim ran out before the send began (the database was out of reach): nothing went out,
    # so the post goes back to the queue now unless a recovery took it already.
    release(session, ran_out, worker_id, now, "the claim ran out before the send began")
    # Archived between the claim and the send: nothing goes out for an archived brand.
    release(session, gone, worker_id, now, "the brand was archived before the send")
    skipped = {*ran_out, *gone}
    media = outgoing_media(
        session, config, {row.id: row.platform for row in rows if row.id not in skipped}
    )
    keys: dict[int, tuple[dict[str, Any] | None, str | None]] = {}
    prepared: list[Prepared] = []
    allow = "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""
    for post in rows:
        if post.id in skipped:
            continue
        platform = post.platform
        if post.channel_id not in keys:
            keys[post.channel_id] = _credentials(post.credentials_encrypted, config)
        credentials, problem = keys[post.channel_id]
        if credentials is not None:
            credentials = {**credentials, ALLOW_PRIVATE_KEY: allow}
        prepared.append(
            Prepared(
                outgoing=outgoing(post, platform, media.get(post.id, ())),
                platform=platform,
                channel_id=post.channel_id,
                brand_id=post.brand_id,
                attempts=post.attempts,
                credentials=credentials,
                problem=problem,
                scheduled_at=post.scheduled_at,
                time_limit=time_limit(platform, credentials),
                has_parts=bool(post.has_parts),
            )
        )
    going = [p.post_id for p in prepared if p.problem is None]
    if going:
        # Committed before the requests leave: a recovery can then tell a post that may have
        # landed from one that never went out.
        marked = set(
            session.scalars(
                update(Post)
                .where(
                    Post.id.in_(going),
                    Post.status == PostStatus.PUBLISHING.value,
                    claims.held_by(POSTS, worker_id),
                    # A claim that runs out meanwhile is left to the recovery, as never sent.
                    Post.lease_until > now,
                )
                .values(send_started_at=now)
                .returning(Post.id)
                .execution_options(synchronize_session=False)
            )
        )
        prepared = [p for p in prepared if p.problem is not None or p.post_id in marked]
    for item in prepared:
        logger.info(
            "post %s %s on %s",
            item.post_id,
            "failing" if item.problem else "sending",
            item.platform,
        )
    return prepared


def send(prepared: Prepared, timeout: float) -> PublishResult:
    """Send one prepared post through its adapter; never raises."""
    if prepared.problem:
        return PublishResult(Outcome.FAILED, reason=prepared.problem)
    try:
        return get_adapter(prepared.platform).publish(
            prepared.outgoing, prepared.credentials or {}, timeout=timeout
        )
    except UnknownPlatform as exc:  # nothing was sent
        return PublishResult(Outcome.FAILED, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the post claimed
        logger.error(
            "publishing post %s raised %s: %s",
            prepared.post_id,
            type(exc).__name__,
            prepared.redact(str(exc))[:500],
        )
        # The request may have gone out before the error: a person must look.
        return PublishResult(
            Outcome.UNCONFIRMED,
            reason=f"the worker failed while publishing ({type(exc).__name__}); "
            "check the platform before re-sending",
        )
