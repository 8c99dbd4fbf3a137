"""Review requests in a real browser: switch requests on, import a CSV of customers (preview
first), let the worker mail them over real SMTP, and read the log and the weekly chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.planner.reviews.requests.conftest import Inbox, free_port

pytestmark = pytest.mark.browser
SHOTS = Path("/work/wt/shots")
CUSTOMERS = (
    "email,name,order_ref\n"
    "ilze@example.lv,Ilze Kalnina,LV-1\n"
    "ILZE@example.lv,Ilze K.,LV-2\n"
    "janis@example.lv,Janis Berzins,LV-3\n"
)


def shoot(page: Any, name: str) -> None:
    if not SHOTS.is_dir():
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"review-requests-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture
def smtp(live_server: LiveServer):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    live_server.app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, BASE_URL=live_server.url
    )
    try:
        yield inbox
    finally:
        controller.stop()


def test_import_customers_send_them_and_see_the_log_and_chart(
    page: Any, live_server: LiveServer, smtp: Inbox
) -> None:
    from planner.reviews.requests.sending import send_due_requests

    base = f"{live_server.url}/brands/{live_server.brand_id}/reviews/requests"
    log_in(page, live_server)
    page.goto(f"{base}/settings")
    page.get_by_label("Send review requests").check()
    page.get_by_label("Language of the e-mails").select_option("lv")
    page.get_by_label("Days after the order").fill("0")
    page.get_by_label("Review links").fill("Google | https://g.page/r/northwind/review")
    shoot(page, "settings")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Review request settings saved." in page.locator("main").inner_text()

    page.goto(f"{base}/import")
    page.get_by_label("Customer file").set_input_files(
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": CUSTOMERS.encode()}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    preview = page.locator("main").inner_text()
    assert "2 new · 1 repeated in the file" in preview
    shoot(page, "import-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Import 2 customers").click()
    assert "Imported 2 new customers" in page.locator("main").inner_text()

    counts = send_due_requests(live_server.app, "e2e-worker")
    assert counts["sent"] == 2
    assert sorted(m["To"] for m in smtp.messages) == ["ilze@example.lv", "janis@example.lv"]
    assert all("Kā Jums patika pirkums?" in m["Subject"] for m in smtp.messages)

    page.goto(base)
    log = page.locator("table.request-log").inner_text()
    assert "Ilze Kalnina" in log and "Janis Berzins" in log
    assert log.count("sent") >= 2
    weekly = page.locator("table.weekly tbody tr").first.inner_text()
    assert weekly.split("\t")[1].strip() == "2"
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('requests-chart'))"
    )
    chart_sent = page.evaluate(
        "() => Chart.getChart(document.getElementById('requests-chart')).data.datasets[0].data"
    )
    assert chart_sent[-1] == 2
    shoot(page, "log")

    # The unsubscribe link of a mail, as the customer follows it: the page speaks the language
    # the mail was written in (Latvian here), whatever the browser says.
    link = smtp.messages[0]["List-Unsubscribe"].strip().strip("<>")
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "lv"
    shoot(page, "unsubscribe")
    with page.expect_navigation():
        page.get_by_role("button", name="Atteikties").click()
    assert "Jūs esat atteicies" in page.locator("main").inner_text()
