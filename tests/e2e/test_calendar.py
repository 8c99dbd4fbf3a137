"""The content calendar in a real browser: log in, see the plan, drag posts, add to the queue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import BROWSER_TIMEZONE, LiveServer, add_member

pytestmark = pytest.mark.browser

LOCAL = ZoneInfo(BROWSER_TIMEZONE)
SCREENSHOT = "/tmp/calendar.png"


# --- helpers ---------------------------------------------------------------------------------


def log_in(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill(server.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    if "/login" in page.url:
        errors = page.locator("main .error, main .flash").all_inner_texts()
        pytest.fail(f"the login form refused {server.email}: {errors}")


def open_calendar(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/brands/{server.brand_id}/calendar")
    page.locator("[data-post-id]").first.wait_for()


def api(page: Any, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """A JSON API call with the page's session cookie and CSRF token, as calendar.js makes it."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.fetch(
        page.url.split("/brands/")[0] + path,
        method=method,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        data=payload,
    )
    return response


def post_cell(page: Any, post_id: str) -> Any:
    return page.locator(f'[role="gridcell"]:has([data-post-id="{post_id}"])')


def day_of(page: Any, post_id: str) -> str:
    return post_cell(page, post_id).get_attribute("data-date")


def day_cell(page: Any, day: date) -> Any:
    return page.locator(f'[role="gridcell"][data-date="{day.isoformat()}"]')


def drag(page: Any, source: Any, target: Any) -> None:
    """Drag with real mouse moves between the centres of two elements (no synthetic drop)."""
    target.scroll_into_view_if_needed()
    source.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    # Aim at the lower part of the target cell, below any events it holds, but on screen.
    bottom = page.viewport_size["height"] - 5
    x1, y1 = end["x"] + end["width"] / 2, min(end["y"] + end["height"] * 0.8, bottom)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 5, y0 + 5, steps=3)
    page.mouse.move(x1, y1, steps=15)
    page.mouse.up()


def movable_post(page: Any, *, today: date) -> tuple[str, date, date]:
    """A visible scheduled post, its day, and the day after (in the future and on screen)."""
    for event in page.locator('[data-post-id][data-status="scheduled"]').all():
        if not event.is_visible():
            continue
        post_id = event.get_attribute("data-post-id")
        day = date.fromisoformat(day_of(page, post_id))
        target = day + timedelta(days=1)
        if target > today and day_cell(page, target).count():
            return post_id, day, target
    raise AssertionError("the demo month shows no scheduled post that can move a day later")


def local_time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LOCAL)


def browser_today() -> date:
    return datetime.now(LOCAL).date()


# --- tests -----------------------------------------------------------------------------------


def test_dragging_a_post_to_another_day_reschedules_it(live_server: LiveServer, page: Any) -> None:
    log_in(page, live_server)
    open_calendar(page, live_server)
    assert page.locator("#brand-timezone").inner_text() == "Europe/Berlin"
    assert page.locator("#viewer-timezone").inner_text() == BROWSER_TIMEZONE
    assert page.locator("[data-post-id]").count() >= 10, "the demo month should be full of posts"

    post_id, day, target = movable_post(page, today=browser_today())
    before = api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]
    event = page.locator(f'[data-post-id="{post_id}"]')

    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/v1/posts/{post_id}")
    ) as patch:
        drag(page, event, day_cell(page, target))
    assert patch.value.status == 200, patch.value.text()
    # The server's answer is shown: "moved", plus a warning when outside the windows.
    page.get_by_text("post moved to").wait_for()
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.reload()
    page.locator(f'[data-post-id="{post_id}"]').wait_for()
    assert day_of(page, post_id) == target.isoformat()

    after = api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]
    moved, original = local_time(after["scheduled_at"]), local_time(before["scheduled_at"])
    assert moved.date() == target
    assert moved.time() == original.time(), "a day move keeps the time of day"
    assert after["status"] == "scheduled"


