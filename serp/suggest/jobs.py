"""The worker's autocomplete round: keep each brand's terms in line with its queries, look up the
due ones (each term, engine and locale once a week), store them, and alert the brand's members
once when a negative suggestion first appears."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from core.claims import default_worker_id
from core.db import db, utcnow
from core.i18n import language
from core.mail import send_mail
from core.models import User
from core.outbound import OutboundBlocked, post_json
from core.tenants import Brand, BrandMember
from serp import operations as query_ops
from serp.models import TrackedQuery
from serp.suggest import operations as ops
from serp.suggest.fetch import SuggestAnswer, fetch_suggestions
from serp.suggest.models import NegativeSuggestionSeen, SuggestSettings, SuggestTerm

logger = logging.getLogger("serp.suggest")
INTERVAL_SECONDS = 300
# Terms claimed per round: at the default pace of one request a second per engine, a round
# ends well inside the claims' ten-minute lease.
TERMS_PER_ROUND = 200

Fetcher = Callable[..., SuggestAnswer]


def serpapi_key(session: Any, brand_id: int, config: Any) -> str | None:
    """The SerpApi key of one of the brand's queries, when it has one."""
    for query in session.scalars(
        select(TrackedQuery).where(
            TrackedQuery.brand_id == brand_id,
            TrackedQuery.provider == "serpapi",
            TrackedQuery.deleted_at.is_(None),
        )
    ):
        key = query_ops.provider_settings_of(query, config).get("api_key")
        if key:
            return str(key)
    return None


def sync_all(app: Flask, now: datetime) -> int:
    """Keep every active brand's terms in line with its queries and words; terms added."""
    added = 0
    with app.app_context(), db.job_session() as session:
        brands = session.scalars(
            select(Brand).where(
                Brand.archived_at.is_(None),
                Brand.id.in_(
                    select(TrackedQuery.brand_id)
                    .where(TrackedQuery.deleted_at.is_(None))
                    .union(select(SuggestSettings.brand_id), select(SuggestTerm.brand_id))
                ),
            )
        ).all()
        for brand in brands:
            added += ops.sync_terms(session, brand, now)["added"]
    return added


def lookup(
    app: Flask, term_id: int, worker_id: str, fetch: Fetcher, now: datetime | None = None
) -> dict[str, int]:
    """Look one claimed term up and store it; the negatives it showed for the first time."""
    with app.app_context(), db.job_session() as session:
        term = session.get(SuggestTerm, term_id)
        if term is None:
            return {"stored": 0, "new_negatives": 0}
        text, engine, language, country = term.text, term.engine, term.language, term.country
        key = serpapi_key(session, term.brand_id, app.config) if engine == "google" else None
    source = "serpapi" if key else engine
    answer = fetch(app.config, source, text, language, country, api_key=key)
    with app.app_context(), db.job_session() as session:
        term = session.get(SuggestTerm, term_id)
        if term is None:
            return {"stored": 0, "new_negatives": 0}
        label_of = ops.labeller_for_brand(session, term.brand_id)
        stored, first = ops.store_answer(
            session, term, answer, now or utcnow(), label_of, worker_id
        )
    logger.info("suggestions of term %s: %s %s", term_id, answer.status, answer.reason or "")
    return {"stored": int(stored is not None), "new_negatives": len(first)}


def suggestions_round(
    app: Flask,
    worker_id: str | None = None,
    fetch: Fetcher = fetch_suggestions,
    now: datetime | None = None,
) -> dict[str, int]:
    """One round: sync terms, look up the due ones, send the alerts not yet sent. ``now`` is
    the round's time (the clock when not given)."""
    worker_id = worker_id or default_worker_id()
    fixed = now
    now = now or utcnow()
    counts = {"added": sync_all(app, now), "claimed": 0, "stored": 0, "new_negatives": 0}
    limit = int(app.config.get("SUGGEST_TERMS_PER_ROUND", TERMS_PER_ROUND))
    with app.app_context(), db.job_session() as session:
        claimed = ops.claim_due_terms(session, worker_id, now, limit)
    counts["claimed"] = len(claimed)
    for term_id in claimed:
        try:
            done = lookup(app, term_id, worker_id, fetch, fixed)
        except Exception:
            logger.exception("suggestions of term %s not stored", term_id)
            continue
        counts["stored"] += done["stored"]
        counts["new_negatives"] += done["new_negatives"]
    counts.update(send_alerts(app, now))
    if counts["claimed"]:
        logger.info("suggestion round: %s", counts)
    return counts


