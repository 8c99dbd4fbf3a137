"""Each adapter uploads media its platform's way, checked by contract fakes of the exact requests;
a media upload that fails or is retried never makes a second post."""

from __future__ import annotations

import json

from werkzeug import Request, Response

from planner.publishing.adapters import (
    MediaPayload,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    get_adapter,
)
from planner.publishing.adapters.bluesky import record_key
from planner.publishing.adapters.instagram import InstagramAdapter
from planner.publishing.adapters.x import XAdapter

from .conftest import TIMEOUT

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-bytes-1" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"png-bytes-2" * 20
MP4 = b"\x00\x00\x00\x18ftypisom" + b"video-bytes" * 300


def item(
    media_id: int = 1,
    data: bytes = JPEG,
    content_type: str = "image/jpeg",
    *,
    kind: str = "image",
    size: tuple[int, int] = (1200, 800),
    alt: str = "Sourdough loaves cooling on a rack",
    public_url: str | None = None,
) -> OutgoingMedia:
    name = {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4"}[content_type]
    return OutgoingMedia(
        media_id=media_id,
        kind=kind,
        filename=f"item{media_id}.{name}",
        content_type=content_type,
        width=size[0],
        height=size[1],
        alt_text=alt,
        load=lambda: MediaPayload(data, content_type, *size),
        duration=12.0 if kind == "video" else None,
        public_url=public_url,
    )


def post(*media: OutgoingMedia, text: str = "Fresh bread", key: str = "pageone-9-v1", **kw):
    return OutgoingPost(
        post_id=9,
        text=text,
        link=kw.pop("link", None),
        image_url=None,
        idempotency_key=key,
        media=media,
        **kw,
    )


def base(fake) -> str:
    return fake.url_for("").rstrip("/")


def sent(fake, path: str, method: str = "POST") -> list[Request]:
    return [r for r, _ in fake.log if r.path == path and r.method == method]


# --- Mastodon ------------------------------------------------------------------------------


def mastodon_creds(fake):
    return {"base_url": base(fake), "access_token": "masto-token", "_allow_private": "1"}


def mastodon_instance(fake):
    fake.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )


