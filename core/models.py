"""Users, API tokens and the audit log."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import Base, utcnow


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


ROLE_ORDER = [Role.VIEWER, Role.EDITOR, Role.APPROVER, Role.ADMIN]


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.EDITOR.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every login's session id: raising it (log out, new password) ends all sessions.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The interface language the person chose ("lv"); None follows the browser (core/i18n.py).
    locale: Mapped[str | None] = mapped_column(String(8))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete")

    def set_password(self, password: str) -> None:
        """Store a new password and end every session logged in with the old one."""
        self.password_hash = generate_password_hash(password)
        if self.session_version is not None:
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Every session cookie and remember-me cookie issued so far stops working."""
        self.session_version = (self.session_version or 1) + 1

    def get_id(self) -> str:  # Flask-Login: kept in the session and in the remember-me cookie
        return f"{self.id}:{self.session_version or 1}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def has_role(self, role: Role) -> bool:
        return Role(self.role).at_least(role)


@functools.cache
def _unknown_user_hash() -> str:
    # Made with the same method as real hashes, so checking it costs the same time.
    return generate_password_hash(secrets.token_urlsafe(16))


def check_login(user: User | None, password: str) -> bool:
    """Whether the password opens this active account; as slow for a missing one."""
    if user is None or not user.active:
        # The hash is checked anyway so the answer time does not tell which emails exist.
        check_password_hash(_unknown_user_hash(), password)
        return False
    return user.check_password(password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """A new token object and the plain token, which is shown once and never stored."""
        plain = "po_" + secrets.token_urlsafe(32)
        return cls(user=user, name=name, token_hash=hash_token(plain), prefix=plain[:10]), plain


class AuditEntry(Base):
    """Who or what did what, when: every state change worth explaining later."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(index=True)
    brand_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
