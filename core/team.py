"""The team from the web: invitations, members' roles and brands, removal, password resets and
each person's own password and email.

Invitation and reset links are signed (itsdangerous, with the app's SECRET_KEY) and carry a random
nonce; only the nonce's hash is stored, in ``account_links``, so a link works once, until it
expires or is revoked, and the database never holds a usable link. Operations take explicit
arguments and only flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import JSON, ForeignKey, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import audit
from core.db import Base, utcnow
from core.errors import Refused
from core.models import ApiToken, Role, User, hash_token
from core.passwords import password_problem
from core.tenants import Brand, BrandMember

INVITE_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
EMAIL_MAX = 254


class LinkKind(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class AccountLink(Base):
    """One invitation or password-reset link: who it is for, and whether it still works."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # An invitation's role and brands; a reset's user.
    role: Mapped[str | None] = mapped_column(String(16))
    brand_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # An invitation's language: its mail, its page and the new account speak it.
    locale: Mapped[str | None] = mapped_column(String(8))

    def is_open(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class LinkUnusable(Refused):
    """The link cannot be used; ``reason`` is one of "invalid", "used", "revoked", "expired"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(str(message))
        self.reason = reason


# --- signed links -----------------------------------------------------------------------------


def _serializer(secret_key: str, kind: LinkKind) -> URLSafeSerializer:
    # One salt per kind: an invitation's token is no reset token, and the reverse.
    return URLSafeSerializer(secret_key, salt=f"pageone-{kind.value}-link")


def _new_link(
    session: Session,
    secret_key: str,
    kind: LinkKind,
    *,
    email: str,
    now: datetime,
    created_by: User | None,
    role: str | None = None,
    brand_ids: list[int] | None = None,
    user: User | None = None,
) -> tuple[AccountLink, str]:
    nonce = secrets.token_urlsafe(32)
    lifetime = INVITE_LIFETIME if kind is LinkKind.INVITE else RESET_LIFETIME
    link = AccountLink(
        kind=kind.value,
        email=email,
        nonce_hash=hash_token(nonce),
        role=role,
        brand_ids=sorted(brand_ids or []),
        user_id=user.id if user is not None else None,
        created_by_id=created_by.id if created_by is not None else None,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(link)
    session.flush()
    return link, _serializer(secret_key, kind).dumps(nonce)


_UNUSABLE = {
    LinkKind.INVITE: {
        "invalid": _l("This invitation link is not valid: check that it was copied whole."),
        "used": _l("This invitation was already accepted. Log in with your email and password."),
        "revoked": _l("This invitation was withdrawn. Ask your administrator for a new one."),
        "expired": _l("This invitation has expired. Ask your administrator to send it again."),
    },
    LinkKind.RESET: {
        "invalid": _l("This password reset link is not valid: check that it was copied whole."),
        "used": _l("This reset link was already used. Ask for a new one if you need it."),
        "revoked": _l(
            "This reset link was replaced or withdrawn. Use the newest one, or ask again."
        ),
        "expired": _l("This reset link has expired (they last one hour). Ask for a new one."),
    },
}


def open_link(
    session: Session, secret_key: str, kind: LinkKind, token: str, *, now: datetime
) -> AccountLink:
    """The link this token opens, or LinkUnusable saying why not (tampered, used, ...)."""
    try:
        nonce = _serializer(secret_key, kind).loads(token)
    except BadSignature:
        nonce = None
    link = None
    if isinstance(nonce, str):
        link = session.scalar(
            select(AccountLink).where(
                AccountLink.nonce_hash == hash_token(nonce), AccountLink.kind == kind.value
            )
        )
    if link is None:
        raise LinkUnusable("invalid", _UNUSABLE[kind]["invalid"])
    if link.used_at is not None:
        raise LinkUnusable("used", _UNUSABLE[kind]["used"])
    if link.revoked_at is not None:
        raise LinkUnusable("revoked", _UNUSABLE[kind]["revoked"])
    if link.expires_at <= now:
        raise LinkUnusable("expired", _UNUSABLE[kind]["expired"])
    return link


# --- invitations ------------------------------------------------------------------------------


def normal_email(value: str | None) -> str:
    """The address as accounts are looked up: trimmed and lower-case, or Refused."""
    email = (value or "").strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > EMAIL_MAX or " " in email:
        raise Refused(_("Give a whole email address, such as ana@example.com."))
    return email


def _check_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Refused(_("Only admins manage the team."))


def _check_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        roles = ", ".join(r.value for r in Role)
        raise Refused(
            _("Unknown role “%(role)s”; choose one of %(roles)s.", role=role, roles=roles)
        )
    return role


def _check_brands(brand_ids: list[int], allowed: list[Brand]) -> list[int]:
    known = {brand.id for brand in allowed}
    wrong = [brand_id for brand_id in brand_ids if brand_id not in known]
    if wrong:
        raise Refused(_("Choose only brands that you belong to."))
    return sorted(set(brand_ids))


def invite(
    session: Session,
    secret_key: str,
    actor: User,
    *,
    email: str,
    role: str,
    brand_ids: list[int],
    allowed_brands: list[Brand],
    now: datetime,
    locale: str | None = None,
) -> tuple[AccountLink, str]:
    """A new invitation and its token; an older open invitation to the same address is revoked."""
    _check_admin(actor)
    email = normal_email(email)
    role = _check_role(role)
    brand_ids = _check_brands(brand_ids, allowed_brands)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None and existing.active:
        raise Refused(
            _("%(email)s is already in the team; change their role or brands below.", email=email)
        )
    _revoke_open(session, LinkKind.INVITE, email, now)
    link, token = _new_link(
        session,
        secret_key,
        LinkKind.INVITE,
        email=email,
        now=now,
        created_by=actor,
        role=role,
        brand_ids=brand_ids,
    )
    link.locale = locale or None
    audit.record(session, actor, "team.invited", "account_link", link.id, email=email, role=role)
    return link, token


def _revoke_open(session: Session, kind: LinkKind, email: str, now: datetime) -> None:
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.kind == kind.value,
            AccountLink.email == email,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def pending_invitations(session: Session, now: datetime) -> list[AccountLink]:
    return list(
        session.scalars(
            select(AccountLink)
            .where(
                AccountLink.kind == LinkKind.INVITE.value,
                AccountLink.used_at.is_(None),
                AccountLink.revoked_at.is_(None),
            )
            .order_by(AccountLink.created_at.desc(), AccountLink.id.desc())
        )
    )


def invitation(session: Session, link_id: int) -> AccountLink:
    link = session.get(AccountLink, link_id)
    if link is None or link.kind != LinkKind.INVITE.value:
        raise Refused(_("No invitation %(id)s.", id=link_id))
    return link


def revoke_invitation(session: Session, actor: User, link: AccountLink, now: datetime) -> None:
    _check_admin(actor)
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = now
        audit.record(session, actor, "team.invite_revoked", "account_link", link.id)
        session.flush()


def resend_invitation(
    session: Session,
    secret_key: str,
    actor: User,
    link: AccountLink,
    *,
    allowed_brands: list[Brand],
    now: datetime,
) -> tuple[AccountLink, str]:
    """The same invitation under a new link, good for seven more days; the old link stops."""
    if link.used_at is not None:
        raise Refused(_("%(email)s already accepted the invitation.", email=link.email))
    still_allowed = [b for b in link.brand_ids if b in {brand.id for brand in allowed_brands}]
    return invite(
        session,
        secret_key,
        actor,
        email=link.email,
        role=link.role or Role.VIEWER.value,
        brand_ids=still_allowed,
        allowed_brands=allowed_brands,
        now=now,
        locale=link.locale,
    )


def accept_invitation(
    session: Session, link: AccountLink, *, name: str, password: str, now: datetime
) -> User:
    """The invited person's account, with the role and brands of the invitation."""
    name = (name or "").strip()
    if len(name) > 120:
        raise Refused(_("Keep the name to 120 characters or fewer."))
    problem = password_problem(password, link.email)
    if problem:
        raise Refused(problem)
    user = session.scalar(select(User).where(User.email == link.email))
    if user is not None and user.active:
        raise Refused(_("%(email)s already has an account: log in instead.", email=link.email))
    if user is None:
        user = User(email=link.email, name=name or link.email.split("@")[0], role=link.role)
        session.add(user)
    else:  # someone removed earlier, invited back
        user.active = True
        user.role = link.role or Role.VIEWER.value
        user.name = name or user.name
    if link.locale:
        user.locale = link.locale
    user.set_password(password)
    session.flush()
    existing = set(
        session.scalars(select(BrandMember.brand_id).where(BrandMember.user_id == user.id))
    )
    live = set(session.scalars(select(Brand.id).where(Brand.id.in_(link.brand_ids or [-1]))))
    for brand_id in sorted(live - existing):
        session.add(BrandMember(brand_id=brand_id, user_id=user.id))
    link.used_at = now
    audit.record(session, user, "team.invite_accepted", "user", user.id, email=user.email)
    session.flush()
    return user


# --- members ----------------------------------------------------------------------------------


@dataclass
class Member:
    user: User
    brands: list[Brand]


def members(session: Session, visible_brands: list[Brand]) -> list[Member]:
    """Every active member, with the brands among ``visible_brands`` they belong to."""
    by_id = {brand.id: brand for brand in visible_brands}
    rows = session.execute(
        select(BrandMember.user_id, BrandMember.brand_id).where(
            BrandMember.brand_id.in_(list(by_id) or [-1])
        )
    ).all()
    brands: dict[int, list[Brand]] = {}
    for user_id, brand_id in rows:
        brands.setdefault(user_id, []).append(by_id[brand_id])
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.email))
    return [
        Member(user, sorted(brands.get(user.id, []), key=lambda b: b.name.lower()))
        for user in users
    ]


