"""Planning under concurrency: many people placing and moving posts on one channel at once.

Each request runs on its own thread with its own test client (so its own app context, database
session and connection), and a barrier releases them together. The database is checked
afterwards: the minimum gap and the daily maximum hold, moves carry the version they read, and
the audit log's "before" and "after" values chain.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import ApiToken, AuditEntry, Role, User
from planner import operations as ops
from planner import slots
from planner.brands import add_member, create_brand
from planner.channels import create_channel, replace_windows
from planner.models import Post, PostStatus
from planner.slots import window_specs
from tests.conftest import PASSWORD, create_user, login, make_app

SIMULTANEOUS = 20
MIN_GAP = timedelta(minutes=60)
MAX_PER_DAY = 3


def all_at_once(count: int, request: Callable[[int], Any]) -> list[Any]:
    """Run ``request(i)`` on ``count`` threads released together; their results, in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = request(index)
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def editors_with_tokens(count: int) -> list[tuple[User, str]]:
    """``count`` editors of the brand, each with an API token of their own."""
    made = []
    for number in range(count):
        user = create_user(f"editor{number}@example.com", Role.EDITOR)
        token, plain = ApiToken.issue(user, "concurrency")
        db.session.add(token)
        made.append((user, plain))
    db.session.commit()
    return made


def planning_channel(now: datetime, admin: User | None = None):
    """A brand with a channel whose windows open only two to four days from now (08:00-20:00
    local), so every request of a test, whenever it runs, looks for the same free slots."""
    admin = admin or create_user("admin@example.com", Role.ADMIN)
    brand = create_brand(db.session, name="Busy Brand", timezone="Europe/Riga", creator=admin)
    channel = create_channel(
        db.session,
        brand,
        admin,
        platform="webhook",
        min_gap_minutes=int(MIN_GAP.total_seconds() // 60),
        max_per_day=MAX_PER_DAY,
    )
    today = now.astimezone(channel.zone).weekday()
    windows = [slots.WindowSpec((today + days) % 7, 8 * 60, 20 * 60) for days in (2, 3, 4)]
    replace_windows(db.session, channel, windows, admin)
    db.session.commit()
    return admin, brand, channel


def expected_queue(channel, now: datetime, count: int) -> list[datetime]:
    """The first ``count`` slots "Add to queue" gives when the requests come one after another."""
    taken: list[datetime] = []
    for _ in range(count):
        slot = slots.find_free_slot(
            window_specs(channel),
            channel.zone,
            MIN_GAP,
            MAX_PER_DAY,
            now,
            lambda start, end: [t for t in taken if start <= t < end],
        )
        assert slot is not None
        taken.append(slot)
    return sorted(taken)


def assert_gap_and_daily_maximum(channel, times: list[datetime]) -> None:
    times = sorted(times)
    closest = min(later - earlier for earlier, later in zip(times, times[1:], strict=False))
    assert closest >= MIN_GAP, f"two posts only {closest} apart"
    per_day = Counter(t.astimezone(channel.zone).date() for t in times)
    assert max(per_day.values()) <= MAX_PER_DAY, per_day
    assert all(slots.in_window(window_specs(channel), channel.zone, t) for t in times)


def occupied_times(channel_id: int) -> list[datetime]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Post.scheduled_at).where(
                Post.channel_id == channel_id,
                Post.status.in_([s.value for s in ops.OCCUPYING_STATUSES]),
            )
        )
    )


def add_to_queue_at_once(app: Flask, brand, channel, headers: list[dict[str, str]], clients=None):
    """Every client presses "Add to queue" on the channel at the same instant."""
    clients = clients or [app.test_client() for _ in headers]
    # Plain values only in the threads: the test's own session is not theirs to use.
    url, channel_id = f"/api/v1/brands/{brand.id}/posts", channel.id

    def press(index: int):
        return clients[index].post(
            url,
            json={"channel_id": channel_id, "text": f"Queued post {index}", "queue": True},
            headers=headers[index],
        )

    return all_at_once(len(headers), press)


