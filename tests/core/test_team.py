"""The team from the web: invitation and reset links (signed, single use, expiring, revocable),
members changed and removed, forgotten passwords without a hint, each person's password and email.
Mail goes to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from core import team
from core.db import db, utcnow
from core.models import ApiToken, Role, User
from core.tenants import BrandMember, is_member
from tests.conftest import PASSWORD, create_user, login, make_app, token_for

NEW_PASSWORD = "plum orchard lantern"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp) -> Flask:
    controller, _ = smtp
    app.config.update(SMTP_HOST=controller.hostname, SMTP_PORT=controller.port)
    return app


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True).decode()
    found = re.search(r"http://localhost(/(?:invite|reset)/\S+)", body)
    assert found, body
    return found.group(1)


def admin_client(app: Flask, users):
    client = app.test_client()
    assert login(client, users["admin"].email).status_code == 302
    return client


def invite(client, email: str, role: str, brand_ids: list[int]):
    return client.post("/team", data={"email": email, "role": role, "brands": brand_ids})


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


# --- invitations ------------------------------------------------------------------------------


def test_an_invitation_mail_lets_the_invitee_set_a_password_and_join_the_brands(
    mail_app, smtp, users, brand
):
    _, inbox = smtp
    admin = admin_client(mail_app, users)
    answer = invite(admin, "  Nora@Example.com ", "approver", [brand.id])
    assert answer.status_code == 302

    (mail,) = inbox.messages
    assert mail["To"] == "nora@example.com"
    path = link_in(mail)
    newcomer = mail_app.test_client()
    page = newcomer.get(path)
    assert (
        page.status_code == 200 and "nora@example.com" in page.text and "Acme Bakery" in page.text
    )
    joined = newcomer.post(
        path, data={"name": "Nora", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert joined.status_code == 302
    assert newcomer.get("/").status_code == 200  # logged in

    nora = db.session.scalar(select(User).where(User.email == "nora@example.com"))
    assert nora.role == "approver" and nora.name == "Nora" and nora.check_password(NEW_PASSWORD)
    assert is_member(db.session, nora, brand.id)
    # Single use: the same link now says it was used.
    again = mail_app.test_client().get(path)
    assert again.status_code == 410 and "already accepted" in again.text


def test_without_mail_the_admin_sees_the_link_to_copy(app, users, brand):
    admin = admin_client(app, users)
    answer = invite(admin, "olek@example.com", "editor", [brand.id])
    assert answer.status_code == 200
    shown = re.search(r'value="http://localhost(/invite/[^"]+)"', answer.text)
    assert shown and "sends no mail" in answer.text
    page = app.test_client().get(shown.group(1))
    assert page.status_code == 200 and "olek@example.com" in page.text


def test_a_tampered_invitation_link_is_refused(app, users, brand):
    link, token = team.invite(
        db.session,
        app.config["SECRET_KEY"],
        users["admin"],
        email="p@example.com",
        role="editor",
        brand_ids=[brand.id],
        allowed_brands=[brand],
        now=utcnow(),
    )
    db.session.commit()
    client = app.test_client()
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, token + "x", "nonsense", token.split(".")[0]):
        answer = client.get(f"/invite/{bad}")
        assert answer.status_code == 404 and "not valid" in answer.text, bad
    # Signed with another key (another instance, or a guessed key): refused as well.
    forged = team._serializer("another key", team.LinkKind.INVITE).dumps("x" * 43)
    assert client.get(f"/invite/{forged}").status_code == 404
    # An invitation's token is no reset token.
    assert client.get(f"/reset/{token}").status_code == 404
    assert client.get(f"/invite/{token}").status_code == 200


def test_an_invitation_expires_after_seven_days(app, users, brand):
    sent = utcnow() - timedelta(days=7, minutes=1)
    link, token = team.invite(
        db.session,
        app.config["SECRET_KEY"],
        users["admin"],
        email="late@example.com",
        role="viewer",
        brand_ids=[],
        allowed_brands=[brand],
        now=sent,
    )
    db.session.commit()
    assert link.expires_at == sent + timedelta(days=7)
    answer = app.test_client().post(
        f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert answer.status_code == 410 and "expired" in answer.text
    assert db.session.scalar(select(User).where(User.email == "late@example.com")) is None


def test_a_revoked_or_resent_invitation_link_stops_working(app, users, brand):
    admin = admin_client(app, users)
    first = invite(admin, "rae@example.com", "editor", [brand.id])
    first_path = re.search(r'value="http://localhost(/invite/[^"]+)"', first.text).group(1)
    link = db.session.scalar(
        select(team.AccountLink).where(team.AccountLink.email == "rae@example.com")
    )

    resent = admin.post(f"/team/invitations/{link.id}/resend")
    assert resent.status_code == 200
    second_path = re.search(r'value="http://localhost(/invite/[^"]+)"', resent.text).group(1)
    assert second_path != first_path
    gone = app.test_client().get(first_path)
    assert gone.status_code == 410 and "withdrawn" in gone.text

    newest = db.session.scalars(
        select(team.AccountLink).where(team.AccountLink.email == "rae@example.com")
    ).all()[-1]
    assert admin.post(f"/team/invitations/{newest.id}/revoke").status_code == 302
    assert app.test_client().get(second_path).status_code == 410
    assert "rae@example.com" not in admin.get("/team").text.split("Pending invitations")[1]


def test_only_admins_see_the_team_and_invite(app, users, brand):
    client = app.test_client()
    login(client, users["approver"].email)
    assert client.get("/team").status_code == 403
    assert invite(client, "x@example.com", "admin", [brand.id]).status_code == 403


def test_bad_invitations_are_refused_with_reasons(app, users, brand):
    admin = admin_client(app, users)
    for data, reason in [
        ({"email": "not-an-address", "role": "editor"}, "whole email address"),
        ({"email": "editor@example.com", "role": "editor"}, "already in the team"),
        ({"email": "a@example.com", "role": "owner"}, "Not a valid choice"),
        ({"email": "a@example.com", "role": "editor", "brands": ["x"]}, "Invalid choice"),
        ({"email": "a@example.com", "role": "editor", "brands": [9999]}, "valid choice"),
    ]:
        answer = admin.post("/team", data=data)
        assert answer.status_code == 400, data
        assert reason in answer.text, (data, answer.text[-2000:])


# --- members ----------------------------------------------------------------------------------


def test_removing_a_member_ends_their_sessions_and_api_tokens(app, users, brand):
    editor = users["editor"]
    plain = token_for(editor)
    browser = app.test_client()
    login(browser, editor.email)
    assert browser.get("/account").status_code == 200
    bearer = {"Authorization": f"Bearer {plain}"}
    assert app.test_client().get("/api/v1/brands", headers=bearer).status_code == 200

    admin = admin_client(app, users)
    confirm = admin.get(f"/team/members/{editor.id}/remove")
    assert confirm.status_code == 200 and "logged out everywhere" in confirm.text
    assert admin.post(f"/team/members/{editor.id}/remove").status_code == 302

    assert browser.get("/account").status_code == 302  # back to the login page
    assert app.test_client().get("/api/v1/brands", headers=bearer).status_code == 401
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == editor.id)) is None
    assert not is_member(db.session, editor, brand.id)
    assert login(app.test_client(), editor.email).status_code == 400
    assert f'data-member="{editor.email}"' not in admin.get("/team").text


def test_a_member_is_changed_and_the_last_admin_stays(app, users, brand):
    admin = admin_client(app, users)
    viewer = users["viewer"]
    answer = admin.post(f"/team/members/{viewer.id}", data={"role": "approver", "brands": []})
    assert answer.status_code == 302
    assert viewer.role == "approver" and not is_member(db.session, viewer, brand.id)
    admin.post(f"/team/members/{viewer.id}", data={"role": "approver", "brands": [brand.id]})
    assert is_member(db.session, viewer, brand.id)

    me = users["admin"]
    refused = admin.post(f"/team/members/{me.id}", data={"role": "editor", "brands": [brand.id]})
    assert refused.status_code == 400 and "at least one admin" in refused.text
    assert me.role == "admin"
    assert admin.post(f"/team/members/{me.id}/remove").status_code == 400
    assert admin.get("/team/members/99999").status_code == 404


def test_a_removed_person_invited_again_comes_back(app, users, brand):
    admin = admin_client(app, users)
    editor = users["editor"]
    admin.post(f"/team/members/{editor.id}/remove")
    answer = invite(admin, editor.email, "viewer", [brand.id])
    path = re.search(r'value="http://localhost(/invite/[^"]+)"', answer.text).group(1)
    client = app.test_client()
    assert (
        client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    assert editor.active and editor.role == "viewer" and is_member(db.session, editor, brand.id)


# --- forgotten passwords ----------------------------------------------------------------------


def forgot(client, email: str):
    return client.post("/forgot-password", data={"email": email}, follow_redirects=True)


def visible(answer) -> str:
    """The page as the requester reads it, without its per-response CSRF token and nonce."""
    text = re.sub(r'(csrf[-_]token"? (?:content|value)=)"[^"]*"', r"\1", answer.text)
    return re.sub(r'nonce="[^"]*"', "", text)


def test_forgot_password_answers_the_same_whether_the_address_exists(mail_app, smtp, users):
    _, inbox = smtp
    known = forgot(mail_app.test_client(), "editor@example.com")
    unknown = forgot(mail_app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert visible(known) == visible(unknown)
    assert "If an account uses that address" in known.text
    # The known address got its mail; the unknown one nothing (and the requester saw no difference).
    assert [m["To"] for m in inbox.messages] == ["editor@example.com"]


def test_without_mail_forgot_password_still_tells_nothing(app, users):
    known = forgot(app.test_client(), "editor@example.com")
    unknown = forgot(app.test_client(), "nobody@example.com")
    assert visible(known) == visible(unknown)
    assert "/reset/" not in known.text


def test_a_reset_link_sets_a_new_password_once_and_ends_old_sessions(mail_app, smtp, users):
    _, inbox = smtp
    editor = users["editor"]
    old_session = mail_app.test_client()
    login(old_session, editor.email)
    forgot(mail_app.test_client(), editor.email)
    path = link_in(inbox.messages[0])

    client = mail_app.test_client()
    weak = client.post(path, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert editor.check_password(NEW_PASSWORD)
    assert old_session.get("/account").status_code == 302
    used = mail_app.test_client().get(path)
    assert used.status_code == 410 and "already used" in used.text


def test_a_reset_link_expires_after_an_hour_and_a_newer_one_replaces_it(app, users):
    secret = app.config["SECRET_KEY"]
    asked = utcnow() - timedelta(minutes=61)
    _, old_token = team.request_reset(db.session, secret, "editor@example.com", now=asked)
    db.session.commit()
    expired = app.test_client().get(f"/reset/{old_token}")
    assert expired.status_code == 410 and "expired" in expired.text

    _, first = team.request_reset(db.session, secret, "editor@example.com", now=utcnow())
    _, second = team.request_reset(db.session, secret, "editor@example.com", now=utcnow())
    db.session.commit()
    assert app.test_client().get(f"/reset/{first}").status_code == 410
    assert app.test_client().get(f"/reset/{second}").status_code == 200
    assert team.request_reset(db.session, secret, "nobody@example.com", now=utcnow()) is None


@pytest.fixture
def throttled_app(tmp_path) -> Iterator[Flask]:
    app = make_app(
        f"sqlite:///{tmp_path / 'throttled.db'}",
        RATELIMIT_ENABLED=True,
        RESET_LIMIT_PER_ACCOUNT="3 per hour",
        RESET_LIMIT_PER_ADDRESS="10 per hour",
    )
    with app.app_context():
        create_user("editor@example.com", Role.EDITOR)
        db.session.commit()
        yield app
    app.extensions["pageone.db"].dispose()


def test_forgot_password_is_throttled_per_email_and_per_address(throttled_app):
    client = throttled_app.test_client()
    for _ in range(3):
        assert forgot(client, "editor@example.com").status_code == 200
    refused = client.post("/forgot-password", data={"email": " EDITOR@example.com"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many password reset requests for this email" in refused.text
    # The same for an address that has no account: the throttle tells nothing either.
    for _ in range(3):
        forgot(client, "nobody@example.com")
    assert client.post("/forgot-password", data={"email": "nobody@example.com"}).status_code == 429
    # Per network address: ten in all, whatever the emails.
    for n in range(4):
        forgot(client, f"other{n}@example.com")
    answer = client.post("/forgot-password", data={"email": "fresh@example.com"})
    assert answer.status_code == 429 and "from your address" in answer.text


def test_wrong_current_passwords_are_throttled_per_person(throttled_app):
    client = throttled_app.test_client()
    login(client, "editor@example.com")
    wrong = {"pw-current": "not it", "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}
    for _ in range(3):
        assert client.post("/account/password", data=wrong).status_code == 400
    for _ in range(2):
        answer = client.post(
            "/account/email", data={"em-email": "e@x.example", "em-password": "no"}
        )
        assert answer.status_code == 400
    # The sixth check is refused before the password is looked at, the right one included.
    right = {**wrong, "pw-current": PASSWORD}
    refused = client.post("/account/password", data=right)
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.text
    editor = db.session.scalar(select(User).where(User.email == "editor@example.com"))
    assert editor.check_password(PASSWORD) and not editor.check_password(NEW_PASSWORD)


# --- your own account -------------------------------------------------------------------------


def test_changing_the_password_asks_the_current_one(app, users):
    client = app.test_client()
    login(client, "editor@example.com")
    other = app.test_client()
    login(other, "editor@example.com")
    data = {"pw-current": "wrong one", "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}
    wrong = client.post("/account/password", data=data)
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    mismatch = client.post(
        "/account/password",
        data={"pw-current": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": "other"},
    )
    assert mismatch.status_code == 400 and "The two differ" in mismatch.text
    data["pw-current"] = PASSWORD
    assert client.post("/account/password", data=data).status_code == 302
    assert users["editor"].check_password(NEW_PASSWORD)
    assert client.get("/account").status_code == 200  # this browser stays logged in
    assert other.get("/account").status_code == 302  # the other session ended


def test_changing_the_email_asks_the_password(app, users):
    client = app.test_client()
    login(client, "editor@example.com")
    wrong = client.post("/account/email", data={"em-email": "ed@example.com", "em-password": "x"})
    assert wrong.status_code == 400 and "password is not right" in wrong.text
    taken = client.post(
        "/account/email", data={"em-email": "viewer@example.com", "em-password": PASSWORD}
    )
    assert taken.status_code == 400 and "Another account uses that email" in taken.text
    done = client.post(
        "/account/email", data={"em-email": " Ed@Example.com", "em-password": PASSWORD}
    )
    assert done.status_code == 302
    assert users["editor"].email == "ed@example.com"
    assert login(app.test_client(), "ed@example.com").status_code == 302


def test_team_pages_link_from_the_header_for_admins_only(app, users, brand):
    admin = admin_client(app, users)
    assert 'href="/team"' in admin.get("/account").text
    editor = app.test_client()
    login(editor, "editor@example.com")
    assert 'href="/team"' not in editor.get("/account").text
    assert 'href="/forgot-password"' in app.test_client().get("/login").text


def test_brand_membership_rows_are_what_the_team_page_shows(app, users, brand):
    admin = admin_client(app, users)
    page = admin.get("/team").text
    rows = db.session.scalars(select(BrandMember).where(BrandMember.brand_id == brand.id)).all()
    assert len(rows) == 4
    for role in Role:
        assert f'data-member="{role.value}@example.com"' in page


def test_every_team_form_needs_its_csrf_token(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user("admin@example.com", Role.ADMIN)
        editor = create_user("editor@example.com", Role.EDITOR)
        db.session.commit()
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                    "csrf_token": token})  # fmt: skip
        assert client.get("/account").status_code == 200
        for path, data in [
            ("/team", {"email": "n@example.com", "role": "editor"}),
            (f"/team/members/{editor.id}", {"role": "viewer"}),
            (f"/team/members/{editor.id}/remove", {}),
            ("/team/invitations/1/revoke", {}),
            ("/team/invitations/1/resend", {}),
            ("/forgot-password", {"email": "admin@example.com"}),
            ("/account/password", {"pw-current": PASSWORD}),
            ("/account/email", {"em-email": "x@example.com", "em-password": PASSWORD}),
            ("/invite/abc", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
            ("/reset/abc", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
        ]:
            assert client.post(path, data=data).status_code == 400, path
        assert editor.active and editor.role == "editor"
    app.extensions["pageone.db"].dispose()