def test_mastodon_uploads_each_item_with_its_description_and_waits_for_processing(fake):
    mastodon_instance(fake)
    uploads: list[tuple[str, bytes, str, str]] = []

    def media(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer masto-token"
        file = request.files["file"]
        uploads.append((file.filename, file.read(), file.mimetype, request.form["description"]))
        if len(uploads) == 1:  # the first is still processing: 202 without a URL
            return Response(json.dumps({"id": "m1", "url": None}), 202, mimetype="application/json")
        return Response(
            json.dumps({"id": "m2", "url": "https://files.example/m2.png"}),
            200,
            mimetype="application/json",
        )

    fake.expect_request("/api/v2/media", method="POST").respond_with_handler(media)
    polls = iter(
        [
            Response(json.dumps({"id": "m1", "url": None}), 206, mimetype="application/json"),
            Response(
                json.dumps({"id": "m1", "url": "https://files.example/m1.jpg"}),
                200,
                mimetype="application/json",
            ),
        ]
    )
    fake.expect_request("/api/v1/media/m1", method="GET").respond_with_handler(
        lambda request: next(polls)
    )
    fake.expect_request(
        "/api/v1/statuses",
        method="POST",
        headers={"Idempotency-Key": "pageone-9-v1", "Authorization": "Bearer masto-token"},
        json={"status": "Fresh bread", "media_ids": ["m1", "m2"]},
    ).respond_with_json({"id": "110", "url": "https://masto.example/@bakery/110"})

    first = item(1)
    second = item(2, PNG, "image/png", alt="The shop front")
    result = get_adapter("mastodon").publish(post(first, second), mastodon_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert uploads == [
        ("item1.jpg", JPEG, "image/jpeg", "Sourdough loaves cooling on a rack"),
        ("item2.png", PNG, "image/png", "The shop front"),
    ]
    assert len(sent(fake, "/api/v1/media/m1", "GET")) == 2


def test_mastodon_retry_after_a_lost_create_reuploads_media_but_posts_once(fake):
    """The worker died (or the answer was lost) between the media uploads and the status: the
    re-send uploads the media again, and the Idempotency-Key makes the status once."""
    mastodon_instance(fake)
    counter = iter(range(100))
    fake.expect_request("/api/v2/media", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps({"id": f"m{next(counter)}", "url": "https://files.example/x.jpg"}),
            200,
            mimetype="application/json",
        )
    )
    statuses: dict[str, dict] = {}
    answers = iter(["lost", "ok"])

    def create(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        statuses.setdefault(
            key, {"id": str(200 + len(statuses)), "media": request.json["media_ids"]}
        )
        if next(answers) == "lost":
            return Response("upstream timed out", status=504)
        return Response(json.dumps(statuses[key]), 200, mimetype="application/json")

    fake.expect_request("/api/v1/statuses", method="POST").respond_with_handler(create)

    adapter = get_adapter("mastodon")
    first = adapter.publish(post(item(1)), mastodon_creds(fake))
    again = adapter.publish(post(item(1)), mastodon_creds(fake))

    assert first.outcome is Outcome.RETRY and first.may_have_landed
    assert again.outcome is Outcome.PUBLISHED and again.platform_id == "200"
    assert len(statuses) == 1
    assert len(sent(fake, "/api/v2/media")) == 2


# --- Bluesky -------------------------------------------------------------------------------

DID = "did:plc:bakery"


def bluesky_creds(fake):
    return {
        "service": base(fake),
        "handle": "bakery.bsky.social",
        "app_password": "aaaa-bbbb-cccc-dddd",
        "_allow_private": "1",
    }


def test_bluesky_uploads_blobs_and_embeds_images_with_alt_and_aspect_ratio(fake):
    fake.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"did": DID, "handle": "bakery.bsky.social", "accessJwt": "acc", "refreshJwt": "ref"}
    )
    blobs = []

    def upload(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer acc"
        blobs.append((request.headers["Content-Type"], request.get_data()))
        return Response(
            json.dumps(
                {
                    "blob": {
                        "$type": "blob",
                        "ref": {"$link": f"bafkrei{len(blobs)}"},
                        "mimeType": request.headers["Content-Type"],
                        "size": len(request.get_data()),
                    }
                }
            ),
            200,
            mimetype="application/json",
        )

    fake.expect_request("/xrpc/com.atproto.repo.uploadBlob", method="POST").respond_with_handler(
        upload
    )
    records = []

    def create(request: Request) -> Response:
        records.append(request.json)
        return Response(
            json.dumps(
                {"uri": f"at://{DID}/app.bsky.feed.post/{request.json['rkey']}", "cid": "c"}
            ),
            200,
            mimetype="application/json",
        )

    fake.expect_request("/xrpc/com.atproto.repo.createRecord", method="POST").respond_with_handler(
        create
    )

    result = get_adapter("bluesky").publish(
        post(item(1, size=(1200, 800)), item(2, PNG, "image/png", size=(600, 900), alt="Shop")),
        bluesky_creds(fake),
    )

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert blobs == [("image/jpeg", JPEG), ("image/png", PNG)]
    (record,) = records
    assert record["rkey"] == record_key("pageone-9-v1")
    assert record["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": "Sourdough loaves cooling on a rack",
                "image": {
                    "$type": "blob",
                    "ref": {"$link": "bafkrei1"},
                    "mimeType": "image/jpeg",
                    "size": len(JPEG),
                },
                "aspectRatio": {"width": 1200, "height": 800},
            },
            {
                "alt": "Shop",
                "image": {
                    "$type": "blob",
                    "ref": {"$link": "bafkrei2"},
                    "mimeType": "image/png",
                    "size": len(PNG),
                },
                "aspectRatio": {"width": 600, "height": 900},
            },
        ],
    }


# --- X -------------------------------------------------------------------------------------


def x_creds(fake):
    return {"access_token": "x-token", "base_url": base(fake), "_allow_private": "1"}


