"""Brands and who belongs to them: create, change, archive, delete, add a member."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import audit
from core.i18n import number
from core.models import Role, User
from core.tenants import BRAND_NAME_MAX, BRAND_SLUG_MAX, Brand, BrandMember, is_member
from planner import slots
from planner.models import Channel, Post
from planner.operations import PlannerError

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:64].strip("-") or "brand"


def check_name(value: str | None, what: str, maximum: int) -> str:
    """The name without surrounding spaces, or PlannerError when it is empty or too long."""
    name = (value or "").strip()
    if not name:
        raise PlannerError(
            _("Give the channel a name.") if what == "channel" else _("Give the brand a name.")
        )
    if len(name) > maximum:
        if what == "channel":
            message = _(
                "The channel name is %(length)s characters long; keep it to %(most)d or fewer."
            )
        else:
            message = _(
                "The brand name is %(length)s characters long; keep it to %(most)d or fewer."
            )
        raise PlannerError(message % {"length": number(len(name)), "most": maximum})
    return name


def check_timezone(name: str) -> None:
    error = slots.validate_timezone(name)
    if error:
        raise PlannerError(error)


def create_brand(
    session: Session, *, name: str, timezone: str, creator: User | None, slug: str | None = None
) -> Brand:
    name = check_name(name, "brand", BRAND_NAME_MAX)
    check_timezone(timezone)
    slug = (slug or slugify(name)).strip().lower()
    if not SLUG_RE.match(slug):
        raise PlannerError(
            _(
                "The short name may use a–z, 0–9 and hyphens, up to %(most)d characters.",
                most=BRAND_SLUG_MAX,
            )
        )
    if session.scalar(select(Brand.id).where(Brand.slug == slug)) is not None:
        raise PlannerError(_("The short name “%(slug)s” is taken; choose another.", slug=slug))
    brand = Brand(name=name, slug=slug, timezone=timezone)
    session.add(brand)
    session.flush()
    if creator is not None:
        session.add(BrandMember(brand_id=brand.id, user_id=creator.id))
    audit.record(session, creator, "brand.created", "brand", brand.id, brand_id=brand.id)
    session.flush()
    return brand


def update_brand(
    session: Session,
    brand: Brand,
    actor: User,
    *,
    name: str,
    timezone: str,
    grace_minutes: int,
    requires_approval: bool,
    requires_two_people: bool,
) -> Brand:
    name = check_name(name, "brand", BRAND_NAME_MAX)
    check_timezone(timezone)
    if not 0 <= grace_minutes <= 7 * 24 * 60:
        raise PlannerError(_("The grace period must be between 0 minutes and 7 days."))
    brand.name = name
    brand.timezone = timezone
    brand.grace_minutes = grace_minutes
    brand.requires_approval = requires_approval
    brand.requires_two_people = requires_two_people
    audit.record(session, actor, "brand.updated", "brand", brand.id, brand_id=brand.id)
    session.flush()
    return brand


_ADMIN_ONLY = {
    "archive brands": _l("Only admins archive brands."),
    "unarchive brands": _l("Only admins unarchive brands."),
    "delete brands": _l("Only admins delete brands."),
}


def _check_admin(actor: User, what: str) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(str(_ADMIN_ONLY[what]))


def archive_brand(session: Session, brand: Brand, actor: User, *, now: datetime) -> Brand:
    """Hide the brand and stop its publishing, search checks and listening polls; keep its data.

    The worker claims no post of an archived brand; posts that come due meanwhile are marked
    missed by the usual sweep once their grace period has passed.
    """
    _check_admin(actor, "archive brands")
    if brand.archived_at is None:
        brand.archived_at = now
        audit.record(session, actor, "brand.archived", "brand", brand.id, brand_id=brand.id)
        session.flush()
    return brand


def unarchive_brand(session: Session, brand: Brand, actor: User) -> Brand:
    """Bring an archived brand back: shown, publishing, checked and polled again."""
    _check_admin(actor, "unarchive brands")
    if brand.archived_at is not None:
        brand.archived_at = None
        audit.record(session, actor, "brand.unarchived", "brand", brand.id, brand_id=brand.id)
        session.flush()
    return brand


def delete_brand(session: Session, brand: Brand, actor: User, *, typed_name: str) -> None:
    """Delete the brand and everything under it, once its name is typed exactly.

    The database removes the brand's channels, posts, reviews, search queries, listening
    sources and the rest by their ON DELETE CASCADE keys, in the caller's one transaction; the
    audit log keeps no key to the brand, so the entry written here outlives it.
    """
    _check_admin(actor, "delete brands")
    if typed_name.strip() != brand.name:
        raise PlannerError(
            _(
                "Type the brand's name exactly as it is (“%(name)s”) to delete it; nothing was"
                " deleted.",
                name=brand.name,
            )
        )
    post_count = session.scalar(
        select(func.count(Post.id))
        .join(Channel, Channel.id == Post.channel_id)
        .where(Channel.brand_id == brand.id)
    )
    audit.record(
        session,
        actor,
        "brand.deleted",
        "brand",
        brand.id,
        brand_id=brand.id,
        name=brand.name,
        slug=brand.slug,
        channels=len(brand.channels),
        posts=post_count or 0,
    )
    # One statement: the database's cascades delete the rows of every feature (including those
    # the planner does not know of), so the ORM must not try to delete the children itself.
    brand_id = brand.id
    session.flush()
    session.expunge(brand)
    session.execute(delete(Brand).where(Brand.id == brand_id))
    session.flush()


def add_member(session: Session, brand: Brand, user: User, actor: User) -> None:
    if not is_member(session, user, brand.id):
        session.add(BrandMember(brand_id=brand.id, user_id=user.id))
        audit.record(
            session, actor, "brand.member_added", "brand", brand.id, brand_id=brand.id, user=user.id
        )
        session.flush()