def check_queue_outcome(responses, channel, now: datetime) -> None:
    assert [r.status_code for r in responses] == [201] * len(responses), [
        r.get_json() for r in responses if r.status_code != 201
    ]
    answered = [datetime.fromisoformat(r.get_json()["post"]["scheduled_at"]) for r in responses]
    stored = occupied_times(channel.id)
    assert sorted(answered) == sorted(stored)
    assert len(set(stored)) == len(responses)
    assert_gap_and_daily_maximum(channel, stored)
    # Exactly the slots the same presses would get one after another.
    assert sorted(stored) == expected_queue(channel, now, len(responses))


# --- PostgreSQL ---------------------------------------------------------------------------------

pg = pytest.mark.postgres


@pg
def test_twenty_editors_adding_to_the_queue_at_once_get_twenty_slots_on_postgres(pg_app):
    now = datetime.now(UTC)
    _admin, brand, channel = planning_channel(now)
    editors = editors_with_tokens(SIMULTANEOUS)
    for user, _token in editors:
        add_member(db.session, brand, user, _admin)
    db.session.commit()
    headers = [{"Authorization": f"Bearer {token}"} for _user, token in editors]

    responses = add_to_queue_at_once(pg_app, brand, channel, headers)

    check_queue_outcome(responses, channel, now)


def one_scheduled_post(channel, author: User, when: datetime) -> Post:
    post = ops.create_post(
        db.session,
        channel,
        author,
        text="A post to move",
        scheduled_at=when,
        now=datetime.now(UTC),
    ).post
    db.session.commit()
    return post


def post_audit_trail(post_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "post", AuditEntry.object_id == post_id)
            .order_by(AuditEntry.id)
        )
    )


def assert_audit_chains(post: Post) -> None:
    """Read in order, the audit log's moves lead from the first time to the post's time now."""
    trail = post_audit_trail(post.id)
    assert trail[0].action == "post.created"
    at = datetime.fromisoformat(trail[0].detail["scheduled_at"])
    for entry in trail[1:]:
        assert entry.action == "post.moved"
        assert datetime.fromisoformat(entry.detail["before"]) == at, entry.detail
        at = datetime.fromisoformat(entry.detail["after"])
    assert at == post.scheduled_at


def move_targets(channel, first: datetime, count: int) -> list[datetime]:
    """``count`` different free times inside the channel's windows, at or after ``first``."""
    specs = window_specs(channel)
    found, at = [], first
    while len(found) < count:
        at += timedelta(minutes=5)
        if slots.in_window(specs, channel.zone, at):
            found.append(at)
    return found


@pg
def test_twenty_moves_of_one_post_with_one_version_accept_exactly_one_on_postgres(pg_app):
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    editors = editors_with_tokens(SIMULTANEOUS)
    for user, _token in editors:
        add_member(db.session, brand, user, admin)
    start = expected_queue(channel, now, 1)[0]
    post = one_scheduled_post(channel, admin, start)
    read_version = post.version
    targets = move_targets(channel, start, SIMULTANEOUS)
    clients = [pg_app.test_client() for _ in editors]
    url = f"/api/v1/posts/{post.id}"

    def move(index: int):
        return clients[index].patch(
            url,
            json={"scheduled_at": targets[index].isoformat(), "version": read_version},
            headers={"Authorization": f"Bearer {editors[index][1]}"},
        )

    responses = all_at_once(SIMULTANEOUS, move)

    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: SIMULTANEOUS - 1}, codes
    winner = next(r for r in responses if r.status_code == 200).get_json()["post"]
    db.session.refresh(post)
    assert post.version == read_version + 1 == winner["version"]
    assert post.scheduled_at == datetime.fromisoformat(winner["scheduled_at"])
    for refused in (r.get_json() for r in responses if r.status_code == 409):
        # The current state, so the client can show the post where it is now.
        assert refused["post"]["version"] == post.version
        assert refused["post"]["scheduled_at"] == winner["scheduled_at"]
        assert "changed this post after you loaded it" in refused["error"]
    assert [e.action for e in post_audit_trail(post.id)] == ["post.created", "post.moved"]
    assert_audit_chains(post)