def test_x_uploads_an_image_describes_it_and_posts_its_media_id(fake):
    def upload(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer x-token"
        assert request.form["media_category"] == "tweet_image"
        media = request.files["media"]
        assert (media.read(), media.mimetype) == (JPEG, "image/jpeg")
        return Response(
            json.dumps({"data": {"id": "1880028106020515840", "media_key": "3_188"}}),
            200,
            mimetype="application/json",
        )

    fake.expect_ordered_request("/2/media/upload", method="POST").respond_with_handler(upload)
    fake.expect_ordered_request(
        "/2/media/metadata",
        method="POST",
        json={
            "id": "1880028106020515840",
            "metadata": {"alt_text": {"text": "Sourdough loaves cooling on a rack"}},
        },
    ).respond_with_json({"data": {"associated_metadata": True}})
    fake.expect_ordered_request(
        "/2/tweets",
        method="POST",
        json={"text": "Fresh bread", "media": {"media_ids": ["1880028106020515840"]}},
    ).respond_with_json({"data": {"id": "42", "text": "Fresh bread"}}, status=201)

    result = get_adapter("x").publish(post(item(1)), x_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert result.platform_id == "42"


def test_x_uploads_video_in_chunks_and_polls_until_processed(fake):
    adapter = XAdapter()
    adapter.chunk_bytes = 1000
    adapter.poll_seconds = 0.01
    fake.expect_ordered_request(
        "/2/media/upload/initialize",
        method="POST",
        json={"media_type": "video/mp4", "total_bytes": len(MP4), "media_category": "tweet_video"},
    ).respond_with_json({"data": {"id": "777", "expires_after_secs": 86400}})
    segments: list[tuple[str, bytes]] = []

    def append(request: Request) -> Response:
        segments.append((request.form["segment_index"], request.files["media"].read()))
        return Response(status=204)

    chunks = [MP4[i : i + 1000] for i in range(0, len(MP4), 1000)]
    for _ in chunks:
        fake.expect_ordered_request(
            "/2/media/upload/777/append", method="POST"
        ).respond_with_handler(append)
    fake.expect_ordered_request("/2/media/upload/777/finalize", method="POST").respond_with_json(
        {"data": {"id": "777", "processing_info": {"state": "pending", "check_after_secs": 1}}}
    )
    fake.expect_ordered_request(
        "/2/media/upload",
        method="GET",
        query_string={"command": "STATUS", "media_id": "777"},
    ).respond_with_json({"data": {"id": "777", "processing_info": {"state": "in_progress"}}})
    fake.expect_ordered_request(
        "/2/media/upload",
        method="GET",
        query_string={"command": "STATUS", "media_id": "777"},
    ).respond_with_json({"data": {"id": "777", "processing_info": {"state": "succeeded"}}})
    fake.expect_ordered_request("/2/media/metadata", method="POST").respond_with_json({})
    fake.expect_ordered_request(
        "/2/tweets", method="POST", json={"text": "Fresh bread", "media": {"media_ids": ["777"]}}
    ).respond_with_json({"data": {"id": "43"}}, status=201)

    video = item(1, MP4, "video/mp4", kind="video", size=(1280, 720), alt="Kneading")
    result = adapter.publish(post(video), x_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert segments == [(str(i), chunk) for i, chunk in enumerate(chunks)]
    assert len(chunks) > 1


def test_x_media_upload_failure_is_retried_and_never_makes_a_second_post(fake):
    """X does not de-duplicate posts, but an upload creates no post: a 500 there is RETRY (a
    500 on the create itself is UNCONFIRMED), and the retry makes exactly one post."""
    answers = iter([500, 200])

    def upload(request: Request) -> Response:
        status = next(answers)
        if status == 500:
            return Response("internal error", status=500)
        return Response(json.dumps({"data": {"id": "9"}}), 200, mimetype="application/json")

    fake.expect_request("/2/media/upload", method="POST").respond_with_handler(upload)
    fake.expect_request("/2/media/metadata", method="POST").respond_with_json({})
    fake.expect_request("/2/tweets", method="POST").respond_with_json(
        {"data": {"id": "44"}}, status=201
    )
    adapter = get_adapter("x")

    first = adapter.publish(post(item(1)), x_creds(fake))
    assert first.outcome is Outcome.RETRY
    assert sent(fake, "/2/tweets") == []
    again = adapter.publish(post(item(1)), x_creds(fake))
    assert again.outcome is Outcome.PUBLISHED
    assert len(sent(fake, "/2/tweets")) == 1


def test_x_upload_that_times_out_is_retry_not_unconfirmed(fake, stall):
    fake.expect_request("/2/media/upload", method="POST").respond_with_handler(stall)
    result = get_adapter("x").publish(post(item(1)), x_creds(fake), timeout=TIMEOUT)
    assert result.outcome is Outcome.RETRY
    assert "nothing was posted" in result.reason
    assert sent(fake, "/2/tweets") == []


# --- LinkedIn ------------------------------------------------------------------------------


def test_linkedin_initializes_puts_and_posts_a_multi_image(fake):
    li = {
        "access_token": "li-token",
        "author_urn": "urn:li:organization:5515715",
        "base_url": base(fake),
        "_allow_private": "1",
    }
    headers = {
        "Authorization": "Bearer li-token",
        "LinkedIn-Version": "202511",
        "X-Restli-Protocol-Version": "2.0.0",
    }
    for number in (1, 2):
        fake.expect_ordered_request(
            "/rest/images",
            method="POST",
            query_string={"action": "initializeUpload"},
            headers=headers,
            json={"initializeUploadRequest": {"owner": "urn:li:organization:5515715"}},
        ).respond_with_json(
            {
                "value": {
                    "uploadUrlExpiresAt": 1650567510704,
                    "uploadUrl": f"{base(fake)}/dms-uploads/img{number}",
                    "image": f"urn:li:image:C4E10AQ{number}",
                }
            }
        )
        fake.expect_ordered_request(
            f"/dms-uploads/img{number}",
            method="PUT",
            headers={"Authorization": "Bearer li-token"},
            data=JPEG if number == 1 else PNG,
        ).respond_with_data("", status=201)
    fake.expect_ordered_request(
        "/rest/posts", method="POST", headers=headers
    ).respond_with_response(Response(status=201, headers={"x-restli-id": "urn:li:share:7"}))

    result = get_adapter("linkedin").publish(
        post(item(1), item(2, PNG, "image/png", alt="Shop"), link="https://bakery.example"), li
    )

    assert result.outcome is Outcome.PUBLISHED, result.reason
    body = sent(fake, "/rest/posts")[0].json
    assert body["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:C4E10AQ1", "altText": "Sourdough loaves cooling on a rack"},
                {"id": "urn:li:image:C4E10AQ2", "altText": "Shop"},
            ]
        }
    }
    assert body["commentary"] == "Fresh bread\n\nhttps://bakery.example"


