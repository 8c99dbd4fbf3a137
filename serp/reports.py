"""Displacement reports: the measures as JSON/CSV, the weekly e-mail and page, and alerts.

- :func:`brand_report` gathers every figure of :mod:`serp.displacement` for a brand (or one query).
- :func:`send_weekly_reports` mails each brand's report once per week; the worker calls it after
  the week's checks. Two workers may call it at once: a row per brand and week is claimed first.
- :func:`alerts_after_check` finds what a finished check should alert about (a new negative result
  on page one, a negative item up 3 or more places); :func:`send_alerts` mails and posts them.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
import requests
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.api import iso
from core.db import db, utcnow
from core.i18n import current_language, language
from core.mail import send_mail
from core.models import User
from core.outbound import OutboundBlocked, post_json
from core.tenants import Brand, BrandMember
from serp import brand_history, query_figures
from serp import displacement as dsp
from serp.models import CheckStatus, Label, SerpCheck, SerpResultRow, TrackedQuery, WeeklyReportSent
from serp.plans import plan_summary, plans_of
from serp.presentation import STAGE_NAMES, pct, shown
from serp.summaries import labelling_for_brand

logger = logging.getLogger("serp.reports")

ALERT_RISE = 3  # places a negative item must climb in one check to alert


# --- the measures -------------------------------------------------------------------------------


FIGURES_KEPT = 16  # brand reports kept per process, the most recently used


class FiguresCache:
    """The figures of the reports last computed, each with the stamp of the data it was computed
    from (:func:`serp.brand_history.data_stamp`, or the kept parts' for the whole brand). A
    report is served from here only while its data's stamp is unchanged, so a dashboard viewed
    again and again between two weekly checks is computed once; a new check, a label, an owned
    page or a changed query makes the next view compute it afresh. The figures are shared
    between requests: readers never change them."""

    def __init__(self, size: int = FIGURES_KEPT) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]]
        self._entries = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], stamp: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            kept = self._entries.get(key)
            if kept is None or kept[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return kept[1]

    def put(self, key: tuple[Any, ...], stamp: tuple[Any, ...], figures: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = (stamp, figures)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def figures_cache() -> FiguresCache | None:
    """This application's cache of figures (None outside an application context)."""
    if not has_app_context():
        return None
    return current_app.extensions.setdefault("pageone.serp_figures", FiguresCache())


def brand_report(
    session: Session,
    brand: Brand,
    *,
    query_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    with_checks: bool = True,
    with_windows: bool = True,
    windows_of: int | None = None,
    every_window: bool = True,
    with_assets: bool = True,
    keep: bool = True,
    stored: bool = True,
) -> dict[str, Any]:
    """Every displacement figure of the brand (or of one of its queries) as plain data.
    ``windows_of``: the "is it working" windows of only that many negative items, the most
    visible first (a page that shows no more); without ``with_assets``, the owned assets'
    figures and windows are left out (the weekly report shows neither). Every negative item
    has every figure. The figures come from :class:`FiguresCache` when the data is as it was
    when they were computed; the plans are read every time. ``keep=False``: computed and not
    kept, for a report that will not be asked for again (one that ends at this moment).

    A report over every check of every query, without per-check history, is merged from each
    query's kept part (:mod:`serp.query_figures`); so is one until a moment that no check is
    later than (the weekly report). Any other (or with ``stored=False``) computes each query's
    part from its checks and merges them the same way."""
    query_ids = [query_id] if query_id is not None else None
    labelling = labelling_for_brand(session, brand.id)
    period = {"query_ids": query_ids, "since": since, "until": until}
    key = (brand.id, brand.timezone, query_id, since, until, with_checks, with_windows,
           windows_of, every_window, with_assets)  # fmt: skip
    cache = figures_cache() if keep else None
    figures = stamp = brand_stamp = None
    zone = ZoneInfo(brand.timezone)
    # Over every check of every query, without per-check history: merged from query parts
    # (a report until now, as the weekly one, is over every check when none is later).
    whole = (
        query_id is None
        and since is None
        and (until is None or not _checked_after(session, brand.id, until))
    )
    parts = stored and whole and not with_checks
    if parts:
        brand_stamp = query_figures.brand_stamp(session, brand.id, labelling, zone)
        stamp = (labelling.fingerprint, labelling.owned_digest, brand_stamp.key)
    elif cache is not None:
        stamp = brand_history.data_stamp(session, brand.id, labelling=labelling, **period)
    if cache is not None:
        figures = cache.get(key, stamp)
    if figures is None and parts:
        figures, brand_stamp = query_figures.brand_figures(
            session, brand.id, labelling, zone, with_windows=with_windows,
            windows_of=windows_of, every_window=every_window, stamp=brand_stamp,
        )  # fmt: skip
        if not with_assets:  # the same figures, without the assets' own
            figures = {**figures, "assets": [], "is_it_working": []}
        if cache is not None:
            cache.put(key, stamp, figures)
    if figures is None:
        data = brand_history.load_brand_history(
            session, brand.id, compositions=with_checks, assets=with_assets,
            labelling=labelling, zone=zone, **period,
        )  # fmt: skip
        figures = _figures(
            session, brand, data, with_checks, with_windows, windows_of, every_window
        )
        if cache is not None:
            cache.put(key, stamp, figures)
    plans = [
        plan_summary(session, plan)
        for plan in plans_of(session, brand.id)
        if query_id is None or plan.query_id == query_id
    ]
    return {
        "brand": {"id": brand.id, "slug": brand.slug, "name": brand.name},
        **figures,
        "plans": plans,
    }


def _checked_after(session: Session, brand_id: int, moment: datetime) -> bool:
    """Whether any check of the brand's queries is later than ``moment``."""
    later = select(SerpCheck.id).where(
        SerpCheck.query_id.in_(select(TrackedQuery.id).where(TrackedQuery.brand_id == brand_id)),
        SerpCheck.checked_at > moment,
    )
    return session.scalar(select(later.exists())) or False


def _figures(
    session: Session,
    brand: Brand,
    data: brand_history.BrandHistory,
    with_checks: bool,
    with_windows: bool,
    windows_of: int | None,
    every_window: bool,
) -> dict[str, Any]:
    """The report's figures from the brand's history: all but the brand and its plans. Each
    query's part is computed from its history and merged as kept parts are: one arithmetic."""
    zone = ZoneInfo(brand.timezone)
    computed = {
        h.query_id: query_figures.query_part(h, data.labels, data.assets, zone)
        for h in data.histories
    }
    shown = [
        query_figures.QueryShown(h.query_id, h.text, h.importance, h.depth) for h in data.histories
    ]
    report = query_figures.merge(
        session, shown, {query_id: part[0] for query_id, part in computed.items()}, computed,
        data.assets, data.curve, with_windows, windows_of, every_window,
    )  # fmt: skip
    if with_checks:
        for entry, history in zip(report["queries"], data.histories, strict=True):
            entry["history"] = [
                {
                    "checked_at": iso(c.checked_at),
                    "status": c.status,
                    "score": c.score,
                    "composition": c.counts or None,
                }
                for c in history.checks
            ]
    return report


CSV_COLUMNS = ("section", "query_id", "query", "when", "url", "measure", "value", "note")


def report_csv_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    """The report as long rows: one measure per line, notes beside missing values."""
    yield list(CSV_COLUMNS)
    yield ["brand", "", "", "", "", "brand_score", report["brand_score"], ""]
    for week in report["weeks"]:
        note = "" if week["score"] is not None else "no good check"
        yield ["week", "", "", week["week"], "", "brand_score", week["score"], note]
    for query in report["queries"]:
        base = ["query", query["id"], query["text"], query["latest_check_at"] or ""]
        yield [*base, "", "page_one_score", query["score"], ""]
        for name, count in (query["composition"] or {}).items():
            yield [*base, "", name, count, ""]
        for check in query.get("history", []):
            note = "" if check["status"] == CheckStatus.OK.value else f"{check['status']}: a gap"
            yield [
                "check", query["id"], query["text"], check["checked_at"], "",
                "page_one_score", check["score"], note,
            ]  # fmt: skip
    for item in report["negative_items"]:
        for name in (
            "current", "best", "worst", "change_last", "change_4w", "change_12w",
            "weeks_on_page_one", "needed",
        ):  # fmt: skip
            value = item[name]
            note = item["notes"].get(name, "") if value is None else ""
            if value is None and not note:
                note = f"> {item['depth']}"
            yield ["negative", item["query_id"], item["query"], "", item["url"], name, value, note]
    for asset in report["assets"]:
        for name in ("first_seen", "best"):
            seen = asset[name]
            yield [
                "asset", seen["query_id"] if seen else "", "", seen["checked_at"] if seen else "",
                asset["url"], name, seen["position"] if seen else None,
                "" if seen else "not seen in results",
            ]  # fmt: skip
        for out in asset["outranks"]:
            yield ["asset", out["query_id"], "", "", asset["url"], "outranks", out["url"], ""]
    for window in report["is_it_working"]:
        for name in ("median_before", "median_after"):
            value = window[name]
            note = window["notes"].get(name.removeprefix("median_"), "")
            yield [
                "is_it_working", window["query_id"], "", window["published_at"], window["url"],
                f"{name} ({window['asset']})", value, note,
            ]  # fmt: skip


def report_csv(report: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in report_csv_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


@click.command("report")
@click.option("--brand", "slug", required=True, help="The brand's slug.")
@click.option("--query", "query_id", type=int, help="Only this tracked query.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@with_appcontext
def report_command(slug: str, query_id: int | None, fmt: str) -> None:
    """Print a brand's displacement measures: scores, composition, negative items, assets."""
    import json

    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise click.ClickException(f"No brand with the slug {slug!r}.")
    if query_id is not None:
        query = db.session.get(TrackedQuery, query_id)
        if query is None or query.brand_id != brand.id:
            raise click.ClickException(f"No tracked query {query_id} of {brand.name}.")
    report = brand_report(db.session, brand, query_id=query_id)
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report_csv(report), nl=False)


# --- the weekly report --------------------------------------------------------------------------


def weekly_summary(session: Session, brand: Brand, now: datetime) -> dict[str, Any]:
    """What the weekly report says: this week's figures beside last week's."""
    report = brand_report(
        session, brand, until=now, with_checks=False, with_windows=False, with_assets=False,
        keep=False,
    )  # fmt: skip
    weeks = [w for w in report["weeks"] if w["score"] is not None]
    previous = weeks[-2]["score"] if len(weeks) >= 2 else None
    on_page_one = [i for i in report["negative_items"] if i["needed"] > 0]
    pushed_off = [
        i for i in report["negative_items"]
        if i["needed"] == 0 and i["change_last"] is not None and i["current"] is not None
        and i["current"] - i["change_last"] <= dsp.PAGE_ONE
    ]  # fmt: skip
    return {
        "report": report,
        "brand": brand,
        "week": dsp.week_start(now, ZoneInfo(brand.timezone)),
        "score": report["brand_score"],
        "previous_score": previous,
        "on_page_one": on_page_one,
        "pushed_off": pushed_off,
        "needed": sum(i["needed"] for i in on_page_one),
        "generated_at": now,
    }


def weekly_text(summary: Mapping[str, Any]) -> str:
    """The plain-text part of the weekly report."""
    report, brand = summary["report"], summary["brand"]
    on_page_one = len(summary["on_page_one"])
    lines = [
        _(
            "%(brand)s — search results, week of %(week)s",
            brand=brand.name,
            week=summary["week"].isoformat(),
        ),
        "",
        _(
            "Brand score %(score)s (previous week %(previous)s), from -100 (page one all "
            "negative) to +100 (all owned or positive).",
            score=pct(summary["score"]),
            previous=pct(summary["previous_score"]),
        ),
        ngettext(
            "%(num)d negative item on page one;", "%(num)d negative items on page one;", on_page_one
        )
        + " "
        + ngettext(
            "%(num)d result must move above them to push them all off.",
            "%(num)d results must move above them to push them all off.",
            summary["needed"],
        ),
        "",
        _(
            "Page one per query (positions 1-10: O owned, + positive, n neutral, . unlabelled,"
            " X negative):"
        ),
    ]
    letters = {"owned": "O", "positive": "+", "neutral": "n", "unlabelled": ".", "negative": "X"}
    for query in report["queries"]:
        strip = "".join(letters.get(label, " ") for label in query["strip"]) or _("no good check")
        lines.append(f"  [{strip:10}] {pct(query['score']):>6}  {query['text']}")
    lines += ["", _("Negative items (now, since last check, 4 weeks, 12 weeks, needed):")]
    for item in report["negative_items"]:
        figures = ", ".join(
            shown(item, n) for n in ("current", "change_last", "change_4w", "change_12w", "needed")
        )
        lines.append(f"  {item['url']} — {item['query']}: {figures}")
    if not report["negative_items"]:
        lines.append("  " + _("none"))
    for plan in report["plans"]:
        stages = ", ".join(
            f"{count} {STAGE_NAMES.get(stage, stage)}" for stage, count in plan["stages"].items()
        )
        lines.append(_("Plan for %(url)s: %(stages)s", url=plan["negative_url"], stages=stages))
    lines += [
        "",
        _("Changes: + moved down (good), - moved up. Blocked or failed checks are left out."),
    ]
    return "\n".join(lines) + "\n"


def render_weekly(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the weekly report."""
    brand = summary["brand"]
    subject = _(
        "%(brand)s: search results, week of %(week)s",
        brand=brand.name,
        week=summary["week"].isoformat(),
    )
    text = weekly_text(summary)
    # Rendered without the request's context processors: the worker has no logged-in user.
    html = current_app.jinja_env.get_template("serp/report_email.html").render(
        **summary, report_language=current_language()
    )
    return subject, text, html


def _recipients(session: Session, brand_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.email)
            .join(BrandMember, BrandMember.user_id == User.id)
            .where(BrandMember.brand_id == brand_id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def _claim_week(app: Flask, brand_id: int, week: str) -> bool:
    with app.app_context(), db.job_session() as session:
        try:
            with session.begin_nested():
                session.add(WeeklyReportSent(brand_id=brand_id, week=week))
        except IntegrityError:
            return False
    return True


def send_weekly_reports(app: Flask, now: datetime) -> dict[str, int]:
    """Mail each brand with a good check in the last 7 days its weekly report, once per week.

    The claim is committed before the mail is sent, so two workers never send the same week;
    a mail that fails gives its claim back, so the next run tries again.
    """
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    with app.app_context():
        brand_ids = list(
            db.session.scalars(
                select(TrackedQuery.brand_id)
                .join(SerpCheck, SerpCheck.query_id == TrackedQuery.id)
                .where(
                    TrackedQuery.deleted_at.is_(None),
                    SerpCheck.status == CheckStatus.OK.value,
                    SerpCheck.checked_at > now - timedelta(days=7),
                    SerpCheck.checked_at <= now,
                )
                .distinct()
            )
        )
    for brand_id in sorted(brand_ids):
        with app.app_context():
            brand = db.session.get(Brand, brand_id)
            week = dsp.week_start(now, ZoneInfo(brand.timezone)).isoformat()
            recipients = _recipients(db.session, brand_id)
            if not recipients or not _claim_week(app, brand_id, week):
                counts["skipped"] += 1
                continue
            try:
                with language(brand.language):  # the brand's mail speaks the brand's language
                    subject, text, html = render_weekly(weekly_summary(db.session, brand, now))
                db.session.rollback()  # a read: its transaction ends before the mail goes
                send_mail(app.config, recipients, subject, text, html)
            except Exception:
                logger.exception(
                    "weekly report for brand %s failed; it will be tried again", brand_id
                )
                with db.job_session() as session:
                    session.execute(
                        delete(WeeklyReportSent).where(
                            WeeklyReportSent.brand_id == brand_id, WeeklyReportSent.week == week
                        )
                    )
                counts["failed"] += 1
                continue
            with db.job_session() as session:
                claim = session.scalar(
                    select(WeeklyReportSent).where(
                        WeeklyReportSent.brand_id == brand_id, WeeklyReportSent.week == week
                    )
                )
                claim.recipients, claim.sent_at = len(recipients), utcnow()
            counts["sent"] += 1
    return counts


# --- alerts -------------------------------------------------------------------------------------


@dataclass
class Alert:
    """Something a finished check found that a person should see now."""

    kind: str  # "new_on_page_one" | "moved_up"
    brand_id: int
    query_id: int
    query: str
    check_id: int
    checked_at: datetime
    url: str
    position: int
    previous: int | None  # None: not in the previous good check (below depth)

    @property
    def message(self) -> str:
        """The alert in the current language (English outside a request or ``language``)."""
        if self.kind == "new_on_page_one":
            if self.previous:
                return _(
                    "New negative result on page one for “%(query)s”: %(url)s at %(position)s "
                    "(was %(previous)s).",
                    query=self.query, url=self.url, position=self.position,
                    previous=self.previous,
                )  # fmt: skip
            return _(
                "New negative result on page one for “%(query)s”: %(url)s at %(position)s "
                "(was not in the results).",
                query=self.query, url=self.url, position=self.position,
            )  # fmt: skip
        return _(
            "Negative result moved up for “%(query)s”: %(url)s from %(previous)s to %(position)s.",
            query=self.query, url=self.url, previous=self.previous, position=self.position,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checked_at": iso(self.checked_at), "message": self.message}


def _positions(session: Session, check_id: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for url, position in session.execute(
        select(SerpResultRow.normalized_url, SerpResultRow.position)
        .where(SerpResultRow.check_id == check_id)
        .order_by(SerpResultRow.position.desc())
    ):
        positions[url] = position  # ascending overwrite keeps each URL's best position
    return positions


def alerts_after_check(session: Session, check: SerpCheck) -> list[Alert]:
    """Alerts for a check that just finished: compared with the good check before it.

    Blocked and failed checks say nothing of positions, so they raise no alert, and the check
    compared with is the previous *good* one.
    """
    from serp.labels import classifier_for_brand

    if check.status != CheckStatus.OK.value:
        return []
    query = session.get(TrackedQuery, check.query_id)
    previous = session.scalar(
        select(SerpCheck.id)
        .where(
            SerpCheck.query_id == check.query_id,
            SerpCheck.status == CheckStatus.OK.value,
            SerpCheck.checked_at < check.checked_at,
        )
        .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
        .limit(1)
    )
    now_positions = _positions(session, check.id)
    before = _positions(session, previous) if previous is not None else {}
    classifier = classifier_for_brand(session, query.brand_id)
    alerts = []
    for url, position in sorted(now_positions.items(), key=lambda item: item[1]):
        if classifier.label(url, normalized=True) != Label.NEGATIVE.value:
            continue
        old = before.get(url)
        kind = None
        if (
            previous is not None
            and position <= dsp.PAGE_ONE
            and (old is None or old > dsp.PAGE_ONE)
        ):
            kind = "new_on_page_one"
        elif previous is None and position <= dsp.PAGE_ONE:
            kind = "new_on_page_one"  # the query's first good check
        elif old is not None and old - position >= ALERT_RISE:
            kind = "moved_up"
        if kind:
            alerts.append(
                Alert(
                    kind,
                    query.brand_id,
                    query.id,
                    query.text,
                    check.id,
                    check.checked_at,
                    url,
                    position,
                    old,
                )  # fmt: skip
            )
    return alerts


def send_alerts(app: Flask, alerts: list[Alert]) -> dict[str, int]:
    """Mail each brand's members its alerts, and post them to NOTIFY_WEBHOOK_URL if set."""
    counts = {"mailed": 0, "webhooks": 0, "failed": 0}
    by_brand: dict[int, list[Alert]] = {}
    for alert in alerts:
        by_brand.setdefault(alert.brand_id, []).append(alert)
    for brand_id, brand_alerts in by_brand.items():
        with app.app_context():
            brand = db.session.get(Brand, brand_id)
            recipients = _recipients(db.session, brand_id)
            with language(brand.language):
                lines = [alert.message for alert in brand_alerts]
                subject = ngettext(
                    "%(brand)s: %(num)d search-result alert",
                    "%(brand)s: %(num)d search-result alerts",
                    len(lines),
                    brand=brand.name,
                )
        text = "\n".join(f"- {line}" for line in lines) + "\n"
        try:
            if send_mail(app.config, recipients, subject, text):
                counts["mailed"] += 1
        except Exception:
            logger.exception("alert mail for brand %s failed", brand_id)
            counts["failed"] += 1
        url = app.config.get("NOTIFY_WEBHOOK_URL")
        if url:
            payload = {
                "event": "serp.alerts",
                "brand": {"id": brand.id, "slug": brand.slug, "name": brand.name},
                "alerts": [alert.to_dict() for alert in brand_alerts],
            }
            try:
                response = post_json(url, payload, app.config)
                response.raise_for_status()
                counts["webhooks"] += 1
            except (OutboundBlocked, requests.RequestException) as exc:
                # The URL is the operator's; the error is logged without the payload.
                logger.warning("alert webhook for brand %s failed: %s", brand_id, exc)
                counts["failed"] += 1
    return counts
