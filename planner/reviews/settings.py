"""Each brand's review settings: the profile link, the public page, the caps and the templates."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import User
from core.tenants import Brand
from planner.assets import AssetKind, record_owned_asset
from planner.operations import PlannerError
from planner.reviews.importers import URL_RE
from planner.reviews.models import ReviewSettings
from planner.reviews.rendering import DEFAULT_TEMPLATES, check_template


def settings_for(session: Session, brand: Brand) -> ReviewSettings:
    """The brand's review settings; an unsaved default when it has none yet."""
    found = session.scalar(select(ReviewSettings).where(ReviewSettings.brand_id == brand.id))
    if found is not None:
        return found
    return ReviewSettings(
        brand_id=brand.id,
        profile_url=None,
        page_enabled=False,
        weekly_cap=2,
        cooldown_days=90,
        do_not_phrases="",
        templates={},
        reply_targets={},
    )


def update_settings(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    profile_url: str | None,
    page_enabled: bool,
    weekly_cap: int,
    cooldown_days: int,
    do_not_phrases: str,
    templates: dict[str, str],
    page_url: str,
    now: datetime,
) -> ReviewSettings:
    """Save the settings, or refuse with every reason; enabling the page records it as owned."""
    errors: list[str] = []
    profile_url = (profile_url or "").strip() or None
    if profile_url is not None and not URL_RE.match(profile_url):
        errors.append(_("The profile link must be a full http(s) address."))
    if page_enabled and profile_url is None:
        errors.append(
            _(
                "The public page needs the link to the full profile: a page of selected reviews "
                "must let readers see all of them."
            )
        )
    if not 1 <= weekly_cap <= 50:
        errors.append(_("The weekly cap must be between 1 and 50 review posts per channel."))
    if not 0 <= cooldown_days <= 3650:
        errors.append(_("The pause before a review is promoted again must be 0 to 3650 days."))
    cleaned: dict[str, str] = {}
    for platform, source in templates.items():
        if platform not in DEFAULT_TEMPLATES:
            errors.append(_("Unknown platform “%(platform)s” in the templates.", platform=platform))
            continue
        source = (source or "").replace("\r\n", "\n").strip()
        if not source or source == DEFAULT_TEMPLATES[platform]:
            continue
        errors += check_template(platform, source)
        cleaned[platform] = source
    if errors:
        raise PlannerError(*errors)
    settings = settings_for(session, brand)
    if settings.id is None:
        session.add(settings)
    settings.profile_url = profile_url
    settings.page_enabled = page_enabled
    settings.weekly_cap = weekly_cap
    settings.cooldown_days = cooldown_days
    settings.do_not_phrases = "\n".join(p.strip() for p in do_not_phrases.splitlines() if p.strip())
    settings.templates = cleaned
    if page_enabled:
        record_owned_asset(
            session,
            brand.id,
            page_url,
            AssetKind.REVIEWS_PAGE,
            now,
            title=f"Selected reviews of {brand.name}",
        )
    audit.record(
        session,
        actor,
        "reviews.settings_updated",
        "brand",
        brand.id,
        brand_id=brand.id,
        page_enabled=page_enabled,
    )
    session.flush()
    return settings
