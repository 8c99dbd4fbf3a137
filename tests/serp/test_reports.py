"""Weekly report by real SMTP, the dashboard and printable pages, the CLI, and alerts."""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from core.db import db
from core.models import Role
from planner.models import Post
from serp.models import SerpCheck, WeeklyReportSent
from serp.plans import DisplacementPlan
from serp.reports import alerts_after_check, send_alerts, send_weekly_reports
from tests.conftest import create_user, login
from tests.serp.test_displacement import N2, N, build_scenario, week


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="po@example.com")
    yield inbox
    controller.stop()


@pytest.fixture
def scenario(app, brand, users):
    q1, q2 = build_scenario(app, brand, users["admin"])
    return brand, q1, q2


def test_weekly_report_is_mailed_once_with_text_and_html(app, scenario, smtp):
    brand, q1, q2 = scenario
    now = week(12) + timedelta(hours=3)
    assert send_weekly_reports(app, now) == {"sent": 1, "skipped": 0, "failed": 0}
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    # Every member of the brand: admin (creator), editor, viewer, approver.
    assert sorted(recipients) == sorted(f"{r.value}@example.com" for r in Role)
    assert message["Subject"] == "Acme Bakery: search results, week of 2025-03-24"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # Brand score 184.21 / 471.08 = 0.39104 → +39.1; last week 166.72 / 471.08 → +35.4
    assert "Brand score +39.1 (previous week +35.4)" in text
    # Negative items on page one: N in q2 at 1 (needs 10), N2 in q1 at 8 (needs 3) → 13
    assert "2 negative items on page one; 13 results must move above them" in text
    assert "[+OO....X.n]" in text  # q1's page one in week 12
    assert f"{N2} — acme bakery: 8, +2, entered from > 20, too few checks, 3" in text
    assert "+39.1" in html and "#dc2626" in html and N2 in html

    # A second worker (or run) the same week sends nothing.
    assert send_weekly_reports(app, now + timedelta(hours=1))["sent"] == 0
    assert len(smtp.messages) == 1
    assert db.session.scalar(select(WeeklyReportSent.recipients)) == 4


def test_weekly_report_is_not_sent_without_a_good_check_that_week(app, scenario, smtp):
    assert send_weekly_reports(app, week(14))["sent"] == 0
    assert smtp.messages == []


def test_a_failed_mail_gives_the_week_back(app, scenario):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2)
    assert send_weekly_reports(app, week(12) + timedelta(hours=3))["failed"] == 1
    assert db.session.scalar(select(WeeklyReportSent)) is None


def test_dashboard_report_and_csv_render_for_members_only(app, scenario, users):
    brand, q1, q2 = scenario
    client = app.test_client()
    login(client, "viewer@example.com")
    page = client.get(f"/brands/{brand.id}/serp/dashboard")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "chart.umd.min.js" in body and N2 in body and "acme bakery reviews" in body
    assert "Plan displacement</button>" not in body  # viewers cannot plan
    data = client.get(f"/brands/{brand.id}/serp/dashboard.json").get_json()
    assert data["brand_score"] == pytest.approx(184.21 / 471.08)
    assert [w["score"] for w in data["weeks"]][6] is None  # the blocked week is a gap
    rows = list(csv.reader(io.StringIO(
        client.get(f"/brands/{brand.id}/serp/dashboard/negatives.csv").get_data(as_text=True)
    )))  # fmt: skip
    assert rows[0][:4] == ["query_id", "query", "url", "current"]
    assert [r[2] for r in rows[1:]] == [N, N2, N]
    assert client.get(f"/brands/{brand.id}/serp/report").status_code == 200
    assert client.get(f"/brands/{brand.id}/serp/dashboard/report.csv").status_code == 200

    outsider = create_user("outsider@example.com", Role.ADMIN)
    db.session.commit()
    other = app.test_client()
    login(other, outsider.email)
    assert other.get(f"/brands/{brand.id}/serp/dashboard").status_code == 404
    assert app.test_client().get(f"/brands/{brand.id}/serp/dashboard").status_code in (302, 401)


def test_plan_displacement_from_the_dashboard_drafts_posts(app, scenario, users):
    from planner.channels import create_channel

    brand, q1, q2 = scenario
    create_channel(db.session, brand, users["admin"], platform="linkedin", name="in")
    db.session.commit()
    client = app.test_client()
    login(client, "editor@example.com")
    response = client.post(f"/brands/{brand.id}/serp/plans", data={"query_id": q1.id, "url": N2})
    assert response.status_code == 302
    plan = db.session.scalar(select(DisplacementPlan))
    assert plan.needed == 3
    drafts = db.session.scalars(select(Post).where(Post.source == "plan")).all()
    assert [d.status for d in drafts] == ["draft"]
    page = client.get(f"/serp/plans/{plan.id}")
    assert page.status_code == 200 and "Case study: acme bakery" in page.get_data(as_text=True)
    assert "Plan displacement</button>" in client.get(
        f"/brands/{brand.id}/serp/dashboard"
    ).get_data(as_text=True)


