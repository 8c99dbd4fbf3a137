"""CSV import and export of a brand's posts. Import checks every row before it writes any."""

from __future__ import annotations

import csv
import io
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core import audit
from core.i18n import number
from core.models import User
from core.parsing import InvalidInput, csv_header, csv_rows, parse_id, to_utc
from core.tenants import Brand
from planner import slots
from planner.media.models import MediaItem, PostMedia
from planner.media.operations import media_of, replace_media
from planner.media.rules import media_errors
from planner.models import (
    CHANNEL_NAME_MAX,
    EDITABLE_STATUSES,
    OCCUPYING_STATUSES,
    Channel,
    PartKind,
    PartState,
    Post,
    PostGroup,
    PostPart,
    PostSource,
    PostStatus,
)
from planner.operations import URL_RE, lock_channels, schedule_status
from planner.parts import Parts, check_parts, join_thread, parts_of, set_parts, split_thread
from planner.serialize import iso
from planner.slots import window_specs
from planner.status_names import status_name
from planner.text_limits import validate_post_text

COLUMNS = {
    "id": _l("Empty for a new post; the id of an existing post of this brand to change it."),
    "channel_id": _l("The channel's id (shown on the channels page). Either this or channel."),
    "channel": _l("The channel's name, when channel_id is empty."),
    "text": _l("The post's text, checked against the platform's limit."),
    "link": _l("Optional http(s) link."),
    "image_url": _l("Optional http(s) image address (required for Instagram)."),
    "scheduled_at": _l("ISO 8601 time; without an offset it is read in the channel's time zone."),
    "status": _l("draft or scheduled (default scheduled; with approval on it waits for approval)."),
    "source": _l("Exported only: manual, review or plan."),
    "public_url": _l("Exported only: the published post's address."),
    "group": _l(
        "Optional campaign: new rows with the same key become one campaign's versions; an "
        "exported campaign's number adds the rows to that campaign."
    ),
    # Last, so that files laid out before media existed still read the same.
    "media_ids": _l("Optional ids of media library items, in order, separated by spaces."),
    "thread": _l(
        "X, Bluesky and Mastodon: the posts that follow this one as a thread, separated by a "
        "line holding only ---."
    ),
    "first_comment": _l(
        "Facebook, Instagram and LinkedIn: a comment made under the post once it is published."
    ),
}
EXPORT_COLUMNS = list(COLUMNS)
MAX_ROWS = 100_000


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    waiting: int = 0  # of the new posts, how many wait for approval

    @property
    def ok(self) -> bool:
        return not self.errors


def column_help() -> dict[str, str]:
    """Each CSV column (its name stays English: it is the file's format) and what it holds,
    in the page's language."""
    return {name: str(meaning) for name, meaning in COLUMNS.items()}


def import_summary(report: ImportReport) -> str:
    """What an import did, in one sentence built from the counts (each through ngettext)."""
    counted = [
        (report.created, ngettext("%(num)d new post", "%(num)d new posts", report.created)),
        (report.updated, ngettext("%(num)d changed", "%(num)d changed", report.updated)),
        (report.unchanged, ngettext("%(num)d unchanged", "%(num)d unchanged", report.unchanged)),
    ]
    if not report.created and not report.updated:
        if not report.unchanged:
            return gettext("The file has no posts: nothing was imported.")
        return ngettext(
            "Nothing to import: the file's %(num)d post is unchanged.",
            "Nothing to import: the file's %(num)d posts are unchanged.",
            report.unchanged,
        )
    parts = ", ".join(phrase for n, phrase in counted if n)
    message = gettext("Imported: %(parts)s.", parts=parts)
    if report.waiting:
        message += " " + ngettext(
            "%(num)d new post waits for approval.",
            "%(num)d new posts wait for approval.",
            report.waiting,
        )
    return message


