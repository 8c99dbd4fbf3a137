"""Login, roles on the server, API tokens, CSRF."""

from __future__ import annotations

import re

from core.db import db
from core.models import ApiToken, User
from tests.conftest import PASSWORD, login, make_app


def test_pages_need_login(client, brand):
    for path in ("/", "/brands", f"/brands/{brand.id}/calendar", f"/brands/{brand.id}/channels"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_login_with_wrong_password_is_refused_with_a_message(client, users):
    response = login(client, "admin@example.com", "wrong password")
    assert response.status_code == 400
    assert b"do not match" in response.data
    assert client.get("/brands").status_code == 302


def test_login_then_logout(client, users, brand):
    response = login(client, "editor@example.com")
    assert response.status_code == 302
    assert client.get("/brands").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/brands").status_code == 302


def test_login_ignores_an_offsite_next(client, users):
    response = client.post(
        "/login?next=//evil.example/x", data={"email": "admin@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_viewer_cannot_create_brands_or_channels(client, users, brand):
    login(client, "viewer@example.com")
    assert client.post("/brands", data={"name": "X", "timezone": "UTC"}).status_code == 403
    response = client.post(
        f"/brands/{brand.id}/channels",
        data={"platform": "x", "timezone": "UTC", "min_gap_minutes": 60},
    )
    assert response.status_code == 403
    assert brand.channels == []


def test_viewer_cannot_change_posts_through_the_api(api, brand):
    channel_id = (
        api["admin"]
        .post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "mastodon"})
        .get_json()["id"]
    )
    response = api["viewer"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={"channel_id": channel_id, "text": "hello", "queue": True},
    )
    assert response.status_code == 403
    assert response.get_json()["error"].startswith("This needs the editor role")


def test_api_without_or_with_a_bad_token_answers_json_401(client, brand):
    for headers in ({}, {"Authorization": "Bearer po_not-a-token"}):
        response = client.get("/api/v1/brands", headers=headers)
        assert response.status_code == 401
        assert response.is_json and "Bearer" in response.get_json()["error"]


def test_user_sees_only_brands_they_belong_to(app, api, users, brand):
    from planner.brands import create_brand

    other = create_brand(db.session, name="Other Co", timezone="UTC", creator=None)
    db.session.commit()
    names = [b["name"] for b in api["editor"].get("/api/v1/brands").get_json()["brands"]]
    assert names == ["Acme Bakery"]
    assert api["editor"].get(f"/api/v1/brands/{other.id}").status_code == 404


def test_cli_creates_a_user_and_a_token_that_works(app, runner, brand):
    result = runner.invoke(
        args=["users", "create", "new@example.com", "--role", "approver", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(email="new@example.com").one()
    assert user.role == "approver" and user.check_password("a long password")

    result = runner.invoke(args=["users", "token", "new@example.com"])
    assert result.exit_code == 0
    plain = result.output.strip()
    assert plain.startswith("po_")
    stored = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert plain not in (stored.token_hash, stored.prefix)  # only the hash is kept
    response = app.test_client().get("/api/v1/brands", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200 and response.get_json() == {"brands": []}


def test_cli_refuses_duplicate_users_and_short_passwords(runner, users):
    result = runner.invoke(
        args=["users", "create", "admin@example.com", "--password-stdin"], input="long enough\n"
    )
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["users", "create", "a@b.example", "--password-stdin"], input="x\n")
    assert result.exit_code != 0 and "at least 10" in result.output


def test_forms_and_session_api_calls_need_the_csrf_token(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = User(email="a@example.com", name="a", role="admin")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        refused = client.post("/login", data={"email": "a@example.com", "password": PASSWORD})
        assert refused.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        accepted = client.post(
            "/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert accepted.status_code == 302
        # The browser session may call the API, but unsafe methods need the X-CSRFToken header.
        without = client.post("/api/v1/brands", json={"name": "B", "timezone": "UTC"})
        assert without.status_code == 400 and "CSRF" in without.get_json()["error"]
        meta = client.get("/brands").get_data(as_text=True)
        header = re.search(r'name="csrf-token" content="([^"]+)"', meta).group(1)
        ok = client.post(
            "/api/v1/brands", json={"name": "B", "timezone": "UTC"}, headers={"X-CSRFToken": header}
        )
        assert ok.status_code == 201
        # Every form is checked by the global CSRF protection, the publishing switches included.
        brand_id = ok.get_json()["id"]
        refused = client.post(f"/brands/{brand_id}/pause", data={"reason": "drill"})
        assert refused.status_code == 400
        assert client.get(f"/api/v1/brands/{brand_id}").get_json()["paused"] is False
    app.extensions["pageone.db"].dispose()
