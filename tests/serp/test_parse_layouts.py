"""Bing's 2009-2014 layouts and the image-search pages of Bing and Google (fixtures written
for these tests after the markup of those years; see fixtures/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serp.parse import SerpPage, parse_serp
from serp.parse.images import is_image_page, json_fields

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str, engine: str | None = None) -> SerpPage:
    return parse_serp((FIXTURES / name).read_text(encoding="utf-8"), engine)


def urls(result_page: SerpPage) -> list[str]:
    return [result.url for result in result_page.results]


def test_bing_2009_classless_list_items_are_read_by_structure():
    result_page = page("bing_2009.html")
    assert result_page.engine == "bing"
    assert urls(result_page) == [
        "http://www.espresso-machines.example/",
        "http://en.wikipedia.org/wiki/Espresso_machine",
        "http://www.coffeegeek.example/reviews/espresso",
    ]
    assert result_page.results[1].title == "Espresso machine - Wikipedia, the free encyclopedia"
    assert (
        result_page.results[0].snippet == "Huge selection of espresso machines with free shipping."
    )


def test_bing_2012_sa_wr_blocks_skip_ads_and_the_news_answer():
    result_page = page("bing_2012.html")
    assert result_page.engine == "bing"
    assert urls(result_page) == [
        "http://www.acme.example/",
        "http://en.wikipedia.org/wiki/Widget",
        "http://reviews.example.org/acme?page=2",
    ]
    assert [r.position for r in result_page.results] == [1, 2, 3]
    assert result_page.results[0].snippet == "Acme makes the finest widgets since 1901."
    kinds = [feature.kind for feature in result_page.features]
    assert kinds == ["ads", "sitelinks", "top_stories", "ads"]
    news = result_page.features[2]
    assert [(item.url, item.source, item.date) for item in news.items] == [
        ("http://news.example.com/2012/05/acme-recall", "Daily Example", "3 hours ago"),
        ("http://www.paper.example/business/acme-profits", "The Paper", "1 day ago"),
    ]
    # The top ad is decoded from Bing's click link; the news answer sits after result 1.
    assert result_page.features[0].items[0].url == "http://www.widget-shop.example/"
    assert news.position == 4


def test_bing_2020_image_grid_gives_each_images_page_in_order():
    result_page = page("bing_images_2020.html")
    assert result_page.engine == "bing"
    assert not result_page.blocked
    assert urls(result_page) == [
        "https://www.roaster.example/guide/beans/",
        "https://en.wikipedia.org/wiki/Coffee_bean",
        "https://shop.example.net/products/arabica-1kg",
        # Two images of one page: both stand on the page, both hold a position.
        "https://www.roaster.example/guide/beans/",
    ]
    # Bing's highlight marks around the query's words are not part of the title.
    assert result_page.results[0].title == "The coffee beans guide"
    assert result_page.features == []


def test_bing_2013_image_grid_reads_the_javascript_object_attribute():
    result_page = page("bing_images_2013.html")
    assert result_page.engine == "bing"
    assert urls(result_page) == [
        "http://www.cupshop.example/espresso-cups.html",
        "http://designblog.example/2012/11/espresso-cup-design/",
        "http://en.wikipedia.org/wiki/Demitasse",
    ]
    assert result_page.results[0].title == "White espresso cups"


def test_google_2010_image_table_gives_the_imgrefurl_pages():
    result_page = page("google_images_2010.html")
    assert result_page.engine == "google"
    assert urls(result_page) == [
        "http://www.cafe.example/menu/espresso.html",
        "http://en.wikipedia.org/wiki/Espresso",
        "http://barista.example/blog/2010/03/crema-explained/",
    ]
    assert result_page.results[0].title == "A perfect espresso shot"


def test_google_2016_image_grid_reads_each_cell_once_with_its_json_title():
    result_page = page("google_images_2016.html")
    assert urls(result_page) == [
        "https://roastery.example/guide/roasting-at-home",
        "https://en.wikipedia.org/wiki/Coffee_roasting",
        "https://beans.example/roast-levels?ref=img",
    ]
    assert [r.title for r in result_page.results] == [
        "How to roast coffee at home",
        "Coffee roasting - Wikipedia",
        "Roast levels chart",
    ]
    assert result_page.results[1].snippet == "Wikipedia"


def test_google_2021_image_grid_skips_the_related_search_chips():
    result_page = page("google_images_2021.html")
    assert urls(result_page) == [
        "https://www.brewguide.example/cold-brew/",
        "https://www.seriouseats.example/how-to-make-cold-brew",
        "https://en.wikipedia.org/wiki/Cold_brew_coffee",
        "https://shop.example.com/cold-brew-maker?utm_source=google",
    ]
    assert result_page.results[3].title == "Cold Brew Maker 1.5 L"


def test_a_web_page_with_an_image_pack_stays_a_web_page():
    result_page = page("google_features_lv_2021.html")
    assert len(result_page.results) == 4
    assert "images" in result_page.feature_kinds


@pytest.mark.parametrize(
    ("images", "web", "expected"),
    [
        (0, 0, False),
        (2, 0, False),
        (3, 0, True),
        (11, 3, False),
        (12, 10, False),
        (40, 4, True),
        (40, 5, False),
    ],
)
def test_image_page_needs_a_grid_not_a_pack(images, web, expected):
    assert is_image_page(images, web) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"purl":"https://a.example/","t":"A"}', {"purl": "https://a.example/", "t": "A"}),
        (
            '{ns:"images",surl:"http://b.example/x",ow:"3"}',
            {"ns": "images", "surl": "http://b.example/x", "ow": "3"},
        ),
        ("not json at all", {}),
        (None, {}),
    ],
)
def test_json_attributes_are_read_strictly_or_leniently(raw, expected):
    assert json_fields(raw) == expected
