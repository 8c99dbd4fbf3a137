"""Planner operations: take explicit arguments, flush, and leave the commit to the caller."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from core import audit
from core.errors import NotFound, Refused
from core.models import Role, User
from core.tenants import Brand, is_member
from planner import slots
from planner.media import operations as media_ops
from planner.models import (
    EDITABLE_STATUSES,
    OCCUPYING_STATUSES,
    Channel,
    Post,
    PostSource,
    PostStatus,
)
from planner.parts import Parts, check_parts, parts_of, set_parts
from planner.reviews.donot import check_do_not_list
from planner.status_names import status_name
from planner.text_limits import join_link, validate_post_text

# The planner's refusals are core's: every feature's pages and API answer them the same way.
PlannerError = Refused


class StaleVersion(PlannerError):
    """The post changed since the person read it; ``post`` is as it is now."""

    def __init__(self, post: Post, read_version: int) -> None:
        status = status_name(post.status)
        if post.scheduled_at is None:
            message = _(
                "Someone changed this post after you loaded it; it is now %(status)s, without a"
                " time. Your change was not saved: look at the post as it is now and try again.",
                status=status,
            )
        else:
            message = _(
                "Someone changed this post after you loaded it; it is now %(status)s for"
                " %(when)s. Your change was not saved: look at the post as it is now and try"
                " again.",
                status=status,
                when=slots.describe_local_time(post.scheduled_at, post.channel.zone),
            )
        super().__init__(message)
        self.post, self.read_version = post, read_version


URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def post_for(session: Session, user: User, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or not is_member(session, user, post.channel.brand_id):
        raise NotFound(_("No post %(id)s that you can see.", id=post_id))
    return post


# --- the planning lock ------------------------------------------------------------------------

# The first key of PostgreSQL's two-key advisory locks names what is locked, so a channel's
# planning lock cannot collide with any other advisory lock on the same database ("PLAN").
_PLANNING_LOCK_KEY = 0x504C414E


def lock_channels(session: Session, channel_ids: Iterable[int]) -> None:
    """Hold the planning lock of these channels until the transaction ends.

    Everything that gives a post a slot or moves it takes this lock before it reads the
    channel's other posts, so two requests can never both see the same slot as free. On
    PostgreSQL it is a transaction-level advisory lock per channel, taken in id order so two
    requests locking several channels cannot deadlock; it leaves the rows alone, so the worker's
    claims and channel updates never wait for it. SQLite has one writer at a time: an immediate
    transaction takes the write lock before anything is read.
    """
    ids = sorted(set(channel_ids))
    if not ids:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for channel_id in ids:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, :channel_id)"),
                {"key": _PLANNING_LOCK_KEY, "channel_id": channel_id},
            )
    elif connection.dialect.name == "sqlite":
        # The sqlite3 module opens a transaction only before the first write, so one that is
        # open already holds the write lock; otherwise what was read so far may be stale, and
        # the callers re-read what they change after this.
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_post(session: Session, post: Post, read_version: int | None = None) -> None:
    """Take the post's channel lock and re-read the post under it: a change starts from the
    post as it is now, and one made against an older version (``read_version``) is refused."""
    post_id, locked = post.id, set[int]()
    while post.channel_id not in locked:
        lock_channels(session, [post.channel_id])
        locked.add(post.channel_id)
        # Changes the caller made so far are kept (flushed), the rest is read again;
        # with_for_update also keeps the worker from claiming the post while it changes.
        session.flush()
        try:
            session.refresh(post, with_for_update=True)
        except ObjectDeletedError:
            raise NotFound(_("Post %(id)s was deleted after you loaded it.", id=post_id)) from None
    if post.channel.id != post.channel_id:
        session.expire(post, ["channel"])
    if read_version is not None and read_version != post.version:
        raise StaleVersion(post, read_version)


# --- slots ------------------------------------------------------------------------------------


def _busy_query(excluding_a_post: bool) -> Select[tuple[datetime]]:
    posts = Post.__table__
    # Built once: a statement made per call costs more to build, key and bind than the indexed
    # query on (channel_id, scheduled_at) costs to run. The statuses are separate plain binds,
    # not an expanding IN, which would be re-rendered at every execution.
    query = select(posts.c.scheduled_at).where(
        posts.c.channel_id == bindparam("channel_id"),
        posts.c.status.in_([literal(status.value) for status in OCCUPYING_STATUSES]),
        posts.c.scheduled_at >= bindparam("start"),
        posts.c.scheduled_at < bindparam("end"),
    )
    if excluding_a_post:
        query = query.where(posts.c.id != bindparam("exclude_post_id"))
    return query.order_by(posts.c.scheduled_at)


_BUSY = _busy_query(excluding_a_post=False)
_BUSY_EXCLUDING_A_POST = _busy_query(excluding_a_post=True)


def busy_loader(
    session: Session, channel_id: int, exclude_post_id: int | None = None
) -> Callable[[datetime, datetime], Sequence[datetime]]:
    """Instants of the channel's posts that occupy a slot, for a bounded range."""
    # "Add to queue" runs this a few times per call and must stay fast on a channel with
    # 100,000 posts (bench/bench_planner.py).
    query, params = _BUSY, {"channel_id": channel_id}
    if exclude_post_id is not None:
        query, params = _BUSY_EXCLUDING_A_POST, {**params, "exclude_post_id": exclude_post_id}

    def load(start: datetime, end: datetime) -> Sequence[datetime]:
        return session.connection().scalars(query, {**params, "start": start, "end": end}).all()

    return load