def export_posts(session: Session, brand: Brand) -> Iterator[str]:
    """CSV lines of every post of the brand, streamed."""
    # Read the channels now: the lines are written after the view has returned.
    names = {c.id: c.name for c in brand.channels}
    query = (
        select(
            Post.id,
            Post.channel_id,
            Post.text,
            Post.link,
            Post.image_url,
            Post.scheduled_at,
            Post.status,
            Post.source,
            Post.public_url,
            Post.group_id,
        )
        .where(Post.channel_id.in_(list(names)))
        .order_by(Post.scheduled_at.is_(None), Post.scheduled_at, Post.id)
        .execution_options(yield_per=2000)
    )

    media: dict[int, list[str]] = {}
    for post_id, media_id in session.execute(
        select(PostMedia.post_id, PostMedia.media_id)
        .join(Post, Post.id == PostMedia.post_id)
        .where(Post.channel_id.in_(list(names)))
        .order_by(PostMedia.post_id, PostMedia.position)
    ):
        media.setdefault(post_id, []).append(str(media_id))
    threads: dict[int, list[str]] = {}
    comments: dict[int, str] = {}
    for post_id, kind, part_text in session.execute(
        select(PostPart.post_id, PostPart.kind, PostPart.text)
        .join(Post, Post.id == PostPart.post_id)
        .where(Post.channel_id.in_(list(names)))
        .order_by(PostPart.post_id, PostPart.position)
    ):
        if kind == PartKind.COMMENT:
            comments[post_id] = part_text
        else:
            threads.setdefault(post_id, []).append(part_text)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        yield buffer.getvalue()
        for (
            post_id,
            channel_id,
            text,
            link,
            image,
            when,
            status,
            source,
            url,
            group,
        ) in session.execute(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(
                [
                    post_id,
                    channel_id,
                    names[channel_id],
                    _safe_cell(text),
                    link or "",
                    image or "",
                    iso(when) or "",
                    status,
                    source,
                    url or "",
                    group or "",
                    " ".join(media.get(post_id, ())),
                    _safe_cell(join_thread(threads.get(post_id, ()))),
                    _safe_cell(comments.get(post_id, "")),
                ]
            )
            yield buffer.getvalue()

    return lines()


FORMULA_STARTS = ("=", "+", "-", "@")


def _safe_cell(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets; quote it as text.
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _unquote_cell(text: str) -> str:
    """The inverse of _safe_cell, so that an export imports back unchanged."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


@dataclass
class _Row:
    line: int
    post_id: int | None
    channel: Channel
    text: str
    link: str | None
    image_url: str | None
    when: datetime | None
    status: PostStatus
    group: str = ""  # the campaign key: an existing campaign's number, or a new key
    media_ids: list[int] | None = None  # None: the column is absent or empty for this row
    parts: Parts | None = None  # None: neither the thread nor the first_comment column is there


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(gettext("The file is not UTF-8 text; save it as CSV UTF-8.")) from None


def _parse_time(value: str, channel: Channel) -> datetime:
    parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=channel.zone)
    return to_utc(parsed, "scheduled_at")


def _read_rows(
    session: Session, brand: Brand, text: str, report: ImportReport, now: datetime
) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = csv_header(reader, lambda line, problem: report.errors.append((line, problem)))
    if not header and report.errors:  # the header row itself could not be read
        return []
    if "text" not in header or not ({"channel_id", "channel"} & set(header)):
        report.errors.append(
            (1, gettext("The header must name at least text and channel_id (or channel)."))
        )
        return []
    reader.fieldnames = header
    by_id = {c.id: c for c in brand.channels}
    by_name = {c.name.strip().lower(): c for c in brand.channels}
    library = {}
    if "media_ids" in header:
        library = {
            item.id: item
            for item in session.scalars(select(MediaItem).where(MediaItem.brand_id == brand.id))
        }
    rows: list[_Row] = []
    for record in csv_rows(reader, lambda line, problem: report.errors.append((line, problem))):
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            report.errors.append(
                (line, gettext("More than %(most)d rows; split the file.", most=MAX_ROWS))
            )
            break
        values = {
            k: (v or "").strip() if isinstance(v, str) else "" for k, v in record.items() if k
        }
        if not any(values.values()):
            continue
        problems: list[str] = []
        channel = None
        if values.get("channel_id"):
            channel = (
                by_id.get(parse_id(values["channel_id"], "channel_id"))
                if values["channel_id"].isascii() and values["channel_id"].isdigit()
                else None
            )
            if channel is None:
                problems.append(
                    gettext(
                        "channel_id %(id)s is not a channel of this brand", id=values["channel_id"]
                    )
                )
        elif values.get("channel"):
            channel = by_name.get(values["channel"].lower())
            if channel is None and len(values["channel"]) > CHANNEL_NAME_MAX:
                problems.append(
                    gettext(
                        "the channel name is %(length)s characters long; channel names have at"
                        " most %(most)d",
                        length=number(len(values["channel"])),
                        most=CHANNEL_NAME_MAX,
                    )
                )
            elif channel is None:
                problems.append(
                    gettext("no channel named “%(name)s” in this brand", name=values["channel"])
                )
        else:
            problems.append(gettext("no channel given"))
        status_word = (values.get("status") or "scheduled").lower()
        if status_word not in ("draft", "scheduled"):
            problems.append(
                gettext("status must be draft or scheduled, not “%(word)s”", word=status_word)
            )
        post_id = None
        if values.get("id"):
            try:
                post_id = parse_id(values["id"], "id")
            except InvalidInput:
                problems.append(gettext("id must be the number of a post of this brand"))
        link = values.get("link") or None
        image = values.get("image_url") or None
        for label, url in (("link", link), ("image_url", image)):
            if url and not URL_RE.match(url):
                problems.append(gettext("%(column)s is not a full http(s) address", column=label))
        when = None
        if channel is not None and values.get("scheduled_at"):
            try:
                when = _parse_time(values["scheduled_at"], channel)
            except InvalidInput as exc:
                problems.append(gettext("scheduled_at %(reason)s", reason=exc.reason))
            except ValueError:
                problems.append(
                    gettext(
                        "scheduled_at “%(value)s” is not an ISO 8601 time",
                        value=values["scheduled_at"],
                    )
                )
        media_ids: list[int] | None = None
        if values.get("media_ids"):
            words = values["media_ids"].replace(",", " ").split()
            if not all(word.isascii() and word.isdigit() for word in words):
                problems.append(
                    gettext("media_ids must be ids of media library items, separated by spaces")
                )
            else:
                media_ids = [int(word) for word in words]
                unknown = [str(i) for i in media_ids if i not in library]
                if unknown:
                    problems.append(
                        gettext(
                            "no media item %(ids)s in this brand's library", ids=", ".join(unknown)
                        )
                    )
                elif len(set(media_ids)) != len(media_ids):
                    problems.append(gettext("the same media item is named twice"))
        text_value = _unquote_cell(record.get("text") or "")
        parts = None
        if {"thread", "first_comment"} & set(header):
            parts = Parts.of(
                split_thread(_unquote_cell(record.get("thread") or "")),
                _unquote_cell(record.get("first_comment") or ""),
            )
            if channel is not None:
                problems += check_parts(channel.platform, parts)
        if channel is not None:
            problems += validate_post_text(
                channel.platform, text_value, link=link, image_url=image, has_media=bool(media_ids)
            )
            if status_word == "scheduled" and not problems:
                problems += media_errors(
                    channel.platform,
                    [library[i] for i in media_ids or ()],
                    has_image_url=bool(image),
                )
        if status_word == "scheduled" and not problems:
            if when is None:
                problems.append(gettext("a scheduled post needs scheduled_at"))
            elif when <= now:
                problems.append(gettext("scheduled_at is in the past"))
        if problems:
            report.errors.extend((line, p) for p in problems)
            continue
        assert channel is not None
        group = values.get("group", "")
        if len(group) > 80:
            report.errors.append((line, gettext("group is a key of at most 80 characters")))
            continue
        rows.append(
            _Row(
                line, post_id, channel, text_value, link, image, when, PostStatus(status_word),
                group, media_ids, parts,
            )
        )  # fmt: skip
    return rows


def _check_slots(
    session: Session, rows: list[_Row], updated_ids: set[int], report: ImportReport
) -> None:
    """Gap and daily maximum over the file's rows together with the posts already planned."""
    per_channel: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.status is PostStatus.SCHEDULED and row.when is not None:
            per_channel[row.channel.id].append(row)
    occupying = [s.value for s in OCCUPYING_STATUSES]
    for channel_rows in per_channel.values():
        channel = channel_rows[0].channel
        gap = timedelta(minutes=channel.min_gap_minutes)
        first = min(r.when for r in channel_rows if r.when) - gap - timedelta(days=1)
        last = max(r.when for r in channel_rows if r.when) + gap + timedelta(days=1)
        existing = [
            (when, None)
            for post_id, when in session.execute(
                select(Post.id, Post.scheduled_at).where(
                    Post.channel_id == channel.id,
                    Post.scheduled_at >= first,
                    Post.scheduled_at < last,
                    Post.status.in_(occupying),
                )
            )
            if post_id not in updated_ids
        ]
        timeline = sorted(existing + [(r.when, r) for r in channel_rows], key=lambda x: x[0])
        times = [t for t, _ in timeline]
        days: dict[object, int] = defaultdict(int)
        for when in times:
            days[when.astimezone(channel.zone).date()] += 1
        specs = window_specs(channel)
        for row in channel_rows:
            assert row.when is not None
            index = bisect_left(times, row.when)
            neighbours = [timeline[i] for i in (index - 1, index + 1) if 0 <= i < len(timeline)]
            for other_when, other in neighbours:
                if other is row or abs(other_when - row.when) >= gap:
                    continue
                local = other_when.astimezone(channel.zone).strftime("%Y-%m-%d %H:%M")
                if other:
                    problem = gettext(
                        "closer than %(gap)d min to line %(line)d at %(when)s",
                        gap=channel.min_gap_minutes,
                        line=other.line,
                        when=local,
                    )
                else:
                    problem = gettext(
                        "closer than %(gap)d min to an existing post at %(when)s",
                        gap=channel.min_gap_minutes,
                        when=local,
                    )
                report.errors.append((row.line, problem))
                break
            day = row.when.astimezone(channel.zone).date()
            if channel.max_per_day is not None and days[day] > channel.max_per_day:
                report.errors.append(
                    (
                        row.line,
                        gettext(
                            "%(channel)s would have %(count)d posts on %(day)s, over its maximum"
                            " of %(most)d",
                            channel=channel.name,
                            count=days[day],
                            day=day.isoformat(),
                            most=channel.max_per_day,
                        ),
                    )
                )
            if specs and not slots.in_window(specs, channel.zone, row.when):
                report.warnings.append(
                    (row.line, gettext("outside the channel's engagement windows"))
                )


def _campaigns(
    session: Session, brand: Brand, rows: list[_Row], author: User | None, report: ImportReport
) -> dict[str, int]:
    """The campaign of each group key of the new rows: the brand's campaign of that number, or
    a new campaign per other key (its text is the key's first row's)."""
    keys = list(dict.fromkeys(row.group for row in rows if row.group))
    numbers = [int(key) for key in keys if key.isascii() and key.isdigit()]
    found = {
        str(group_id): group_id
        for group_id in session.scalars(
            select(PostGroup.id).where(PostGroup.brand_id == brand.id, PostGroup.id.in_(numbers))
        )
    }
    groups: dict[str, int] = {}
    for key in keys:
        if key in found:
            groups[key] = found[key]
            continue
        if key.isascii() and key.isdigit():
            line = next(row.line for row in rows if row.group == key)
            report.errors.append(
                (
                    line,
                    gettext(
                        "group %(key)s is not a campaign of this brand; a word such as"
                        " spring-sale starts a new one",
                        key=key,
                    ),
                )
            )
            continue
        first = next(row for row in rows if row.group == key)
        group = PostGroup(
            brand_id=brand.id,
            text=first.text,
            link=first.link,
            created_by_id=author.id if author else None,
        )
        session.add(group)
        session.flush()
        groups[key] = group.id
    return groups


def _items(session: Session, media_ids: list[int]) -> list[MediaItem]:
    found = {i.id: i for i in session.scalars(select(MediaItem).where(MediaItem.id.in_(media_ids)))}
    return [found[i] for i in media_ids]


def _part_rows(post_id: int, parts: Parts) -> list[dict]:
    texts = parts.thread or ((parts.first_comment,) if parts.first_comment else ())
    kind = PartKind.REPLY if parts.thread else PartKind.COMMENT
    return [
        {
            "post_id": post_id,
            "position": position,
            "kind": kind.value,
            "text": text,
            "state": PartState.PENDING.value,
            "attempts": 0,
        }
        for position, text in enumerate(texts, start=1)
    ]


def import_posts(
    session: Session, brand: Brand, data: bytes, *, author: User | None, now: datetime
) -> ImportReport:
    """Check every row, then write all of them, or none (the report lists each bad row)."""
    report = ImportReport()
    try:
        text = _decode(data)
    except ValueError as exc:
        report.errors.append((0, str(exc)))
        return report
    rows = _read_rows(session, brand, text, report, now)
    # The rows' slots are checked against the posts read after this, under the planning lock.
    lock_channels(session, [channel.id for channel in brand.channels])
    existing: dict[int, Post] = {}
    ids = [r.post_id for r in rows if r.post_id is not None]
    if ids:
        channel_ids = [c.id for c in brand.channels]
        for chunk_start in range(0, len(ids), 500):
            for post in session.scalars(
                select(Post).where(
                    Post.id.in_(ids[chunk_start : chunk_start + 500]),
                    Post.channel_id.in_(channel_ids),
                )
            ):
                existing[post.id] = post
    media_now = {
        post_id: [item.id for item in items]
        for post_id, items in media_of(session, list(existing)).items()
    }
    changes: list[tuple[_Row, Post]] = []
    for row in [r for r in rows if r.post_id is not None]:
        post = existing.get(row.post_id)  # type: ignore[arg-type]
        if post is None:
            report.errors.append(
                (row.line, gettext("id %(id)s is not a post of this brand", id=row.post_id))
            )
        elif (post.text, post.link, post.image_url, post.scheduled_at, post.channel_id) == (
            row.text,
            row.link,
            row.image_url,
            row.when,
            row.channel.id,
        ) and (
            (row.media_ids is None or row.media_ids == media_now.get(post.id, []))
            and (row.parts is None or row.parts == parts_of(post))
        ):
            report.unchanged += 1
            row.status = PostStatus.DRAFT  # nothing to check for it
        elif post.status not in EDITABLE_STATUSES:
            report.errors.append(
                (
                    row.line,
                    gettext(
                        "post %(id)s is %(status)s and cannot change",
                        id=post.id,
                        status=status_name(post.status),
                    ),
                )
            )
        else:
            changes.append((row, post))
    unchanged = {r.post_id for r in rows if r.post_id is not None} - {p.id for _, p in changes}
    _check_slots(
        session,
        [r for r in rows if r.post_id is None or r.post_id not in unchanged],
        {p.id for _, p in changes},
        report,
    )
    if brand.archived_at is not None and any(
        r.status is PostStatus.SCHEDULED for r in rows if r.post_id not in unchanged
    ):
        report.errors.append(
            (
                0,
                gettext(
                    "%(brand)s is archived and publishes nothing: unarchive it to schedule posts.",
                    brand=brand.name,
                ),
            )
        )
    report.errors.sort()
    if report.errors:
        return report
    groups = _campaigns(session, brand, [r for r in rows if r.post_id is None], author, report)
    if report.errors:
        return report
    # The same rule as a post scheduled on the calendar: an approver's own posts do not wait.
    scheduled_as = schedule_status(brand, author)
    new_rows = []
    for row in rows:
        if row.post_id is not None:
            continue
        status = row.status
        if status is PostStatus.SCHEDULED:
            status = scheduled_as
            report.waiting += status is PostStatus.PENDING_APPROVAL
        new_rows.append(
            {
                "channel_id": row.channel.id,
                "text": row.text,
                "link": row.link,
                "image_url": row.image_url,
                "scheduled_at": row.when,
                "status": status.value,
                "source": PostSource.MANUAL.value,
                "author_id": author.id if author else None,
                "version": 1,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "group_id": groups.get(row.group),
            }
        )
    new_only = [row for row in rows if row.post_id is None]
    if any(row.media_ids or row.parts for row in new_only):
        # The new posts' ids, in the rows' order, to attach their media and parts.
        made = session.scalars(
            insert(Post).returning(Post.id, sort_by_parameter_order=True), new_rows
        ).all()
        part_rows = []
        for row, post_id in zip(new_only, made, strict=True):
            if row.media_ids:
                replace_media(session, post_id, _items(session, row.media_ids))
            if row.parts:
                part_rows += _part_rows(post_id, row.parts)
        if part_rows:
            session.execute(insert(PostPart), part_rows)
    elif new_rows:
        session.execute(insert(Post), new_rows)
    for row, post in changes:
        post.channel_id, post.text, post.link = row.channel.id, row.text, row.link
        post.image_url, post.scheduled_at = row.image_url, row.when
        if row.media_ids is not None:
            replace_media(session, post.id, _items(session, row.media_ids))
        if row.parts is not None:
            post.channel = row.channel  # the parts are checked against the row's channel
            set_parts(session, post, row.parts)
        post.version += 1
    report.created, report.updated = len(new_rows), len(changes)
    audit.record(
        session,
        author,
        "posts.imported",
        "brand",
        brand.id,
        brand_id=brand.id,
        created=report.created,
        updated=report.updated,
    )
    session.flush()
    return report