# --- Facebook ------------------------------------------------------------------------------


def test_facebook_uploads_unpublished_photos_and_attaches_them(fake):
    fb = {
        "page_id": "1001",
        "page_access_token": "fb-token",
        "base_url": base(fake),
        "_allow_private": "1",
    }
    photos = []

    def photo(request: Request) -> Response:
        source = request.files["source"]
        photos.append(
            (
                request.form["published"],
                request.form["alt_text_custom"],
                request.form["access_token"],
                source.read(),
            )
        )
        return Response(json.dumps({"id": f"55{len(photos)}"}), 200, mimetype="application/json")

    fake.expect_request("/v23.0/1001/photos", method="POST").respond_with_handler(photo)
    fake.expect_request("/v23.0/1001/feed", method="POST").respond_with_json({"id": "1001_9"})

    result = get_adapter("facebook").publish(
        post(item(1), item(2, PNG, "image/png", alt="Shop")), fb
    )

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert photos == [
        ("false", "Sourdough loaves cooling on a rack", "fb-token", JPEG),
        ("false", "Shop", "fb-token", PNG),
    ]
    feed = sent(fake, "/v23.0/1001/feed")[0].form
    assert json.loads(feed["attached_media[0]"]) == {"media_fbid": "551"}
    assert json.loads(feed["attached_media[1]"]) == {"media_fbid": "552"}
    assert feed["message"] == "Fresh bread"


# --- Instagram -----------------------------------------------------------------------------


def ig_creds(fake):
    return {
        "ig_user_id": "1784",
        "access_token": "ig-token",
        "base_url": base(fake),
        "_allow_private": "1",
    }


