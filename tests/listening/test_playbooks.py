"""Crisis playbooks: scenarios refused whole on bad input; opening one from a spike alert pauses
publishing, drafts the approved statement on the platform where the crisis started, in its
language, opens the public page and mails the committee over SMTP; a rehearsal touches nothing;
the timeline's figures; one run per crisis."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from core.db import db
from listening import crisis
from listening import playbook_runs as runs
from listening import playbooks as ops
from listening.models import OVERALL, CrisisAlert, CrisisPage
from listening.operations import ListeningError
from listening.ops_hooks import brand_parts
from listening.playbook_models import CrisisRun, CrisisScenario, CrisisStatement
from planner.channels import create_channel
from planner.models import Post
from tests.conftest import login
from tests.listening.conftest import NOW, add_mentions, item, make_source

UPDATES = "https://pageone.example/b/acme-bakery/updates"
ALERT_AT = NOW + timedelta(minutes=5)


def run_url(run_id: int) -> str:
    return f"https://pageone.example/runs/{run_id}"


COMMITTEE = [
    {"name": "Ilze Ozola", "role": "Crisis lead", "email": "ilze@example.com",
     "phone": "+371 2612 3456", "notify_by": "both"},
    {"name": "Tomas Kazlauskas", "role": "Legal", "email": "tomas@example.com", "phone": "",
     "notify_by": "email"},
    {"name": "Anna Nowak", "role": "Spokesperson", "email": "", "phone": "+48 600 100 200",
     "notify_by": "phone"},
]  # fmt: skip


@pytest.fixture
def recall(app, brand, users):
    """The starter "Product recall" scenario with its statements approved and a committee."""
    ops.add_starters(db.session, brand, users["admin"], NOW, approved=True, committee=COMMITTEE)
    db.session.commit()
    return db.session.scalar(select(CrisisScenario).where(CrisisScenario.name == "Product recall"))


@pytest.fixture
def channels(brand, users):
    made = {
        platform: create_channel(db.session, brand, users["admin"], platform=platform)
        for platform in ("facebook", "x", "mastodon")
    }
    db.session.commit()
    return made


@pytest.fixture
def alert(brand, users):
    """A spike whose first mention is a Latvian post on X, followed by Mastodon and news."""
    source = make_source(brand, users["editor"])
    add_mentions(
        brand,
        source,
        [
            item(1, url="https://x.com/anna/status/1", language="lv",
                 published_at=NOW - timedelta(minutes=40), text="Acme maize ar pelējumu"),
            item(2, url="https://mastodon.social/@b/2", platform="mastodon", platform_ref="2",
                 published_at=NOW - timedelta(minutes=20), text="Acme bread recall?"),
            item(3, url="https://news.example.com/3", published_at=NOW - timedelta(minutes=10)),
            # Before the spike's hour: not part of it.
            item(4, url="https://facebook.com/p/4", published_at=NOW - timedelta(hours=3)),
        ],
        ALERT_AT,
    )  # fmt: skip
    alert = CrisisAlert(
        brand_id=brand.id, term=OVERALL, bucket="1", count=30, baseline_mean=2,
        baseline_sigma=1, threshold=10, terms=[], sample_mention_ids=[], notified={},
        created_at=ALERT_AT,
    )  # fmt: skip
    db.session.add(alert)
    db.session.commit()
    return alert


def open_playbook(app, brand, user, scenario, **options):
    options.setdefault("now", ALERT_AT + timedelta(minutes=12))
    opened = runs.open_playbook(
        db.session, app.config, brand, user, scenario,
        updates_url=UPDATES, run_url=run_url, **options,
    )  # fmt: skip
    db.session.commit()
    return opened


# --- scenarios ----------------------------------------------------------------------------------


def test_a_scenario_with_bad_input_is_refused_whole_with_every_reason(app, brand, users):
    data = {
        "name": "Data breach",
        "severity": "apocalyptic",
        "default_language": "de",
        "committee": [
            {"name": "Ilze", "role": "Lead", "email": "not-an-address", "notify_by": "email"},
            {"name": "", "role": "", "phone": "call me", "notify_by": "pigeon"},
            "Tomas",
        ],
        "checklist": ["Contain it", 42],
    }
    with pytest.raises(ListeningError) as refused:
        ops.create_scenario(db.session, brand, users["admin"], data, NOW)
    db.session.rollback()
    errors = " | ".join(refused.value.errors)
    for reason in (
        "'severity' must be one of: low, medium, high, critical",
        "'default_language' must be one of: en, lv, lt, pl",
        "'not-an-address' is not an e-mail address",
        "Committee member 2: give a name",
        "'call me' is not a phone number",
        "notify_by must be one of: email, phone, both",
        "Committee member 3: give name, role",
        "'checklist step 2' must be text",
    ):
        assert reason in errors
    assert db.session.scalar(select(func.count()).select_from(CrisisScenario)) == 0

    with pytest.raises(ListeningError, match="Only admins"):
        ops.create_scenario(db.session, brand, users["editor"], {"name": "X"}, NOW)


def test_scenario_crud_and_a_changed_statement_needs_a_new_approval(app, brand, users):
    admin = users["admin"]
    scenario = ops.create_scenario(
        db.session, brand, admin,
        {"name": "Outage", "severity": "medium", "committee": COMMITTEE[:1],
         "checklist": "Confirm the outage\n\nPost an update every hour\n"},
        NOW,
    )  # fmt: skip
    db.session.commit()
    assert scenario.checklist == ["Confirm the outage", "Post an update every hour"]
    with pytest.raises(ListeningError, match="already has a scenario called"):
        ops.create_scenario(db.session, brand, admin, {"name": "outage", "severity": "low"}, NOW)
    db.session.rollback()

    ops.update_scenario(db.session, scenario, admin, {"severity": "critical"}, NOW)
    statement = ops.save_statement(
        db.session, scenario, admin,
        {"platform": "x", "language": "pl", "text": "Pracujemy nad tym.", "approve": True}, NOW,
    )  # fmt: skip
    db.session.commit()
    assert scenario.severity == "critical" and statement.approved
    assert ops.approved_text(scenario, "x", "pl") == "Pracujemy nad tym."
    ops.save_statement(
        db.session, scenario, admin,
        {"platform": "x", "language": "pl", "text": "Pracujemy nad rozwiązaniem."}, NOW,
    )  # fmt: skip
    db.session.commit()
    assert not statement.approved and ops.approved_text(scenario, "x", "pl") is None
    with pytest.raises(ListeningError, match="'platform' must be one of"):
        ops.save_statement(
            db.session, scenario, admin, {"platform": "myspace", "language": "pl", "text": "x"}, NOW
        )
    db.session.rollback()

    ops.delete_scenario(db.session, scenario, admin)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CrisisStatement)) == 0


def test_the_starter_scenarios_come_in_four_languages_and_fit_on_x(app, brand, users):
    added = ops.add_starters(db.session, brand, users["admin"], NOW)
    db.session.commit()
    assert [s.name for s in added] == ["Product recall", "Data breach", "Offensive post", "Outage"]
    for scenario in added:
        assert len(scenario.checklist) >= 7
        assert {(s.platform, s.language) for s in scenario.statements} == {
            (p, lang) for p in ("social", "web") for lang in ("en", "lv", "lt", "pl")
        }
        # Added unapproved: an admin reads them first.
        assert not any(s.approved for s in scenario.statements)
        for s in scenario.statements:
            if s.platform == "social":
                text = ops.fill(s.text, brand, "https://t.co/x")
                # X counts a link as 23 characters.
                assert len(text) - len("https://t.co/x") + 23 <= 280, (scenario.name, s.language)
    assert ops.add_starters(db.session, brand, users["admin"], NOW) == []
    # The brand's export carries its playbooks.
    parts = brand_parts(db.session, brand.id)
    assert len(parts["crisis_scenarios"]) == 4 and len(parts["crisis_statements"]) == 32


# --- opening a playbook -------------------------------------------------------------------------


def test_opening_from_an_alert_pauses_drafts_on_the_first_platform_and_mails_the_committee(
    app, brand, users, recall, channels, alert, smtp
):
    opened = open_playbook(app, brand, users["admin"], recall, alert=alert)
    run = opened.run
    assert opened.created

    # The crisis started on X, in Latvian: the earliest mention of the spike.
    assert (run.platform, run.language) == ("x", "lv")
    assert run.first_mention_at == NOW - timedelta(minutes=40)
    db.session.refresh(brand)
    assert brand.paused_at is not None and run.paused_publishing

    (post,) = db.session.scalars(select(Post)).all()
    assert post.id == run.draft_post_id and post.channel_id == channels["x"].id
    assert post.status == "draft"
    assert post.text.startswith("Piesardzības nolūkos Acme Bakery atsauc daļu savu produktu")
    assert UPDATES in post.text

    page = db.session.scalar(select(CrisisPage))
    assert page.published and page.statement.startswith("Piesardzības nolūkos Acme Bakery")
    assert page.alert_id == alert.id and run.first_statement_at == run.opened_at

    # Real SMTP: one mail to each member notified by e-mail; the one by phone is listed to call.
    assert sorted(m["To"] for m in smtp.messages) == ["ilze@example.com", "tomas@example.com"]
    (mail,) = smtp.to("ilze@example.com")
    assert mail["Subject"] == "Crisis playbook opened: Product recall (critical) — Acme Bakery"
    body = mail.get_content()
    assert "as Crisis lead" in body and run_url(run.id) in body and "Piesardzības" in body
    assert "REHEARSAL" not in body
    assert {n["name"]: n.get("call") for n in run.notified}["Anna Nowak"] == "+48 600 100 200"
    assert all(n.get("sent") for n in run.notified if "email" in n)


def test_the_committee_mail_and_the_run_page_speak_the_brands_language(
    app, brand, users, recall, channels, alert, smtp
):
    brand.language = "lv"
    db.session.commit()
    run = open_playbook(app, brand, users["admin"], recall, alert=alert).run
    (mail,) = smtp.to("ilze@example.com")
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "Atvērts krīzes rīcības plāns: Product recall (kritiska) — Acme Bakery"
    body = mail.get_content()
    assert "jūs esat Acme Bakery krīzes komandā kā Crisis lead." in body
    assert "Norise un tās kontrolsaraksts: " + run_url(run.id) in body
    assert "Crisis playbook" not in body and "The checklist" not in body
    # The public page opened by the playbook is titled in the brand's language too.
    assert db.session.scalar(select(CrisisPage)).title == "Acme Bakery aktualitātes"
    # The admin's own page follows the admin's language, here the browser's Polish.
    client = app.test_client()
    login(client, users["admin"].email)
    page = client.get(
        f"/brands/{brand.id}/listening/playbooks/runs/{run.id}", headers={"Accept-Language": "pl"}
    ).text
    assert "Lista kontrolna" in page and "Oś czasu" in page and "Sztab kryzysowy" in page
    assert "Checklist" not in page and "Timeline" not in page


def test_a_rehearsal_drafts_nothing_pauses_nothing_and_publishes_nothing(
    app, brand, users, recall, channels, alert, smtp
):
    run = open_playbook(app, brand, users["admin"], recall, alert=alert, rehearsal=True).run
    db.session.refresh(brand)
    assert brand.paused_at is None and not run.paused_publishing
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    assert db.session.scalar(select(CrisisPage)) is None and not run.page_published
    # The statement is shown, not drafted; the committee practises with marked mails.
    assert run.statement.startswith("Piesardzības nolūkos") and run.draft_post_id is None
    assert len(smtp.messages) == 2
    assert all(m["Subject"].startswith("[REHEARSAL] ") for m in smtp.messages)
    assert smtp.messages[0].get_content().startswith("THIS IS A REHEARSAL")
    # A rehearsal does not block the real thing.
    assert runs.open_run_of(db.session, brand.id) is None
    assert open_playbook(app, brand, users["admin"], recall, alert=alert).created


def test_opening_the_same_alert_twice_finds_the_first_run(
    app, brand, users, recall, channels, alert, smtp
):
    first = open_playbook(app, brand, users["admin"], recall, alert=alert)
    again = open_playbook(app, brand, users["admin"], recall, alert=alert)
    assert first.created and not again.created and again.run.id == first.run.id
    assert db.session.scalar(select(func.count()).select_from(CrisisRun)) == 1
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1
    assert len(smtp.messages) == 2  # the committee is told once
    # Another crisis while this one is open is refused with the way out.
    with pytest.raises(ListeningError, match="already open for this brand: close it"):
        open_playbook(app, brand, users["admin"], recall)
    db.session.rollback()

    # Through the page, a double click lands on the same run too.
    client = app.test_client()
    login(client, users["admin"].email)
    answer = client.post(
        f"/brands/{brand.id}/listening/playbooks/open",
        data={"scenario_id": recall.id, "alert_id": alert.id},
    )
    assert answer.headers["Location"].endswith(f"/listening/playbooks/runs/{first.run.id}")
    assert db.session.scalar(select(func.count()).select_from(CrisisRun)) == 1


def test_without_an_approved_statement_nothing_is_drafted_and_the_run_says_why(
    app, brand, users, channels, alert, smtp
):
    ops.add_starters(db.session, brand, users["admin"], NOW)  # none approved
    db.session.commit()
    scenario = db.session.scalar(select(CrisisScenario).where(CrisisScenario.name == "Outage"))
    run = open_playbook(app, brand, users["admin"], scenario, alert=alert).run
    assert run.statement == "" and run.draft_post_id is None and not run.page_published
    assert "No approved statement for X in Latvian" in run.notes[0]
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_steps_are_timed_and_closing_writes_the_timeline(app, brand, users, recall, alert):
    opened_at = ALERT_AT + timedelta(minutes=12)
    run = open_playbook(app, brand, users["admin"], recall, alert=alert, now=opened_at).run
    first, second = run.steps[0], run.steps[1]
    runs.mark_step(db.session, run, first.id, "start", users["editor"], opened_at)
    runs.mark_step(
        db.session, run, first.id, "done", users["admin"], opened_at + timedelta(minutes=25)
    )
    runs.mark_step(
        db.session, run, second.id, "done", users["editor"], opened_at + timedelta(minutes=30)
    )
    with pytest.raises(ListeningError, match="editors and admins"):
        runs.mark_step(db.session, run, second.id, "done", users["viewer"], opened_at)
    closed_at = NOW + timedelta(hours=5, minutes=20)
    runs.close_run(db.session, run, users["admin"], "Batch 42 withdrawn.", closed_at)
    db.session.commit()
    assert first.started_by_id == users["editor"].id and first.done_by_id == users["admin"].id
    assert second.started_at == second.done_at  # done without a start: started then too

    moments = {m.label: m for m in runs.timeline(run)}
    assert moments["First mention"].at == NOW - timedelta(minutes=40)
    assert moments["Alert"].since_previous == timedelta(minutes=45)
    assert moments["Playbook opened"].since_previous == timedelta(minutes=12)
    assert moments["First statement"].since_first == timedelta(minutes=57)
    assert moments["Resolution"].since_first == timedelta(hours=6)
    assert runs.duration_text(moments["Resolution"].since_previous) == "5 h 03 min"

    names = runs.people(db.session, run)
    markdown = runs.timeline_markdown(run, brand, names)
    assert "| Alert | 2026-11-22 13:05 | 45 min | 45 min |" in markdown  # Berlin time
    assert "| Resolution | 2026-11-22 18:20 | 5 h 03 min | 6 h 00 min |" in markdown
    assert "Batch 42 withdrawn." in markdown
    rows = list(csv.DictReader(io.StringIO(runs.timeline_csv(run, brand, names))))
    resolution = next(r for r in rows if r["what"] == "Resolution")
    assert resolution["at_utc"] == "2026-11-22T17:20:00+00:00"
    assert resolution["minutes_since_previous"] == "303.0"
    step = next(r for r in rows if r["what"] == first.title)
    assert (step["kind"], step["minutes_since_previous"], step["by"]) == ("step", "25.0", "admin")
    assert step["at_utc"] == "2026-11-22T12:17:00+00:00"

    # Closed: the checklist is fixed, the brand may open a new playbook.
    with pytest.raises(ListeningError, match="closed"):
        runs.mark_step(db.session, run, run.steps[2].id, "done", users["admin"], closed_at)
    with pytest.raises(ListeningError, match="already closed"):
        runs.close_run(db.session, run, users["admin"], "", closed_at)
    assert runs.open_run_of(db.session, brand.id) is None


def test_bad_input_on_the_pages_is_refused_with_a_message_and_no_run(app, brand, users, recall):
    client = app.test_client()
    login(client, users["admin"].email)
    base = f"/brands/{brand.id}/listening/playbooks"
    answer = client.post(f"{base}/open", data={"scenario_id": recall.id, "language": "de"})
    assert answer.status_code == 302
    page = client.get(base).text
    assert "&#39;language&#39; must be one of: en, lv, lt, pl" in page
    answer = client.post(f"{base}/open", data={"scenario_id": "abc"})
    assert answer.status_code == 422 and "scenario_id" in answer.text
    assert client.post(f"{base}/open", data={"scenario_id": 999999}).status_code == 302
    assert "No crisis scenario 999999" in client.get(base).text
    assert db.session.scalar(select(func.count()).select_from(CrisisRun)) == 0

    answer = client.post(f"{base}/new", data={"name": "", "severity": "high"})
    assert answer.status_code == 200 and "Give the scenario a name" in answer.text
    answer = client.post(
        f"{base}/new",
        data={"name": "Strike", "severity": "high", "committee-0-name": "Ilze",
              "committee-0-role": "", "committee-0-email": "x", "committee-0-notify_by": "email"},
    )  # fmt: skip
    assert answer.status_code == 200 and "give their role" in answer.text
    assert 'value="Strike"' in answer.text  # what was typed stays in the form
    names = db.session.scalars(select(CrisisScenario.name)).all()
    assert "Strike" not in names

    viewer = app.test_client()
    login(viewer, users["viewer"].email)
    assert viewer.post(f"{base}/open", data={"scenario_id": recall.id}).status_code == 403
    assert viewer.get(f"{base}/{recall.id}").status_code == 200


def test_the_alert_page_offers_the_playbooks(app, brand, users, recall, alert):
    client = app.test_client()
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/listening/alerts/{alert.id}").text
    assert "Open a crisis playbook" in page and "Product recall (critical)" in page
    assert crisis.alert_for(db.session, brand, alert.id) is alert


# --- the JSON API -------------------------------------------------------------------------------


def test_the_api_keeps_scenarios_and_runs_and_refuses_bad_input_whole(
    app, brand, users, api, channels, alert, smtp
):
    admin = api["admin"]
    base = f"/api/v1/brands/{brand.id}/listening"
    answer = admin.post(
        f"{base}/playbooks",
        json={"name": "Strike", "severity": "high", "committee": [{"name": "Ilze"}]},
    )
    assert answer.status_code == 422
    assert (
        "Committee member 1 (Ilze): give their role in the crisis." in answer.get_json()["errors"]
    )
    assert admin.get(f"{base}/playbooks").get_json() == {"scenarios": []}
    assert api["editor"].post(f"{base}/playbooks", json={"name": "x"}).status_code == 403

    scenario = admin.post(
        f"{base}/playbooks",
        json={"name": "Strike", "severity": "high", "committee": COMMITTEE[1:2],
              "checklist": ["Call the union", "Brief the shops"]},
    ).get_json()  # fmt: skip
    statement = admin.post(
        f"/api/v1/listening/playbooks/{scenario['id']}/statements",
        json={"platform": "social", "language": "lv", "text": "{brand} strādā.", "approve": True},
    ).get_json()["statement"]
    assert statement["approved"] and statement["language"] == "lv"
    patched = admin.patch(
        f"/api/v1/listening/playbooks/{scenario['id']}", json={"severity": "critical"}
    ).get_json()
    assert patched["severity"] == "critical" and patched["checklist"][0] == "Call the union"

    bad = admin.post(f"{base}/crisis-runs", json={"scenario_id": "1", "rehearsal": "yes"})
    assert bad.status_code == 422 and len(bad.get_json()["errors"]) == 2
    opened = admin.post(
        f"{base}/crisis-runs", json={"scenario_id": scenario["id"], "alert_id": alert.id}
    )
    assert opened.status_code == 201
    run = opened.get_json()
    assert (run["platform"], run["language"], run["statement"]) == (
        "x",
        "lv",
        "Acme Bakery strādā.",
    )
    assert run["draft_post_id"] and run["paused_publishing"]
    again = admin.post(
        f"{base}/crisis-runs", json={"scenario_id": scenario["id"], "alert_id": alert.id}
    )
    assert again.status_code == 200 and again.get_json()["id"] == run["id"]

    step = run["steps"][0]["id"]
    url = f"/api/v1/listening/crisis-runs/{run['id']}"
    assert api["editor"].post(f"{url}/checklist/{step}", json={"action": "skip"}).status_code == 422
    ticked = api["editor"].post(f"{url}/checklist/{step}", json={"action": "done"}).get_json()
    assert ticked["steps"][0]["done_by_id"] == users["editor"].id
    closed = admin.post(f"{url}/close", json={"resolution": "Agreed."}).get_json()
    assert not closed["open"] and closed["timeline"][-1]["moment"] == "Resolution"
    assert closed["timeline"][1]["seconds_since_previous"] == 45 * 60  # first mention → alert
    assert admin.post(f"{url}/close", json={}).status_code == 422
    assert api["viewer"].get(url).status_code == 200


def test_opened_by_hand_the_statement_goes_on_the_updates_page_and_the_timeline_starts_there(
    app, brand, users, recall, channels, smtp
):
    run = open_playbook(app, brand, users["admin"], recall, language="pl").run
    assert (run.platform, run.language, run.alert_id) == ("web", "pl", None)
    assert run.draft_post_id is None and run.notes == []
    page = db.session.scalar(select(CrisisPage))
    assert page.published and page.statement.startswith("W ramach środków ostrożności Acme")
    moments = runs.timeline(run)
    assert [m.at for m in moments[:2]] == [None, None]
    assert moments[2].label == "Playbook opened" and moments[2].since_first is None
    assert moments[3].since_first == timedelta(0)
    assert "It started on the web (news, blogs, forums)." in smtp.messages[0].get_content()
