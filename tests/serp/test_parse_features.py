"""Page features: the blocks beside the organic results, with kind, position and items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from serp.parse import FEATURE_KINDS, SerpPage, parse_serp
from serp.parse.feature_rules import heading_kind
from serp.parse.urls import engine_of_host

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str) -> SerpPage:
    return parse_serp((FIXTURES / name).read_text(encoding="utf-8"))


def layout(result_page: SerpPage) -> list[tuple[str, int]]:
    return [(feature.kind, feature.position) for feature in result_page.features]


def test_google_latvian_page_lists_every_feature_in_page_order():
    result_page = page("google_features_lv_2021.html")
    # The organic results are the same as without features.
    assert [r.url for r in result_page.results] == [
        "https://www.acme-logistika.example/",
        "https://lv.wikipedia.org/wiki/ACME_Lo%C4%A3istika",
        "https://www.lursoft.example/acme-logistika",
        "https://www.facebook.example/acmelogistika/",
    ]
    # Blocks: ad, result 1, its site links, top stories, result 2, questions, result 3,
    # videos, images, result 4, knowledge panel.
    assert layout(result_page) == [
        ("ads", 1),
        ("sitelinks", 3),
        ("top_stories", 4),
        ("people_also_ask", 6),
        ("videos", 8),
        ("images", 9),
        ("knowledge_panel", 11),
    ]


def test_google_top_stories_items_carry_source_and_date():
    stories = next(
        f for f in page("google_features_lv_2021.html").features if f.kind == "top_stories"
    )
    assert [item.to_dict() for item in stories.items] == [
        {
            "url": "https://www.delfi.example/biznes/acme-zaudejumi.d?id=5321",
            "title": "ACME Loģistika cieš zaudējumus pēc klientu sūdzībām",
            "source": "Delfi",
            "date": "pirms 3 stundām",
        },
        {
            "url": "https://www.lsm.example/raksts/acme-tiesvedibe.a4411/",
            "title": "Tiesa skatīs lietu pret ACME",
            "source": "LSM",
            "date": "pirms 2 dienām",
        },
    ]


def test_google_ads_questions_images_and_panel_items_are_outbound_pages():
    features = {f.kind: f for f in page("google_features_lv_2021.html").features}
    # The ad server's click link is unwrapped to the advertiser's page.
    assert features["ads"].items[0].url == "https://www.kravas.example/lv/?gclid=x"
    assert features["ads"].items[0].title == "Kravu pārvadājumi - Ātri un droši"
    questions = features["people_also_ask"].items
    assert [(q.title, q.url) for q in questions] == [
        ("Vai ACME Loģistika ir uzticama?", "https://www.atsauksmes.example/acme"),
        ("Kur atrodas ACME birojs?", None),
    ]
    assert [i.url for i in features["images"].items] == ["https://foto.example/galerija/acme"]
    assert features["videos"].items[0].url == "https://www.youtube.example/watch?v=abc123"
    assert features["videos"].items[0].date == "12.03.2021"
    assert [i.url for i in features["knowledge_panel"].items] == [
        "https://lv.wikipedia.org/wiki/ACME_Lo%C4%A3istika",
        "https://www.acme-logistika.example/",
    ]
    assert [i.title for i in features["sitelinks"].items] == ["Pakalpojumi", "Kontakti"]


def test_google_polish_page_finds_top_stories_and_discussions_by_their_headings():
    result_page = page("google_features_pl_2022.html")
    assert len(result_page.results) == 4
    assert layout(result_page) == [("top_stories", 3), ("discussions", 5)]
    discussions = result_page.features[1].items
    assert [(d.url, d.title, d.source, d.date) for d in discussions] == [
        (
            "https://www.reddit.example/r/Polska/comments/xyz/kowalski_nie_placi/",
            "Kowalski nie płaci za nadgodziny",
            "Reddit · r/Polska",
            "3 tyg. temu",
        ),
        (
            "https://forum.example.pl/temat/kowalski-meble-reklamacja",
            "Reklamacja mebli Kowalski - ktoś coś?",
            "forum.example.pl",
            "2 lata temu",
        ),
    ]
    assert result_page.features[0].items[0].title == (
        "Kowalski bliski upadłości? Pracownicy bez wypłat"
    )


def test_bing_lithuanian_page_features():
    result_page = page("bing_features_lt_2022.html")
    assert [r.url for r in result_page.results] == [
        "https://www.petraitis.example/lt/",
        "https://www.rekvizitai.example/imone/petraitis/",
        "https://lt.wikipedia.org/wiki/Petraitis_(%C4%AFmon%C4%97)",
    ]
    assert layout(result_page) == [
        ("ads", 1),
        ("sitelinks", 3),
        ("top_stories", 4),
        ("videos", 6),
        ("people_also_ask", 7),
        ("knowledge_panel", 9),
    ]
    features = {f.kind: f for f in result_page.features}
    assert features["ads"].items[0].url == "https://www.statybos-reklama.example/lt"
    # The video's page comes from Bing's JSON attribute, not its internal player link.
    video = features["videos"].items[0]
    assert (video.url, video.title) == (
        "https://www.youtube.example/watch?v=lt987",
        "Petraitis statybos aikštelėje nelaimė",
    )
    assert features["top_stories"].items[0].date == "prieš 4 val."
    assert features["people_also_ask"].items[0].title == "Ar Petraitis patikima įmonė?"


def test_existing_fixtures_keep_their_features_apart_from_results():
    result_page = page("bing.html")
    assert [r.url for r in result_page.results] == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.example.org/coffee?x=1&y=2",
        "https://shop.example.com/a",
    ]
    assert layout(result_page)[:2] == [("ads", 1), ("sitelinks", 3)]
    assert result_page.features[1].items[0].url == "https://en.wikipedia.org/wiki/Coffee_bean"


@pytest.mark.parametrize(
    "name",
    sorted(path.name for path in FIXTURES.glob("*.html")),
)
def test_every_feature_is_well_formed(name):
    result_page = page(name)
    positions = [f.position for f in result_page.features]
    assert positions == sorted(set(positions))
    total_blocks = len(result_page.results) + len(result_page.features)
    assert all(1 <= p <= total_blocks for p in positions)
    for feature in result_page.features:
        assert feature.kind in FEATURE_KINDS
        for item in feature.items:
            if item.url is not None:
                assert item.url.startswith(("http://", "https://")), item.url
                host = item.url.split("/")[2]
                assert engine_of_host(host) is None, item.url
    data = result_page.to_dict(features=True)
    assert json.loads(json.dumps(data)) == data


def test_blocked_pages_have_no_features():
    for name in ("google_captcha.html", "google_unusual_traffic.html", "google_consent.html"):
        assert page(name).features == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Top stories", "top_stories"),
        ("Populārākās ziņas", "top_stories"),
        ("Svarbiausios naujienos", "top_stories"),
        ("Najważniejsze artykuły", "top_stories"),
        ("News about Acme Widgets", "top_stories"),
        ("Videos", "videos"),
        ("Vaizdo įrašai apie petraitis", "videos"),
        ("Filmy", "videos"),
        ("Images for coffee", "images"),
        ("Attēli", "images"),
        ("Discussions and forums", "discussions"),
        ("Diskusijos ir forumai", "discussions"),
        ("People also ask", "people_also_ask"),
        ("Citi jautā arī", "people_also_ask"),
        ("Podobne pytania", "people_also_ask"),
        ("Places", "local_pack"),
        ("Acme Widgets | Official Site", None),
        ("Newsletter", None),
        ("Videos of cats are the best thing on the whole internet and more", None),
    ],
)
def test_headings_name_features_in_several_languages(text, kind):
    assert heading_kind(text) == kind
