"""Page features on the real saved pages of the shared development set (read from there)."""

from __future__ import annotations

import pytest

from serp.parse import parse_serp

from .test_parse_shared_fixtures import SHARED, read

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared fixtures at {SHARED}")


def features_of(path: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for feature in parse_serp(read(SHARED / path)).features:
        found.setdefault(feature.kind, []).append(feature)
    return found


def test_google_2023_desktop_top_stories_questions_and_panel():
    found = features_of("serp-parser/google/desktop/google.html")
    stories = found["top_stories"][0].items
    assert stories[0].url.startswith("https://www.theverge.com/2023/4/21/")
    assert (stories[0].source, stories[0].date) == ("The Verge", "26 mins ago")
    assert len(stories) >= 5
    questions = [item.title for item in found["people_also_ask"][0].items]
    assert questions[0] == "What does Google stand for?"
    # The query itself, which Google also marks with data-q, is not a question.
    assert "google" not in questions
    panel_urls = [item.url for item in found["knowledge_panel"][0].items]
    assert "https://en.wikipedia.org/wiki/Google" in panel_urls


def test_bing_2021_questions_answers_and_local_pack():
    found = features_of("serp-parser/bing/nojs/coffee-nojs.html")
    questions = found["people_also_ask"][0].items
    assert questions[0].title == "What is coffee coffee?"
    assert questions[0].url == "https://en.wikipedia.org/wiki/coffee_(drink)"
    assert found["local_pack"][0].items
    assert found["knowledge_panel"][0].items[0].url == "http://en.wikipedia.org/wiki/Coffee"


def test_google_2018_serposcope_page_has_sitelinks_beside_unchanged_results():
    path = "serposcope-google/201804/top-10/fiat-sitelink-desktop"
    page = parse_serp(read(SHARED / path))
    expected = [line.strip() for line in read(SHARED / (path + ".res")).splitlines() if line]
    assert [r.url for r in page.results] == expected
    sitelinks = [f for f in page.features if f.kind == "sitelinks"]
    assert sitelinks and all("fiat" in item.url for item in sitelinks[0].items)


def test_google_2018_image_pack_items_are_the_pages_from_the_cells_json():
    found = features_of("serposcope-google/201804/top-10/logo-com-desktop")
    pages = [item.url for item in found["images"][0].items]
    assert pages[0] == "https://en.wikipedia.org/wiki/Logo_TV"
    assert all(not url.startswith("https://www.google.") for url in pages)


def test_bing_ads_without_a_target_in_the_click_link_give_the_displayed_address():
    found = features_of("serp-parser/bing/nojs/coffee-nojs.html")
    ads = found["ads"][0].items
    assert ads[0].url == "http://www.amazon.es/Cafe-Te"
    assert ads[0].title.startswith("Coffee Capsule")