def test_a_refused_move_goes_back_and_says_why(live_server: LiveServer, page: Any) -> None:
    log_in(page, live_server)
    open_calendar(page, live_server)
    post_id, day, target = movable_post(page, today=browser_today())
    post = api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]
    # Another post of the same channel at the same time on the target day: the channel's
    # minimum gap (60 minutes in the demo) forbids the move.
    when = local_time(post["scheduled_at"])
    blocker = datetime.combine(target, when.time(), tzinfo=LOCAL)
    created = api(
        page,
        "POST",
        f"/api/v1/brands/{live_server.brand_id}/posts",
        {
            "channel_id": post["channel_id"],
            "text": "Already here.",
            "scheduled_at": blocker.isoformat(),
        },
    )
    assert created.status == 201, created.text()
    open_calendar(page, live_server)

    event = page.locator(f'[data-post-id="{post_id}"]')
    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/v1/posts/{post_id}")
    ) as patch:
        drag(page, event, day_cell(page, target))
    assert patch.value.status == 409

    alert = page.locator("#calendar-alert")
    alert.get_by_text("needs at least 1 hour between posts").wait_for()
    assert "not moved" in alert.inner_text()
    page.screenshot(path="/tmp/calendar-refused.png")
    page.wait_for_function(
        '([id, day]) => document.querySelector(`[data-post-id="${id}"]`)'
        "?.closest('[role=gridcell]')?.dataset.date === day",
        arg=[post_id, day.isoformat()],
    )
    assert (
        api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]["scheduled_at"]
        == (post["scheduled_at"])
    )


def test_a_drag_on_an_outdated_calendar_is_refused_and_shows_the_post_where_it_is_now(
    live_server: LiveServer, browser: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIMEZONE, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, live_server)
        open_calendar(page, live_server)
        post_id, day, target = movable_post(page, today=browser_today())
        shown = api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]
        # Someone else moves the post after this calendar was loaded (a move without a version
        # applies to the post as it is), to a free day the calendar shows.
        when = local_time(shown["scheduled_at"])
        elsewhere = None
        for days in range(2, 7):
            candidate = day + timedelta(days=days)
            if not day_cell(page, candidate).count():
                continue
            moved = api(
                page,
                "PATCH",
                f"/api/v1/posts/{post_id}",
                {"scheduled_at": datetime.combine(candidate, when.time(), LOCAL).isoformat()},
            )
            if moved.status == 200:
                elsewhere = candidate
                break
        assert elsewhere is not None, "no free day to move the post to in the demo month"
        now = moved.json()["post"]
        assert now["version"] == shown["version"] + 1
        assert day_of(page, post_id) == day.isoformat(), "this calendar still shows the old place"

        event = page.locator(f'[data-post-id="{post_id}"]')
        with page.expect_response(
            lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/v1/posts/{post_id}")
        ) as patch:
            drag(page, event, day_cell(page, target))
        assert patch.value.status == 409, patch.value.text()
        assert patch.value.request.post_data_json["version"] == shown["version"]

        alert = page.locator("#calendar-alert")
        alert.get_by_text("changed this post after you loaded it").wait_for()
        assert "not moved" in alert.inner_text()
        # The post is shown where the server has it now, not where it was dragged from.
        page.wait_for_function(
            '([id, day]) => document.querySelector(`[data-post-id="${id}"]`)'
            "?.closest('[role=gridcell]')?.dataset.date === day",
            arg=[post_id, elsewhere.isoformat()],
        )
        page.screenshot(path="/tmp/calendar-stale-move.png")
        after = api(page, "GET", f"/api/v1/posts/{post_id}").json()["post"]
        assert (after["scheduled_at"], after["version"]) == (now["scheduled_at"], now["version"])

        # With the current version the next drag goes through.
        with page.expect_response(
            lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/v1/posts/{post_id}")
        ) as retry:
            drag(page, page.locator(f'[data-post-id="{post_id}"]'), day_cell(page, target))
        assert retry.value.status in (200, 409), retry.value.text()
        if retry.value.status == 409:  # refused only for the channel's gap or daily maximum
            assert "changed this post" not in retry.value.json()["error"]
        else:
            assert retry.value.json()["post"]["version"] == now["version"] + 1
    finally:
        context.close()