def next_free_slot(
    session: Session, channel: Channel, after: datetime, exclude_post_id: int | None = None
) -> datetime | None:
    """The earliest free instant ≥ after inside one of the channel's windows."""
    return slots.find_free_slot(
        slots.window_specs(channel),
        channel.zone,
        timedelta(minutes=channel.min_gap_minutes),
        channel.max_per_day,
        after,
        busy_loader(session, channel.id, exclude_post_id),
    )


def check_time(
    session: Session, channel: Channel, when: datetime, exclude_post_id: int | None = None
) -> slots.SlotCheck:
    return slots.check_slot(
        slots.window_specs(channel),
        channel.zone,
        timedelta(minutes=channel.min_gap_minutes),
        channel.max_per_day,
        when,
        busy_loader(session, channel.id, exclude_post_id),
    )


# --- posts ------------------------------------------------------------------------------------


@dataclass
class PostChange:
    """What a create or update did, and any warnings the person should see."""

    post: Post
    warnings: list[str] = field(default_factory=list)


def _clean_url(value: str | None, label: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and not URL_RE.match(value):
        if label == "link":
            raise PlannerError(_("The link must be a full http(s) address."))
        raise PlannerError(_("The image address must be a full http(s) address."))
    return value


def _check_editable(user: User) -> None:
    if not user.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot change posts."))


def check_media_before_scheduling(session: Session, post: Post) -> None:
    """A post on its way out (scheduled or waiting for approval) must carry media its platform
    takes, each image with alt text: refused now rather than failing at publish time."""
    if post.status not in media_ops.CHECKED_STATUSES:
        return
    errors = media_ops.post_media_errors(session, post, post.channel.platform)
    if errors:
        raise PlannerError(*errors)


def schedule_status(brand: Brand, actor: User | None) -> PostStatus:
    """What a post this actor schedules becomes: scheduled, or waiting for approval.

    With approval on, what an editor schedules waits for an approver; an approver's (and an
    admin's) own post is scheduled at once, unless two people are required.
    """
    if brand.requires_approval and (actor is None or not actor.has_role(Role.APPROVER)):
        return PostStatus.PENDING_APPROVAL
    if brand.requires_approval and brand.requires_two_people:
        return PostStatus.PENDING_APPROVAL
    return PostStatus.SCHEDULED


def _place(
    session: Session,
    post: Post,
    channel: Channel,
    *,
    scheduled_at: datetime | None,
    queue: bool,
    now: datetime,
    exclude_post_id: int | None,
) -> list[str]:
    """Set the post's time: the next free slot, or a checked explicit time. Returns warnings."""
    if channel.brand.archived_at is not None:
        raise PlannerError(
            _(
                "%(brand)s is archived and publishes nothing: unarchive it in its settings to"
                " schedule posts.",
                brand=channel.brand.name,
            )
        )
    lock_channels(session, [channel.id])
    if queue:
        slot = next_free_slot(session, channel, now, exclude_post_id=exclude_post_id)
        if slot is None:
            raise PlannerError(
                _(
                    "No free slot in this channel's engagement windows within a year: add"
                    " windows, shorten the gap or raise the daily maximum."
                )
            )
        post.scheduled_at = slot
        return []
    if scheduled_at is None:
        raise PlannerError(_("Give a time, or add the post to the queue."))
    if scheduled_at.tzinfo is None:
        raise PlannerError(_("The time needs a time zone (for example 2026-05-01T09:00:00Z)."))
    if scheduled_at <= now:
        raise PlannerError(_("The time is in the past; choose a time in the future."))
    result = check_time(session, channel, scheduled_at, exclude_post_id=exclude_post_id)
    if not result.ok:
        raise PlannerError(*result.errors)
    post.scheduled_at = scheduled_at
    return list(result.warnings)


def create_post(
    session: Session,
    channel: Channel,
    author: User | None,
    *,
    text: str,
    link: str | None = None,
    image_url: str | None = None,
    scheduled_at: datetime | None = None,
    queue: bool = False,
    draft: bool = False,
    source: PostSource = PostSource.MANUAL,
    media_ids: Sequence[int] = (),
    parts: Parts | None = None,
    now: datetime,
) -> PostChange:
    """A new post: a draft, at a checked time, or in the next free slot of the queue, with
    media from the brand's library in the order given, and its thread parts or first comment."""
    if author is not None:
        _check_editable(author)
    media = media_ops.items_by_ids(session, channel.brand_id, media_ids) if media_ids else []
    link = _clean_url(link, "link")
    image_url = _clean_url(image_url, "image address")
    errors = validate_post_text(
        channel.platform, text, link=link, image_url=image_url, has_media=bool(media)
    )
    errors += check_do_not_list(session, channel.brand, join_link(text, link))
    if parts:
        errors += check_parts(channel.platform, parts)
        errors += check_do_not_list(session, channel.brand, parts.all_text)
    if errors:
        raise PlannerError(*errors)
    post = Post(
        channel=channel,
        text=text,
        link=link,
        image_url=image_url,
        author_id=author.id if author else None,
        source=source.value,
    )
    warnings: list[str] = []
    if draft:
        post.status = PostStatus.DRAFT.value
        post.scheduled_at = scheduled_at
    else:
        warnings = _place(
            session,
            post,
            channel,
            scheduled_at=scheduled_at,
            queue=queue,
            now=now,
            exclude_post_id=None,
        )
        post.status = schedule_status(channel.brand, author).value
    session.add(post)
    session.flush()
    if media:
        media_ops.replace_media(session, post.id, media)
    if parts:
        set_parts(session, post, parts)
    check_media_before_scheduling(session, post)
    audit.record(
        session,
        author,
        "post.created",
        "post",
        post.id,
        brand_id=channel.brand_id,
        status=post.status,
        scheduled_at=post.scheduled_at.isoformat() if post.scheduled_at else None,
    )
    return PostChange(post, warnings)


def update_post(
    session: Session,
    post: Post,
    actor: User,
    *,
    text: str | None = None,
    link: str | None = None,
    image_url: str | None = None,
    channel: Channel | None = None,
    media_ids: Sequence[int] | None = None,
    parts: Parts | None = None,
    now: datetime,
    read_version: int | None = None,
) -> PostChange:
    """Change a post's content (and channel, media when ``media_ids`` is given, thread parts
    or first comment when ``parts`` is given); its time is changed by move_post."""
    _check_editable(actor)
    if channel is not None:
        # Both channels first, in the lock's order: the post may leave one for the other.
        lock_channels(session, [post.channel_id, channel.id])
    lock_post(session, post, read_version)
    if post.status not in EDITABLE_STATUSES:
        raise PlannerError(
            _("A %(status)s post can no longer be edited.", status=status_name(post.status))
        )
    if channel is not None and channel.id != post.channel_id:
        if channel.brand_id != post.channel.brand_id:
            raise PlannerError(_("A post can only move to a channel of the same brand."))
        post.channel = channel
    new_text = post.text if text is None else text
    new_link = post.link if link is None else _clean_url(link, "link")
    new_image = post.image_url if image_url is None else _clean_url(image_url, "image address")
    new_media = (
        media_ops.items_by_ids(session, post.channel.brand_id, media_ids)
        if media_ids is not None
        else media_ops.media_of(session, [post.id]).get(post.id, [])
    )
    errors = validate_post_text(
        post.channel.platform,
        new_text,
        link=new_link,
        image_url=new_image,
        has_media=bool(new_media),
    )
    errors += check_do_not_list(session, post.channel.brand, join_link(new_text, new_link))
    new_parts = parts_of(post) if parts is None else parts
    # Kept parts are checked too: the post may have moved to another platform's channel.
    errors += check_parts(post.channel.platform, new_parts)
    if parts is not None:
        errors += check_do_not_list(session, post.channel.brand, parts.all_text)
    if errors:
        raise PlannerError(*errors)
    post.text, post.link, post.image_url = new_text, new_link, new_image
    if parts is not None:
        set_parts(session, post, parts)
    if media_ids is not None:
        media_ops.replace_media(session, post.id, new_media)
    check_media_before_scheduling(session, post)
    post.version += 1
    warnings: list[str] = []
    if post.scheduled_at is not None and post.status == PostStatus.SCHEDULED:
        result = check_time(session, post.channel, post.scheduled_at, exclude_post_id=post.id)
        if not result.ok:
            raise PlannerError(*result.errors)
        warnings = list(result.warnings)
    audit.record(session, actor, "post.updated", "post", post.id, brand_id=post.channel.brand_id)
    session.flush()
    return PostChange(post, warnings)


def move_post(
    session: Session,
    post: Post,
    actor: User,
    when: datetime,
    *,
    now: datetime,
    read_version: int | None = None,
) -> PostChange:
    """Reschedule a post: outside a window is a warning; a broken gap or daily maximum refuses.

    With ``read_version`` the move is refused (StaleVersion) when the post changed since.
    """
    _check_editable(actor)
    lock_post(session, post, read_version)
    if post.status not in EDITABLE_STATUSES:
        raise PlannerError(_("A %(status)s post cannot be moved.", status=status_name(post.status)))
    before = post.scheduled_at
    warnings = _place(
        session,
        post,
        post.channel,
        scheduled_at=when,
        queue=False,
        now=now,
        exclude_post_id=post.id,
    )
    if post.status in (PostStatus.MISSED, PostStatus.HELD, PostStatus.FAILED):
        post.status = schedule_status(post.channel.brand, actor).value
    check_media_before_scheduling(session, post)
    post.version += 1
    audit.record(
        session,
        actor,
        "post.moved",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        before=before.isoformat() if before else None,
        after=when.isoformat(),
    )
    session.flush()
    return PostChange(post, warnings)


def queue_post(
    session: Session, post: Post, actor: User, *, now: datetime, read_version: int | None = None
) -> PostChange:
    """Put an existing post (a draft, say) into its channel's next free slot."""
    _check_editable(actor)
    lock_post(session, post, read_version)
    if post.status not in EDITABLE_STATUSES:
        raise PlannerError(
            _("A %(status)s post cannot be queued.", status=status_name(post.status))
        )
    _place(
        session, post, post.channel, scheduled_at=None, queue=True, now=now, exclude_post_id=post.id
    )
    post.status = schedule_status(post.channel.brand, actor).value
    check_media_before_scheduling(session, post)
    post.version += 1
    audit.record(
        session,
        actor,
        "post.queued",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        scheduled_at=post.scheduled_at.isoformat() if post.scheduled_at else None,
    )
    session.flush()
    return PostChange(post)


def retry_post(
    session: Session,
    post: Post,
    actor: User,
    *,
    now: datetime,
    when: datetime | None = None,
    read_version: int | None = None,
) -> PostChange:
    """Give a failed post another go: at the next free slot, or at ``when`` (checked as any
    move is), through the same placement and channel lock as a new post. It waits for
    approval again when the brand would make a new post wait."""
    _check_editable(actor)
    lock_post(session, post, read_version)
    if post.status != PostStatus.FAILED:
        raise PlannerError(
            _(
                "Only a failed post can be retried; this one is %(status)s.",
                status=status_name(post.status),
            )
        )
    before, error = post.scheduled_at, post.last_error
    warnings = _place(
        session,
        post,
        post.channel,
        scheduled_at=when,
        queue=when is None,
        now=now,
        exclude_post_id=post.id,
    )
    # An approval already given stands: the post's content did not change since.
    if post.approved_by_id is not None:
        post.status = PostStatus.SCHEDULED.value
    else:
        post.status = schedule_status(post.channel.brand, actor).value
    check_media_before_scheduling(session, post)
    post.attempts = 0
    post.next_attempt_at = None
    post.last_error = None
    post.claimed_by = None
    post.lease_until = None
    post.send_started_at = None
    post.version += 1
    audit.record(
        session,
        actor,
        "post.retried",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        before=before.isoformat() if before else None,
        after=post.scheduled_at.isoformat() if post.scheduled_at else None,
        status=post.status,
        previous_error=(error or "")[:500],
    )
    session.flush()
    return PostChange(post, warnings)


def delete_post(session: Session, post: Post, actor: User) -> None:
    _check_editable(actor)
    if post.status in (PostStatus.PUBLISHED, PostStatus.PUBLISHING, PostStatus.UNCONFIRMED):
        raise PlannerError(
            _("A post that was (or may have been) published is kept for the record.")
        )
    audit.record(
        session,
        actor,
        "post.deleted",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        text=post.text[:200],
    )
    session.delete(post)
    session.flush()
