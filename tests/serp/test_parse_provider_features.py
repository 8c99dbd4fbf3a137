"""Search APIs' feature blocks map to the same page features as the parsed pages."""

from __future__ import annotations

import json

from serp.providers import QuerySpec
from serp.providers.apis import BraveApi, SerpApi, Serper


def read(provider_class, data):
    provider = provider_class(None)  # reading a stored answer needs no HTTP client
    return provider.parse_raw(json.dumps(data), "json", QuerySpec("acme"))


def test_serpapi_features_keep_the_answers_order_among_organic_results():
    page = read(
        SerpApi,
        {
            "search_metadata": {"status": "Success"},
            "ads": [
                {"link": "https://ads.example/", "title": "Buy", "displayed_link": "ads.example"}
            ],
            "top_stories": [
                {
                    "link": "https://news.example/acme-fine",
                    "title": "Acme fined",
                    "source": "News",
                    "date": "2 hours ago",
                }
            ],
            "organic_results": [
                {
                    "link": "https://acme.example/",
                    "title": "Acme",
                    "snippet": "s",
                    "sitelinks": {
                        "inline": [{"title": "Shop", "link": "https://acme.example/shop"}]
                    },
                },
                {"link": "https://b.example/", "title": "B", "snippet": "s"},
            ],
            "related_questions": [{"question": "Is Acme safe?", "link": "https://q.example/a"}],
            "knowledge_graph": {"title": "Acme", "website": "https://acme.example/"},
            "inline_videos": [{"title": "no link here"}, {"link": "javascript:x"}],
        },
    )
    assert [r.url for r in page.results] == ["https://acme.example/", "https://b.example/"]
    assert [(f.kind, f.position) for f in page.features] == [
        ("ads", 1),
        ("top_stories", 2),
        ("sitelinks", 4),
        ("people_also_ask", 6),
        ("knowledge_panel", 7),
        ("videos", 8),
    ]
    stories = page.features[1].items[0]
    assert (stories.url, stories.title, stories.source, stories.date) == (
        "https://news.example/acme-fine",
        "Acme fined",
        "News",
        "2 hours ago",
    )
    assert page.features[3].items[0].title == "Is Acme safe?"
    # A video without an outbound link keeps its title, with no URL.
    assert [(i.url, i.title) for i in page.features[5].items] == [(None, "no link here")]


def test_serper_maps_top_stories_questions_and_places():
    page = read(
        Serper,
        {
            "organic": [{"link": "https://acme.example/", "title": "Acme", "snippet": "s"}],
            "topStories": [
                {"link": "https://n.example/1", "title": "T", "source": "N", "date": "1 day ago"}
            ],
            "peopleAlsoAsk": [{"question": "Q?", "link": "https://a.example/q"}],
            "places": [{"title": "Acme office", "address": "Main St"}],
        },
    )
    assert [(f.kind, f.position) for f in page.features] == [
        ("top_stories", 2),
        ("people_also_ask", 3),
        ("local_pack", 4),
    ]
    assert page.features[2].items[0].url is None


def test_brave_api_places_features_by_its_mixed_order():
    page = read(
        BraveApi,
        {
            "type": "search",
            "mixed": {
                "main": [
                    {"type": "web", "index": 0},
                    {"type": "discussions", "all": True},
                    {"type": "web", "index": 1},
                    {"type": "news", "all": True},
                ]
            },
            "web": {
                "results": [
                    {"url": "https://acme.example/", "title": "Acme", "description": "d"},
                    {"url": "https://b.example/", "title": "B", "description": "d"},
                ]
            },
            "discussions": {
                "results": [
                    {
                        "url": "https://forum.example/t/1",
                        "title": "Acme scam?",
                        "age": "3 days ago",
                        "data": {"forum_name": "Reddit"},
                    }
                ]
            },
            "news": {
                "results": [{"url": "https://n.example/x", "title": "N", "age": "1 hour ago"}]
            },
        },
    )
    assert [(f.kind, f.position) for f in page.features] == [("discussions", 2), ("top_stories", 4)]
    item = page.features[0].items[0]
    assert (item.source, item.date) == ("Reddit", "3 days ago")
