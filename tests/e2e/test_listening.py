"""Listening in the browser: a Google Alerts feed brings mentions with sentiment; a reply is
timed; a burst of negative mentions raises a crisis alert, from which the brand is paused and
its public updates page opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser


def alerts_feed(now: datetime) -> str:
    def entry(n: int, title: str, text: str, minutes_ago: int) -> str:
        at = (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"""
  <entry>
    <id>tag:google.com,2013:googlealerts/feed:{n}</id>
    <title type="html">{title}</title>
    <link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example.com/{n}&amp;ct=ga"></link>
    <published>{at}</published><updated>{at}</updated>
    <content type="html">{text}</content>
  </entry>"""

    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:google.com,2005:alerts/1</id><title>Google Alert - northwind coffee</title>
  <updated>{now:%Y-%m-%dT%H:%M:%SZ}</updated>
  {
        entry(
            1,
            "&lt;b&gt;Northwind Coffee&lt;/b&gt; wins the city's best cafe award",
            "A wonderful, friendly cafe with great coffee.",
            50,
        )
    }
  {
        entry(
            2,
            "Cold drinks and rude staff at &lt;b&gt;Northwind Coffee&lt;/b&gt;",
            "Terrible service, awful coffee, the worst visit.",
            20,
        )
    }
</feed>"""


def test_alerts_feed_reply_and_crisis(live_server: LiveServer, page: Any) -> None:
    from core.db import db
    from core.tenants import Brand
    from listening import operations as ops
    from listening.crisis import check_spikes
    from listening.jobs import poll_due_sources
    from listening.models import CrisisAlert, MentionSource
    from listening.sources import FetchedItem

    app = live_server.app
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True  # the feed is served on this machine
    now = datetime.now(UTC)
    feed = HTTPServer(host="127.0.0.1", port=0)
    feed.start()
    feed.expect_request("/alerts.xml").respond_with_data(
        alerts_feed(now), content_type="application/atom+xml"
    )
    brand_url = f"{live_server.url}/brands/{live_server.brand_id}/listening"
    try:
        log_in(page, live_server)
        page.goto(f"{brand_url}/sources")
        page.select_option("select[name=kind]", "google_alerts")
        page.fill("input[name=name]", "Alerts: northwind coffee")
        page.fill("input[name=url]", feed.url_for("/alerts.xml"))
        page.get_by_role("button", name="Add").click()
        page.get_by_text("Alerts: northwind coffee").first.wait_for()

        poll_due_sources(app)  # the worker's every-minute job
        page.goto(brand_url)
        award = page.get_by_role("row").filter(has_text="best cafe award")
        complaint = page.get_by_role("row").filter(has_text="rude staff")
        assert "positive" in award.inner_text()
        assert "negative" in complaint.inner_text()

        # Reply to the complaint elsewhere and mark it replied: its response time is kept.
        complaint.get_by_role("link").first.click()
        page.fill(
            "textarea[name=text]", "We are sorry: please write to us so we can make it right."
        )
        page.get_by_role("button", name="Mark replied").click()
        page.goto(brand_url)
        assert "replied in" in page.get_by_role("row").filter(has_text="rude staff").inner_text()

        # A burst of negative mentions within the hour raises a crisis alert.
        with app.app_context():
            brand = db.session.get(Brand, live_server.brand_id)
            source = db.session.query(MentionSource).one()
            burst = [
                FetchedItem(
                    external_id=f"burst-{n}",
                    url=f"https://social.example/{n}",
                    author=f"user{n}",
                    title="",
                    text=f"Northwind Coffee made me sick, terrible and awful ({n})",
                    language="en",
                    published_at=now - timedelta(minutes=n % 30),
                )
                for n in range(40)
            ]
            ops.ingest(db.session, brand, source, burst, now)
            db.session.commit()
        assert check_spikes(app, now)  # the five-minute job
        page.goto(f"{brand_url}/alerts")
        page.get_by_role("row").filter(has_text="all mentions").get_by_role(
            "link", name="Respond"
        ).click()
        page.get_by_role("button", name="Pause all scheduled posts").click()
        page.get_by_role("alert").filter(has_text="is paused").first.wait_for()
        page.get_by_role("button", name="Publish at").click()
        with app.app_context():
            assert db.session.get(Brand, live_server.brand_id).paused_at is not None
            assert db.session.query(CrisisAlert).count() >= 1
            slug = db.session.get(Brand, live_server.brand_id).slug

        # The public updates page, logged out.
        public = page.context.browser.new_page()
        public.goto(f"{live_server.url}/b/{slug}/updates")
        assert public.get_by_role("heading").first.is_visible()
        assert "Northwind" in public.content()
        public.screenshot(path="/tmp/e2e-updates.png")
        public.close()
    finally:
        feed.clear()
        if feed.is_running():
            feed.stop()
