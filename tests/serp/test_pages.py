"""Search-tracking pages: members see them, others get 404, forms change what they say."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from planner.brands import add_member, create_brand
from serp.checks import check_now
from serp.models import LabelRule, TrackedQuery
from tests.conftest import login

from .conftest import fixture_text, make_query


def checked_query(app, brand):
    query = make_query(app, brand, None, engine="bing")
    check_now(app, query.id, "w1")
    check_now(app, query.id, "w1")
    return query


def test_every_page_renders_for_a_member(app, client, brand, users, engine_server):
    query = checked_query(app, brand)
    login(client, users["editor"].email)
    base = f"/brands/{brand.id}/search"
    for path in (
        base,
        f"{base}/{query.id}",
        f"{base}/{query.id}/edit",
        f"{base}/{query.id}/upload",
        f"{base}/url?u=site3.example.com/page",
        f"{base}/queue",
        f"{base}/labels",
        f"{base}?since=2026-01-01T00:00:00Z",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    detail = client.get(f"{base}/{query.id}").get_data(as_text=True)
    assert "site0.example.com/page" in detail and "chart.umd.min.js" in detail
    assert 'value="negative"' in detail  # one-click label buttons


def test_pages_of_other_brands_are_not_found(app, client, brand, users, engine_server):
    query = checked_query(app, brand)
    other = create_brand(db.session, name="Other", timezone="UTC", creator=None)
    add_member(db.session, other, users["viewer"], users["admin"])
    stranger = create_brand(db.session, name="Stranger", timezone="UTC", creator=None)
    db.session.commit()
    login(client, users["viewer"].email)
    assert client.get(f"/brands/{stranger.id}/search").status_code == 404
    assert client.get(f"/brands/{stranger.id}/search/queue").status_code == 404
    # A query of one brand is not reachable through another brand the user belongs to.
    assert client.get(f"/brands/{other.id}/search/{query.id}").status_code == 404
    assert client.get(f"/brands/{brand.id}/search/{query.id}").status_code == 200


def test_pages_need_login(client, brand):
    response = client.get(f"/brands/{brand.id}/search")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_editor_adds_pauses_and_deletes_a_query(app, client, brand, users):
    login(client, users["editor"].email)
    base = f"/brands/{brand.id}/search"
    response = client.post(
        base,
        data={
            "text": "acme bakery berlin", "engine": "google", "language": "de", "country": "de",
            "device": "mobile", "depth": "20", "schedule": "weekly", "weekday": "3", "hour": "8",
            "provider": "serper", "api_key": "serper-secret", "base_url": "", "tags": "local, city",
            "importance": "2",
        },
    )  # fmt: skip
    assert response.status_code == 302
    query = db.session.scalars(select(TrackedQuery)).one()
    assert (query.device, query.depth, query.tags) == ("mobile", 20, ["city", "local"])
    edit = client.get(f"{base}/{query.id}/edit").get_data(as_text=True)
    assert "serper-secret" not in edit and "A key is stored" in edit
    client.post(f"{base}/{query.id}/pause")
    db.session.refresh(query)
    assert query.paused
    client.post(f"{base}/{query.id}/delete")
    db.session.refresh(query)
    assert query.deleted_at is not None
    assert f"{base}/{query.id}/edit" not in client.get(base).get_data(as_text=True)


def test_refused_query_shows_the_reasons(app, client, brand, users):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/search",
        data={
            "text": "acme", "engine": "bing", "language": "en", "country": "us",
            "device": "desktop", "depth": "10", "schedule": "weekly", "weekday": "0", "hour": "6",
            "provider": "serper", "importance": "1",
        },
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Serper cannot search bing" in page and "needs an API key" in page


def test_viewers_cannot_change_anything(app, client, brand, users, engine_server):
    query = checked_query(app, brand)
    login(client, users["viewer"].email)
    base = f"/brands/{brand.id}/search"
    assert client.post(base, data={"text": "x"}).status_code == 403
    assert client.post(f"{base}/{query.id}/pause").status_code == 403
    assert (
        client.post(f"{base}/label", data={"url": "a.example", "label": "negative"}).status_code
        == 403
    )
    assert 'value="negative"' not in client.get(f"{base}/{query.id}").get_data(as_text=True)


def test_one_click_label_empties_the_queue_entry(app, client, brand, users, engine_server):
    checked_query(app, brand)
    login(client, users["editor"].email)
    base = f"/brands/{brand.id}/search"
    assert "site3.example.com/page" in client.get(f"{base}/queue").get_data(as_text=True)
    response = client.post(
        f"{base}/label",
        data={"url": "site3.example.com/page", "label": "negative", "next": f"{base}/queue"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/queue")
    rule = db.session.scalars(select(LabelRule)).one()
    assert (rule.match_type, rule.pattern, rule.label) == (
        "exact",
        "site3.example.com/page",
        "negative",
    )
    # Gone from the queue (its label buttons); named only in the confirmation.
    queue = client.get(f"{base}/queue").get_data(as_text=True)
    assert 'value="site3.example.com/page"' not in queue
    assert "Labelled site3.example.com/page negative." in queue
    # An outside "next" is not followed.
    away = client.post(
        f"{base}/label",
        data={"url": "site4.example.com/page", "label": "neutral", "next": "//evil.example"},
    )
    assert away.headers["Location"].endswith(f"{base}/queue")


def test_check_all_marks_queries_due_and_shows_progress(app, client, brand, users):
    for text in ("a", "b"):
        make_query(app, brand, None, text=text, schedule="manual")
    make_query(app, brand, None, text="uploads", provider="manual")
    login(client, users["editor"].email)
    response = client.post(f"/brands/{brand.id}/search/check-all")
    assert response.status_code == 302 and "since=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "serp-progress" in page
    progress = client.get(f"/api/v1/brands/{brand.id}/serp/progress").get_json()
    assert progress["waiting"] == 2


def test_upload_form_stores_a_blocked_page_as_blocked(app, client, brand, users):
    import io

    query = make_query(app, brand, None, provider="manual")
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/search/{query.id}/upload",
        data={
            "file": (io.BytesIO(fixture_text("google_unusual_traffic.html").encode()), "p.html"),
            "kind": "html",
            "checked_at": "2026-03-01T10:00",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "blocked" in detail and "not a change of positions" in detail


def test_forms_need_a_csrf_token(app, client, brand, users):
    query = make_query(app, brand, None)
    login(client, users["editor"].email)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/brands/{brand.id}/search/{query.id}/pause")
    assert response.status_code == 400
    db.session.refresh(query)
    assert not query.paused


def test_the_pages_speak_the_persons_language(app, client, brand, users, engine_server):
    query = checked_query(app, brand)
    users["editor"].locale = "lv"
    db.session.commit()
    login(client, users["editor"].email)
    base = f"/brands/{brand.id}/search"
    queries = client.get(base).get_data(as_text=True)
    assert 'lang="lv"' in queries
    assert "Izsekotie vaicājumi" in queries and "Pārbaudīt visus tagad" in queries
    assert "Tracked queries" not in queries
    detail = client.get(f"{base}/{query.id}").get_data(as_text=True)
    assert "Pozīcijas laika gaitā" in detail and "Jaunākā lapa" in detail
    # The label buttons read in Latvian and still send the stored English value.
    assert 'value="negative"' in detail and ">negatīvs</button>" in detail
    weights = client.get(f"{base}/block-weights").get_data(as_text=True)
    assert "Populārākās ziņas" in weights and "Cilvēki arī jautā" in weights
    # A flash message in the person's language.
    response = client.post(f"{base}/{query.id}/check", follow_redirects=True)
    assert "Fona process pārbaudīs šo vaicājumu minūtes laikā." in response.get_data(as_text=True)
