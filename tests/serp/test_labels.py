"""URL normal form, domains, and labelling: exact > owned > prefix > domain."""

from __future__ import annotations

import pytest

from core.db import db
from core.urls import domain_of, normalize_url
from planner.assets import record_owned_asset
from planner.brands import create_brand
from planner.channels import create_channel
from planner.models import Post, PostStatus
from serp import operations as ops
from serp import rules as rule_ops
from serp.labels import Classifier, Rule, classifier_for_brand, classify, owned_urls_for_brand


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://WWW.Example.COM/Path/", "example.com/Path"),
        ("http://example.com/", "example.com"),
        ("https://example.com/a?utm_source=x&id=3&UTM_Medium=y#section", "example.com/a?id=3"),
        ("https://example.com/a?gclid=1&fbclid=2", "example.com/a"),
        ("https://example.com:443/a", "example.com/a"),
        ("https://example.com:8443/a", "example.com:8443/a"),
        ("example.com/page/", "example.com/page"),
        ("https://blog.example.com/x?b=2&a=1", "blog.example.com/x?b=2&a=1"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_domain_drops_www_and_port():
    assert domain_of("https://www.Example.com:8080/x") == "example.com"
    assert domain_of("blog.example.com/x") == "blog.example.com"


RULES = [
    Rule("domain", "example.com", "neutral"),
    Rule("prefix", "https://example.com/reviews", "negative"),
    Rule("prefix", "https://example.com/reviews/good", "positive"),
    Rule("exact", "https://www.example.com/reviews/good/42/", "negative"),
]


def test_exact_beats_prefix_beats_domain_and_longest_prefix_wins():
    assert classify("https://example.com/reviews/good/42?utm_source=x", RULES) == "negative"
    assert classify("https://example.com/reviews/good/7", RULES) == "positive"
    assert classify("https://example.com/reviews/bad", RULES) == "negative"
    assert classify("https://shop.example.com/", RULES) == "neutral"
    assert classify("https://other.example.org/", RULES) is None


def test_owned_urls_are_recognised_but_an_exact_rule_overrules():
    owned = ["https://acme.example/blog/new-bread/"]
    assert classify("http://www.acme.example/blog/new-bread", [], owned) == "owned"
    exact = [Rule("exact", "acme.example/blog/new-bread", "negative")]
    assert classify("https://acme.example/blog/new-bread", exact, owned) == "negative"
    # Owned beats a broader prefix or domain rule.
    broad = [Rule("domain", "acme.example", "neutral")]
    assert Classifier(broad, owned).label("https://acme.example/blog/new-bread") == "owned"


def test_owned_assets_and_published_posts_of_the_brand_are_owned(app, brand, users):
    channel = create_channel(db.session, brand, users["admin"], platform="wordpress")
    other = create_brand(db.session, name="Other", timezone="UTC", creator=None)
    other_channel = create_channel(db.session, other, None, platform="wordpress")
    for chan, status, url in [
        (channel, PostStatus.PUBLISHED, "https://acme.example/blog/a"),
        (channel, PostStatus.SCHEDULED, "https://acme.example/blog/b"),
        (other_channel, PostStatus.PUBLISHED, "https://other.example/c"),
    ]:
        db.session.add(Post(channel=chan, text="t", status=status.value, public_url=url))
    record_owned_asset(db.session, brand.id, "https://acme.example/reviews/", "reviews_page", None)
    db.session.commit()
    assert owned_urls_for_brand(db.session, brand.id) == {
        "https://acme.example/blog/a",
        "https://acme.example/reviews/",
    }
    assert (
        classify("https://www.acme.example/reviews", [], owned_urls_for_brand(db.session, brand.id))
        == "owned"
    )
    assert (
        classifier_for_brand(db.session, brand.id).label("https://acme.example/blog/a") == "owned"
    )


def test_saving_a_rule_twice_relabels_it(app, brand, users):
    first = rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact",
        pattern="https://www.news.example/story/", label="negative",
    )  # fmt: skip
    second = rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact",
        pattern="http://news.example/story", label="neutral",
    )  # fmt: skip
    db.session.commit()
    assert first.id == second.id
    assert first.pattern == "news.example/story" and first.label == "neutral"


def test_rule_validation_lists_every_problem(app, brand, users):
    with pytest.raises(ops.SerpError) as refused:
        rule_ops.save_rule(
            db.session, brand.id, users["editor"], match_type="regex", pattern="", label="bad"
        )
    assert len(refused.value.errors) == 3
    with pytest.raises(ops.SerpError):
        rule_ops.save_rule(db.session, brand.id, users["viewer"], match_type="domain",
                      pattern="x.example", label="neutral")  # fmt: skip
