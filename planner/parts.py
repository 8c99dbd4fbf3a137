"""A post's parts: the further posts of a thread (X, Bluesky, Mastodon) or its first comment
(Facebook, Instagram, LinkedIn).

The post itself is part 0; its parts are numbered from 1 and the worker publishes them in order
once the post is out (``planner/publishing/parts.py``). Parts are written with the post and
checked against the platform's limits before it is scheduled; once the post is published they
are no longer edited, only retried from the first one that failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.errors import Refused
from core.models import User
from planner.models import EDITABLE_STATUSES, PartKind, PartState, Post, PostPart, PostStatus
from planner.text_limits import PLATFORM_NAMES, validate_post_text

THREAD_PLATFORMS = frozenset({"x", "bluesky", "mastodon"})
COMMENT_PLATFORMS = frozenset({"facebook", "instagram", "linkedin"})
# The most parts after the post itself: a thread of 26 posts in all.
MAX_PARTS = 25
# Comment limits in characters (code points): Facebook's comment box, Instagram's comment
# (as its caption), LinkedIn's comment.
COMMENT_LIMITS = {"facebook": 8000, "instagram": 2200, "linkedin": 1250}
# What separates thread parts in one text cell (the CSV's ``thread`` column).
PART_SEPARATOR = "---"


@dataclass(frozen=True)
class Parts:
    """What a person wrote after the post: thread parts, or a first comment (never both)."""

    thread: tuple[str, ...] = ()
    first_comment: str | None = None

    @classmethod
    def of(cls, thread: Sequence[str] | None, first_comment: str | None) -> Parts:
        cleaned = tuple(text.strip() for text in thread or () if text and text.strip())
        comment = (first_comment or "").strip() or None
        return cls(cleaned, comment)

    def __bool__(self) -> bool:
        return bool(self.thread or self.first_comment)

    @property
    def all_text(self) -> str:
        """Every part's text, for checks that read the whole of what is published."""
        return "\n\n".join((*self.thread, self.first_comment or ""))


def split_thread(cell: str) -> list[str]:
    """Thread parts from one text: parts are separated by a line holding only ``---``."""
    parts: list[list[str]] = [[]]
    for line in (cell or "").replace("\r\n", "\n").split("\n"):
        if line.strip() == PART_SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(line)
    return [text for text in ("\n".join(lines).strip() for lines in parts) if text]


def join_thread(texts: Sequence[str]) -> str:
    return f"\n{PART_SEPARATOR}\n".join(texts)


def check_parts(platform: str, parts: Parts) -> list[str]:
    """Reasons the platform would refuse these parts, in words for the user; [] when fine."""
    name = PLATFORM_NAMES.get(platform, platform)
    errors: list[str] = []
    if parts.thread and parts.first_comment:
        errors.append("A post has either thread parts or a first comment, not both.")
    if parts.thread:
        if platform not in THREAD_PLATFORMS:
            errors.append(f"{name} posts cannot be threads; only X, Bluesky and Mastodon can.")
        elif len(parts.thread) > MAX_PARTS:
            errors.append(
                f"A thread may have at most {MAX_PARTS} parts after the first post; "
                f"this one has {len(parts.thread)}."
            )
        else:
            for number, text in enumerate(parts.thread, start=2):
                errors += [
                    f"Part {number}: {error}" for error in validate_post_text(platform, text)
                ]
    if parts.first_comment:
        limit = COMMENT_LIMITS.get(platform)
        if limit is None:
            errors.append(
                f"{name} posts take no first comment; only Facebook, Instagram and LinkedIn do."
            )
        elif len(parts.first_comment) > limit:
            errors.append(
                f"{name} allows {limit} characters in a comment; the first comment has "
                f"{len(parts.first_comment)}, {len(parts.first_comment) - limit} too many."
            )
    return errors


