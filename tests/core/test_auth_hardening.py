"""Login throttling, sessions that end on logout, security headers, cookies, password rules."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

import core.models
from core.config import load_config
from core.db import db
from core.models import User
from core.passwords import password_problem
from planner.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD, create_user, login, make_app, token_for

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
OTHER_ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture
def throttled_app(tmp_path) -> Iterator[Flask]:
    """An app with throttling on, as in production (the shared test config turns it off)."""
    app = make_app(
        f"sqlite:///{tmp_path / 'throttled.db'}",
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_PER_ACCOUNT="5 per minute",
        LOGIN_LIMIT_PER_ADDRESS="20 per minute",
        API_TOKEN_FAILURE_LIMIT="3 per minute",
    )
    with app.app_context():
        from core.models import Role

        for role in ("admin", "editor"):
            create_user(f"{role}@example.com", Role(role))
        db.session.commit()
        yield app
    app.extensions["pageone.db"].dispose()


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


# --- throttling ---------------------------------------------------------------------------------


def test_failed_logins_for_one_account_are_throttled_whatever_the_password(throttled_app):
    client = throttled_app.test_client()
    for _ in range(5):
        assert login(client, "admin@example.com", "wrong password").status_code == 400
    # The sixth attempt is refused before the password is looked at, even the right one.
    refused = login(client, "  ADMIN@example.com ", PASSWORD)
    assert refused.status_code == 429
    assert 1 <= retry_after(refused) <= 60
    assert "Too many failed logins for this account." in refused.text
    assert re.search(r"Wait \d+ seconds, then try again\.", refused.text)
    assert 'name="email"' in refused.text  # the login form is shown again
    assert client.get("/brands").status_code == 302  # and nobody is logged in
    # Another account from the same address is not affected.
    assert login(client, "editor@example.com").status_code == 302


def test_the_throttled_login_speaks_the_persons_language_with_its_plural(throttled_app):
    client = throttled_app.test_client()
    latvian = {"Accept-Language": "lv"}
    data = {"email": "admin@example.com", "password": "wrong password"}
    for _ in range(5):
        assert client.post("/login", data=data, headers=latvian).status_code == 400
    refused = client.post("/login", data=data, headers=latvian)
    assert refused.status_code == 429
    wait = retry_after(refused)
    assert "Šim kontam pārāk daudz neizdevušos pieteikšanos." in refused.text
    # Latvian: "1 sekundi", "21 sekundi", else "sekundes".
    unit = "sekundi" if wait % 10 == 1 and wait % 100 != 11 else "sekundes"
    assert f"Pagaidiet {wait} {unit} un mēģiniet vēlreiz." in refused.text


def test_failed_logins_from_one_address_are_throttled_across_accounts(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'address.db'}",
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
        LOGIN_LIMIT_PER_ADDRESS="3 per minute",
    )
    with app.app_context():
        from core.models import Role

        create_user("admin@example.com", Role.ADMIN)
        db.session.commit()
        client = app.test_client()
        for n in range(3):
            assert login(client, f"nobody{n}@example.com", "guess").status_code == 400
        refused = login(client, "admin@example.com", PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed logins from your network address." in refused.text
        assert 1 <= retry_after(refused) <= 60
        # Someone elsewhere logs in as usual.
        elsewhere = app.test_client()
        response = elsewhere.post(
            "/login",
            data={"email": "admin@example.com", "password": PASSWORD},
            environ_base=OTHER_ADDRESS,
        )
        assert response.status_code == 302
    app.extensions["pageone.db"].dispose()


def test_successful_logins_are_not_counted(throttled_app):
    client = throttled_app.test_client()
    for _ in range(8):
        assert login(client, "admin@example.com").status_code == 302
        assert client.post("/logout").status_code == 302


def test_the_throttle_lifts_when_the_window_has_passed(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'window.db'}",
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_PER_ACCOUNT="2 per 1 second",
    )
    with app.app_context():
        client = app.test_client()
        for _ in range(2):
            assert login(client, "a@example.com", "guess").status_code == 400
        assert login(client, "a@example.com", "guess").status_code == 429
        time.sleep(1.2)
        assert login(client, "a@example.com", "guess").status_code == 400
    app.extensions["pageone.db"].dispose()


def test_unknown_api_tokens_are_throttled_per_address(throttled_app):
    good = {"Authorization": f"Bearer {token_for(db.session.get(User, 1))}"}
    bad = {"Authorization": "Bearer po_guessed-token"}
    client = throttled_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/brands", headers=bad).status_code == 401
    refused = client.get("/api/v1/brands", headers=bad)
    assert refused.status_code == 429 and refused.is_json
    assert 1 <= retry_after(refused) <= 60
    assert "unknown API tokens" in refused.get_json()["message"]
    # While throttled, no token from that address is looked at, a right one included.
    assert client.get("/api/v1/brands", headers=good).status_code == 429
    other = client.get("/api/v1/brands", headers=good, environ_base=OTHER_ADDRESS)
    assert other.status_code == 200


def test_throttling_settings_come_from_the_environment(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": "x"})
    assert config["RATELIMIT_ENABLED"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per minute"
    assert config["LOGIN_LIMIT_PER_ADDRESS"] == "20 per minute"
    shared = load_config(
        str(tmp_path),
        {
            "SECRET_KEY": "x",
            "RATELIMIT_STORAGE_URI": "redis://cache:6379/0",
            "LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes",
            "REMEMBER_DAYS": "7",
        },
    )
    assert shared["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert shared["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per 10 minutes"
    assert shared["REMEMBER_COOKIE_DURATION"].days == 7


def test_a_malformed_limit_stops_the_app_with_the_setting_named(tmp_path):
    with pytest.raises(ValueError, match="LOGIN_LIMIT_PER_ADDRESS"):
        make_app(f"sqlite:///{tmp_path / 'bad.db'}", LOGIN_LIMIT_PER_ADDRESS="lots")


# --- sessions end on logout and on a new password ------------------------------------------------


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def test_a_copied_session_cookie_stops_working_after_logout(app, client, users, brand):
    assert login(client, "editor@example.com").status_code == 302
    copied = cookie(client, "session")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/brands").status_code == 200  # the copy works while the user is in

    assert client.post("/logout").status_code == 302
    replayed = thief.get("/brands")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_a_remember_me_cookie_stops_working_after_logout(app, client, users, brand):
    response = client.post(
        "/login", data={"email": "editor@example.com", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    remembered = cookie(client, "remember_token")
    # The remember-me cookie alone logs a fresh browser in...
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered)
    assert fresh.get("/brands").status_code == 200

    assert client.post("/logout").status_code == 302
    # ...until the user logs out anywhere.
    later = app.test_client()
    later.set_cookie("remember_token", remembered)
    replayed = later.get("/brands")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert fresh.get("/brands").status_code == 302  # the session it had made ended too


def test_a_new_password_ends_every_session_of_that_user(app, runner, users, brand):
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert login(browser, "editor@example.com").status_code == 302
        assert browser.get("/brands").status_code == 200
    admin = app.test_client()
    assert login(admin, "admin@example.com").status_code == 302

    result = runner.invoke(
        args=["users", "set-password", "editor@example.com", "--password-stdin"],
        input="a fresh long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert laptop.get("/brands").status_code == 302
    assert phone.get("/brands").status_code == 302
    assert admin.get("/brands").status_code == 200  # other users keep their sessions
    assert login(laptop, "editor@example.com").status_code == 400
    assert login(laptop, "editor@example.com", "a fresh long passphrase").status_code == 302


def test_a_session_without_a_version_is_asked_to_log_in_again(app, users, brand):
    # Sessions issued before the session version existed held only the user id.
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    assert client.get("/brands").status_code == 302


# --- cookies ------------------------------------------------------------------------------------


def set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_lax_httponly_and_last_30_days(client, users):
    response = client.post(
        "/login", data={"email": "editor@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = set_cookie_headers(response)
    for name in ("session", "remember_token"):
        assert "SameSite=Lax" in cookies[name] and "HttpOnly" in cookies[name]
        assert "Secure" not in cookies[name]
    expires = re.search(r"Expires=([^;]+)", cookies["remember_token"]).group(1)
    days = (parsedate_to_datetime(expires) - datetime.now(UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30


def test_cookies_are_secure_when_session_cookie_secure_is_set(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'secure.db'}",
        **{
            k: v
            for k, v in load_config(
                str(tmp_path), {"SECRET_KEY": "x", "SESSION_COOKIE_SECURE": "1"}
            ).items()
            if k.endswith("_SECURE")
        },
    )
    with app.app_context():
        from core.models import Role

        create_user("a@example.com", Role.ADMIN)
        db.session.commit()
        response = app.test_client().post(
            "/login",
            data={"email": "a@example.com", "password": PASSWORD, "remember": "y"},
            base_url="https://localhost",
        )
        assert response.status_code == 302
        cookies = set_cookie_headers(response)
        assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]
    app.extensions["pageone.db"].dispose()


# --- security headers ---------------------------------------------------------------------------


def assert_security_headers(response, path: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, path
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'", policy), path
    assert "unsafe-inline" not in policy.split("style-src-attr")[0], path
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "same-origin", path


def enable_public_page(brand) -> None:
    from planner.reviews.settings import update_settings

    update_settings(
        db.session,
        brand,
        None,
        page_url="https://pageone.example/b/acme-bakery/reviews",
        now=datetime.now(UTC),
        profile_url="https://maps.example/acme",
        page_enabled=True,
        weekly_cap=2,
        cooldown_days=90,
        do_not_phrases="",
        templates={},
    )
    db.session.commit()


def test_every_kind_of_response_carries_the_security_headers(app, client, users, brand):
    enable_public_page(brand)
    public = {
        "/login": 200,
        f"/b/{brand.slug}/reviews": 200,
        f"/ical/{brand.ical_token}.ics": 200,
        "/static/css/app.css": 200,
        "/vendor/chart.js/dist/chart.umd.min.js": 200,
        "/healthz": 200,
        "/api/v1/openapi.json": 200,
        "/api/v1/brands": 401,
        "/no-such-page": 404,
        "/brands": 302,
    }
    for path, status in public.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response, path)
    login(client, "admin@example.com")
    for path in ("/brands", f"/brands/{brand.id}/calendar", "/account"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, path)


def test_inline_scripts_and_styles_carry_this_responses_nonce(app, client, users, brand):
    enable_public_page(brand)
    login(client, "admin@example.com")
    nonces = []
    for path in (
        f"/brands/{brand.id}/search",
        f"/brands/{brand.id}/listening/reports",
        f"/b/{brand.slug}/reviews",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])[1]
        inline = re.findall(
            r"<(script|style)(?![^>]*\bsrc=)(?![^>]*application/)([^>]*)>", response.text
        )
        assert inline, path
        for tag, attributes in inline:
            assert f'nonce="{nonce}"' in attributes, (path, tag)
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces)  # a new nonce for every response


def test_no_template_has_an_inline_handler_or_an_unmarked_inline_script():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text, template
        for attributes in re.findall(r"<(?:script|style)\b([^>]*)>", text):
            marked = "nonce=" in attributes or "src=" in attributes or "application/" in attributes
            assert marked, (template, attributes)


# --- equal-time login, password rule ------------------------------------------------------------


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password hash checked during the test, by its method."""
    checked: list[str] = []
    real = core.models.check_password_hash

    def recording(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(core.models, "check_password_hash", recording)
    return checked


def test_an_unknown_email_costs_the_same_hash_check_as_a_known_one(client, users, hash_checks):
    method_of_real_hashes = generate_password_hash("x").split("$")[0]
    for user in users.values():  # as the app hashes passwords, not the tests' cheap hash
        user.set_password(PASSWORD)
    db.session.commit()
    assert login(client, "admin@example.com", "wrong password").status_code == 400
    assert login(client, "nobody@example.com", "wrong password").status_code == 400
    users["viewer"].active = False
    db.session.commit()
    assert login(client, "viewer@example.com", PASSWORD).status_code == 400
    # One check per attempt, the same method (and so the same cost) for each.
    assert hash_checks == [method_of_real_hashes] * 3


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "blank"),
        ("        ", "blank"),
        ("\t \n", "blank"),
        ("short1!", "at least 10"),
        ("   short1!    ", "at least 10"),
        ("1234567890", "commonly used"),
        ("QwertyUiop", "commonly used"),
        ("password123", "commonly used"),
        ("basketball", "commonly used"),
        ("newuser@example.com", "email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    problem = password_problem(password, "newuser@example.com")
    assert problem is not None and reason in problem


def test_ordinary_long_passwords_and_the_demo_password_are_accepted():
    for password in (PASSWORD, DEMO_PASSWORD, "a fresh long passphrase", "Tr0ub4dor&3xyz"):
        assert password_problem(password, "someone@example.com") is None


def test_the_cli_refuses_weak_passwords_wherever_it_sets_one(runner, users):
    for password, reason in (("        ", "blank"), ("qwertyuiop", "commonly used")):
        result = runner.invoke(
            args=["users", "create", "new@example.com", "--password-stdin"], input=f"{password}\n"
        )
        assert result.exit_code != 0 and reason in result.output
        result = runner.invoke(
            args=["users", "set-password", "editor@example.com", "--password-stdin"],
            input=f"{password}\n",
        )
        assert result.exit_code != 0 and reason in result.output
    assert db.session.query(User).filter_by(email="new@example.com").count() == 0
    assert users["editor"].check_password(PASSWORD)


def redis_url() -> str:
    """A Redis database for the shared-store test; fails when REQUIRE_REDIS=1, else skips."""
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


SECOND_PROCESS = """
import json, sys
from tests.conftest import PASSWORD, login, make_app
database, shared = sys.argv[1], json.loads(sys.argv[2])
app = make_app(database, **shared)
with app.app_context():
    client = app.test_client()
    statuses = [login(client, "admin@example.com", "wrong password").status_code for _ in range(2)]
    statuses.append(login(client, "admin@example.com", PASSWORD).status_code)
print(json.dumps(statuses))
"""


@pytest.mark.parametrize("storage", ["redis", "memory"])
def test_web_processes_count_failed_logins_together_only_with_a_shared_store(tmp_path, storage):
    """A second process stands for a second web process: with Redis the count is one, as the
    README promises; with memory storage each process counts alone, as it warns."""
    import json
    import secrets as random_names
    import subprocess
    import sys

    shared = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url() if storage == "redis" else "memory://",
        "RATELIMIT_KEY_PREFIX": f"pageone-test-{random_names.token_hex(6)}",
        "LOGIN_LIMIT_PER_ACCOUNT": "4 per minute",
    }
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = make_app(database, **shared)
    try:
        with first.app_context():
            from core.models import Role

            create_user("admin@example.com", Role.ADMIN)
            db.session.commit()
            client = first.test_client()
            for _ in range(2):
                assert login(client, "admin@example.com", "wrong password").status_code == 400
    finally:
        first.extensions["pageone.db"].dispose()
    second = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, database, json.dumps(shared)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    statuses = json.loads(second.stdout.strip().splitlines()[-1])
    # Two failures here and two there reach the limit of 4 only when the store is shared.
    assert statuses == ([400, 400, 429] if storage == "redis" else [400, 400, 302])
