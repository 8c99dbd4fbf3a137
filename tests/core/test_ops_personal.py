"""Personal data: one person's reviews, mentions and the replies to them are exported as JSON,
then erased everywhere, while the brand's figures (ratings, sentiment, counts) stay true."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import String, Text, func, inspect, select

from core.db import Base, db
from core.models import AuditEntry
from listening.models import Mention, MentionReply, MentionSource
from planner.models import Channel, Post
from planner.reviews.models import Review, ReviewPromotion
from tests.conftest import make_app, postgres_url

NAME = "Maria Keller"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else postgres_url()
    app = make_app(url)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def review(brand, n: int, author: str, rating: int, text: str) -> Review:
    return Review(
        brand_id=brand.id,
        source="google",
        external_id=f"r{n}",
        rating=rating,
        title=f"title {n}",
        text=text,
        author=author,
        created_at=NOW - timedelta(days=n),
        url=f"https://maps.example/review/{n}",
        sentiment=0.5 if rating > 3 else -0.5,
        content_hash=f"h{n}",
        reply_text=f"Thank you, {author}!" if n == 1 else None,
    )


def mention(brand, source, n: int, author: str, label: str) -> Mention:
    return Mention(
        brand_id=brand.id,
        source_id=source.id,
        external_id=f"m{n}",
        url=f"https://social.example/@x/{n}",
        author=author,
        title="",
        text=f"{author} here: the bread was {label}",
        published_at=NOW - timedelta(hours=n),
        sentiment_label=label,
        due_at=NOW,
    )


@pytest.fixture
def held(app: Flask, brand, users):
    """Two reviews and a mention by Maria (names written in other cases), one of her reviews
    promoted into a draft post; a review and a mention by someone else."""
    source = MentionSource(brand_id=brand.id, kind="rss", name="feed", url="https://f.example")
    channel = Channel(brand=brand, platform="mastodon", name="m")
    db.session.add_all([source, channel])
    db.session.flush()
    reviews = [
        review(brand, 1, NAME, 5, "Best croissants in town."),
        review(brand, 2, " maria keller ", 2, "Cold coffee."),
        review(brand, 3, "Bob", 4, "Nice staff."),
    ]
    mentions = [
        mention(brand, source, 1, "MARIA KELLER", "negative"),
        mention(brand, source, 2, "bob", "positive"),
    ]
    db.session.add_all([*reviews, *mentions])
    db.session.flush()
    post = Post(channel=channel, text=f"“Best croissants in town.” ★★★★★ {NAME}, on Google")
    db.session.add(post)
    db.session.flush()
    db.session.add(ReviewPromotion(review_id=reviews[0].id, post_id=post.id, channel_id=channel.id))
    db.session.add(MentionReply(mention_id=mentions[0].id, text=f"Sorry, {NAME}!", via="manual"))
    db.session.commit()
    return {"reviews": reviews, "mentions": mentions, "post": post}


def figures(brand_id: int) -> tuple:
    """What the brand's pages count: ratings, review sentiment, mentions by sentiment."""
    ratings = db.session.execute(
        select(func.count(Review.id), func.sum(Review.rating), func.sum(Review.sentiment)).where(
            Review.brand_id == brand_id
        )
    ).one()
    labels = db.session.execute(
        select(Mention.sentiment_label, func.count(Mention.id))
        .where(Mention.brand_id == brand_id)
        .group_by(Mention.sentiment_label)
        .order_by(Mention.sentiment_label)
    ).all()
    return tuple(ratings), tuple(tuple(row) for row in labels)


def every_text_in_the_database() -> str:
    """All text columns of all rows, to look for a name anywhere."""
    parts = []
    connection = db.session.connection()
    names = set(inspect(connection).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in names:
            continue
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        columns += [c for c in table.columns if c.type.__class__.__name__ == "JSON"]
        if columns:
            for row in connection.execute(select(*columns)):
                parts.append(json.dumps([str(v) for v in row]))
    return "\n".join(parts)


def test_a_person_is_exported_then_erased_and_the_figures_stay(app, brand, held, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "maria.json"
    result = runner.invoke(args=["ops", "person", "export", "--name", NAME, "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = json.loads(out.read_text())
    assert found["person"]["name"] == NAME
    assert sorted(r["text"] for r in found["data"]["reviews"]) == [
        "Best croissants in town.",
        "Cold coffee.",
    ]
    assert [p["id"] for p in found["data"]["reviews"][0]["promoted_in_posts"]] == [held["post"].id]
    (their_mention,) = found["data"]["mentions"]
    assert their_mention["author"] == "MARIA KELLER"
    assert [r["text"] for r in their_mention["replies"]] == [f"Sorry, {NAME}!"]
    before = figures(brand.id)

    result = runner.invoke(args=["ops", "person", "erase", "--name", NAME, "--yes"])

    assert result.exit_code == 0, result.output
    assert "reviews 2" in result.output and "mentions 1" in result.output
    db.session.expire_all()
    assert figures(brand.id) == before, "ratings, sentiment and counts are unchanged"
    everything = every_text_in_the_database().lower()
    assert "maria" not in everything and "croissants" not in everything
    assert "cold coffee" not in everything and "maps.example/review/1" not in everything
    assert "nice staff" in everything and "bob" in everything, "others are untouched"
    erased = db.session.scalars(select(Review).where(Review.rating.in_([5, 2]))).all()
    stand_in = erased[0].author
    assert stand_in.startswith("erased-") and {r.author for r in erased} == {stand_in}
    assert db.session.get(Mention, held["mentions"][0].id).author == stand_in
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).one()
    assert entry.detail["pseudonym"] == stand_in and entry.detail["reviews"] == 2

    again = runner.invoke(args=["ops", "person", "export", "--name", NAME])
    assert json.loads(again.output)["data"] == {
        "reviews": [],
        "review_request_customers": [],
        "mentions": [],
    }


def test_a_person_is_needed(app):
    result = app.test_cli_runner().invoke(args=["ops", "person", "export"])
    assert result.exit_code == 2 and "name or an e-mail" in result.output
