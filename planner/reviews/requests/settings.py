"""Each brand's request settings: on or off, language, delay, reminder, daily limit, texts, links
and the webhook's signing secret."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.crypto import decrypt_json, encrypt_json
from core.errors import Refused
from core.models import User
from core.tenants import Brand
from planner.reviews.importers import URL_RE
from planner.reviews.models import ReviewSettings, source_name
from planner.reviews.requests.models import LANGUAGES, RequestSettings
from planner.reviews.requests.texts import DEFAULT_TEXTS, PARTS, check_texts

MAX_DAILY = 10_000


def request_settings(session: Session, brand: Brand) -> RequestSettings:
    """The brand's request settings; an unsaved default (switched off) when it has none."""
    found = session.scalar(select(RequestSettings).where(RequestSettings.brand_id == brand.id))
    if found is not None:
        return found
    profile = session.scalar(
        select(ReviewSettings.profile_url).where(ReviewSettings.brand_id == brand.id)
    )
    return RequestSettings(
        brand_id=brand.id,
        enabled=False,
        # Requests speak the brand's language until someone chooses another for them.
        language=brand.language if brand.language in LANGUAGES else "en",
        delay_days=3,
        reminder_days=None,
        daily_limit=50,
        review_links=profile or "",
        templates={},
        track_opens=False,
        match_days=30,
        webhook_secret=None,
    )


def saved_settings(session: Session, brand: Brand) -> RequestSettings:
    settings = request_settings(session, brand)
    if settings.id is None:
        session.add(settings)
        session.flush()
    return settings


def _label(url: str) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for key in ("google", "trustpilot", "yelp", "facebook", "tripadvisor"):
        if key in host or (key == "google" and host in ("g.page", "goo.gl")):
            return source_name(key)
    return host or url


def parse_links(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The review links of the settings text ("Label | https://…" or an address a line)."""
    links, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        label, url = label.strip(), url.strip()
        if not URL_RE.match(url):
            errors.append(
                gettext(
                    "Review link %(num)d: “%(url)s” is not a full http(s) address.",
                    num=number,
                    url=url[:80],
                )
            )
            continue
        links.append((label or _label(url), url))
    return links, errors


def update_request_settings(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    enabled: bool,
    language: str,
    delay_days: int,
    reminder_days: int | None,
    daily_limit: int,
    review_links: str,
    templates: dict[str, dict[str, str]],
    track_opens: bool,
    match_days: int,
) -> RequestSettings:
    """Save the settings, or refuse with every reason (the do-not list included)."""
    errors: list[str] = []
    if language not in LANGUAGES:
        errors.append(gettext("The language must be one of %(codes)s.", codes=", ".join(LANGUAGES)))
    if not 0 <= delay_days <= 365:
        errors.append(gettext("The delay after an order must be 0 to 365 days."))
    if reminder_days is not None and not 1 <= reminder_days <= 90:
        errors.append(
            gettext("The reminder must come 1 to 90 days after the first e-mail, or never.")
        )
    if not 1 <= daily_limit <= MAX_DAILY:
        errors.append(gettext("The daily limit must be 1 to %(most)d e-mails.", most=MAX_DAILY))
    if not 1 <= match_days <= 365:
        errors.append(gettext("A review is matched to a request within 1 to 365 days."))
    links, link_errors = parse_links(review_links)
    errors += link_errors
    if enabled and not links and not link_errors:
        errors.append(gettext("Requests need at least one review link: where should customers go?"))
    cleaned: dict[str, dict[str, str]] = {}
    for lang, parts in templates.items():
        if lang not in LANGUAGES:
            errors.append(gettext("Unknown language “%(code)s” in the texts.", code=lang))
            continue
        own = {}
        for part in PARTS:
            source = (parts.get(part) or "").replace("\r\n", "\n").strip()
            if source and source != DEFAULT_TEXTS[lang][part]:
                own[part] = source
        errors += check_texts(session, brand, lang, own)
        if own:
            cleaned[lang] = own
    if errors:
        raise Refused(*errors)
    settings = saved_settings(session, brand)
    settings.enabled = enabled
    settings.language = language
    settings.delay_days = delay_days
    settings.reminder_days = reminder_days
    settings.daily_limit = daily_limit
    settings.review_links = "\n".join(f"{label} | {url}" for label, url in links)
    settings.templates = cleaned
    settings.track_opens = track_opens
    settings.match_days = match_days
    audit.record(
        session,
        actor,
        "reviews.requests_settings_updated",
        "brand",
        brand.id,
        brand_id=brand.id,
        enabled=enabled,
    )
    session.flush()
    return settings


def rotate_webhook_secret(session: Session, brand: Brand, actor: User | None) -> str:
    """A new signing secret for the order webhook (the old one stops working); shown once."""
    settings = saved_settings(session, brand)
    secret = "whsec_" + secrets.token_urlsafe(32)
    settings.webhook_secret = encrypt_json({"secret": secret}, current_app.config)
    audit.record(
        session, actor, "reviews.webhook_secret_rotated", "brand", brand.id, brand_id=brand.id
    )
    session.flush()
    return secret


def webhook_secret(settings: RequestSettings, config: Any) -> str | None:
    if not settings.webhook_secret:
        return None
    return decrypt_json(settings.webhook_secret, config).get("secret")
