"""The rule every new password meets: long enough, not blank, not a commonly used password."""

from __future__ import annotations

import functools
from pathlib import Path

from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password may not be set, as a sentence for the user; None when it may."""
    if not password.strip():
        return _("The password cannot be blank or only spaces.")
    # Counted without the spaces around it: padding a short password does not make it longer.
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    folded = password.strip().lower()
    if folded in common_passwords():
        return _("That password is one of the most commonly used ones; choose another.")
    local_part = email.strip().lower().split("@")[0]
    if folded in {email.strip().lower(), local_part}:
        return _("The password cannot be the email address or its name part.")
    return None