def member(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Refused(_("No member %(id)s.", id=user_id))
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count(User.id)).where(
                User.active.is_(True), User.role == Role.ADMIN.value, User.id != user.id
            )
        )
        or 0
    )


def change_member(
    session: Session,
    actor: User,
    user: User,
    *,
    role: str,
    brand_ids: list[int],
    allowed_brands: list[Brand],
) -> None:
    """Set the member's role, and which of the actor's brands they belong to (others stay)."""
    _check_admin(actor)
    role = _check_role(role)
    brand_ids = _check_brands(brand_ids, allowed_brands)
    if user.role == Role.ADMIN.value and role != Role.ADMIN.value:
        if not _other_active_admins(session, user):
            raise Refused(_("The team needs at least one admin: make someone else admin first."))
    user.role = role
    allowed = {brand.id for brand in allowed_brands}
    current = set(
        session.scalars(select(BrandMember.brand_id).where(BrandMember.user_id == user.id))
    )
    wanted = set(brand_ids)
    session.execute(
        delete(BrandMember).where(
            BrandMember.user_id == user.id,
            BrandMember.brand_id.in_(list((current - wanted) & allowed) or [-1]),
        )
    )
    for brand_id in sorted(wanted - current):
        session.add(BrandMember(brand_id=brand_id, user_id=user.id))
    audit.record(
        session, actor, "team.member_changed", "user", user.id, role=role, brands=sorted(wanted)
    )
    session.flush()