def _recipients(session: Any, brand_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.email)
            .join(BrandMember, BrandMember.user_id == User.id)
            .where(BrandMember.brand_id == brand_id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def alert_line(seen: NegativeSuggestionSeen) -> str:
    where = f"{seen.engine.title()} {seen.language}-{seen.country.upper()}"
    return _(
        "“%(text)s” is suggested for “%(term)s” (%(where)s).",
        text=seen.text, term=seen.term.strip(), where=where,
    )  # fmt: skip


def send_alerts(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Mail each brand's members the negative suggestions that appeared for the first time, and
    post them to NOTIFY_WEBHOOK_URL if set. Each is taken before it is sent, so two workers
    never send one twice; a send that fails is logged, not repeated."""
    counts = {"alerts": 0, "mailed": 0, "webhooks": 0, "failed": 0}
    with app.app_context(), db.job_session() as session:
        pending = ops.unsent_alerts(session)
        taken = set(ops.claim_alerts(session, [s.id for s in pending], now or utcnow()))
        by_brand: dict[int, list[NegativeSuggestionSeen]] = {}
        for seen in pending:
            if seen.id in taken:
                by_brand.setdefault(seen.brand_id, []).append(seen)
        brands = {b.id: b for b in session.scalars(select(Brand).where(Brand.id.in_(by_brand)))}
        recipients = {brand_id: _recipients(session, brand_id) for brand_id in by_brand}
    base = (app.config.get("BASE_URL") or "").rstrip("/")
    for brand_id, items in by_brand.items():
        brand = brands[brand_id]
        counts["alerts"] += len(items)
        with app.app_context(), language(brand.language):  # the brand's mail, its language
            lines = [alert_line(s) for s in items]
            subject = ngettext(
                "%(brand)s: new negative search suggestion",
                "%(brand)s: new negative search suggestions",
                len(lines),
                brand=brand.name,
            )
        page = f"{base}/brands/{brand_id}/search/suggestions" if base else ""
        text = "\n".join(f"- {line}" for line in lines) + (f"\n\n{page}\n" if page else "\n")
        try:
            if recipients[brand_id] and send_mail(app.config, recipients[brand_id], subject, text):
                counts["mailed"] += 1
        except Exception:
            logger.exception("suggestion alert mail for brand %s failed", brand_id)
            counts["failed"] += 1
        url = app.config.get("NOTIFY_WEBHOOK_URL")
        if url:
            payload = {
                "event": "serp.suggestion_alerts",
                "brand": {"id": brand.id, "slug": brand.slug, "name": brand.name},
                "suggestions": [
                    {
                        "text": s.text, "term": s.term, "engine": s.engine,
                        "language": s.language, "country": s.country,
                        "first_seen_at": s.first_seen_at.astimezone(UTC).isoformat(),
                        "message": alert_line(s),
                    }
                    for s in items
                ],
            }  # fmt: skip
            try:
                response = post_json(url, payload, app.config)
                response.raise_for_status()
                counts["webhooks"] += 1
            except (OutboundBlocked, requests.RequestException) as exc:
                logger.warning("suggestion alert webhook for brand %s failed: %s", brand_id, exc)
                counts["failed"] += 1
    return counts


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the autocomplete round to the worker, every five minutes."""
    scheduler.add_job(
        suggestions_round,
        "interval",
        seconds=int(app.config.get("SUGGEST_INTERVAL_SECONDS", INTERVAL_SECONDS)),
        args=[app, worker_id],
        id="serp-suggestions",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