def test_add_to_queue_from_the_dialog_puts_the_post_on_the_calendar(
    live_server: LiveServer, page: Any
) -> None:
    log_in(page, live_server)
    open_calendar(page, live_server)
    page.get_by_role("button", name="New post").click()
    dialog = page.locator("#post-dialog")
    dialog.wait_for()

    dialog.get_by_label("Channel").select_option(label="Northwind X")
    text = "Queued from the calendar: our winter blend is back."
    dialog.get_by_label("Text").fill(text)
    assert dialog.locator("#post-count").inner_text() == f"{len(text)} / 280"
    dialog.get_by_label("Text").fill("x" * 281)
    assert dialog.locator("#post-count").inner_text() == "281 / 280"
    assert "over" in dialog.locator("#post-count").get_attribute("class")
    dialog.get_by_label("Text").fill(text)
    page.screenshot(path="/tmp/calendar-dialog.png")

    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/posts")
    ) as created:
        dialog.get_by_role("button", name="Add to queue").click()
    assert created.value.status == 201, created.value.text()
    post = created.value.json()["post"]
    assert post["status"] == "scheduled" and post["scheduled_at"]

    page.locator(f'[data-post-id="{post["id"]}"]').wait_for()
    assert day_of(page, str(post["id"])) == local_time(post["scheduled_at"]).date().isoformat()
    assert not dialog.is_visible()
    assert "Added to the queue" in page.locator("#calendar-status").inner_text()


def test_a_viewer_sees_the_plan_and_windows_but_cannot_move_or_create(
    live_server: LiveServer, page: Any
) -> None:
    add_member(live_server, "viewer@example.com", "viewer-password", "viewer")
    live_server.email, live_server.password = "viewer@example.com", "viewer-password"
    patches: list[str] = []
    page.on(
        "request",
        lambda r: patches.append(r.url) if "/api/" in r.url and r.method != "GET" else None,
    )
    log_in(page, live_server)
    open_calendar(page, live_server)

    assert page.get_by_role("button", name="New post").count() == 0
    post_id, day, target = movable_post(page, today=browser_today())
    drag(page, page.locator(f'[data-post-id="{post_id}"]'), day_cell(page, target))
    # For an editor, a click on a day opens the new-post dialog; for a viewer nothing happens.
    cell = day_cell(page, target).bounding_box()
    page.mouse.click(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] - 8)
    page.wait_for_timeout(300)
    assert patches == []
    assert day_of(page, post_id) == day.isoformat()
    assert not page.locator("#post-dialog").is_visible()

    # A post opens read-only.
    page.locator(f'[data-post-id="{post_id}"]').click()
    dialog = page.locator("#post-dialog")
    dialog.wait_for()
    assert dialog.get_by_label("Text").is_disabled()
    assert not dialog.get_by_role("button", name="Save").is_visible()
    dialog.get_by_role("button", name="Close").last.click()

    # The week view shades the engagement windows.
    with page.expect_response(lambda r: "/events?" in r.url and "windows=1" in r.url):
        page.get_by_role("tab", name="Week view").click()
    page.locator(".engagement-window").first.wait_for(state="attached")


def test_add_to_queue_says_whether_the_post_waits_for_approval(
    live_server: LiveServer, page: Any
) -> None:
    from dataclasses import replace

    from core.db import db
    from core.tenants import Brand

    with live_server.app.app_context():
        db.session.get(Brand, live_server.brand_id).requires_approval = True
        db.session.commit()

    def queue_one(server: LiveServer, text: str) -> str:
        log_in(page, server)
        open_calendar(page, server)
        page.get_by_role("button", name="New post").click()
        dialog = page.locator("#post-dialog")
        dialog.get_by_label("Channel").select_option(label="Northwind X")
        dialog.get_by_label("Text").fill(text)
        with page.expect_response(lambda r: r.request.method == "POST") as created:
            dialog.get_by_role("button", name="Add to queue").click()
        assert created.value.status == 201, created.value.text()
        status = page.locator("#calendar-status")
        status.filter(has_text="Added to the queue").wait_for()
        return status.inner_text()

    # The demo user is the brand's admin: scheduled at once, and told so.
    said = queue_one(live_server, "An admin's own post, with approval on.")
    assert "It is scheduled without approval: you are an admin." in said
    page.context.clear_cookies()
    add_member(live_server, "ed@example.com", "editor password 42", "editor")
    editor = replace(live_server, email="ed@example.com", password="editor password 42")
    said = queue_one(editor, "An editor's post waits for an approver.")
    assert "It waits for approval by" in said and live_server.email in said
