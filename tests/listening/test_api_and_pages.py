"""The JSON API and the pages: permissions, CSV uploads, escaping, the public updates page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db
from listening import crisis, inbox
from listening import operations as listening_ops
from listening.models import Mention
from planner.brands import create_brand
from tests.conftest import create_user, login
from tests.listening.conftest import NOW, add_mentions, item, make_source

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def outsider(app):
    from core.models import Role

    user = create_user("outsider@example.com", Role.ADMIN)
    db.session.commit()
    return user


def test_sources_crud_through_the_api(app, brand, api):
    url = f"/api/v1/brands/{brand.id}/listening/sources"
    made = api["editor"].post(
        url, json={"kind": "google_alerts", "url": "https://www.google.com/alerts/feeds/1/2"}
    )
    assert made.status_code == 201, made.json
    source = made.json
    assert source["kind"] == "google_alerts" and source["interval_minutes"] == 15
    bad = api["editor"].post(url, json={"kind": "mastodon_tag", "url": "ftp://x"})
    assert bad.status_code == 422
    assert len(bad.json["errors"]) == 2  # the URL scheme, and the missing hashtag
    assert (
        api["viewer"].post(url, json={"kind": "rss", "url": "https://a.example/f"}).status_code
        == 403
    )
    assert [s["id"] for s in api["viewer"].get(url).json["sources"]] == [source["id"]]

    one = f"/api/v1/listening/sources/{source['id']}"
    changed = api["editor"].patch(one, json={"interval_minutes": 60, "active": False})
    assert changed.json["interval_minutes"] == 60 and changed.json["active"] is False
    assert api["editor"].patch(one, json={"interval_minutes": 1}).status_code == 422
    assert api["viewer"].delete(one).status_code == 403
    assert api["editor"].delete(one).status_code == 204
    assert api["editor"].get(one).status_code == 404


def test_non_members_see_nothing(app, brand, users, outsider):
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1)])
    mention = db.session.scalar(select(Mention))
    client = app.test_client()
    login(client, outsider.email)
    assert client.get(f"/brands/{brand.id}/listening").status_code == 404
    assert client.get(f"/brands/{brand.id}/listening/mentions/{mention.id}").status_code == 404
    from tests.conftest import token_for

    headers = {"Authorization": f"Bearer {token_for(outsider)}"}
    client = app.test_client()  # a token client, without the browser session
    assert (
        client.get(f"/api/v1/listening/mentions/{mention.id}", headers=headers).status_code == 404
    )
    assert client.get(f"/api/v1/listening/sources/{source.id}", headers=headers).status_code == 404
    assert (
        client.patch(
            f"/api/v1/listening/mentions/{mention.id}", json={"state": "no_action"}, headers=headers
        ).status_code
        == 404
    )


def test_mentions_list_filter_assign_and_state(app, brand, users, api):
    source = make_source(brand, users["editor"])
    add_mentions(
        brand,
        source,
        [item(1, text="Awful, rude staff."), item(2, text="Lovely cake, great shop.")],
        NOW,
    )
    url = f"/api/v1/brands/{brand.id}/listening/mentions"
    negative = api["viewer"].get(url + "?sentiment=negative").json["mentions"]
    assert [m["text"] for m in negative] == ["Awful, rude staff."]
    assert negative[0]["overdue"] is True  # NOW + 1 h is long past in real time
    one = f"/api/v1/listening/mentions/{negative[0]['id']}"
    assert api["viewer"].patch(one, json={"state": "no_action"}).status_code == 403
    changed = api["editor"].patch(
        one, json={"state": "needs_reply", "assignee_id": users["editor"].id}
    )
    assert (
        changed.json["state"] == "needs_reply" and changed.json["assignee_id"] == users["editor"].id
    )
    assert api["editor"].patch(one, json={"assignee_id": 99999}).status_code == 422
    assert api["editor"].patch(one, json={"state": "replied"}).status_code == 422
    mine = api["viewer"].get(url + f"?assignee={users['editor'].id}&overdue=1").json
    assert mine["total"] == 1
    assert api["viewer"].get(url + "?state=bogus").status_code == 422


def test_csv_upload_is_all_or_nothing(app, brand, api):
    url = f"/api/v1/brands/{brand.id}/listening/mentions/upload"
    bad = "id,url,text,published\n1,https://a.example/1,Fine,2026-11-01T10:00:00Z\n2,javascript:x,Bad,\n3,,,\n"
    refused = api["editor"].post(url, data=bad, content_type="text/csv")
    assert refused.status_code == 422
    assert refused.json["errors"] == [
        "Row 3: the URL must start with http:// or https://.",
        "Row 4: no text, title or URL.",
    ]
    assert db.session.scalar(select(Mention)) is None
    good = (
        "id,url,author,text,published,language\n"
        "1,https://a.example/1,ann,Where is my order?,2026-11-01T10:00:00Z,en\n"
    )
    assert api["viewer"].post(url, data=good, content_type="text/csv").status_code == 403
    done = api["editor"].post(url, data=good, content_type="text/csv")
    assert done.status_code == 201 and done.json == {"new": 1, "duplicates": 0}
    assert api["editor"].post(url, data=good, content_type="text/csv").json["duplicates"] == 1
    mention = db.session.scalar(select(Mention))
    assert mention.is_question and mention.target_minutes == 240


def test_hostile_text_is_escaped_on_the_pages(app, brand, users):
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1, title=HOSTILE, text=f"{HOSTILE} acme")])
    mention = db.session.scalar(select(Mention))
    client = app.test_client()
    login(client, users["viewer"].email)
    for path in (
        f"/brands/{brand.id}/listening",
        f"/brands/{brand.id}/listening/mentions/{mention.id}",
    ):
        page = client.get(path)
        assert page.status_code == 200
        assert HOSTILE not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_the_listening_pages_speak_the_persons_language(app, brand, users):
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1, title="Mould again", text="Mould in the bread?")])
    mention = db.session.scalar(select(Mention))
    client = app.test_client()
    login(client, users["editor"].email)
    latvian = {"Accept-Language": "lv-LV,lv;q=0.9"}
    inbox_page = client.get(f"/brands/{brand.id}/listening", headers=latvian).text
    assert "Iesūtne" in inbox_page and "Atlasīt visus šajā lapā" in inbox_page
    assert "Atzīmēt kā atbildētu" in inbox_page and ">jauns<" in inbox_page
    assert "Select all on this page" not in inbox_page and "Mark replied" not in inbox_page
    # Stored values stay English in the form; only their names are translated.
    assert 'value="needs_reply">jāatbild</option>' in inbox_page
    answer = client.post(
        f"/brands/{brand.id}/listening/mentions/{mention.id}/state",
        data={"state": "no_action"},
        headers=latvian,
        follow_redirects=True,
    )
    assert "Statuss mainīts no „jauns” uz „nav jārīkojas”." in answer.text
    assert db.session.get(Mention, mention.id).state == "no_action"
    polish = client.get(
        f"/brands/{brand.id}/listening/settings", headers={"Accept-Language": "pl"}
    ).text
    assert "Ustawienia monitoringu" in polish and "Zapisane odpowiedzi" in polish


def test_viewers_read_but_cannot_change(app, brand, users):
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1)])
    mention = db.session.scalar(select(Mention))
    client = app.test_client()
    login(client, users["viewer"].email)
    base = f"/brands/{brand.id}/listening"
    for path in ("", "/sources", "/settings", "/alerts", "/reports", f"/mentions/{mention.id}"):
        assert client.get(base + path).status_code == 200, path
    assert (
        client.post(f"{base}/mentions/{mention.id}/state", data={"state": "no_action"}).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/mentions/{mention.id}/reply", data={"text": "x", "action": "mark_replied"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/sources", data={"kind": "rss", "url": "https://a.example/f"}
        ).status_code
        == 403
    )
    assert client.post(f"{base}/crisis/pause", data={}).status_code == 403
    login(client, users["editor"].email)
    assert client.post(f"{base}/crisis/pause", data={}).status_code == 403
    assert (
        client.post(f"{base}/settings", data={"form": "settings", "spike_k": "2"}).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(Mention, mention.id).state == "new"
    assert brand.paused_at is None


def test_reports_page_shows_a_table_beside_each_chart(app, brand, users):
    from core.db import utcnow

    source = make_source(brand, users["editor"])
    now = utcnow()
    add_mentions(
        brand,
        source,
        [item(1, published_at=now - timedelta(hours=2), text="Terrible bread from Acme Bakery")],
        now,
    )
    client = app.test_client()
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/listening/reports?days=7")
    assert page.status_code == 200
    assert page.text.count("<canvas") == 4 and page.text.count('<table class="figures">') == 4
    assert "/vendor/chart.js/dist/chart.umd.min.js" in page.text
    assert "Terrible" not in page.text and "negative" in page.text


def test_public_updates_page_needs_no_login_and_escapes(app, brand, users):
    client = app.test_client()
    assert client.get(f"/b/{brand.slug}/updates").status_code == 404
    login(client, users["admin"].email)
    base = f"/brands/{brand.id}/listening/crisis"
    opened = client.post(
        f"{base}/page",
        data={
            "title": "Rye bread recall",
            "statement": f"We are recalling rye bread. {HOSTILE}",
            "faq": "Which bread?\nRye, batch 42.",
        },
    )
    assert opened.status_code == 302
    client.post(f"{base}/update", data={"text": "Batch 42 removed from every shop."})
    client.post(f"{base}/pause", data={})
    db.session.expire_all()
    assert brand.paused_at is not None

    public = app.test_client()
    page = public.get(f"/b/{brand.slug}/updates")
    assert page.status_code == 200
    assert "Rye bread recall" in page.text and "Batch 42 removed" in page.text
    assert "Which bread?" in page.text and "Rye, batch 42." in page.text
    assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
    client.post(f"{base}/close", data={})
    assert public.get(f"/b/{brand.slug}/updates").status_code == 404


def test_alert_page_offers_the_crisis_actions_to_admins(app, brand, users):
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1, text="Mould in the rye bread!")])
    mention = db.session.scalar(select(Mention))
    from listening.models import CrisisAlert

    alert = CrisisAlert(
        brand_id=brand.id,
        term="mould",
        bucket="1",
        count=30,
        baseline_mean=1.0,
        baseline_sigma=1.0,
        threshold=4.0,
        sample_mention_ids=[mention.id],
        notified={},
        created_at=NOW,
    )
    db.session.add(alert)
    db.session.commit()
    client = app.test_client()
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/listening/alerts/{alert.id}")
    assert page.status_code == 200
    assert "Mould in the rye bread!" in page.text
    assert crisis.draft_statement(brand, alert).split(".")[0] in page.text
    assert "Pause all scheduled posts" in page.text
    other = create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    db.session.commit()
    assert client.get(f"/brands/{other.id}/listening/alerts/{alert.id}").status_code == 404


def test_cli_polls_one_source_and_checks_spikes(app, brand, users, httpserver):
    from tests.listening.conftest import fixture_bytes

    httpserver.expect_request("/alerts.xml").respond_with_data(fixture_bytes("google_alerts.xml"))
    source = make_source(
        brand, users["editor"], kind="google_alerts", url=httpserver.url_for("/alerts.xml")
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["listening", "poll", "--source", str(source.id)])
    assert result.exit_code == 0, result.output
    assert '"status": "ok"' in result.output
    result = runner.invoke(args=["listening", "spikes"])
    assert result.exit_code == 0 and "alert(s)" in result.output


def test_openapi_documents_the_listening_paths(app, api):
    document = api["viewer"].get("/api/v1/openapi.json").json
    assert "/brands/{brand_id}/listening/mentions" in document["paths"]
    assert "Mention" in document["components"]["schemas"]


def test_a_source_address_the_server_would_read_ambiguously_is_refused_at_once(app, brand, api):
    url = f"/api/v1/brands/{brand.id}/listening/sources"
    for address, reason in (
        ("http://127.0.0.1:8080\\@example.com/feed", "backslash"),
        ("http://feeds@127.0.0.1/", "user name or password"),
        ("https://example.com/" + "a" * 2001, "longer than 2,000"),
    ):
        answer = api["editor"].post(url, json={"kind": "rss", "url": address})
        assert answer.status_code == 422
        assert reason in " ".join(answer.json["errors"])


def test_names_longer_than_their_column_are_refused_not_cut(app, brand, api, users):
    url = f"/api/v1/brands/{brand.id}/listening/sources"
    answer = api["editor"].post(
        url, json={"kind": "rss", "url": "https://a.example/feed", "name": "n" * 121}
    )
    assert answer.status_code == 422
    assert "keep it to 120 or fewer" in " ".join(answer.json["errors"])
    with pytest.raises(listening_ops.ListeningError, match="keep it to 120 or fewer"):
        inbox.create_saved_reply(db.session, brand, users["editor"], "t" * 121, "Thanks!")