def test_cli_report_prints_json_and_csv(app, scenario):
    brand, q1, q2 = scenario
    runner = app.test_cli_runner()
    result = runner.invoke(args=["serp", "report", "--brand", brand.slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["brand_score"] == pytest.approx(184.21 / 471.08)
    item = next(i for i in report["negative_items"] if i["url"] == N and i["query_id"] == q1.id)
    assert (item["current"], item["best"], item["change_4w"], item["weeks_on_page_one"]) == (
        13, 3, 7, 8,
    )  # fmt: skip
    windows = [w for w in report["is_it_working"] if w["url"] == N and w["query_id"] == q1.id]
    assert [(w["median_before"], w["median_after"]) for w in windows] == [(3, 6), (4.5, 10)]

    result = runner.invoke(
        args=["serp", "report", "--brand", brand.slug, "--query", str(q1.id), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert ["negative", str(q1.id), "acme bakery", "", N, "worst", "", "> 20"] in rows
    assert any(r[0] == "check" and r[-1] == "blocked: a gap" for r in rows)
    bad = runner.invoke(args=["serp", "report", "--brand", "nope"])
    assert bad.exit_code != 0 and "No brand" in bad.output


def _check(query, n):
    return db.session.scalar(
        select(SerpCheck).where(SerpCheck.query_id == query.id, SerpCheck.checked_at == week(n))
    )


def test_alerts_after_a_check(app, scenario):
    brand, q1, q2 = scenario
    # Week 10: N2 enters page one at 9 (it was not in week 9's results).
    [new] = alerts_after_check(db.session, _check(q1, 10))
    assert (new.kind, new.url, new.position, new.previous) == ("new_on_page_one", N2, 9, None)
    # Week 11: N2 climbs 9 → 6, three places. N returns at 12: off page one, no alert.
    [up] = alerts_after_check(db.session, _check(q1, 11))
    assert (up.kind, up.url, up.position, up.previous) == ("moved_up", N2, 6, 9)
    # Week 8 is compared with week 6 (week 7 was blocked): N 6 → 6, nothing.
    assert alerts_after_check(db.session, _check(q1, 8)) == []
    assert alerts_after_check(db.session, _check(q1, 7)) == []  # blocked: says nothing
    # q2's first good check: N on page one at 2 is new.
    assert [a.kind for a in alerts_after_check(db.session, _check(q2, 11))] == ["new_on_page_one"]


def test_alerts_are_mailed_and_posted_to_the_webhook(app, scenario, smtp, httpserver):
    brand, q1, q2 = scenario
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    app.config["NOTIFY_WEBHOOK_URL"] = httpserver.url_for("/hook")
    alerts = alerts_after_check(db.session, _check(q1, 11))
    assert send_alerts(app, alerts) == {"mailed": 1, "webhooks": 1, "failed": 0}
    for _ in range(50):  # the SMTP handler runs in the controller's thread
        if smtp.messages:
            break
        time.sleep(0.02)
    recipients, message = smtp.messages[0]
    assert message["Subject"] == "Acme Bakery: 1 search-result alert"
    assert f"{N2} from 9 to 6" in message.get_content()
    [(request, _response)] = httpserver.log
    payload = request.get_json()
    assert payload["alerts"][0]["kind"] == "moved_up" and payload["brand"]["slug"] == brand.slug


def test_webhook_to_a_private_address_is_refused_unless_allowed(app, scenario, httpserver):
    brand, q1, q2 = scenario
    app.config.update(NOTIFY_WEBHOOK_URL=httpserver.url_for("/hook"), OUTBOUND_ALLOW_PRIVATE=False)
    alerts = alerts_after_check(db.session, _check(q1, 11))
    assert send_alerts(app, alerts)["failed"] == 1
    assert httpserver.log == []


def test_a_latvian_brands_weekly_report_is_in_latvian(app, scenario, smtp):
    brand, q1, q2 = scenario
    brand.language = "lv"
    db.session.commit()
    assert send_weekly_reports(app, week(12) + timedelta(hours=3))["sent"] == 1
    _recipients, message = smtp.messages[0]
    assert message["Subject"] == "Acme Bakery: meklēšanas rezultāti, nedēļa no 2025-03-24"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Zīmola rādītājs +39.1 (iepriekšējā nedēļā +35.4)" in text
    assert "2 negatīvi rezultāti pirmajā lapā; virs tiem jāpaceļas 13 rezultātiem" in text
    assert f"{N2} — acme bakery: 8, +2, ienāca no > 20, par maz pārbaužu, 3" in text
    assert '<html lang="lv">' in html
    assert "Pirmā lapa katram vaicājumam" in html and "Negatīvie rezultāti" in html
    assert "Page one per query" not in html and "Brand score" not in html


def test_a_polish_brands_alerts_are_in_polish(app, scenario, smtp):
    brand, q1, q2 = scenario
    brand.language = "pl"
    db.session.commit()
    assert send_alerts(app, alerts_after_check(db.session, _check(q1, 11)))["mailed"] == 1
    for _ in range(50):  # the SMTP handler runs in the controller's thread
        if smtp.messages:
            break
        time.sleep(0.02)
    _recipients, message = smtp.messages[0]
    assert message["Subject"] == "Acme Bakery: 1 alert o wynikach wyszukiwania"
    assert f"Negatywny wynik awansował dla „acme bakery”: {N2} z 9 na 6." in message.get_content()
