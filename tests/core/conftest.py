"""A row of every kind that the API addresses by id, made through the API itself."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

REVIEWS_CSV = (
    "source,external_id,rating,title,text,author,created_at,language,url,reply_text,reply_at\n"
    "google,a1,5,,The flat white was perfect.,Maria,{when},,,,\n"
)
# A Bing page with a result and a top-stories block: a check with page features.
SERP_PAGE = (
    '<html><head><title>acme bakery - Search</title></head><body><ol id="b_results">'
    '<li class="b_algo"><h2><a href="https://acme.example/">Acme Bakery</a></h2><p>Bread</p></li>'
    "</ol></body></html>"
)
MENTIONS_CSV = "id,url,author,text,published,language\n1,https://a.example/1,ann,Hello?,{when},en\n"


@pytest.fixture
def seeded_ids(api, brand) -> dict[str, int]:
    """Real rows of every kind the API addresses by id, made through the API itself."""
    admin = api["admin"]
    when = (datetime.now(UTC) - timedelta(days=1)).isoformat()

    def created(response) -> dict:
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    channel = created(
        admin.post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "facebook"})
    )
    post = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": channel["id"], "text": "Fresh bread today.", "queue": True},
        )
    )
    group = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/groups",
            json={"text": "Rye at noon.", "channels": [channel["id"]], "draft": True},
        )
    )
    query = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/serp/queries",
            json={"text": "acme bakery", "engine": "bing", "provider": "manual"},
        )
    )
    check = created(
        admin.post(
            f"/api/v1/serp/queries/{query['id']}/uploads?kind=html",
            data=SERP_PAGE,
            content_type="text/html",
        )
    )["checks"][0]
    rule = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/serp/labels",
            json={"match_type": "domain", "pattern": "news.example.net", "label": "negative"},
        )
    )
    source = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/listening/sources",
            json={"kind": "rss", "url": "https://feeds.example/acme.xml"},
        )
    )
    created(
        admin.post(
            f"/api/v1/brands/{brand.id}/listening/mentions/upload",
            data=MENTIONS_CSV.format(when=when),
            content_type="text/csv",
        )
    )
    mentions = created(admin.get(f"/api/v1/brands/{brand.id}/listening/mentions"))
    created(
        admin.post(
            f"/api/v1/brands/{brand.id}/reviews/import",
            data=REVIEWS_CSV.format(when=when),
            content_type="text/csv",
        )
    )
    reviews = created(admin.get(f"/api/v1/brands/{brand.id}/reviews"))
    scenarios = created(admin.post(f"/api/v1/brands/{brand.id}/listening/playbooks/starters"))
    run = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/listening/crisis-runs",
            json={"scenario_id": scenarios["scenarios"][0]["id"], "rehearsal": True},
        )
    )
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(image, "PNG")
    media = created(
        admin.post(
            f"/api/v1/brands/{brand.id}/media",
            data={"file": (io.BytesIO(image.getvalue()), "seed.png"), "alt_text": "A red square"},
            content_type="multipart/form-data",
        )
    )
    return {
        "brand_id": brand.id,
        "channel_id": channel["id"],
        "post_id": post["post"]["id"],
        "query_id": query["id"],
        "rule_id": rule["id"],
        "check_id": check["id"],
        "source_id": source["id"],
        "mention_id": mentions["mentions"][0]["id"],
        "review_id": reviews["reviews"][0]["id"],
        "scenario_id": scenarios["scenarios"][0]["id"],
        "run_id": run["id"],
        "step_id": run["steps"][0]["id"],
        "media_id": media["media"]["id"],
        "group_id": group["group"]["id"],
    }