def test_instagram_makes_a_carousel_from_public_media_addresses(fake):
    one = item(1, public_url="https://pageone.example/m/tok1")
    two = item(2, public_url="https://pageone.example/m/tok2", alt="Shop")
    fake.expect_ordered_request(
        "/v23.0/1784/media",
        method="POST",
        data="image_url=https%3A%2F%2Fpageone.example%2Fm%2Ftok1&alt_text=Sourdough+loaves+cooling"
        "+on+a+rack&is_carousel_item=true&access_token=ig-token",
    ).respond_with_json({"id": "c1"})
    fake.expect_ordered_request(
        "/v23.0/1784/media",
        method="POST",
        data="image_url=https%3A%2F%2Fpageone.example%2Fm%2Ftok2&alt_text=Shop"
        "&is_carousel_item=true&access_token=ig-token",
    ).respond_with_json({"id": "c2"})
    fake.expect_ordered_request(
        "/v23.0/1784/media",
        method="POST",
        data="media_type=CAROUSEL&children=c1%2Cc2&caption=Fresh+bread&access_token=ig-token",
    ).respond_with_json({"id": "carousel9"})
    fake.expect_ordered_request(
        "/v23.0/1784/media_publish",
        method="POST",
        data="creation_id=carousel9&access_token=ig-token",
    ).respond_with_json({"id": "media77"})
    fake.expect_ordered_request("/v23.0/media77", method="GET").respond_with_json(
        {"permalink": "https://www.instagram.com/p/abc/"}
    )

    result = get_adapter("instagram").publish(post(one, two), ig_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert result.url == "https://www.instagram.com/p/abc/"


def test_instagram_reel_container_is_polled_until_finished(fake):
    adapter = InstagramAdapter()
    adapter.poll_seconds = 0.01
    video = item(1, MP4, "video/mp4", kind="video", public_url="https://pageone.example/m/v")
    fake.expect_ordered_request(
        "/v23.0/1784/media",
        method="POST",
        data="media_type=REELS&video_url=https%3A%2F%2Fpageone.example%2Fm%2Fv"
        "&caption=Fresh+bread&access_token=ig-token",
    ).respond_with_json({"id": "reel1"})
    for status in ("IN_PROGRESS", "FINISHED"):
        fake.expect_ordered_request(
            "/v23.0/reel1", method="GET", query_string={"fields": "status_code"}
        ).respond_with_json({"status_code": status, "id": "reel1"})
    fake.expect_ordered_request("/v23.0/1784/media_publish", method="POST").respond_with_json(
        {"id": "media78"}
    )
    fake.expect_ordered_request("/v23.0/media78", method="GET").respond_with_json({})

    result = adapter.publish(post(video), ig_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason


def test_instagram_without_a_public_address_fails_before_any_request(fake):
    result = get_adapter("instagram").publish(post(item(1)), ig_creds(fake))
    assert result.outcome is Outcome.FAILED and "BASE_URL" in result.reason
    assert fake.log == []


# --- WordPress -----------------------------------------------------------------------------


def wp_creds(fake):
    return {
        "site_url": base(fake),
        "username": "editor",
        "app_password": "abcd efgh ijkl",
        "_allow_private": "1",
    }


def test_wordpress_uploads_the_featured_image_with_alt_text(fake):
    fake.expect_request("/wp-json/wp/v2/users/me", method="GET").respond_with_json({"id": 3})
    fake.expect_request(
        "/wp-json/wp/v2/posts",
        method="GET",
        query_string={
            "slug": "pageone-9",
            "status": "publish,future,draft,pending,private",
            "context": "edit",
        },
    ).respond_with_json([])
    fake.expect_request(
        "/wp-json/wp/v2/media",
        method="POST",
        headers={
            "Content-Type": "image/jpeg",
            "Content-Disposition": 'attachment; filename="item1.jpg"',
        },
        data=JPEG,
    ).respond_with_json({"id": 77, "source_url": "https://blog.example/bread.jpg"}, status=201)
    fake.expect_request(
        "/wp-json/wp/v2/media/77",
        method="POST",
        json={"alt_text": "Sourdough loaves cooling on a rack"},
    ).respond_with_json({"id": 77})
    fake.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_json(
        {"id": 501, "link": "https://blog.example/pageone-9"}, status=201
    )

    adapter = get_adapter("wordpress")
    result = adapter.publish(adapter.outgoing(post(item(1))), wp_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert sent(fake, "/wp-json/wp/v2/posts")[0].json["featured_media"] == 77
