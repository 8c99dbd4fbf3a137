"""Bluesky (AT Protocol): ``com.atproto.repo.createRecord`` with a record key derived from the post.

Credentials: ``handle``, ``app_password`` (an app password, never the account password) and
optionally ``service`` (the PDS or entryway, default https://bsky.social).

A connected channel carries the session the connection opened and keeps renewing
(``access_token``, ``refresh_token`` and ``did`` beside the app password): the adapter starts from
it, so no worker process logs in again. Without one, sessions are created once per (service,
handle, password) and kept in a process-wide cache. An expired access token is renewed with
``refreshSession`` and a new session is created only when the refresh fails. createSession is
rate-limited by Bluesky, so not calling it matters.

Re-sending is safe: the record key is a TID computed from the idempotency key, so a second
createRecord for the same post version cannot create a second post. When a create fails with a
conflict or a 5xx, the adapter asks ``getRecord`` whether its record is already there and reports
it as published if so (PDS versions answer a duplicate key with 409, 400 or even 500).

Images: each is uploaded with ``com.atproto.repo.uploadBlob`` (raw bytes, at most 1,000,000;
larger ones are scaled down before), then embedded as ``app.bsky.embed.images`` with its alt text
and aspect ratio. A blob that no record uses is discarded by the PDS, so a retried upload is
harmless; the record key keeps the post itself single. The link gets a link facet.

Video: the MP4 is uploaded the same way (``uploadBlob``, ``Content-Type: video/mp4``) and embedded
as ``app.bsky.embed.video`` with its alt text and aspect ratio. This is the "simple method" of
Bluesky's own guide (docs.bsky.app/docs/tutorials/video, "Uploading Video"), still supported:
the video service processes the blob once the post appears. The guide's other path (a service
token from ``com.atproto.server.getServiceAuth``, ``app.bsky.video.uploadVideo`` on
video.bsky.app, polling ``app.bsky.video.getJobStatus``) shows the video a few seconds sooner but
needs a second host, which a self-hosted PDS may not have; the simple method works on any PDS
and keeps the same exactly-once rule as images (an unused blob is discarded).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import requests

from .base import (
    BaseAdapter,
    Call,
    MediaPayload,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    compose_text,
    grapheme_count,
    json_body,
    load_media,
    uploading_media,
    utc_now_iso,
)

DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_EXPIRED_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"}
_EXISTS_ERRORS = {"RecordAlreadyExists", "AlreadyExists", "Conflict"}


@dataclass(frozen=True)
class Login:
    service: str
    handle: str
    password: str

    @property
    def cache_key(self) -> tuple[str, str, str]:
        # The password is part of the key (hashed) so a changed app password logs in anew.
        return (self.service, self.handle, hashlib.sha256(self.password.encode()).hexdigest())

    def __repr__(self) -> str:
        return f"Login({self.service!r}, {self.handle!r})"


@dataclass
class BlueskySession:
    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str


_sessions: dict[tuple[str, str, str], BlueskySession] = {}
_session_locks: dict[tuple[str, str, str], threading.Lock] = {}
_cache_lock = threading.Lock()


def forget_sessions() -> None:
    """Drop every cached session (the next post logs in again)."""
    with _cache_lock:
        _sessions.clear()


def record_key(idempotency_key: str) -> str:
    """A valid TID (13 base32-sortable characters) derived from the idempotency key."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    value = int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)  # the top bit of a TID is 0
    chars = [TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5)]
    return "".join(chars)


def is_valid_tid(value: str) -> bool:
    return bool(_TID.match(value))


