"""JSON API of search tracking: auth, validation as JSON 422, secrets never shown, history."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from core.db import db
from planner.brands import add_member, create_brand
from serp.models import SerpCheck, TrackedQuery

from .conftest import fixture_text

NEW_QUERY = {
    "text": "acme bakery reviews",
    "engine": "google",
    "language": "de",
    "country": "de",
    "depth": 20,
    "schedule": "weekly",
    "weekday": 2,
    "hour": 7,
    "provider": "serpapi",
    "provider_settings": {"api_key": "secret-serpapi-key"},
    "tags": ["reviews", "brand"],
    "importance": 2.5,
}


def create(api, brand, role="editor", **changes):
    return api[role].post(f"/api/v1/brands/{brand.id}/serp/queries", json={**NEW_QUERY, **changes})


def test_queries_need_a_token(client, brand):
    response = client.get(f"/api/v1/brands/{brand.id}/serp/queries")
    assert response.status_code == 401
    assert "Authentication required" in response.get_json()["error"]


def test_editor_tracks_a_query_and_the_key_is_never_shown(api, brand):
    response = create(api, brand)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["text"] == "acme bakery reviews" and data["depth"] == 20
    assert data["provider_settings_set"] == ["api_key"]
    assert data["tags"] == ["brand", "reviews"] and data["importance"] == 2.5
    assert data["next_check_at"] is not None  # first check soon
    listed = api["viewer"].get(f"/api/v1/brands/{brand.id}/serp/queries")
    assert "secret-serpapi-key" not in listed.get_data(as_text=True)
    stored = db.session.get(TrackedQuery, data["id"])
    assert "secret-serpapi-key" not in (stored.provider_settings_encrypted or "")


def test_viewers_read_but_do_not_change(api, brand):
    assert create(api, brand, role="viewer").status_code == 403


def test_validation_errors_are_json_422_with_every_reason(api, brand):
    response = create(
        api, brand, engine="yahoo", depth=30, hour=25, country="germany", provider_settings={}
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert len(errors) == 4
    assert any("engine" in e for e in errors) and any("depth" in e for e in errors)
    missing_key = create(api, brand, provider_settings={})
    assert missing_key.status_code == 422
    assert (
        missing_key.get_json()["error"] == "SerpApi needs an API key (provider setting 'api_key')."
    )
    not_json = api["editor"].post(f"/api/v1/brands/{brand.id}/serp/queries", data="x")
    assert not_json.status_code == 400


def test_queries_of_other_brands_are_not_found(api, brand, users):
    other = create_brand(db.session, name="Other", timezone="UTC", creator=None)
    db.session.commit()
    assert create(api, other).status_code == 404
    query_id = create(api, brand).get_json()["id"]
    add_member(db.session, other, users["admin"], users["admin"])
    db.session.commit()
    outsider = create_brand(db.session, name="Third", timezone="UTC", creator=None)
    db.session.add(TrackedQuery(brand_id=outsider.id, text="hidden"))
    db.session.commit()
    hidden = db.session.scalar(select(TrackedQuery.id).where(TrackedQuery.text == "hidden"))
    assert api["admin"].get(f"/api/v1/serp/queries/{hidden}").status_code == 404
    assert api["admin"].get(f"/api/v1/serp/queries/{query_id}").status_code == 200


def test_update_pause_delete_and_check_now(api, brand):
    query_id = create(api, brand).get_json()["id"]
    url = f"/api/v1/serp/queries/{query_id}"
    changed = api["editor"].patch(url, json={"paused": True, "schedule": "daily", "hour": 5})
    assert changed.status_code == 200
    assert changed.get_json()["paused"] is True and changed.get_json()["schedule"] == "daily"
    assert api["editor"].patch(url, json={"colour": "red"}).status_code == 422
    # Replacing the settings: the key can be changed but is still not shown.
    rekeyed = api["editor"].patch(url, json={"provider_settings": {"api_key": "new-key"}})
    assert "new-key" not in rekeyed.get_data(as_text=True)
    assert api["editor"].post(f"{url}/check").status_code == 202
    assert api["editor"].delete(url).status_code == 204
    listed = api["viewer"].get(f"/api/v1/brands/{brand.id}/serp/queries").get_json()
    assert listed["queries"] == []
    kept = api["viewer"].get(f"/api/v1/brands/{brand.id}/serp/queries?include_deleted=1")
    assert kept.get_json()["queries"][0]["deleted_at"] is not None
    assert api["editor"].patch(url, json={"hour": 3}).status_code == 422


def test_label_rules_crud(api, brand):
    base = f"/api/v1/brands/{brand.id}/serp/labels"
    made = api["editor"].post(
        base,
        json={
            "match_type": "prefix",
            "pattern": "https://www.news.example/acme/",
            "label": "negative",
        },
    )
    assert made.status_code == 201
    rule = made.get_json()
    assert rule["pattern"] == "news.example/acme"
    bad = api["editor"].post(base, json={"match_type": "regex", "pattern": "", "label": "meh"})
    assert bad.status_code == 422 and len(bad.get_json()["errors"]) == 3
    changed = api["editor"].patch(f"/api/v1/serp/labels/{rule['id']}", json={"label": "neutral"})
    assert changed.get_json()["label"] == "neutral"
    assert api["viewer"].get(base).get_json()["labels"][0]["id"] == rule["id"]
    assert api["viewer"].delete(f"/api/v1/serp/labels/{rule['id']}").status_code == 403
    assert api["editor"].delete(f"/api/v1/serp/labels/{rule['id']}").status_code == 204
    assert api["viewer"].get(base).get_json()["labels"] == []


def manual_query(api, brand) -> int:
    response = create(api, brand, provider="manual", provider_settings={}, engine="bing")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_uploads_history_and_csv_export(api, brand):
    query_id = manual_query(api, brand)
    url = f"/api/v1/serp/queries/{query_id}"
    page = fixture_text("tracking_bing_page.html").encode()
    uploaded = api["editor"].post(
        f"{url}/uploads",
        data={"file": (io.BytesIO(page), "page.html"), "checked_at": "2026-02-02T08:00:00Z"},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    [check] = uploaded.get_json()["checks"]
    assert check["status"] == "ok" and check["result_count"] == 3
    blocked = api["editor"].post(
        f"{url}/uploads?kind=html", data=fixture_text("google_captcha.html"),
        content_type="text/html",
    )  # fmt: skip
    assert blocked.get_json()["checks"][0]["status"] == "blocked"
    api["editor"].post(
        f"/api/v1/brands/{brand.id}/serp/labels",
        json={"match_type": "domain", "pattern": "news.example.net", "label": "negative"},
    )
    history = api["viewer"].get(f"{url}/history").get_json()
    assert [c["status"] for c in history["checks"]] == ["blocked", "ok"]
    results = history["checks"][1]["results"]
    assert [r["position"] for r in results] == [1, 2, 3]
    assert results[1]["normalized_url"] == "reviews.example.org/acme-bakery"
    assert results[2]["label"] == "negative"
    exported = api["viewer"].get(f"{url}/history.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(r["status"], r["position"]) for r in rows] == [
        ("ok", "1"),
        ("ok", "2"),
        ("ok", "3"),
        ("blocked", ""),
    ]
    assert rows[2]["label"] == "negative" and rows[3]["reason"] == "captcha"


def test_bad_csv_upload_names_the_lines(api, brand):
    query_id = manual_query(api, brand)
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query_id}/uploads",
        data="checked_at,position,url,title\n2026-01-01,x,https://a.example/,A\n2026-01-01,1,a,B\n",
        content_type="text/csv",
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        "Line 2: position 'x' is not 1 or more.",
        "Line 3: url 'a' is not a full http(s) address.",
    ]
    assert db.session.scalars(select(SerpCheck)).all() == []


def test_progress_counts_and_openapi_lists_the_paths(api, brand, client):
    create(api, brand)
    progress = (
        api["viewer"]
        .get(f"/api/v1/brands/{brand.id}/serp/progress?since=2026-01-01T00:00:00Z")
        .get_json()
    )
    assert progress == {"waiting": 1, "running": 0, "done": 0}
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/serp/queries/{query_id}/history" in paths
    assert "/brands/{brand_id}/serp/labels" in paths
