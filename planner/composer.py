"""One message for several channels: write once, adjust per channel, place each version.

A group (campaign) keeps the text as written once; each channel's version is an ordinary post
(with its own text and link where the person adjusted them) that the worker publishes like any
other. Everything is checked before anything is written: a version too long for its platform,
or a word on the brand's do-not list, refuses the whole group with the channel named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound, Refused
from core.models import User
from core.tenants import Brand, is_member
from planner import operations as ops
from planner.media import operations as media_ops
from planner.media.rules import media_errors
from planner.models import EDITABLE_STATUSES, Channel, Post, PostGroup
from planner.parts import Parts, check_parts
from planner.reviews.donot import check_do_not_list
from planner.status_names import status_name
from planner.text_limits import join_link, validate_post_text

MAX_CHANNELS = 20  # versions in one group; more is a bulk import, not a message


@dataclass(frozen=True)
class Version:
    """One channel's version: None keeps the group's text, link or media; "" removes the link,
    () the media."""

    channel: Channel
    text: str | None = None
    link: str | None = None
    media_ids: tuple[int, ...] | None = None
    # The channel's own thread parts or first comment (never shared between versions).
    parts: Parts = Parts()


@dataclass
class Composed:
    group: PostGroup
    posts: list[Post]
    warnings: list[str] = field(default_factory=list)


def group_for(session: Session, user: User, group_id: int) -> PostGroup:
    """A group of a brand the user belongs to, or NotFound."""
    group = session.get(PostGroup, group_id)
    if group is None or not is_member(session, user, group.brand_id):
        raise NotFound(_("No such campaign, or you are not a member of its brand."))
    return group


def _text_and_link(version: Version, text: str, link: str | None) -> tuple[str, str | None]:
    own_text = text if version.text is None else version.text
    own_link = link if version.link is None else (version.link.strip() or None)
    return own_text, own_link


def _media_of(version: Version, media_ids: Sequence[int]) -> tuple[int, ...]:
    return tuple(media_ids) if version.media_ids is None else version.media_ids


def check_versions(
    session: Session,
    brand: Brand,
    text: str,
    link: str | None,
    versions: Sequence[Version],
    *,
    media_ids: Sequence[int] = (),
    draft: bool = False,
) -> list[str]:
    """Every reason the versions cannot be scheduled (or, as drafts, saved), each naming its
    channel: the text as its platform counts it, the do-not list, and the media its platform
    takes (number, kind, alt text), which a draft may still lack."""
    if not versions:
        return [_("Pick at least one channel.")]
    if len(versions) > MAX_CHANNELS:
        return [_("A campaign holds at most %(most)d channels.", most=MAX_CHANNELS)]
    errors: list[str] = []
    seen: set[int] = set()
    for version in versions:
        channel = version.channel
        if channel.brand_id != brand.id:
            errors.append(
                _(
                    "%(channel)s is not a channel of %(brand)s.",
                    channel=channel.name,
                    brand=brand.name,
                )
            )
            continue
        if channel.id in seen:
            errors.append(_("%(channel)s is picked twice.", channel=channel.name))
            continue
        seen.add(channel.id)
        own_text, own_link = _text_and_link(version, text, link)
        try:
            items = media_ops.items_by_ids(session, brand.id, _media_of(version, media_ids))
        except Refused as exc:
            errors.extend(f"{channel.name}: {problem}" for problem in exc.errors)
            continue
        problems = validate_post_text(
            channel.platform, own_text, link=own_link, has_media=bool(items)
        )
        problems += check_do_not_list(session, brand, join_link(own_text, own_link))
        if version.parts:
            problems += check_parts(channel.platform, version.parts)
            problems += check_do_not_list(session, brand, version.parts.all_text)
        if not draft:
            problems += media_errors(channel.platform, items)
        errors.extend(f"{channel.name}: {problem}" for problem in problems)
    return errors


def compose(
    session: Session,
    brand: Brand,
    author: User,
    *,
    text: str,
    link: str | None,
    versions: Sequence[Version],
    media_ids: Sequence[int] = (),
    scheduled_at: datetime | None = None,
    queue: bool = False,
    draft: bool = False,
    now: datetime,
) -> Composed:
    """The group and one post per channel: each in its channel's next free slot (``queue``),
    all at ``scheduled_at``, or kept as drafts. Flushes only; a refusal leaves nothing."""
    link = (link or "").strip() or None
    errors = check_versions(session, brand, text, link, versions, media_ids=media_ids, draft=draft)
    if errors:
        raise Refused(*errors)
    if not (queue or draft) and scheduled_at is None:
        raise Refused(_("Add the versions to the queue, give a time, or keep them as drafts."))
    group = PostGroup(brand_id=brand.id, text=text, link=link, created_by_id=author.id)
    session.add(group)
    session.flush()
    composed = Composed(group, [])
    for version in versions:
        own_text, own_link = _text_and_link(version, text, link)
        try:
            change = ops.create_post(
                session,
                version.channel,
                author,
                text=own_text,
                link=own_link,
                media_ids=_media_of(version, media_ids),
                parts=version.parts or None,
                scheduled_at=scheduled_at,
                queue=queue,
                draft=draft,
                now=now,
            )
        except Refused as exc:
            raise Refused(*(f"{version.channel.name}: {m}" for m in exc.errors)) from None
        change.post.group = group
        composed.posts.append(change.post)
        composed.warnings.extend(f"{version.channel.name}: {w}" for w in change.warnings)
    session.flush()
    audit.record(
        session,
        author,
        "group.created",
        "post_group",
        group.id,
        brand_id=brand.id,
        posts=[post.id for post in composed.posts],
    )
    return composed


def versions_of(session: Session, group: PostGroup) -> list[Post]:
    """The group's posts, by channel name."""
    posts = session.scalars(select(Post).where(Post.group_id == group.id)).all()
    return sorted(posts, key=lambda post: (post.channel.name.lower(), post.id))