@pg
def test_twenty_moves_without_a_version_all_apply_in_turn_on_postgres(pg_app):
    """Moves that do not say which version they read are applied one after the other: no
    update is lost, and the audit log read in order ends at the post's real time."""
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    editors = editors_with_tokens(SIMULTANEOUS)
    for user, _token in editors:
        add_member(db.session, brand, user, admin)
    start = expected_queue(channel, now, 1)[0]
    post = one_scheduled_post(channel, admin, start)
    targets = move_targets(channel, start, SIMULTANEOUS)
    clients = [pg_app.test_client() for _ in editors]
    url = f"/api/v1/posts/{post.id}"

    def move(index: int):
        return clients[index].patch(
            url,
            json={"scheduled_at": targets[index].isoformat()},
            headers={"Authorization": f"Bearer {editors[index][1]}"},
        )

    responses = all_at_once(SIMULTANEOUS, move)

    assert [r.status_code for r in responses] == [200] * SIMULTANEOUS
    db.session.refresh(post)
    assert post.version == 1 + SIMULTANEOUS
    assert sorted(r.get_json()["post"]["version"] for r in responses) == list(
        range(2, SIMULTANEOUS + 2)
    )
    assert len(post_audit_trail(post.id)) == 1 + SIMULTANEOUS
    assert_audit_chains(post)


@pg
def test_twenty_posts_moved_to_one_instant_at_once_only_one_lands_on_postgres(pg_app):
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    editors = editors_with_tokens(SIMULTANEOUS)
    for user, _token in editors:
        add_member(db.session, brand, user, admin)
    db.session.commit()
    queued = expected_queue(channel, now, SIMULTANEOUS + 1)
    target, homes = queued[0], queued[1:]
    posts = [one_scheduled_post(channel, admin, when) for when in homes]
    clients = [pg_app.test_client() for _ in editors]
    moves = [(f"/api/v1/posts/{post.id}", post.version) for post in posts]

    def move(index: int):
        url, version = moves[index]
        return clients[index].patch(
            url,
            json={"scheduled_at": target.isoformat(), "version": version},
            headers={"Authorization": f"Bearer {editors[index][1]}"},
        )

    responses = all_at_once(SIMULTANEOUS, move)

    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: SIMULTANEOUS - 1}, codes
    for refused in (r.get_json() for r in responses if r.status_code == 409):
        assert "Another post is scheduled at" in refused["error"], refused
        assert refused["post"]["version"] == 1  # not moved, as the database shows
    stored = occupied_times(channel.id)
    assert stored.count(target) == 1
    assert_gap_and_daily_maximum(channel, stored)
    moved = [p for p in posts if db.session.get(Post, p.id).version == 2]
    assert len(moved) == 1 and moved[0].scheduled_at == target


@pg
def test_csv_import_and_add_to_queue_at_once_keep_the_gap_on_postgres(pg_app):
    """An import checked against the channel's posts cannot race a queue press into a slot."""
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    editors = editors_with_tokens(SIMULTANEOUS - 1)
    for user, _token in editors:
        add_member(db.session, brand, user, admin)
    db.session.commit()
    free = expected_queue(channel, now, 3)
    csv_text = "channel_id,text,scheduled_at\n" + "".join(
        f"{channel.id},Imported {i},{when.isoformat()}\n" for i, when in enumerate(free)
    )
    clients = [pg_app.test_client() for _ in range(SIMULTANEOUS)]
    importer = clients[0]
    assert login(importer, "admin@example.com").status_code == 302
    import_url, queue_url = f"/brands/{brand.id}/posts/import", f"/api/v1/brands/{brand.id}/posts"
    channel_id = channel.id

    def press_or_import(index: int):
        if index == 0:
            return importer.post(
                import_url,
                data={"file": (BytesIO(csv_text.encode()), "posts.csv")},
                content_type="multipart/form-data",
            )
        return clients[index].post(
            queue_url,
            json={"channel_id": channel_id, "text": f"Queued {index}", "queue": True},
            headers={"Authorization": f"Bearer {editors[index - 1][1]}"},
        )

    responses = all_at_once(SIMULTANEOUS, press_or_import)

    assert [r.status_code for r in responses[1:]] == [201] * (SIMULTANEOUS - 1)
    # The import lands whole or, when queued posts took its times first, is refused whole.
    assert responses[0].status_code in (302, 400)
    stored = occupied_times(channel.id)
    imported = 3 if responses[0].status_code == 302 else 0
    assert len(stored) == SIMULTANEOUS - 1 + imported
    assert_gap_and_daily_maximum(channel, stored)


