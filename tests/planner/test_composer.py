"""One message for several channels: each version checked as its platform counts, placed in its
channel's next free slot (or all at one time), kept together as a campaign and changed together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug import Response

from core.db import db, utcnow
from core.errors import Refused
from planner import channels, composer, link_preview
from planner.composer import Version
from planner.models import Post, PostGroup, PostStatus
from planner.operations import next_free_slot
from tests.conftest import login


@pytest.fixture
def three(brand, users):
    made = {
        platform: channels.create_channel(
            db.session, brand, users["admin"], platform=platform, name=f"Acme {platform}"
        )
        for platform in ("x", "linkedin", "mastodon")
    }
    db.session.commit()
    return made


def _posts(group: PostGroup) -> dict[str, Post]:
    return {post.channel.platform: post for post in composer.versions_of(db.session, group)}


def test_each_version_goes_to_its_own_channels_next_free_slot(brand, users, three, now):
    expected = {p: next_free_slot(db.session, c, now) for p, c in three.items()}
    result = composer.compose(
        db.session,
        brand,
        users["editor"],
        text="Our winter blend is back.",
        link="https://acme.example/winter",
        versions=[Version(c) for c in three.values()],
        queue=True,
        now=now,
    )
    db.session.commit()
    posts = _posts(result.group)
    assert set(posts) == {"x", "linkedin", "mastodon"}
    for platform, post in posts.items():
        assert post.scheduled_at == expected[platform]
        assert post.status == PostStatus.SCHEDULED.value
        assert post.text == "Our winter blend is back."
        assert post.link == "https://acme.example/winter"
        assert post.group_id == result.group.id


def test_a_version_adjusted_for_one_channel_keeps_its_own_text(brand, users, three, now):
    result = composer.compose(
        db.session,
        brand,
        users["editor"],
        text="Our winter blend is back: roasted in small batches, on the shelves from Monday.",
        link="https://acme.example/winter",
        versions=[
            Version(three["x"], text="Winter blend is back ☕", link=""),
            Version(three["linkedin"]),
        ],
        queue=True,
        now=now,
    )
    posts = _posts(result.group)
    assert posts["x"].text == "Winter blend is back ☕" and posts["x"].link is None
    assert posts["linkedin"].text.startswith("Our winter blend")
    assert composer.own_text(posts["x"], result.group)
    assert not composer.own_text(posts["linkedin"], result.group)


def test_a_version_too_long_for_x_refuses_the_whole_campaign_and_names_the_channel(
    brand, users, three, now
):
    with pytest.raises(Refused) as refused:
        composer.compose(
            db.session,
            brand,
            users["editor"],
            text="x" * 290,
            link=None,
            versions=[Version(c) for c in three.values()],
            queue=True,
            now=now,
        )
    db.session.rollback()
    assert any(error.startswith("Acme x:") and "280" in error for error in refused.value.errors)
    assert db.session.query(Post).count() == 0
    assert db.session.query(PostGroup).count() == 0


def test_all_versions_at_one_chosen_time(brand, users, three, now):
    when = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    result = composer.compose(
        db.session,
        brand,
        users["editor"],
        text="Tasting on Saturday",
        link=None,
        versions=[Version(c) for c in three.values()],
        scheduled_at=when,
        now=now,
    )
    assert {post.scheduled_at for post in result.posts} == {when}


def test_no_channel_and_a_foreign_channel_are_refused(brand, users, three, now):
    with pytest.raises(Refused, match="Pick at least one channel"):
        composer.compose(
            db.session, brand, users["editor"], text="Hi", link=None, versions=[], queue=True,
            now=now,
        )  # fmt: skip
    from planner import brands as brand_ops

    other = brand_ops.create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    foreign = channels.create_channel(
        db.session, other, users["admin"], platform="x", name="Other X"
    )
    with pytest.raises(Refused, match="not a channel of Acme Bakery"):
        composer.compose(
            db.session, brand, users["editor"], text="Hi", link=None,
            versions=[Version(foreign)], queue=True, now=now,
        )  # fmt: skip


def test_changing_the_group_changes_only_the_chosen_versions(brand, users, three, now):
    result = composer.compose(
        db.session,
        brand,
        users["editor"],
        text="Old text",
        link=None,
        versions=[Version(c) for c in three.values()],
        draft=True,
        now=now,
    )
    db.session.commit()
    posts = _posts(result.group)
    composer.update_group(
        db.session,
        result.group,
        users["editor"],
        text="New text",
        link="https://acme.example/new",
        post_ids=[posts["x"].id, posts["mastodon"].id],
        now=now,
    )
    db.session.commit()
    posts = _posts(result.group)
    assert posts["x"].text == posts["mastodon"].text == "New text"
    assert posts["x"].link == "https://acme.example/new"
    assert posts["linkedin"].text == "Old text"
    assert result.group.text == "New text"


def test_a_published_version_is_not_changed_with_the_group(brand, users, three, now):
    result = composer.compose(
        db.session, brand, users["editor"], text="Old", link=None,
        versions=[Version(c) for c in three.values()], draft=True, now=now,
    )  # fmt: skip
    posts = _posts(result.group)
    posts["x"].status = PostStatus.PUBLISHED.value
    db.session.commit()
    with pytest.raises(Refused, match="Acme x: a published post can no longer be edited"):
        composer.update_group(
            db.session, result.group, users["editor"], text="New", link=None,
            post_ids=[p.id for p in posts.values()], now=now,
        )  # fmt: skip
    db.session.rollback()
    assert all(p.text == "Old" for p in _posts(result.group).values())


# --- pages --------------------------------------------------------------------------------


def test_the_compose_page_creates_a_campaign_and_opens_it(client, brand, users, three):
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/compose")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for channel in three.values():
        assert f'name="channel" value="{channel.id}"' in html
    response = client.post(
        f"/brands/{brand.id}/compose",
        data={
            "channel": [str(three["x"].id), str(three["linkedin"].id)],
            "text": "Fresh bread at eight",
            "link": "",
            f"custom_{three['x'].id}": "1",
            f"text_{three['x'].id}": "Bread at 8 🥖",
            f"link_{three['x'].id}": "",
            "when": "queue",
        },
    )
    assert response.status_code == 302
    group = db.session.query(PostGroup).one()
    assert response.headers["Location"].endswith(f"/groups/{group.id}")
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Bread at 8 🥖" in page and "own version" in page
    assert "Acme linkedin" in page and "Acme mastodon" not in page


def test_a_refused_campaign_keeps_what_was_typed(client, brand, users, three):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/compose",
        data={"channel": [str(three["x"].id)], "text": "y" * 300, "when": "queue"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Acme x:" in html and "y" * 300 in html
    assert db.session.query(Post).count() == 0


def test_a_time_in_the_brand_zone_is_read_as_such(client, brand, users, three):
    login(client, users["editor"].email)
    day = (utcnow() + timedelta(days=5)).date()
    response = client.post(
        f"/brands/{brand.id}/compose",
        data={
            "channel": [str(three["mastodon"].id)],
            "text": "Noon in Berlin",
            "when": "time",
            "scheduled_at": f"{day.isoformat()}T12:00",
        },
    )
    assert response.status_code == 302
    post = db.session.query(Post).one()
    local = post.scheduled_at.astimezone(brand.zone)
    assert (local.date(), local.hour, local.minute) == (day, 12, 0)


def test_a_viewer_cannot_compose(client, brand, users, three):
    login(client, users["viewer"].email)
    assert client.get(f"/brands/{brand.id}/compose").status_code == 403


def test_the_group_page_changes_the_ticked_versions(client, brand, users, three, now):
    result = composer.compose(
        db.session, brand, users["editor"], text="Old", link=None,
        versions=[Version(c) for c in three.values()], draft=True, now=now,
    )  # fmt: skip
    db.session.commit()
    posts = _posts(result.group)
    login(client, users["editor"].email)
    response = client.post(
        f"/groups/{result.group.id}",
        data={"text": "New", "link": "", "post": [str(posts["linkedin"].id)]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    posts = _posts(result.group)
    assert posts["linkedin"].text == "New" and posts["x"].text == "Old"


def test_someone_outside_the_brand_gets_no_campaign(client, brand, users, three, now):
    from tests.conftest import create_user

    result = composer.compose(
        db.session, brand, users["editor"], text="Old", link=None,
        versions=[Version(three["x"])], draft=True, now=now,
    )  # fmt: skip
    from core.models import Role

    outsider = create_user("outsider@example.com", Role.EDITOR)
    db.session.commit()
    login(client, outsider.email)
    assert client.get(f"/groups/{result.group.id}").status_code == 404


def test_the_calendar_feed_marks_each_version_with_its_campaign(client, brand, users, three, now):
    result = composer.compose(
        db.session, brand, users["editor"], text="Campaign", link=None,
        versions=[Version(c) for c in three.values()], queue=True, now=now,
    )  # fmt: skip
    lonely = Post(
        channel=three["x"], text="Alone", status=PostStatus.SCHEDULED.value,
        scheduled_at=now + timedelta(days=2),
    )  # fmt: skip
    db.session.add(lonely)
    db.session.commit()
    login(client, users["editor"].email)
    start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = client.get(
        f"/api/v1/brands/{brand.id}/events?start={start}&end={end}&format=compact"
    ).get_json()
    at = {name: index for index, name in enumerate(feed["fields"])}
    groups = {row[at["id"]]: row[at["group"]] for row in feed["posts"]}
    assert {groups[p.id] for p in result.posts} == {result.group.id}
    assert groups[lonely.id] is None


# --- link cards ---------------------------------------------------------------------------


PAGE = """<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="Winter blend">
<meta property="og:description" content="Roasted in small batches.">
<meta property="og:image" content="/img/winter.jpg">
<meta property="og:site_name" content="Acme Coffee">
</head><body>…</body></html>"""


def test_a_link_card_reads_the_pages_open_graph_tags(client, brand, users, httpserver):
    link_preview.forget_cards()
    httpserver.expect_request("/winter").respond_with_response(
        Response(PAGE, content_type="text/html; charset=utf-8")
    )
    login(client, users["editor"].email)
    url = httpserver.url_for("/winter")
    card = client.get(f"/brands/{brand.id}/link-preview", query_string={"url": url}).get_json()
    assert card["card"] == {
        "url": url,
        "domain": "localhost",
        "title": "Winter blend",
        "description": "Roasted in small batches.",
        "image": httpserver.url_for("/img/winter.jpg"),
        "site_name": "Acme Coffee",
        "problem": None,
    }
    # Kept: a second look does not fetch the page again.
    client.get(f"/brands/{brand.id}/link-preview", query_string={"url": url})
    assert len([r for r, _ in httpserver.log if r.path == "/winter"]) == 1


def test_a_page_without_tags_falls_back_to_its_title(httpserver, app):
    link_preview.forget_cards()
    httpserver.expect_request("/plain").respond_with_response(
        Response("<html><head><title> Plain page </title></head></html>", content_type="text/html")
    )
    card = link_preview.fetch_card(httpserver.url_for("/plain"), app.config)
    assert card.title == "Plain page" and card.image is None and card.problem is None


def test_a_missing_page_gives_a_card_that_says_why(httpserver, app):
    link_preview.forget_cards()
    httpserver.expect_request("/gone").respond_with_response(Response("no", status=404))
    card = link_preview.fetch_card(httpserver.url_for("/gone"), app.config)
    assert card.title is None and card.problem == "the page answered 404"


def test_a_private_address_is_never_fetched(client, brand, users, app):
    link_preview.forget_cards()
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    card = link_preview.fetch_card("http://127.0.0.1:9/secret", app.config)
    assert card.title is None and "cannot be fetched" in (card.problem or "")


def test_a_link_that_is_not_an_address_is_refused(client, brand, users):
    login(client, users["editor"].email)
    response = client.get(f"/brands/{brand.id}/link-preview", query_string={"url": "nope"})
    assert response.status_code == 422 and "cannot be previewed" in response.get_json()["error"]


# --- JSON API -----------------------------------------------------------------------------


def test_the_api_composes_a_campaign_and_changes_chosen_versions(api, brand, three):
    response = api["editor"].post(
        f"/api/v1/brands/{brand.id}/groups",
        json={
            "text": "Fresh bread at eight",
            "channels": [
                three["linkedin"].id,
                {"channel_id": three["x"].id, "text": "Bread at 8", "link": ""},
            ],
            "queue": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    group = response.get_json()["group"]
    texts = {post["channel_id"]: post["text"] for post in group["posts"]}
    assert texts == {three["linkedin"].id: "Fresh bread at eight", three["x"].id: "Bread at 8"}
    assert all(post["group_id"] == group["id"] for post in group["posts"])
    assert all(post["scheduled_at"] for post in group["posts"])

    x_post = next(p for p in group["posts"] if p["channel_id"] == three["x"].id)
    changed = api["editor"].patch(
        f"/api/v1/groups/{group['id']}", json={"text": "Rye at nine", "post_ids": [x_post["id"]]}
    )
    assert changed.status_code == 200, changed.get_json()
    texts = {p["channel_id"]: p["text"] for p in changed.get_json()["group"]["posts"]}
    assert texts[three["x"].id] == "Rye at nine"
    assert texts[three["linkedin"].id] == "Fresh bread at eight"
    assert api["viewer"].get(f"/api/v1/groups/{group['id']}").status_code == 200


def test_the_api_refuses_a_campaign_with_every_reason_and_writes_nothing(api, brand, three):
    response = api["editor"].post(
        f"/api/v1/brands/{brand.id}/groups",
        json={"text": "z" * 301, "channels": [three["x"].id, three["mastodon"].id], "queue": True},
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(e.startswith("Acme x:") for e in errors)
    assert not any(e.startswith("Acme mastodon:") for e in errors)  # 301 fits in 500
    assert db.session.query(PostGroup).count() == 0


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"text": "Hi", "channels": [], "queue": True}, "at least one channel"),
        ({"text": "Hi", "channels": [999999], "queue": True}, "must name a channel"),
        ({"text": "Hi", "channels": ["x"], "queue": True}, "channel id or an object"),
        ({"text": 5, "channels": [1], "queue": True}, "'text' must be a string"),
    ],
)
def test_bad_campaign_input_is_refused_clearly(api, brand, three, payload, message):
    response = api["editor"].post(f"/api/v1/brands/{brand.id}/groups", json=payload)
    assert response.status_code == 422 and message in response.get_json()["error"]


def test_a_viewer_cannot_compose_through_the_api(api, brand, three):
    response = api["viewer"].post(
        f"/api/v1/brands/{brand.id}/groups",
        json={"text": "Hi", "channels": [three["x"].id], "queue": True},
    )
    assert response.status_code == 403


# --- CSV ----------------------------------------------------------------------------------


def test_csv_rows_with_one_group_key_become_one_campaign_and_export_keeps_it(
    brand, users, three, now
):
    from planner import csvio

    day = (now + timedelta(days=10)).date().isoformat()
    data = (
        "channel,text,scheduled_at,group\n"
        f"Acme x,Spring sale starts,{day}T09:00,spring\n"
        f"Acme linkedin,Our spring sale starts today,{day}T10:00,spring\n"
        f"Acme mastodon,Unrelated,{day}T11:00,\n"
    ).encode()
    report = csvio.import_posts(db.session, brand, data, author=users["editor"], now=now)
    assert report.ok, report.errors
    db.session.commit()
    group = db.session.query(PostGroup).one()
    assert group.text == "Spring sale starts"
    assert {p.channel.name for p in composer.versions_of(db.session, group)} == {
        "Acme x",
        "Acme linkedin",
    }
    exported = "".join(csvio.export_posts(db.session, brand)).splitlines()
    assert "group" in exported[0].split(",")
    at = exported[0].split(",").index("group")
    grouped = [line for line in exported[1:] if line.split(",")[at] == str(group.id)]
    assert len(grouped) == 2


def test_a_csv_group_number_that_is_no_campaign_of_the_brand_is_refused(brand, users, three, now):
    from planner import csvio

    day = (now + timedelta(days=10)).date().isoformat()
    data = f"channel,text,scheduled_at,group\nAcme x,Hi,{day}T09:00,4242\n".encode()
    report = csvio.import_posts(db.session, brand, data, author=users["editor"], now=now)
    assert [line for line, _ in report.errors] == [2]
    assert "not a campaign of this brand" in report.errors[0][1]


# --- media --------------------------------------------------------------------------------


def _image(brand, users, name: str, alt: str):
    import io

    from flask import current_app
    from PIL import Image

    from planner.media import operations as media_ops
    from planner.media.storage import storage_for

    data = io.BytesIO()
    shade = sum(map(ord, name)) % 200
    Image.new("RGB", (800, 600), (shade, 255 - shade, 90)).save(data, "JPEG")
    config = current_app.config
    return media_ops.upload(
        db.session, storage_for(config), brand, users["editor"], data=data.getvalue(),
        filename=name, limits=media_ops.Limits.from_config(config), alt_text=alt,
    )  # fmt: skip


def test_the_campaign_carries_media_and_a_channel_can_have_its_own(brand, users, three, now):
    from planner.media import operations as media_ops

    first = _image(brand, users, "loaf.jpg", "A rye loaf on a board")
    second = _image(brand, users, "cup.jpg", "A cup of the winter blend")
    db.session.commit()
    result = composer.compose(
        db.session, brand, users["editor"], text="Winter blend", link=None,
        versions=[Version(three["x"]), Version(three["mastodon"], media_ids=(second.id,))],
        media_ids=[first.id, second.id], queue=True, now=now,
    )  # fmt: skip
    db.session.commit()
    media = media_ops.media_of(db.session, [p.id for p in result.posts])
    by_platform = {p.channel.platform: [i.id for i in media[p.id]] for p in result.posts}
    assert by_platform == {"x": [first.id, second.id], "mastodon": [second.id]}


def test_an_image_without_alt_text_refuses_scheduling_but_not_a_draft(brand, users, three, now):
    bare = _image(brand, users, "bare.jpg", "")
    db.session.commit()
    with pytest.raises(Refused) as refused:
        composer.compose(
            db.session, brand, users["editor"], text="Look", link=None,
            versions=[Version(three["x"])], media_ids=[bare.id], queue=True, now=now,
        )  # fmt: skip
    db.session.rollback()
    assert any(e.startswith("Acme x: Describe") for e in refused.value.errors)
    result = composer.compose(
        db.session, brand, users["editor"], text="Look", link=None,
        versions=[Version(three["x"])], media_ids=[bare.id], draft=True, now=now,
    )  # fmt: skip
    assert result.posts[0].status == PostStatus.DRAFT.value


def test_another_brands_media_is_refused(brand, users, three, now):
    from planner import brands as brand_ops

    other = brand_ops.create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    from planner.brands import add_member

    add_member(db.session, other, users["editor"], users["admin"])
    foreign = _image(other, users, "other.jpg", "Not ours")
    db.session.commit()
    with pytest.raises(Refused, match="No media item"):
        composer.compose(
            db.session, brand, users["editor"], text="Look", link=None,
            versions=[Version(three["x"])], media_ids=[foreign.id], queue=True, now=now,
        )  # fmt: skip
