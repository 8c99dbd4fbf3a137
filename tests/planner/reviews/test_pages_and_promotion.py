"""The inbox, the public page and sitemap, promotion with its limits, roundups, the JSON API."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from planner.assets import owned_assets, record_owned_asset, record_published_post
from planner.models import Post, PostStatus
from planner.operations import PlannerError
from planner.reviews.importing import import_reviews
from planner.reviews.models import Review
from planner.reviews.promotable import promotable_reviews
from planner.reviews.promotion import promote_review, week_bounds
from planner.reviews.roundup import build_roundup
from planner.reviews.settings import settings_for, update_settings
from tests.conftest import login as sign_in

from .conftest import csv_file, days_ago

XSS = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
PAGE_URL = "https://pageone.example/b/acme-bakery/reviews"


def login(client, email):
    assert sign_in(client, email).status_code == 302


def enable_page(brand, **extra):
    settings = {
        "profile_url": "https://maps.example/acme",
        "page_enabled": True,
        "weekly_cap": 2,
        "cooldown_days": 90,
        "do_not_phrases": "",
        "templates": {},
        **extra,
    }
    update_settings(db.session, brand, None, page_url=PAGE_URL, now=datetime.now(UTC), **settings)
    db.session.commit()


def import_xss(brand):
    data = csv_file(f'google,xss,5,"{XSS}","Lovely. {XSS}",Eve Hacker,{days_ago(1)},en,,,')
    report = import_reviews(db.session, brand, data, actor="t", now=datetime.now(UTC))
    assert report.ok
    db.session.commit()


def test_inbox_shows_every_review_flags_negatives_and_filters(client, users, brand, reviews):
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert "6 in all" in page and "1 needs a reply" in page
    assert "Waited 40 minutes" in page  # negative reviews are shown
    assert "Needs a reply" in page and "waiting 3 days" in page
    assert "Sorry, we are on it." in page  # the replied two-star one is not flagged
    only = client.get(f"/brands/{brand.id}/reviews?needs_reply=1").get_data(as_text=True)
    assert "Waited 40 minutes" in only and "flat white" not in only
    german = client.get(f"/brands/{brand.id}/reviews?language=de").get_data(as_text=True)
    assert "Der Kaffee" in german and "flat white" not in german
    replied = client.get(f"/brands/{brand.id}/reviews?replied=yes").get_data(as_text=True)
    assert "1 review match" in replied
    five = client.get(f"/brands/{brand.id}/reviews?rating=5&source=google").get_data(as_text=True)
    assert "3 reviews match" in five  # g1, g3 and g5


def test_review_text_is_escaped_in_the_inbox(client, users, brand):
    import_xss(brand)
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert XSS not in page and "&lt;/script&gt;&lt;script&gt;alert(1)" in page


def test_public_page_is_indexable_and_honest(client, brand, reviews):
    enable_page(brand)
    response = client.get(f"/b/{brand.slug}/reviews")  # no login
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Selected reviews of Acme Bakery</title>" in page
    assert '<meta name="description"' in page and 'property="og:title"' in page
    assert f'<link rel="canonical" href="http://localhost/b/{brand.slug}/reviews">' in page
    assert "<h1>Selected reviews</h1>" in page
    # Count and average of the whole imported set: 5, 1, 4, 5, 2, 5 → 22 / 6.
    assert "6 reviews in all, average <strong>3.7</strong>" in page
    assert 'href="https://maps.example/acme"' in page
    assert "Waited 40 minutes" not in page  # a selection, labelled as one
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "Organization" and data["name"] == "Acme Bakery"
    assert data["aggregateRating"]["reviewCount"] == 6
    assert data["aggregateRating"]["ratingValue"] == pytest.approx(22 / 6, abs=0.01)
    first = data["review"][0]
    assert first["reviewRating"]["ratingValue"] == 5 and first["author"]["name"] == "Maria S."
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["datePublished"])


def test_public_page_uses_base_url_and_is_off_until_enabled(app, client, brand, reviews):
    assert client.get(f"/b/{brand.slug}/reviews").status_code == 404
    assert client.get(f"/b/{brand.slug}/sitemap.xml").status_code == 404
    app.config["BASE_URL"] = "https://reviews.acme.example"
    enable_page(brand)
    page = client.get(f"/b/{brand.slug}/reviews").get_data(as_text=True)
    assert f'href="https://reviews.acme.example/b/{brand.slug}/reviews"' in page


def test_xss_in_review_stays_text_on_the_public_page_and_in_json_ld(client, brand):
    import_xss(brand)
    enable_page(brand)
    page = client.get(f"/b/{brand.slug}/reviews").get_data(as_text=True)
    assert XSS not in page and "<script>alert" not in page
    script = re.search(r'application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "</" not in script
    data = json.loads(script)
    assert data["review"][0]["reviewBody"] == f"Lovely. {XSS}"


def test_sitemap_lists_the_page(client, brand, reviews):
    enable_page(brand)
    response = client.get(f"/b/{brand.slug}/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    assert [e.text for e in root.findall("s:url/s:loc", ns)] == [
        f"http://localhost/b/{brand.slug}/reviews"
    ]
    assert root.find("s:url/s:lastmod", ns) is not None


def test_settings_page_says_google_shows_no_stars_and_enabling_records_an_owned_asset(
    client, users, brand
):
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/reviews/settings").get_data(as_text=True)
    assert "Google shows no review stars" in page and "still serves search" in page
    form = {
        "profile_url": "https://maps.example/acme",
        "page_enabled": "y",
        "weekly_cap": "3",
        "cooldown_days": "60",
        "do_not_phrases": "cheapest in town",
        "template-x": "{{ quote }} {{ stars }}",
    }
    response = client.post(f"/brands/{brand.id}/reviews/settings", data=form)
    assert response.status_code == 302
    settings = settings_for(db.session, brand)
    assert settings.weekly_cap == 3 and settings.templates == {"x": "{{ quote }} {{ stars }}"}
    assets = owned_assets(db.session, brand.id)
    assert [(a.kind, a.url) for a in assets] == [
        ("reviews_page", f"http://localhost/b/{brand.slug}/reviews")
    ]
    client.post(f"/brands/{brand.id}/reviews/settings", data=form)
    assert len(owned_assets(db.session, brand.id)) == 1  # idempotent
    bad = client.post(
        f"/brands/{brand.id}/reviews/settings",
        data={**form, "template-x": "{{ stars }}", "profile_url": ""},
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "must contain {{ quote }}" in text and "link to the full profile" in text


def test_editors_cannot_change_review_settings(client, users, brand):
    login(client, users["editor"].email)
    assert client.post(f"/brands/{brand.id}/reviews/settings", data={}).status_code == 403


def review_id(external_id: str) -> int:
    return db.session.scalar(select(Review.id).where(Review.external_id == external_id))


def test_promote_queues_posts_with_source_review_in_next_free_slots(
    client, users, brand, channels, reviews
):
    login(client, users["editor"].email)
    rid = review_id("g1")
    preview = client.get(f"/brands/{brand.id}/reviews/{rid}/promote").get_data(as_text=True)
    assert "“The flat white was perfect" in preview and "★★★★★ — Maria S. on Google" in preview
    assert "https://g.example/r/1" in preview
    response = client.post(
        f"/brands/{brand.id}/reviews/{rid}/promote",
        data={"channels": [channels["x"].id, channels["mastodon"].id]},
    )
    assert response.status_code == 302
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    assert [p.channel.platform for p in posts] == ["x", "mastodon"]
    assert all(p.source == "review" and p.status == PostStatus.SCHEDULED for p in posts)
    assert all(p.scheduled_at > datetime.now(UTC) for p in posts)
    assert posts[0].link == "https://g.example/r/1"
    assert db.session.get(Review, rid).last_promoted_at is not None
    # Promoted: off the promotable list for 90 days, and refused if tried again.
    ids = [r.review.id for r in promotable_reviews(db.session, brand, now=datetime.now(UTC))]
    assert rid not in ids
    again = client.post(
        f"/brands/{brand.id}/reviews/{rid}/promote", data={"channels": [channels["x"].id]}
    )
    assert again.status_code == 400 and "cannot be promoted" in again.get_data(as_text=True)


def test_do_not_list_blocks_the_review_post_with_the_reason(brand, channels, users, reviews):
    enable_page(brand, do_not_phrases="flat white")
    review = db.session.get(Review, review_id("g1"))
    with pytest.raises(PlannerError) as refused:
        promote_review(
            db.session, brand, review, [channels["x"]], users["editor"], now=datetime.now(UTC)
        )
    assert refused.value.errors == ["X: “flat white” is on Acme Bakery's do-not list."]
    assert db.session.scalar(select(Post.id)) is None


def test_weekly_cap_moves_the_third_review_post_to_the_next_week(brand, channels, users):
    data = csv_file(
        *(
            f"google,c{i},5,,Great coffee number {i}. Ana is lovely.,Ann Lee,{days_ago(i)},en,,,"
            for i in range(3)
        )
    )
    import_reviews(db.session, brand, data, actor="t", now=datetime.now(UTC))
    channel = channels["linkedin"]
    now = datetime(2031, 3, 3, 6, tzinfo=UTC)  # a Monday morning
    posts = []
    for i in range(3):
        review = db.session.get(Review, review_id(f"c{i}"))
        posts += promote_review(db.session, brand, review, [channel], users["editor"], now=now)
    weeks = [week_bounds(p.scheduled_at, channel.zone)[0] for p in posts]
    assert weeks[0] == weeks[1] and weeks[2] == weeks[0] + timedelta(days=7)


def test_review_posts_go_through_approval(brand, channels, users, reviews):
    brand.requires_approval = True
    db.session.commit()
    review = db.session.get(Review, review_id("g1"))
    editor_posts = promote_review(
        db.session, brand, review, [channels["x"]], users["editor"], now=datetime.now(UTC)
    )
    assert editor_posts[0].status == PostStatus.PENDING_APPROVAL
    review = db.session.get(Review, review_id("t1"))
    approver_posts = promote_review(
        db.session, brand, review, [channels["x"]], users["approver"], now=datetime.now(UTC)
    )
    assert approver_posts[0].status == PostStatus.SCHEDULED


def test_roundup_posts_selected_reviews_of_the_month_to_the_blog(client, users, brand, channels):
    enable_page(brand)
    data = csv_file(
        '"google",m1,5,,"Best <b>cake</b> in town, thanks Ana!",Maria Schmidt,2026-04-10,en,'
        "https://g.example/r/m1,,",
        "google,m2,1,,Awful.,Tom Jones,2026-04-11,en,,,",
        "google,m3,5,,Great coffee in May.,Lee Park,2026-05-02,en,,,",
    )
    import_reviews(db.session, brand, data, actor="t", now=datetime.now(UTC))
    roundup = build_roundup(db.session, brand, 2026, 4, now=datetime.now(UTC))
    assert [r.external_id for r in roundup.reviews] == ["m1"]
    assert "&lt;b&gt;cake&lt;/b&gt;" in roundup.html and "<b>" not in roundup.html
    assert 'href="https://maps.example/acme"' in roundup.html
    assert roundup.text.startswith("What our customers said in April 2026\n\n")
    db.session.commit()
    login(client, users["editor"].email)
    response = client.post(f"/brands/{brand.id}/reviews/roundup", data={"month": "2026-04"})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.channel.platform == "wordpress" and post.source == "review"
    assert "Selected reviews of Acme Bakery from April 2026." in post.text


def test_a_latvian_brands_roundup_is_written_in_latvian(client, users, brand, channels):
    enable_page(brand)
    brand.language = "lv"
    data = csv_file(
        "google,m1,5,,Labākā kūka pilsētā!,Anna Bērziņa,2026-04-10,lv,https://g.example/r/m1,,",
    )
    import_reviews(db.session, brand, data, actor="t", now=datetime.now(UTC))
    roundup = build_roundup(db.session, brand, 2026, 4, now=datetime.now(UTC))
    assert roundup.title.startswith("Ko mūsu klienti teica: 2026") and "aprīlis" in roundup.title
    assert "Šīs ir atlasītas atsauksmes." in roundup.text
    assert "Lasīt visas atsauksmes" in roundup.html and "What our customers" not in roundup.text


def test_published_post_hook_records_an_owned_asset(brand, channels):
    post = Post(
        channel=channels["wordpress"],
        text="Roundup title\n\nBody",
        status="published",
        public_url="https://blog.acme.example/2026/04/roundup/?utm_source=x",
        published_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    db.session.add(post)
    db.session.flush()
    asset = record_published_post(db.session, post)
    assert asset.kind == "blog_post" and asset.title == "Roundup title"
    assert asset.normalized_url == "blog.acme.example/2026/04/roundup"
    same = record_owned_asset(
        db.session, brand.id, "http://www.blog.acme.example/2026/04/roundup", "other", None
    )
    assert same.id == asset.id and same.kind == "blog_post"


def test_api_import_list_promotable_and_promote(api, brand, channels):
    data = csv_file(
        f'google,a1,5,,"The flat white was perfect, thanks Ana!",Maria Schmidt,{days_ago(2)},,,,',
        f"google,a2,1,,Cold food.,Tom Jones,{days_ago(1)},,,,",
    )
    url = f"/api/v1/brands/{brand.id}/reviews"
    response = api["editor"].post(url + "/import", data=data, content_type="text/csv")
    assert response.status_code == 200 and response.json["created"] == 2
    bad = api["editor"].post(
        url + "/import?format=csv", data=csv_file("google,z,,,x,Ann,2026-01-01,,,,")
    )
    assert bad.status_code == 422 and bad.json["errors"] == ["line 2: no rating"]
    assert api["viewer"].post(url + "/import", data=data).status_code == 403
    listed = api["viewer"].get(url + "?needs_reply=1").json
    assert [r["external_id"] for r in listed["reviews"]] == ["a2"]
    ranked = api["viewer"].get(url + "/promotable").json["reviews"]
    assert ranked[0]["external_id"] == "a1" and set(ranked[0]["why"]) >= {"rating", "recency"}
    rid = ranked[0]["id"]
    dry = (
        api["editor"]
        .post(
            f"{url}/{rid}/promote", json={"channel_ids": [channels["bluesky"].id], "dry_run": True}
        )
        .json
    )
    assert dry["previews"][0]["refusals"] == [] and dry["previews"][0]["length"] <= 300
    made = api["editor"].post(f"{url}/{rid}/promote", json={"channel_ids": [channels["x"].id]})
    assert made.status_code == 201 and made.json["posts"][0]["source"] == "review"
    again = api["editor"].post(f"{url}/{rid}/promote", json={"channel_ids": [channels["x"].id]})
    assert again.status_code == 422 and "cannot be promoted" in again.json["error"]
    doc = api["viewer"].get("/api/v1/openapi.json").json
    assert "/brands/{brand_id}/reviews/{review_id}/promote" in doc["paths"]


def test_promotable_page_explains_why_and_offers_the_roundup(
    client, users, brand, channels, reviews
):
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/reviews/promotable").get_data(as_text=True)
    assert "Why here: score" in page and "VADER compound" in page
    assert "Waited 40 minutes" not in page
    assert "Post the roundup" in page


def test_upload_in_the_ui_imports_or_lists_the_bad_rows(client, users, brand):
    login(client, users["editor"].email)
    assert "CSV columns" in client.get(f"/brands/{brand.id}/reviews/import").get_data(as_text=True)
    bad = csv_file("google,u1,5,,Fine,Ann,2026-01-01,,,,", "google,u2,0,,Zero,Ann,2026-01-01,,,,")
    response = client.post(
        f"/brands/{brand.id}/reviews/import",
        data={"file": (io.BytesIO(bad), "reviews.csv"), "format": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Line 3: rating 0 is outside 1–5 whole stars" in response.get_data(as_text=True)
    good = csv_file("google,u1,5,,Fine,Ann,2026-01-01,,,,")
    response = client.post(
        f"/brands/{brand.id}/reviews/import",
        data={"file": (io.BytesIO(good), "reviews.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Review.external_id)) == "u1"
    client.post("/logout")
    login(client, users["viewer"].email)
    assert client.get(f"/brands/{brand.id}/reviews/import").status_code == 403


# --- where to reply, publishing the public page, when a promoted post goes out --------


def test_a_review_waiting_for_a_reply_says_where_to_reply(client, users, brand):
    data = csv_file(
        f'google,linked,1,,"Cold coffee.",Tom Jones,{days_ago(11)},en,https://g.example/r/9,,',
        f'trustpilot,unlinked,2,,"Slow service.",Ann Lee,{days_ago(4)},en,,,',
    )
    assert import_reviews(db.session, brand, data, actor="t", now=datetime.now(UTC)).ok
    db.session.commit()
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    hints = re.findall(r'<small class="reply-hint">(.*?)</small>', page, re.S)
    assert len(hints) == 2, page
    linked = next(h for h in hints if "g.example" in h)
    assert re.search(r'<a href="https://g.example/r/9"[^>]*>Open on Google</a>', linked)
    unlinked = next(h for h in hints if "g.example" not in h)
    assert "Open on" not in unlinked
    for hint in hints:
        assert re.search(r'<a href="/brands/\d+/reviews/\d+/reply">Write the reply</a>', hint)
    assert "waiting 11 days" in page


def test_an_admin_publishes_the_public_page_from_the_inbox(client, users, brand, reviews):
    slug_url = f"/b/{brand.slug}/reviews"
    assert client.get(slug_url).status_code == 404
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert "not published yet" in page and "until an admin" in page
    assert "publish-page" not in page  # an editor is told, not offered the button
    refused = client.post(
        f"/brands/{brand.id}/reviews/publish-page", data={"profile_url": "https://maps.example/a"}
    )
    assert refused.status_code == 403
    assert client.get(slug_url).status_code == 404

    client.post("/logout")
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert f'action="/brands/{brand.id}/reviews/publish-page"' in page
    assert "Publish the public page" in page
    # Without the link to the full profile the page is not published, and the form says why.
    missing = client.post(f"/brands/{brand.id}/reviews/publish-page", data={"profile_url": ""})
    assert missing.status_code == 302 and missing.location.endswith(f"/brands/{brand.id}/reviews")
    said = client.get(missing.location).get_data(as_text=True)
    assert "needs the link to the full profile" in said
    assert client.get(slug_url).status_code == 404

    done = client.post(
        f"/brands/{brand.id}/reviews/publish-page",
        data={"profile_url": "https://maps.example/acme", "back": "promotable"},
    )
    assert done.location.endswith(f"/brands/{brand.id}/reviews/promotable")
    shown = client.get(done.location).get_data(as_text=True)
    assert "The public page of selected reviews is published at" in shown
    assert re.search(r'<a href="http://localhost/b/acme-bakery/reviews">', shown)
    public = client.get(slug_url)
    assert public.status_code == 200 and "https://maps.example/acme" in public.get_data(True)
    settings = settings_for(db.session, brand)
    assert settings.page_enabled and settings.weekly_cap == 2  # the other settings are kept
    assert "Public page of selected reviews:" in client.get(f"/brands/{brand.id}/reviews").get_data(
        as_text=True
    )


def test_publishing_the_public_page_needs_the_csrf_token(app, client, users, brand):
    login(client, users["admin"].email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        forged = client.post(
            f"/brands/{brand.id}/reviews/publish-page",
            data={"profile_url": "https://maps.example/acme"},
        )
        assert forged.status_code == 400
        assert not settings_for(db.session, brand).page_enabled
        page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
        form = page[page.index('action="/brands/') :]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        done = client.post(
            f"/brands/{brand.id}/reviews/publish-page",
            data={"profile_url": "https://maps.example/acme", "csrf_token": token},
        )
        assert done.status_code == 302
        assert settings_for(db.session, brand).page_enabled
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_promote_says_when_each_post_goes_out_in_its_channels_zone(
    client, users, brand, channels, reviews
):
    login(client, users["editor"].email)
    rid = review_id("g1")
    response = client.post(
        f"/brands/{brand.id}/reviews/{rid}/promote", data={"channels": [channels["x"].id]}
    )
    assert response.status_code == 302
    post = db.session.scalars(select(Post)).one()
    local = post.scheduled_at.astimezone(channels["x"].zone)
    calendar = client.get(response.location).get_data(as_text=True)
    message = re.search(r'<div class="flash success"[^>]*>(.*?)</div>', calendar, re.S).group(1)
    assert message.startswith("1 review post queued: ")
    assert f'<a href="/posts/{post.id}">' in message
    assert f"{local:%H:%M} ({local.tzname()})" in message
    assert f"{local.day} {local:%b %Y}" in message
