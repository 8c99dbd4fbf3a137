"""Running a crisis playbook: open it (from a spike alert or by hand), time its checklist, close
it with a timeline for the post-mortem.

Opening a real run, in this order: pause the brand's publishing (planner's switch), draft the
approved first statement on the brand's channel on the platform where the crisis started first
(the earliest mention of the alert's spike), publish the public updates page with the approved
statement for the page, and e-mail the committee. A rehearsal does none of the first three: it
shows what the draft and the page would say, and the committee's mails go out with
"[REHEARSAL]" before the subject, so the committee practises too.

One real run is open per brand at a time (``CrisisRun.open_key`` is unique): opening the same
alert twice, from two tabs or by two admins at once, finds the first run.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, i18n
from core.errors import NotFound, Refused
from core.mail import send_mail
from core.models import Role, User
from core.tenants import Brand
from listening import crisis
from listening.models import OVERALL, CrisisAlert, Mention, MentionSource
from listening.operations import ListeningError
from listening.playbook_models import (
    LANGUAGES,
    STARTED_ON,
    STATEMENT_PLATFORMS,
    CrisisRun,
    CrisisRunStep,
    CrisisScenario,
    severity_name,
)
from listening.playbooks import approved_text, fill

logger = logging.getLogger("listening.playbooks")

REHEARSAL_TAG = "[REHEARSAL]"
# Where a mention was posted, by its address, when its source does not say (a feed or an upload).
HOSTS = {
    "x.com": "x",
    "twitter.com": "x",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "linkedin.com": "linkedin",
    "bsky.app": "bluesky",
}
SOURCE_PLATFORMS = {"mastodon_tag": "mastodon", "mastodon_search": "mastodon"}
SOURCE_PLATFORMS["bluesky_search"] = "bluesky"


def platform_of(mention: Mention, source_kind: str | None) -> str:
    """The platform a mention was posted on; "web" for news, blogs and anything else."""
    if mention.platform in STATEMENT_PLATFORMS:
        return mention.platform
    if source_kind in SOURCE_PLATFORMS:
        return SOURCE_PLATFORMS[source_kind]
    host = (urlsplit(mention.url or "").hostname or "").lower().removeprefix("www.")
    host = host.removeprefix("mobile.").removeprefix("m.")
    return HOSTS.get(host, "web")


def first_mention(session: Session, alert: CrisisAlert) -> tuple[Mention, str] | None:
    """The earliest mention of the alert's spike (the hour before it, on its terms) and the
    kind of its source."""
    terms = {entry["term"] for entry in crisis.alert_terms(alert)}
    rows = session.execute(
        select(Mention, MentionSource.kind)
        .join(MentionSource, MentionSource.id == Mention.source_id)
        .where(
            Mention.brand_id == alert.brand_id,
            Mention.published_at > alert.created_at - crisis.HOUR,
            Mention.published_at <= alert.created_at,
        )
        .order_by(Mention.published_at, Mention.id)
    )
    for mention, kind in rows:
        if OVERALL in terms or terms.intersection(mention.key_terms or []):
            return mention, kind
    return None


def run_for(session: Session, brand: Brand, run_id: int | None) -> CrisisRun:
    run = session.get(CrisisRun, run_id) if run_id else None
    if run is None or run.brand_id != brand.id:
        raise NotFound(f"No playbook run {run_id} for this brand.")
    return run


def open_run_of(session: Session, brand_id: int) -> CrisisRun | None:
    """The brand's real run that is not closed yet, if any."""
    return session.scalar(select(CrisisRun).where(CrisisRun.open_key == brand_id))