def parts_of(post: Post) -> Parts:
    """The parts as written (for the editors, the API and the CSV)."""
    thread = tuple(p.text for p in post.parts if p.kind == PartKind.REPLY)
    comment = next((p.text for p in post.parts if p.kind == PartKind.COMMENT), None)
    return Parts(thread, comment)


def set_parts(session: Session, post: Post, parts: Parts) -> None:
    """Replace the post's parts with these (checked first). Only while the post may be
    edited: a published post's parts are kept as they went out."""
    errors = check_parts(post.channel.platform, parts)
    if errors:
        raise Refused(*errors)
    if parts == parts_of(post):
        return
    if post.status not in EDITABLE_STATUSES:
        raise Refused(f"A {post.status.replace('_', ' ')} post's parts can no longer be edited.")
    for part in list(post.parts):
        post.parts.remove(part)
    session.flush()
    if parts.thread:
        texts, kind = parts.thread, PartKind.REPLY
    elif parts.first_comment:
        texts, kind = (parts.first_comment,), PartKind.COMMENT
    else:
        texts, kind = (), PartKind.REPLY
    for position, text in enumerate(texts, start=1):
        post.parts.append(PostPart(position=position, kind=kind.value, text=text))
    session.flush()


def _part_dict(part: PostPart) -> dict[str, Any]:
    return {
        "text": part.text,
        "position": part.position,
        "state": part.state,
        "remote_id": part.remote_id,
        "remote_url": part.remote_url,
        "error": part.error,
        "published_at": part.published_at.isoformat() if part.published_at else None,
    }


def parts_out(session: Session, post_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each post's parts as the API shows them (thread parts, first comment), in one query."""
    found: dict[int, list[PostPart]] = {post_id: [] for post_id in post_ids}
    if post_ids:
        for part in session.scalars(
            select(PostPart)
            .where(PostPart.post_id.in_(list(post_ids)))
            .order_by(PostPart.post_id, PostPart.position)
        ):
            found[part.post_id].append(part)
    out: dict[int, dict[str, Any]] = {}
    for post_id, parts in found.items():
        comment = next((p for p in parts if p.kind == PartKind.COMMENT), None)
        out[post_id] = {
            "parts": [_part_dict(p) for p in parts if p.kind == PartKind.REPLY],
            "first_comment": comment.text if comment else None,
            "first_comment_state": _part_dict(comment) if comment else None,
        }
    return out


@dataclass(frozen=True)
class PartsStatus:
    """How the post's parts stand, for the post page."""

    total: int  # the post and its parts
    published: int
    failed: PostPart | None


def parts_status(post: Post) -> PartsStatus:
    failed = next((p for p in post.parts if p.state == PartState.FAILED), None)
    published = 1 if post.status == PostStatus.PUBLISHED else 0
    published += sum(1 for p in post.parts if p.state == PartState.PUBLISHED)
    return PartsStatus(len(post.parts) + 1, published, failed)


def retry_failed_parts(session: Session, post: Post, actor: User | None) -> int:
    """Send the failed part again, and the parts after it in order; how many go again. The parts
    already published stay as they are and are never sent again."""
    if post.status != PostStatus.PUBLISHED:
        raise Refused("Only a published post's parts can be retried.")
    retried = list(
        session.scalars(
            update(PostPart)
            .where(
                PostPart.post_id == post.id,
                PostPart.state == PartState.FAILED.value,
                PostPart.claimed_by.is_(None),
            )
            .values(
                state=PartState.PENDING.value,
                attempts=0,
                next_attempt_at=None,
                error=None,
                send_started_at=None,
            )
            .returning(PostPart.position)
            .execution_options(synchronize_session=False)
        )
    )
    if not retried:
        raise Refused("No part of this post has failed.")
    audit.record(
        session,
        actor,
        "post.parts_retried",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        positions=sorted(retried),
    )
    session.flush()
    for part in post.parts:
        session.refresh(part)
    return len(retried)
