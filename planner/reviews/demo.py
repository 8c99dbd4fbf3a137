"""Demo reviews: a few dozen, mixed ratings, some negative, one waiting for a reply in German."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.tenants import Brand

_GOOD = [
    "The flat white was perfect and Ana remembered my name after two visits.",
    "Best sourdough in the city. The 48-hour loaf is worth the queue on Saturday.",
    "Ordered a cake for 30 guests; it arrived on time and everyone asked where it came from.",
    "Friendly staff, quiet corner tables and fast wifi. My new place to work on Fridays.",
    "Tried the Ethiopian single origin at the tasting evening. Marco explained every cup.",
    "Great coffee, great people.",
    "Lovely cinnamon buns and the oat milk latte is the best I've had.",
    "They fixed my order within two minutes when I got the wrong pastry. Very kind.",
    "The spring menu is excellent, especially the rhubarb tart.",
    "Cosy, clean, and the baristas know what they're doing.",
]
_MIXED = [
    "Good coffee but the music was too loud to talk.",
    "Nice pastries, slow service at lunchtime.",
]
_BAD = [
    "Waited 25 minutes for a cold sandwich and nobody apologised.",
    "The cake we ordered for a birthday was the wrong flavour. Disappointed.",
    "Overpriced and the table was sticky.",
]
_NAMES = [
    "Maria Schmidt",
    "Tom Becker",
    "Aisha Khan",
    "Lukas Weber",
    "Sofia Rossi",
    "James O'Neill",
    "Chen Wei",
    "Emma Johansson",
    "Noah Martin",
    "Fatima Haddad",
    "Olivia Brown",
    "Jonas Vogel",
]
COLUMNS = [
    "source",
    "external_id",
    "rating",
    "title",
    "text",
    "author",
    "created_at",
    "language",
    "url",
    "reply_text",
    "reply_at",
]


def demo_reviews(now: datetime, count: int = 36, seed: int = 11) -> bytes:
    """A CSV review file for the demo brand (import it with import_reviews)."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for number in range(count):
        roll = rng.random()
        if roll < 0.68:
            rating, text = rng.choice((4, 5, 5)), rng.choice(_GOOD)
        elif roll < 0.8:
            rating, text = 3, rng.choice(_MIXED)
        else:
            rating, text = rng.choice((1, 2)), rng.choice(_BAD)
        source = "google" if number % 3 else "trustpilot"
        created = now - timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 23))
        replied = rating <= 2 and number % 2 == 0
        writer.writerow(
            [
                source,
                f"demo-{number:03d}",
                rating,
                "",
                text,
                rng.choice(_NAMES),
                created.isoformat(),
                "en",
                f"https://reviews.example.com/{source}/demo-{number:03d}",
                "Thank you for telling us; we have talked to the team." if replied else "",
                (created + timedelta(days=1)).isoformat() if replied else "",
            ]
        )
    # One review in German, with no reply yet: its language is detected on import.
    writer.writerow(
        [
            "google",
            "demo-de-1",
            2,
            "",
            "Der Kuchen war trocken und wir haben eine halbe Stunde gewartet.",
            "Jürgen Krause",
            (now - timedelta(days=3)).isoformat(),
            "",
            "https://reviews.example.com/google/demo-de-1",
            "",
            "",
        ]
    )
    return buffer.getvalue().encode()


def load_demo_reviews(session: Session, brand: Brand, *, now: datetime) -> None:
    """Import the demo reviews and switch the brand's public page on."""
    from planner.reviews.importing import import_reviews
    from planner.reviews.settings import settings_for

    import_reviews(session, brand, demo_reviews(now), fmt="csv", actor="demo", now=now)
    settings = settings_for(session, brand)
    if settings.id is None:
        session.add(settings)
    settings.profile_url = "https://www.google.com/maps/search/?api=1&query=" + brand.name.replace(
        " ", "+"
    )
    settings.page_enabled = True
    session.flush()