def runs_of(session: Session, brand_id: int, limit: int = 50) -> list[CrisisRun]:
    return list(
        session.scalars(
            select(CrisisRun)
            .where(CrisisRun.brand_id == brand_id)
            .order_by(CrisisRun.opened_at.desc(), CrisisRun.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Opened:
    run: CrisisRun
    created: bool  # False: this alert's run was already open


def _same_crisis(run: CrisisRun, alert: CrisisAlert | None) -> bool:
    return run.alert_id == (alert.id if alert is not None else None)


def _already_open(run: CrisisRun, alert: CrisisAlert | None) -> Opened:
    if _same_crisis(run, alert):
        return Opened(run, False)
    raise ListeningError(
        _(
            "The playbook “%(name)s” is already open for this brand: close it before "
            "opening another (or open this one as a rehearsal).",
            name=run.scenario_name,
        )
    )


def open_playbook(
    session: Session,
    config: Mapping[str, Any],
    brand: Brand,
    actor: User,
    scenario: CrisisScenario,
    *,
    alert: CrisisAlert | None = None,
    rehearsal: bool = False,
    language: str | None = None,
    platform: str | None = None,
    updates_url: str,
    run_url: Callable[[int], str],
    now: datetime,
) -> Opened:
    """Open the scenario's playbook for the crisis (see the module's docstring); flushes."""
    if not actor.has_role(Role.ADMIN):
        raise ListeningError(_("Only admins open a crisis playbook."))
    errors = []
    if language not in (None, "") and language not in LANGUAGES:
        errors.append(f"'language' must be one of: {', '.join(LANGUAGES)}.")
    channel_platforms = [p for p in STATEMENT_PLATFORMS if p != "social"]
    if platform not in (None, "") and platform not in channel_platforms:
        errors.append(f"'platform' must be one of: {', '.join(channel_platforms)}.")
    if alert is not None and alert.brand_id != brand.id:
        errors.append(_("That alert is another brand's."))
    if errors:
        raise ListeningError(*errors)
    if not rehearsal and (existing := open_run_of(session, brand.id)) is not None:
        return _already_open(existing, alert)

    found = first_mention(session, alert) if alert is not None else None
    started_on = platform_of(*found) if found else "web"
    language = language or (found[0].language if found and found[0].language in LANGUAGES else None)
    run = CrisisRun(
        brand_id=brand.id,
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        severity=scenario.severity,
        alert_id=alert.id if alert else None,
        rehearsal=rehearsal,
        open_key=None if rehearsal else brand.id,
        platform=platform or started_on,
        language=language or scenario.default_language,
        first_mention_at=found[0].published_at if found else None,
        first_mention_id=found[0].id if found else None,
        alert_at=alert.created_at if alert else None,
        opened_at=now,
        opened_by_id=actor.id,
        notes=[],
        notified=[],
        steps=[
            CrisisRunStep(position=n, title=title) for n, title in enumerate(scenario.checklist)
        ],
    )
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        # Another admin opened a run for the brand a moment ago: theirs is the crisis's run.
        existing = open_run_of(session, brand.id)
        if existing is None:
            raise
        return _already_open(existing, alert)
    notes: list[str] = []
    channel_text = approved_text(scenario, run.platform, run.language)
    page_text = approved_text(scenario, "web", run.language) or channel_text
    run.statement = fill(channel_text, brand, updates_url) if channel_text else ""
    run.page_statement = fill(page_text, brand, updates_url) if page_text else ""
    where = STATEMENT_PLATFORMS[run.platform]
    language_name = LANGUAGES[run.language]
    if not channel_text:
        notes.append(
            _(
                "No approved statement for %(where)s in %(language)s: write the first "
                "statement by hand, and approve one in the playbook for next time.",
                where=where,
                language=language_name,
            )
        )
    if rehearsal:
        notes.append(
            _(
                "Rehearsal: publishing was not paused, no draft was made on any channel and the "
                "public updates page was not changed."
            )
        )
    else:
        _pause(session, brand, actor, scenario, alert, run, notes)
        if run.statement:
            _draft(session, brand, actor, run, notes, now)
        if run.page_statement:
            crisis.open_page(
                session, brand, actor, title=crisis.page_title(brand),
                statement=run.page_statement, alert=alert, now=now,
            )  # fmt: skip
            run.page_published = True
            run.first_statement_at = now
        else:
            notes.append(_("No approved statement for the public updates page: it was not opened."))
    run.notes = notes
    session.flush()
    audit.record(
        session, actor, "crisis.playbook_opened", "crisis_run", run.id, brand_id=brand.id,
        scenario=scenario.name, rehearsal=rehearsal, platform=run.platform,
        language=run.language, alert_id=run.alert_id,
    )  # fmt: skip
    run.notified = notify_committee(config, brand, scenario, run, run_url(run.id))
    session.flush()
    return Opened(run, True)


def _pause(
    session: Session,
    brand: Brand,
    actor: User,
    scenario: CrisisScenario,
    alert: CrisisAlert | None,
    run: CrisisRun,
    notes: list[str],
) -> None:
    if brand.paused_at is not None:
        notes.append(_("Publishing was already paused: %(reason)s", reason=brand.pause_reason))
        return
    if alert is not None:
        crisis.pause_publishing(session, brand, actor, alert)
    else:
        from planner.pause import pause_brand

        pause_brand(
            session, brand, actor, _("Crisis playbook “%(name)s” opened", name=scenario.name)
        )
    run.paused_publishing = True


def _draft(
    session: Session, brand: Brand, actor: User, run: CrisisRun, notes: list[str], now: datetime
) -> None:
    from planner.drafts import channels_of, draft_in_next_free_slot

    if run.platform == "web":
        return  # news, blogs, forums: the public updates page is where the statement goes
    channel = next((c for c in channels_of(session, brand.id) if c.platform == run.platform), None)
    if channel is None:
        notes.append(
            _(
                "%(name)s has no channel on %(platform)s: post the statement there by hand, or "
                "reply from the inbox.",
                name=brand.name,
                platform=STATEMENT_PLATFORMS[run.platform],
            )
        )
        return
    try:
        with session.begin_nested():
            placed = draft_in_next_free_slot(
                session, channel.id, actor, text=run.statement, after=now, now=now
            )
    except Refused as exc:
        notes.append(_("The draft could not be made: %(why)s", why="; ".join(exc.errors)))
        return
    run.draft_post_id = placed.post_id
    run.draft_channel_id = channel.id


def _mail_text(
    brand: Brand, scenario: CrisisScenario, run: CrisisRun, member: Mapping[str, str], url: str
) -> str:
    lines = []
    if run.rehearsal:
        lines += [_("THIS IS A REHEARSAL. Nothing was paused or published."), ""]
    lines += [
        _(
            "%(member)s, you are on the crisis committee of %(brand)s as %(role)s.",
            member=member["name"],
            brand=brand.name,
            role=member["role"],
        ),
        _(
            "The playbook “%(name)s” (severity: %(severity)s) was opened.",
            name=scenario.name,
            severity=severity_name(scenario.severity),
        ),
        _("It started on %(where)s.", where=STARTED_ON[run.platform]),
        "",
        _("The run and its checklist: %(url)s", url=url),
        "",
        _("The first statement:"),
        run.statement or run.page_statement or _("(none approved yet: it is being written)"),
        "",
        _("The committee:"),
    ]
    for other in scenario.committee:
        reach = ", ".join(v for v in (other.get("email"), other.get("phone")) if v)
        lines.append(f"- {other['name']} ({other['role']}): {reach}")
    lines += ["", _("The checklist:")]
    lines += [f"{n}. {step.title}" for n, step in enumerate(run.steps, 1)]
    return "\n".join(lines)


def notify_committee(
    config: Mapping[str, Any],
    brand: Brand,
    scenario: CrisisScenario,
    run: CrisisRun,
    run_url: str,
) -> list[dict[str, Any]]:
    """E-mail each member notified by e-mail; list the ones to call. What was delivered.
    The mails speak the brand's language."""
    with i18n.language(brand.language):
        return _notify_committee(config, brand, scenario, run, run_url)


def _notify_committee(
    config: Mapping[str, Any],
    brand: Brand,
    scenario: CrisisScenario,
    run: CrisisRun,
    run_url: str,
) -> list[dict[str, Any]]:
    subject = _(
        "Crisis playbook opened: %(name)s (%(severity)s) — %(brand)s",
        name=scenario.name,
        severity=severity_name(scenario.severity),
        brand=brand.name,
    )
    if run.rehearsal:
        subject = f"{REHEARSAL_TAG} {subject}"
    results = []
    for member in scenario.committee:
        result: dict[str, Any] = {"name": member["name"], "role": member["role"]}
        if member.get("notify_by") in ("phone", "both"):
            result["call"] = member.get("phone")
        if member.get("notify_by") in ("email", "both"):
            result["email"] = member["email"]
            try:
                text = _mail_text(brand, scenario, run, member, run_url)
                result["sent"] = send_mail(config, member["email"], subject, text)
                if not result["sent"]:
                    result["error"] = NO_MAIL_SERVER
            except Exception as exc:  # noqa: BLE001 - one failed mail must not stop the others
                logger.warning("committee mail failed: %s", type(exc).__name__)
                result["sent"], result["error"] = False, type(exc).__name__
        results.append(result)
    return results


# --- the checklist and closing ------------------------------------------------------------------


def _open_step(session: Session, run: CrisisRun, step_id: int | None) -> CrisisRunStep:
    step = session.get(CrisisRunStep, step_id) if step_id else None
    if step is None or step.run_id != run.id:
        raise NotFound(f"No step {step_id} in this run.")
    if run.closed_at is not None:
        raise ListeningError(_("This run is closed: its checklist can no longer change."))
    return step


def mark_step(
    session: Session, run: CrisisRun, step_id: int | None, action: str, actor: User, now: datetime
) -> CrisisRunStep:
    """Start a step or mark it done (a step done without being started starts then too)."""
    if not actor.has_role(Role.EDITOR):
        raise ListeningError(_("Viewers follow the checklist; editors and admins tick it."))
    if action not in ("start", "done"):
        raise ListeningError("A step is started ('start') or done ('done').")
    step = _open_step(session, run, step_id)
    if step.started_at is None:
        step.started_at, step.started_by_id = now, actor.id
    if action == "done" and step.done_at is None:
        step.done_at, step.done_by_id = now, actor.id
    session.flush()
    return step


def close_run(
    session: Session, run: CrisisRun, actor: User, resolution: Any, now: datetime
) -> CrisisRun:
    """Close the crisis: its resolution is written and the timeline fixed."""
    if not actor.has_role(Role.ADMIN):
        raise ListeningError(_("Only admins close a crisis."))
    if resolution is not None and not isinstance(resolution, str):
        raise ListeningError("'resolution' must be text.")
    if run.closed_at is not None:
        raise ListeningError(_("This run is already closed."))
    resolution = (resolution or "").strip()
    if len(resolution) > 5000:
        raise ListeningError(_("Keep the resolution to 5000 characters."))
    run.closed_at, run.closed_by_id = now, actor.id
    run.resolution = resolution
    run.open_key = None
    if run.rehearsal and run.first_statement_at is None:
        # A rehearsal's statement "goes out" when it is shown: its figures stay comparable.
        run.first_statement_at = run.opened_at
    session.flush()
    audit.record(
        session, actor, "crisis.playbook_closed", "crisis_run", run.id, brand_id=run.brand_id,
        rehearsal=run.rehearsal,
    )  # fmt: skip
    return run


# --- the timeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    label: str
    at: datetime | None
    since_previous: timedelta | None
    since_first: timedelta | None


def timeline(run: CrisisRun) -> list[Moment]:
    """First mention → alert → playbook opened → first statement → resolution, with the time
    from the moment before and from the first one (a moment without a time is skipped there)."""
    statement_at = run.first_statement_at or (run.opened_at if run.rehearsal else None)
    points = [
        ("First mention", run.first_mention_at),
        ("Alert", run.alert_at),
        ("Playbook opened", run.opened_at),
        ("First statement", statement_at),
        ("Resolution", run.closed_at),
    ]
    moments, previous, first = [], None, None
    for label, at in points:
        since_previous = at - previous if at and previous else None
        since_first = at - first if at and first else None
        moments.append(Moment(label, at, since_previous, since_first))
        if at is not None:
            previous = at
            first = first or at
    return moments


# Why a committee mail was not sent, stored in English with the run; pages put it in words.
NO_MAIL_SERVER = "no mail server is configured (SMTP_HOST)"


def mail_error_text(error: str | None) -> str:
    if error == NO_MAIL_SERVER:
        return _("no mail server is configured (SMTP_HOST)")
    return error or ""


# The moments of a timeline (stored labels are English, as in the exports); on pages, in words.
MOMENT_NAMES = {
    "First mention": _l("First mention"),
    "Alert": _l("Alert"),
    "Playbook opened": _l("Playbook opened"),
    "First statement": _l("First statement"),
    "Resolution": _l("Resolution"),
}


def moment_name(label: str) -> str:
    return str(MOMENT_NAMES.get(label, label))


def duration_text(delta: timedelta | None) -> str:
    """A duration as people read it: 4 min, 2 h 05 min, 1 d 3 h."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=f"{minutes:02d}")
    days, hours = divmod(hours, 24)
    return _("%(days)s d %(hours)s h", days=days, hours=hours)


def _stamp(at: datetime | None, brand: Brand) -> str:
    return at.astimezone(brand.zone).strftime("%Y-%m-%d %H:%M") if at else ""


def timeline_markdown(run: CrisisRun, brand: Brand, names: Mapping[int, str]) -> str:
    """The post-mortem's timeline and checklist as Markdown, in the brand's time zone; in
    English, like the CSV export, whatever the page's language."""
    with i18n.language("en"):
        return _timeline_markdown(run, brand, names)


def _timeline_markdown(run: CrisisRun, brand: Brand, names: Mapping[int, str]) -> str:
    kind = " (rehearsal)" if run.rehearsal else ""
    lines = [
        f"# {run.scenario_name}{kind}: {brand.name}",
        "",
        f"Severity: {run.severity}. Started on {STARTED_ON[run.platform]}; "
        f"statement in {LANGUAGES[run.language]}. Times in {brand.timezone}.",
        "",
        "| Moment | When | Since the step before | Since the first mention |",
        "|---|---|---|---|",
    ]
    for m in timeline(run):
        lines.append(
            f"| {m.label} | {_stamp(m.at, brand) or '—'} | {duration_text(m.since_previous)} "
            f"| {duration_text(m.since_first)} |"
        )
    lines += ["", "## Checklist", "", "| Step | Started | Done | By |", "|---|---|---|---|"]
    for step in run.steps:
        who = names.get(step.done_by_id or step.started_by_id or 0, "")
        title = step.title.replace("|", "/")
        lines.append(
            f"| {title} | {_stamp(step.started_at, brand) or '—'} "
            f"| {_stamp(step.done_at, brand) or 'not done'} | {who} |"
        )
    if run.resolution:
        lines += ["", "## Resolution", "", run.resolution]
    return "\n".join(lines) + "\n"


def timeline_csv(run: CrisisRun, brand: Brand, names: Mapping[int, str]) -> str:
    """One row per moment and per step: kind, what, started, done (UTC), minutes, by."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "what", "at_utc", "done_utc", "minutes_since_previous", "by"])
    for m in timeline(run):
        minutes = round(m.since_previous.total_seconds() / 60, 1) if m.since_previous else ""
        writer.writerow(["moment", m.label, m.at.isoformat() if m.at else "", "", minutes, ""])
    for step in run.steps:
        took = (
            round((step.done_at - step.started_at).total_seconds() / 60, 1)
            if step.done_at and step.started_at
            else ""
        )
        writer.writerow([
            "step", step.title,
            step.started_at.isoformat() if step.started_at else "",
            step.done_at.isoformat() if step.done_at else "",
            took, names.get(step.done_by_id or step.started_by_id or 0, ""),
        ])  # fmt: skip
    return out.getvalue()


def people(session: Session, run: CrisisRun) -> dict[int, str]:
    """Names of the people who opened, ticked and closed the run."""
    ids = {run.opened_by_id, run.closed_by_id}
    for step in run.steps:
        ids.update((step.started_by_id, step.done_by_id))
    ids.discard(None)
    if not ids:
        return {}
    return {
        user.id: user.name or user.email
        for user in session.scalars(select(User).where(User.id.in_(ids)))
    }