def remove_member(session: Session, actor: User, user: User, now: datetime) -> None:
    """The member can no longer log in: sessions end, API tokens and brand memberships go.

    The account row stays (deactivated) so the audit log and their posts keep their author;
    inviting the same address again brings it back.
    """
    _check_admin(actor)
    if user.id == actor.id:
        raise Refused(_("You cannot remove yourself; another admin can."))
    if user.role == Role.ADMIN.value and not _other_active_admins(session, user):
        raise Refused(_("The team needs at least one admin."))
    user.active = False
    user.end_sessions()
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(BrandMember).where(BrandMember.user_id == user.id))
    session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(session, actor, "team.member_removed", "user", user.id, email=user.email)
    session.flush()


# --- passwords and email ----------------------------------------------------------------------


def request_reset(
    session: Session, secret_key: str, email: str, *, now: datetime
) -> tuple[User, str] | None:
    """A reset link for the active account with this address; None when there is none.

    The caller answers the same either way, so the page tells nobody which addresses exist.
    """
    try:
        email = normal_email(email)
    except Refused:
        return None
    user = session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if user is None:
        return None
    _revoke_open(session, LinkKind.RESET, email, now)
    _link, token = _new_link(
        session, secret_key, LinkKind.RESET, email=email, now=now, created_by=None, user=user
    )
    return user, token


def reset_password(session: Session, link: AccountLink, password: str, *, now: datetime) -> User:
    """Set the new password from a reset link: every session logged in before ends."""
    user = session.get(User, link.user_id) if link.user_id is not None else None
    if user is None or not user.active or user.email != link.email:
        raise LinkUnusable("revoked", _UNUSABLE[LinkKind.RESET]["revoked"])
    _set_new_password(user, password)
    link.used_at = now
    audit.record(session, user, "user.password_reset", "user", user.id)
    session.flush()
    return user


def _set_new_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise Refused(problem)
    user.set_password(password)


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    if not user.check_password(current):
        raise Refused(_("The current password is not right; nothing was changed."))
    _set_new_password(user, new)
    audit.record(session, user, "user.password_changed", "user", user.id)
    session.flush()


def change_email(
    session: Session, user: User, *, password: str, new_email: str, now: datetime
) -> None:
    if not user.check_password(password):
        raise Refused(_("The password is not right; the email was not changed."))
    email = normal_email(new_email)
    if email == user.email:
        raise Refused(_("That is already your email."))
    taken = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if taken is not None:
        raise Refused(_("Another account uses that email; choose another."))
    old = user.email
    user.email = email
    # Reset links sent to the old address stop working.
    session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(session, user, "user.email_changed", "user", user.id, old=old, new=email)
    session.flush()


def brand_names(session: Session, brand_ids: list[int]) -> list[str]:
    if not brand_ids:
        return []
    return list(session.scalars(select(Brand.name).where(Brand.id.in_(brand_ids))))