# --- SQLite ------------------------------------------------------------------------------------


def test_editors_adding_to_the_queue_at_once_get_distinct_slots_on_sqlite(app, tmp_path):
    """The default database, a file shared by several threads, as the web process runs it."""
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    count = SIMULTANEOUS
    clients, headers = [], []
    for number in range(count):
        user = create_user(f"browser{number}@example.com", Role.EDITOR)
        add_member(db.session, brand, user, admin)
        db.session.commit()
        # Browser sessions with the page's CSRF token, as the calendar's "Add to queue" sends.
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        page = client.get(f"/brands/{brand.id}/calendar").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        clients.append(client)
        headers.append({"X-CSRFToken": token})

    responses = add_to_queue_at_once(app, brand, channel, headers, clients=clients)

    check_queue_outcome(responses, channel, now)


def test_an_edit_or_queue_sent_with_an_old_version_changes_nothing(app, api, users):
    """Not only moves: any change that says which version it read is refused once it is old."""
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now, users["admin"])
    add_member(db.session, brand, users["editor"], admin)
    post = ops.create_post(db.session, channel, admin, text="First words", draft=True, now=now).post
    db.session.commit()
    url = f"/api/v1/posts/{post.id}"

    edited = api["editor"].patch(url, json={"text": "Second words", "version": 1})
    assert edited.status_code == 200 and edited.get_json()["post"]["version"] == 2
    for stale in ({"text": "Third words", "version": 1}, {"queue": True, "version": 1}):
        refused = api["editor"].patch(url, json=stale)
        assert refused.status_code == 409, refused.get_json()
        body = refused.get_json()
        assert "changed this post after you loaded it" in body["error"]
        assert body["post"]["version"] == 2 and body["post"]["text"] == "Second words"
    db.session.refresh(post)
    assert (post.text, post.status, post.version) == ("Second words", "draft", 2)
    queued = api["editor"].patch(url, json={"queue": True, "version": 2})
    assert queued.status_code == 200 and queued.get_json()["post"]["version"] == 3
    assert api["editor"].patch(url, json={"text": "x", "version": "3"}).status_code == 422


# --- a bearer token is judged alone -------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def logged_in_with_csrf(app: Flask, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return client


def test_a_bearer_token_is_judged_alone_when_the_client_also_holds_a_session(csrf_app):
    now = datetime.now(UTC)
    admin, brand, channel = planning_channel(now)
    script_user = create_user("script@example.com", Role.EDITOR)
    add_member(db.session, brand, script_user, admin)
    token, plain = ApiToken.issue(script_user, "script")
    db.session.add(token)
    db.session.commit()
    client = logged_in_with_csrf(csrf_app, "admin@example.com")
    payload = {"channel_id": channel.id, "text": "From a script", "queue": True}
    url = f"/api/v1/brands/{brand.id}/posts"

    # The session alone still needs the CSRF header for an unsafe call.
    assert client.post(url, json=payload).status_code == 400

    made = client.post(url, json=payload, headers={"Authorization": f"Bearer {plain}"})
    assert made.status_code == 201, made.get_json()
    # The token's user made it, not the session's.
    assert made.get_json()["post"]["author_id"] == script_user.id

    # A wrong token is refused even though the session cookie would be let in.
    wrong = client.post(url, json=payload, headers={"Authorization": "Bearer po_not-a-token"})
    assert wrong.status_code == 401 and "bearer token" in wrong.get_json()["error"]
    read = client.get(url, headers={"Authorization": "Bearer po_not-a-token"})
    assert read.status_code == 401
    # A viewer's token cannot borrow an admin session's role.
    viewer = create_user("viewer@example.com", Role.VIEWER)
    add_member(db.session, brand, viewer, admin)
    viewer_token, viewer_plain = ApiToken.issue(viewer, "viewer")
    db.session.add(viewer_token)
    db.session.commit()
    as_viewer = client.post(url, json=payload, headers={"Authorization": f"Bearer {viewer_plain}"})
    assert as_viewer.status_code == 403
    posts = db.session.scalars(select(Post).where(Post.channel_id == channel.id)).all()
    assert [p.author_id for p in posts] == [script_user.id]
    assert all(p.status == PostStatus.SCHEDULED for p in posts)