def own_text(post: Post, group: PostGroup) -> bool:
    """Whether this version was adjusted for its channel (its text or link differs)."""
    return post.text != group.text or post.link != group.link


def update_group(
    session: Session,
    group: PostGroup,
    actor: User,
    *,
    text: str,
    link: str | None,
    post_ids: Iterable[int],
    now: datetime,
) -> list[str]:
    """Give the chosen versions the new text and link (the others keep theirs); the group's
    text becomes the new one. Returns the warnings, each naming its channel."""
    chosen = set(post_ids)
    posts = [post for post in versions_of(session, group) if post.id in chosen]
    if not posts:
        raise Refused(_("Choose at least one version to change."))
    closed = [p for p in posts if p.status not in EDITABLE_STATUSES]
    if closed:
        raise Refused(
            *(
                _(
                    "%(channel)s: a %(status)s post can no longer be edited.",
                    channel=p.channel.name,
                    status=status_name(p.status),
                )
                for p in closed
            )
        )
    link = (link or "").strip() or None
    brand = session.get(Brand, group.brand_id)
    assert brand is not None
    # Each version keeps its own media; only the text and link change.
    media = media_ops.media_of(session, [p.id for p in posts])
    errors = [
        error
        for p in posts
        for error in check_versions(
            session,
            brand,
            text,
            link,
            [Version(p.channel, media_ids=tuple(i.id for i in media.get(p.id, [])))],
            draft=p.status not in media_ops.CHECKED_STATUSES,
        )
    ]
    if errors:
        raise Refused(*errors)
    warnings: list[str] = []
    for post in posts:
        change = ops.update_post(session, post, actor, text=text, link=link or "", now=now)
        warnings.extend(f"{post.channel.name}: {w}" for w in change.warnings)
    group.text, group.link = text, link
    session.flush()
    return warnings