def link_facets(text: str) -> list[dict[str, object]]:
    """Link facets for every http(s) URL in the text, with UTF-8 byte offsets."""
    facets: list[dict[str, object]] = []
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and (url[-1] in _TRAILING or _unbalanced_paren(url)):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(url.encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


def _unbalanced_paren(url: str) -> bool:
    # "(see https://example.com/a)" ends with a ")" that is not part of the URL.
    return url.endswith(")") and url.count("(") < url.count(")")


class BlueskyAdapter(BaseAdapter):
    platform = "bluesky"
    required_credentials = ("handle", "app_password")
    deduplicates = True

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        service = (credentials.get("service") or DEFAULT_SERVICE).rstrip("/")
        handle = credentials["handle"].lstrip("@")
        text = compose_text(post.text, post.link)
        length = grapheme_count(text)
        if length > MAX_GRAPHEMES:
            return call.result(
                Outcome.FAILED,
                reason=f"the text is {length} characters; Bluesky allows {MAX_GRAPHEMES}",
            )
        call.guard(service)
        login = Login(service, handle, credentials["app_password"])
        session = self.session(login, call, stored_session(credentials, handle))

        rkey = record_key(post.idempotency_key)
        record: dict[str, object] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": utc_now_iso(),
        }
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        if credentials.get("langs"):
            record["langs"] = [lang.strip() for lang in credentials["langs"].split(",")]
        if post.in_reply_to:
            record["reply"] = self.reply_refs(
                service, post.in_reply_to, session, call, root=post.thread_root
            )
        videos = [item for item in post.media if item.is_video]
        if videos:
            record["embed"], session = self.upload_video(service, login, session, videos[0], call)
        elif post.media:
            images, session = self.upload_images(service, login, session, post, call)
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}

        body = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        response, session = self.authorized(
            login,
            session,
            call,
            lambda s: call.send(
                "POST",
                f"{service}/xrpc/com.atproto.repo.createRecord",
                headers={"Authorization": f"Bearer {s.access_jwt}"},
                json=body,
            ),
        )
        answer = json_body(response)
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("uri"):
            return self.published(session, rkey, answer, call, response)
        if (
            response.status_code in (200, 201, 409)
            or response.status_code >= 500
            or _says_exists(answer)
        ):
            existing = self.existing_record(service, session, rkey, call)
            if existing is not None:
                return self.published(session, rkey, existing, call, response)
        if response.ok:
            # A success without the record's uri, and no record under our key (yet): the key
            # makes a re-send safe. A redirect (never followed) created nothing.
            return self.unusable_answer(response, call, "the record's uri")
        return self.error_result(response, call)

    def published(
        self,
        session: BlueskySession,
        rkey: str,
        answer: dict,
        call: Call,
        response: requests.Response,
    ) -> PublishResult:
        return call.result(
            Outcome.PUBLISHED,
            response,
            platform_id=f"{answer['uri']}|{answer.get('cid', '')}",
            url=post_url(session.handle, rkey),
            status_code=200,
        )

    # --- session handling -------------------------------------------------

    def session(
        self, login: Login, call: Call, stored: BlueskySession | None = None
    ) -> BlueskySession:
        """The session for this login: the channel's stored one, else the cached one, else new.

        The stored session wins over a cached one holding other tokens: the connection renews
        the stored one ahead of its end, and Bluesky rotates refresh tokens, so it is the newer.
        """
        key = login.cache_key
        with _cache_lock:
            cached = _sessions.get(key)
            lock = _session_locks.setdefault(key, threading.Lock())
            if stored is not None and (cached is None or cached.refresh_jwt != stored.refresh_jwt):
                _sessions[key] = stored
                cached = stored
        if cached is not None:
            return cached
        with lock:
            with _cache_lock:
                cached = _sessions.get(key)
            if cached is not None:
                return cached
            return self.create_session(login, call)

    def create_session(self, login: Login, call: Call) -> BlueskySession:
        response = call.send(
            "POST",
            f"{login.service}/xrpc/com.atproto.server.createSession",
            json={"identifier": login.handle, "password": login.password},
        )
        body = json_body(response)
        if response.status_code != 200:
            # Nothing was posted yet, so any failure here is safe to retry later.
            raise Rejected(self.error_result(response, call, deduplicates=True))
        if not _is_session(body):
            # A "session" without its tokens: logging in did not work, and nothing was posted.
            raise Rejected(
                self.unusable_answer(response, call, "the session's tokens", created=False)
            )
        return _store(login, body)

    def renew(self, login: Login, stale: BlueskySession, call: Call) -> BlueskySession:
        """Refresh an expired session; log in again only when the refresh token is refused."""
        key = login.cache_key
        with _cache_lock:
            lock = _session_locks.setdefault(key, threading.Lock())
        with lock:
            with _cache_lock:
                current = _sessions.get(key)
            if current is not None and current.access_jwt != stale.access_jwt:
                return current  # another thread renewed it meanwhile
            response = call.send(
                "POST",
                f"{login.service}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {stale.refresh_jwt}"},
            )
            body = json_body(response)
            if response.status_code == 200 and _is_session(body):
                return _store(login, body)
            # A refused refresh token, or a refresh answered without tokens: log in again.
            if response.status_code in (200, 400, 401):
                with _cache_lock:
                    _sessions.pop(key, None)
                return self.create_session(login, call)
            raise Rejected(self.error_result(response, call, deduplicates=True))

    def authorized(
        self,
        login: Login,
        session: BlueskySession,
        call: Call,
        request: Callable[[BlueskySession], requests.Response],
    ) -> tuple[requests.Response, BlueskySession]:
        """Run a request with the session; on an expired token renew once and run it again."""
        response = request(session)
        if _token_expired(response):
            session = self.renew(login, session, call)
            response = request(session)
        return response, session

    # --- media --------------------------------------------------------------

    def upload_blob(
        self,
        service: str,
        login: Login,
        session: BlueskySession,
        item: OutgoingMedia,
        call: Call,
    ) -> tuple[dict, MediaPayload, BlueskySession]:
        """One file as a blob on the PDS: the blob reference, the bytes sent and the session."""
        payload = load_media(item, call)
        with uploading_media(call):
            response, session = self.authorized(
                login,
                session,
                call,
                lambda s: call.send(
                    "POST",
                    f"{service}/xrpc/com.atproto.repo.uploadBlob",
                    headers={
                        "Authorization": f"Bearer {s.access_jwt}",
                        "Content-Type": payload.content_type,
                    },
                    data=payload.data,
                ),
            )
        body = json_body(response)
        if response.status_code != 200:
            raise Rejected(self.error_result(response, call, deduplicates=True))
        if not isinstance(body, dict) or not isinstance(body.get("blob"), dict):
            raise Rejected(self.unusable_answer(response, call, "a blob", created=False))
        return body["blob"], payload, session

    def upload_images(
        self,
        service: str,
        login: Login,
        session: BlueskySession,
        post: OutgoingPost,
        call: Call,
    ) -> tuple[list[dict[str, object]], BlueskySession]:
        """Upload each image as a blob; the ``images`` of an ``app.bsky.embed.images``."""
        images: list[dict[str, object]] = []
        for item in post.media:
            blob, payload, session = self.upload_blob(service, login, session, item, call)
            images.append(
                {
                    "alt": item.alt_text,
                    "image": blob,
                    "aspectRatio": {"width": payload.width, "height": payload.height},
                }
            )
        return images, session

    def upload_video(
        self,
        service: str,
        login: Login,
        session: BlueskySession,
        item: OutgoingMedia,
        call: Call,
    ) -> tuple[dict[str, object], BlueskySession]:
        """Upload the video as a blob; an ``app.bsky.embed.video``."""
        blob, payload, session = self.upload_blob(service, login, session, item, call)
        embed: dict[str, object] = {"$type": "app.bsky.embed.video", "video": blob}
        if item.alt_text.strip():
            embed["alt"] = item.alt_text
        if payload.width > 0 and payload.height > 0:
            embed["aspectRatio"] = {"width": payload.width, "height": payload.height}
        return embed, session

    # --- records ------------------------------------------------------------

    def existing_record(
        self, service: str, session: BlueskySession, rkey: str, call: Call
    ) -> dict | None:
        """Our record under ``rkey``, if a previous attempt created it."""
        response = call.send(
            "GET",
            f"{service}/xrpc/com.atproto.repo.getRecord",
            params={"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey},
            headers={"Authorization": f"Bearer {session.access_jwt}"},
        )
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("uri"):
            return body
        return None

    def reply_refs(
        self,
        service: str,
        in_reply_to: str,
        session: BlueskySession,
        call: Call,
        root: str | None = None,
    ) -> dict[str, dict[str, str]]:
        """Reply references; the thread root is ``root`` when the caller knows it (a thread of
        our own), else read from the parent when it is itself a reply."""
        uri, _, cid = in_reply_to.partition("|")
        parent = {"uri": uri, "cid": cid}
        if root:
            root_uri, _, root_cid = root.partition("|")
            return {"root": {"uri": root_uri, "cid": root_cid}, "parent": parent}
        root_ref = parent
        parts = uri.removeprefix("at://").split("/")
        if len(parts) == 3:
            try:
                response = call.send(
                    "GET",
                    f"{service}/xrpc/com.atproto.repo.getRecord",
                    params={"repo": parts[0], "collection": parts[1], "rkey": parts[2]},
                    headers={"Authorization": f"Bearer {session.access_jwt}"},
                )
                value = (json_body(response) or {}).get("value") or {}
                found = (value.get("reply") or {}).get("root")
                if isinstance(found, dict) and found.get("uri") and found.get("cid"):
                    root_ref = {"uri": found["uri"], "cid": found["cid"]}
            except Exception:  # noqa: BLE001 - a reply to a top-level post needs no lookup
                pass
        return {"root": root_ref, "parent": parent}

    def error_message(self, response: requests.Response) -> str | None:
        body = json_body(response)
        if isinstance(body, dict):
            parts = [body.get("error"), body.get("message")]
            text = ": ".join(str(p) for p in parts if p)
            return text or None
        return None


def stored_session(credentials: Mapping[str, str], handle: str) -> BlueskySession | None:
    """The session a connection keeps in the channel's credentials, when it keeps one."""
    keys = ("did", "access_token", "refresh_token")
    if not all(credentials.get(key) for key in keys):
        return None
    return BlueskySession(
        did=credentials["did"],
        handle=handle,
        access_jwt=credentials["access_token"],
        refresh_jwt=credentials["refresh_token"],
    )


def _is_session(body: object) -> bool:
    return isinstance(body, dict) and all(
        isinstance(body.get(key), str) and body[key] for key in ("did", "accessJwt", "refreshJwt")
    )


def _store(login: Login, body: dict) -> BlueskySession:
    session = BlueskySession(
        did=body["did"],
        handle=body.get("handle") or login.handle,
        access_jwt=body["accessJwt"],
        refresh_jwt=body["refreshJwt"],
    )
    with _cache_lock:
        _sessions[login.cache_key] = session
    return session


def _token_expired(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    body = json_body(response)
    return (
        response.status_code == 400
        and isinstance(body, dict)
        and body.get("error") in _EXPIRED_ERRORS
    )


def _says_exists(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    if body.get("error") in _EXISTS_ERRORS:
        return True
    message = str(body.get("message") or "").lower()
    return "already exists" in message


def post_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{quote(handle)}/post/{rkey}"
