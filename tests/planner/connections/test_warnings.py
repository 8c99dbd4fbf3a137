"""Warnings before a connection that cannot be renewed ends: home overview and notifications."""

from __future__ import annotations

from datetime import timedelta

from core.db import db, utcnow
from planner.connections.jobs import warn_expiring_connections
from planner.connections.models import ChannelConnection
from tests.planner.connections.conftest import make_channel


def connected(channel, ends_in: timedelta):
    connection = ChannelConnection(
        channel=channel,
        method="oauth",
        account="Ada Baker",
        reconnect_by=utcnow() + ends_in,
        access_expires_at=utcnow() + ends_in,
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def test_people_are_warned_a_week_ahead_and_again_when_it_ends(app, brand, users, webhook):
    channel = make_channel(brand, users, "linkedin")
    connection = connected(channel, timedelta(days=10))
    now = utcnow()

    assert warn_expiring_connections(app, now) == {"channel.expiring": 0, "channel.expired": 0}
    sent = warn_expiring_connections(app, now + timedelta(days=3, hours=1))
    assert sent == {"channel.expiring": 1, "channel.expired": 0}
    # Once per end: the next round sends nothing new.
    assert warn_expiring_connections(app, now + timedelta(days=4)) == {
        "channel.expiring": 0,
        "channel.expired": 0,
    }
    sent = warn_expiring_connections(app, now + timedelta(days=10, minutes=1))
    assert sent == {"channel.expiring": 0, "channel.expired": 1}
    assert [event["event"] for event in webhook] == ["channel.expiring", "channel.expired"]
    assert webhook[0]["channel"]["id"] == channel.id
    assert webhook[0]["channel"]["connection_ends_at"].startswith(
        connection.reconnect_by.strftime("%Y-%m-%dT%H:%M")
    )
    db.session.refresh(channel)
    assert channel.needs_reauth is True


def test_the_home_overview_warns_within_a_week(app, brand, users, admin_client):
    near = make_channel(brand, users, "linkedin", name="LinkedIn near")
    far = make_channel(brand, users, "linkedin", name="LinkedIn far")
    connected(far, timedelta(days=30))
    html = admin_client.get("/").get_data(as_text=True)
    assert "must be connected again within" not in html
    connected(near, timedelta(days=2, hours=12))
    html = admin_client.get("/").get_data(as_text=True)
    assert "1 channel must be connected again within 3 days" in html
    assert f"/channels/{near.id}#credentials" in html


def test_the_home_overview_says_when_a_connection_ended(app, brand, users, admin_client):
    channel = make_channel(brand, users, "linkedin")
    connected(channel, timedelta(minutes=-5))
    html = admin_client.get("/").get_data(as_text=True)
    assert "1 channel: the connection ended; connect again." in html


def test_the_channels_list_shows_each_connection_s_health(app, brand, users, admin_client):
    ending = make_channel(brand, users, "linkedin", name="LinkedIn ending")
    make_channel(brand, users, "x", name="X new")
    connected(ending, timedelta(days=3, hours=2))
    html = admin_client.get(f"/brands/{brand.id}/channels").get_data(as_text=True)
    assert '<span class="health-badge">Expiring in 4 days</span>' in html
    assert '<span class="health-badge">Not connected</span>' in html
