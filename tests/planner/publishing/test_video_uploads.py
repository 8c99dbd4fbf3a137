"""Video to Bluesky, LinkedIn, Facebook Pages and WordPress, checked by contract fakes of the
exact request sequence; a video upload that fails or is retried never makes a second post."""

from __future__ import annotations

import json

from werkzeug import Request, Response

from planner.publishing.adapters import Outcome, get_adapter
from planner.publishing.adapters.bluesky import record_key
from planner.publishing.adapters.linkedin import LinkedInAdapter

from .conftest import TIMEOUT
from .test_media_uploads import DID, MP4, base, bluesky_creds, item, post, sent, wp_creds


def video(alt: str = "Kneading the dough", size: tuple[int, int] = (1280, 720)):
    return item(1, MP4, "video/mp4", kind="video", size=size, alt=alt)


# --- Bluesky -------------------------------------------------------------------------------


def bluesky_login(fake):
    fake.expect_ordered_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_json(
        {"did": DID, "handle": "bakery.bsky.social", "accessJwt": "acc", "refreshJwt": "ref"}
    )


BLOB = {"$type": "blob", "ref": {"$link": "bafkreivid"}, "mimeType": "video/mp4", "size": len(MP4)}


def test_bluesky_uploads_the_mp4_as_a_blob_and_embeds_a_video_with_alt_and_aspect_ratio(fake):
    bluesky_login(fake)
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.uploadBlob",
        method="POST",
        headers={"Authorization": "Bearer acc", "Content-Type": "video/mp4"},
        data=MP4,
    ).respond_with_json({"blob": BLOB})
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.createRecord", method="POST"
    ).respond_with_json({"uri": f"at://{DID}/app.bsky.feed.post/x", "cid": "c"})

    result = get_adapter("bluesky").publish(post(video()), bluesky_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    record = sent(fake, "/xrpc/com.atproto.repo.createRecord")[0].json
    assert record["rkey"] == record_key("pageone-9-v1")
    assert record["record"]["embed"] == {
        "$type": "app.bsky.embed.video",
        "video": BLOB,
        "alt": "Kneading the dough",
        "aspectRatio": {"width": 1280, "height": 720},
    }


def test_bluesky_video_retried_after_a_failed_create_is_found_under_its_record_key(fake):
    """The first create answers 500 (it may have landed): the re-send uploads the video again,
    but the record key is the same, so the PDS's duplicate is found and reported, never posted
    twice."""
    bluesky_login(fake)
    rkey = record_key("pageone-9-v1")
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.uploadBlob", method="POST", data=MP4
    ).respond_with_json({"blob": BLOB})
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.createRecord", method="POST"
    ).respond_with_json({"error": "InternalServerError"}, 500)
    fake.expect_ordered_request("/xrpc/com.atproto.repo.getRecord", method="GET").respond_with_json(
        {"error": "RecordNotFound"}, 400
    )
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.uploadBlob", method="POST", data=MP4
    ).respond_with_json({"blob": BLOB})
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.createRecord", method="POST"
    ).respond_with_json({"error": "InvalidRequest", "message": "Record already exists"}, 400)
    fake.expect_ordered_request(
        "/xrpc/com.atproto.repo.getRecord",
        method="GET",
        query_string={"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey},
    ).respond_with_json({"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": "c1"})
    adapter = get_adapter("bluesky")

    first = adapter.publish(post(video()), bluesky_creds(fake))
    assert first.outcome is Outcome.RETRY and first.may_have_landed
    again = adapter.publish(post(video()), bluesky_creds(fake))

    assert again.outcome is Outcome.PUBLISHED, again.reason
    assert again.platform_id == f"at://{DID}/app.bsky.feed.post/{rkey}|c1"
    creates = sent(fake, "/xrpc/com.atproto.repo.createRecord")
    assert [r.json["rkey"] for r in creates] == [rkey, rkey]


# --- LinkedIn ------------------------------------------------------------------------------

LI_HEADERS = {
    "Authorization": "Bearer li-token",
    "LinkedIn-Version": "202511",
    "X-Restli-Protocol-Version": "2.0.0",
}
VIDEO_URN = "urn:li:video:C5F10AQ"


def li_creds(fake):
    return {
        "access_token": "li-token",
        "author_urn": "urn:li:organization:5515715",
        "base_url": base(fake),
        "_allow_private": "1",
    }


def linkedin_upload(fake, *, first_put_status: int = 200):
    """initializeUpload → two PUTs (byte ranges) → finalizeUpload, as LinkedIn instructs."""
    split = 2000
    fake.expect_ordered_request(
        "/rest/videos",
        method="POST",
        query_string={"action": "initializeUpload"},
        headers=LI_HEADERS,
        json={
            "initializeUploadRequest": {
                "owner": "urn:li:organization:5515715",
                "fileSizeBytes": len(MP4),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        },
    ).respond_with_json(
        {
            "value": {
                "uploadUrlsExpireAt": 1650567510704,
                "video": VIDEO_URN,
                "uploadInstructions": [
                    {
                        "uploadUrl": f"{base(fake)}/dms-uploads/part1",
                        "firstByte": 0,
                        "lastByte": split - 1,
                    },
                    {
                        "uploadUrl": f"{base(fake)}/dms-uploads/part2",
                        "firstByte": split,
                        "lastByte": len(MP4) - 1,
                    },
                ],
                "uploadToken": "tok-1",
            }
        }
    )
    fake.expect_ordered_request(
        "/dms-uploads/part1",
        method="PUT",
        headers={"Authorization": "Bearer li-token", "Content-Type": "application/octet-stream"},
        data=MP4[:split],
    ).respond_with_response(Response(status=first_put_status, headers={"ETag": "etag-1"}))
    if first_put_status != 200:
        return
    fake.expect_ordered_request(
        "/dms-uploads/part2", method="PUT", data=MP4[split:]
    ).respond_with_response(Response(status=200, headers={"ETag": "etag-2"}))
    fake.expect_ordered_request(
        "/rest/videos",
        method="POST",
        query_string={"action": "finalizeUpload"},
        headers=LI_HEADERS,
        json={
            "finalizeUploadRequest": {
                "video": VIDEO_URN,
                "uploadToken": "tok-1",
                "uploadedPartIds": ["etag-1", "etag-2"],
            }
        },
    ).respond_with_data("", status=200)


def linkedin_polls(fake):
    for status in ("PROCESSING", "AVAILABLE"):
        fake.expect_ordered_request(
            "/rest/videos/urn:li:video:C5F10AQ", method="GET", headers=LI_HEADERS
        ).respond_with_json({"id": VIDEO_URN, "status": status})


def test_linkedin_uploads_video_parts_finalizes_waits_and_posts_its_urn(fake):
    adapter = LinkedInAdapter()
    adapter.poll_seconds = 0.01
    linkedin_upload(fake)
    linkedin_polls(fake)
    fake.expect_ordered_request(
        "/rest/posts", method="POST", headers=LI_HEADERS
    ).respond_with_response(Response(status=201, headers={"x-restli-id": "urn:li:share:8"}))

    result = adapter.publish(post(video(), link="https://bakery.example"), li_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert result.platform_id == "urn:li:share:8"
    polls = [r.environ["RAW_URI"] for r, _ in fake.log if r.method == "GET"]
    assert polls == ["/rest/videos/urn%3Ali%3Avideo%3AC5F10AQ"] * 2  # the URN URL-encoded
    body = sent(fake, "/rest/posts")[0].json
    assert body["content"] == {"media": {"id": VIDEO_URN}}
    assert body["commentary"] == "Fresh bread\n\nhttps://bakery.example"


def test_linkedin_failed_part_upload_is_retry_and_posts_nothing(fake):
    linkedin_upload(fake, first_put_status=500)
    result = get_adapter("linkedin").publish(post(video()), li_creds(fake))
    assert result.outcome is Outcome.RETRY
    assert sent(fake, "/rest/posts") == []


def test_linkedin_video_that_fails_processing_fails_the_post_without_posting(fake):
    linkedin_upload(fake)
    fake.expect_ordered_request(
        "/rest/videos/urn:li:video:C5F10AQ", method="GET"
    ).respond_with_json({"id": VIDEO_URN, "status": "PROCESSING_FAILED"})
    result = get_adapter("linkedin").publish(post(video()), li_creds(fake))
    assert result.outcome is Outcome.FAILED
    assert "could not process the video" in result.reason
    assert sent(fake, "/rest/posts") == []


def test_linkedin_lost_answer_to_the_video_post_is_unconfirmed_not_resent(fake, stall):
    adapter = LinkedInAdapter()
    adapter.poll_seconds = 0.01
    linkedin_upload(fake)
    linkedin_polls(fake)
    fake.expect_ordered_request("/rest/posts", method="POST").respond_with_handler(stall)
    result = adapter.publish(post(video()), li_creds(fake), timeout=TIMEOUT)
    assert result.outcome is Outcome.UNCONFIRMED


# --- Facebook ------------------------------------------------------------------------------


def fb_creds(fake):
    return {
        "page_id": "1001",
        "page_access_token": "fb-token",
        "base_url": base(fake),
        "_allow_private": "1",
    }


def test_facebook_posts_a_video_as_one_page_video_upload(fake):
    uploads = []

    def videos(request: Request) -> Response:
        source = request.files["source"]
        uploads.append(
            (
                dict(request.form),
                source.filename,
                source.mimetype,
                source.read(),
            )
        )
        return Response(json.dumps({"id": "9070"}), 200, mimetype="application/json")

    fake.expect_request("/v23.0/1001/videos", method="POST").respond_with_handler(videos)

    result = get_adapter("facebook").publish(
        post(video(), link="https://bakery.example"), fb_creds(fake)
    )

    assert result.outcome is Outcome.PUBLISHED, result.reason
    assert result.platform_id == "9070"
    assert result.url == "https://www.facebook.com/1001/videos/9070"
    assert uploads == [
        (
            {"description": "Fresh bread\n\nhttps://bakery.example", "access_token": "fb-token"},
            "item1.mp4",
            "video/mp4",
            MP4,
        )
    ]
    assert len(sent(fake, "/v23.0/1001/videos")) == 1
    assert sent(fake, "/v23.0/1001/feed") == sent(fake, "/v23.0/1001/photos") == []


def test_facebook_video_upload_whose_answer_is_lost_is_unconfirmed(fake, stall):
    """The upload is the post: a lost answer may mean a published video, so it is never
    re-sent blindly."""
    fake.expect_request("/v23.0/1001/videos", method="POST").respond_with_handler(stall)
    result = get_adapter("facebook").publish(post(video()), fb_creds(fake), timeout=TIMEOUT)
    assert result.outcome is Outcome.UNCONFIRMED


# --- WordPress -----------------------------------------------------------------------------


def wordpress_lookup(fake, found: list):
    fake.expect_request("/wp-json/wp/v2/users/me", method="GET").respond_with_json({"id": 3})
    fake.expect_request(
        "/wp-json/wp/v2/posts",
        method="GET",
        query_string={
            "slug": "pageone-9",
            "status": "publish,future,draft,pending,private",
            "context": "edit",
        },
    ).respond_with_json(found)


def test_wordpress_uploads_the_video_and_embeds_it_as_a_video_block(fake):
    wordpress_lookup(fake, [])
    fake.expect_request(
        "/wp-json/wp/v2/media",
        method="POST",
        headers={
            "Content-Type": "video/mp4",
            "Content-Disposition": 'attachment; filename="item1.mp4"',
        },
        data=MP4,
    ).respond_with_json(
        {"id": 78, "source_url": "https://blog.example/uploads/item1.mp4"}, status=201
    )
    fake.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_json(
        {"id": 502, "link": "https://blog.example/pageone-9"}, status=201
    )

    adapter = get_adapter("wordpress")
    result = adapter.publish(adapter.outgoing(post(video(), text="Fresh bread")), wp_creds(fake))

    assert result.outcome is Outcome.PUBLISHED, result.reason
    body = sent(fake, "/wp-json/wp/v2/posts")[0].json
    assert "featured_media" not in body
    assert body["content"] == (
        '<!-- wp:video {"id":78} -->\n'
        '<figure class="wp-block-video"><video controls '
        'src="https://blog.example/uploads/item1.mp4"></video></figure>\n'
        "<!-- /wp:video -->"
    )
    assert sent(fake, "/wp-json/wp/v2/media/78") == []  # a video gets no alt-text call


def test_wordpress_retry_that_finds_the_post_uploads_no_second_video(fake):
    wordpress_lookup(fake, [{"id": 502, "status": "publish", "link": "https://blog.example/p"}])
    adapter = get_adapter("wordpress")
    result = adapter.publish(adapter.outgoing(post(video())), wp_creds(fake))
    assert result.outcome is Outcome.PUBLISHED
    assert sent(fake, "/wp-json/wp/v2/media") == []
    assert sent(fake, "/wp-json/wp/v2/posts") == []


def test_wordpress_video_stored_without_its_address_posts_nothing_and_is_retried(fake):
    wordpress_lookup(fake, [])
    fake.expect_request("/wp-json/wp/v2/media", method="POST").respond_with_json(
        {"id": 79}, status=201
    )
    adapter = get_adapter("wordpress")
    result = adapter.publish(adapter.outgoing(post(video())), wp_creds(fake))
    assert result.outcome is Outcome.RETRY and "nothing was posted" in result.reason
    assert sent(fake, "/wp-json/wp/v2/posts") == []
