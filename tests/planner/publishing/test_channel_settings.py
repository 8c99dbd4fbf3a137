"""A channel's request time limit: set with its credentials, checked, and used by the worker."""

from __future__ import annotations

import pytest

from core.crypto import decrypt_json
from core.db import db
from planner.channels import create_channel
from planner.models import Channel
from planner.publishing import get_adapter
from tests.conftest import login

TOKEN = "tok-4242-secret"


@pytest.fixture
def admin(app, users, brand):
    client = app.test_client()
    login(client, "admin@example.com")
    return client


def test_request_time_limit_is_saved_with_the_credentials_and_shown(app, users, brand, admin):
    channel = create_channel(db.session, brand, users["admin"], platform="wordpress")
    db.session.commit()

    response = admin.post(
        f"/channels/{channel.id}/credentials",
        data={
            "cred-site_url": "https://blog.example",
            "cred-username": "editor",
            "cred-app_password": "abcd efgh ijkl",
            "cred-request_time_limit": "90",
        },
    )

    assert response.status_code == 302
    stored = decrypt_json(db.session.get(Channel, channel.id).credentials_encrypted, app.config)
    assert stored["request_time_limit"] == "90"
    assert get_adapter("wordpress").time_limit(stored) == 90
    page = admin.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "Request time limit (seconds)" in page and 'value="90"' in page


@pytest.mark.parametrize("value", ["soon", "-5", "86400"])
def test_request_time_limit_that_is_not_a_sensible_number_is_refused(
    app, users, brand, admin, value
):
    channel = create_channel(db.session, brand, users["admin"], platform="mastodon")
    db.session.commit()

    response = admin.post(
        f"/channels/{channel.id}/credentials",
        data={
            "cred-base_url": "https://social.example",
            "cred-access_token": TOKEN,
            "cred-request_time_limit": value,
        },
        follow_redirects=True,
    )

    assert "request time limit must be a number of seconds between 0 and 3600" in (
        response.get_data(as_text=True)
    )
    assert db.session.get(Channel, channel.id).credentials_encrypted is None


def test_platform_defaults_apply_when_the_channel_sets_none():
    assert get_adapter("wordpress").time_limit({}) == 300
    assert get_adapter("mastodon").time_limit({"request_time_limit": ""}) == 60
    assert get_adapter("webhook").time_limit(None) == 30
    assert get_adapter("bluesky").time_limit({}) == 0
