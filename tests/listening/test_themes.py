"""The complaint-themes page, its CSV, its JSON API, and the alert when a theme doubles."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from core.db import db, utcnow
from core.themes import week_start
from listening import themes
from listening.models import ThemeAlert
from planner.reviews.models import Review
from tests.conftest import login
from tests.listening.conftest import add_mentions, item, make_source

# Pages and the API read the real clock: the texts fall in this week and the week before.
NOW = utcnow()
THIS_WEEK = datetime.combine(week_start(NOW), time(0, 0, 10), tzinfo=UTC)
LAST_WEEK = THIS_WEEK - timedelta(days=7)


def _complaints(brand, users):
    source = make_source(brand, users["editor"])
    texts = [
        (LAST_WEEK, "The courier lost my parcel, terrible."),
        (LAST_WEEK, "Delivery late again, awful."),
        *[(THIS_WEEK + timedelta(seconds=n), f"Parcel {n} is lost, the courier was terrible.")
          for n in range(5)],
        (THIS_WEEK, "Rude staff at the counter, awful."),
        (THIS_WEEK, "I love the new bread, wonderful!"),  # positive: not a complaint
    ]  # fmt: skip
    add_mentions(
        brand,
        source,
        [item(n, text=text, published_at=at) for n, (at, text) in enumerate(texts)],
        NOW,
    )
    db.session.add(
        Review(
            brand_id=brand.id,
            source="google",
            external_id="r1",
            rating=1,
            title="",
            text="Paczka przyszła uszkodzona, kurier ją rzucił.",
            author="Ola",
            # The newest delivery text, and this week's even in the week's first hour.
            created_at=max(NOW - timedelta(hours=1), THIS_WEEK + timedelta(seconds=5)),
            url="https://maps.example/r/1",
            language="pl",
            sentiment=-0.6,
            content_hash="h1",
        )  # fmt: skip
    )
    db.session.commit()


def test_report_counts_reviews_and_mentions_per_theme_and_week(app, brand, users):
    _complaints(brand, users)
    found = themes.report(db.session, brand.id, NOW, weeks=2)
    rows = {row.theme: row for row in found.rows}
    assert rows["delivery"].counts == [2, 6]  # five mentions and the Polish review this week
    assert rows["delivery"].growing and rows["delivery"].doubled
    assert rows["staff"].counts == [0, 1] and not rows["staff"].doubled
    assert sum(row.total for row in found.rows) == 9  # the praise is left out
    assert any(t.kind == "review" for t in rows["delivery"].examples)


def test_doubling_theme_alerts_admins_once_per_week(app, brand, users, smtp):
    _complaints(brand, users)
    sent = themes.check_themes(app, NOW)
    (alert,) = db.session.scalars(select(ThemeAlert)).all()
    assert sent == [alert.id] and alert.theme == "delivery"
    assert (alert.count, alert.previous, alert.week) == (6, 2, THIS_WEEK.date())
    (mail,) = smtp.to("admin@example.com")
    assert "Delivery and shipping" in mail["Subject"]
    assert themes.check_themes(app, NOW + timedelta(hours=1)) == []
    assert len(db.session.scalars(select(ThemeAlert)).all()) == 1


def test_page_shows_themes_examples_and_growth(app, client, brand, users):
    _complaints(brand, users)
    login(client, "viewer@example.com")
    page = client.get(f"/brands/{brand.id}/listening/themes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delivery and shipping" in html and "doubled" in html
    assert "Paczka przyszła uszkodzona" in html and "https://maps.example/r/1" in html
    bad = client.get(f"/brands/{brand.id}/listening/themes?weeks=abc")
    assert bad.status_code == 422 and "weeks" in bad.get_data(as_text=True)


def test_csv_export_has_one_line_per_theme_and_week(app, client, brand, users):
    _complaints(brand, users)
    login(client, "viewer@example.com")
    answer = client.get(f"/brands/{brand.id}/listening/themes.csv?weeks=2")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0] == "theme,label,week_start,count,growing"
    assert f"delivery,Delivery and shipping,{THIS_WEEK.date().isoformat()},6,true" in lines
    assert len(lines) == 1 + 9 * 2
    assert client.get(f"/brands/{brand.id}/listening/themes.csv?weeks=99").status_code == 422


def test_api_lists_themes_and_alerts_and_refuses_bad_weeks(app, brand, users, api):
    _complaints(brand, users)
    themes.check_themes(app, NOW)
    url = f"/api/v1/brands/{brand.id}/listening/themes"
    answer = api["viewer"].get(url + "?weeks=2")
    assert answer.status_code == 200
    delivery = next(t for t in answer.json["themes"] if t["theme"] == "delivery")
    assert answer.json["weeks"] == [LAST_WEEK.date().isoformat(), THIS_WEEK.date().isoformat()]
    assert delivery["counts"] == [2, 6] and delivery["doubled"]
    assert api["viewer"].get(url + "?weeks=1").status_code == 422
    assert api["viewer"].get(url + "?weeks=x").status_code == 422
    alerts = api["viewer"].get(url + "/alerts").json["alerts"]
    assert [a["theme"] for a in alerts] == ["delivery"]


def test_the_theme_alert_mail_speaks_the_brands_language(app, brand, users, smtp):
    from datetime import date
    from email.header import decode_header, make_header

    brand.language = "pl"
    alert = ThemeAlert(brand_id=brand.id, theme="delivery", week=date(2026, 11, 30), count=8,
                       previous=3)  # fmt: skip
    db.session.add(alert)
    db.session.commit()
    assert themes.notify(app.config, db.session, alert)["mail"] == 1
    (mail,) = smtp.to("admin@example.com")
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject.startswith("Przybywa skarg: Acme Bakery — ")
    body = mail.get_content()
    assert "podwoiła się w tym tygodniu: 8 od 30 listopada 2026, tydzień wcześniej 3." in body


def test_theme_names_speak_the_readers_language_and_the_api_stays_english(app, client, brand,
                                                                          users, api):  # fmt: skip
    _complaints(brand, users)
    login(client, "viewer@example.com")
    page = client.get(f"/brands/{brand.id}/listening/themes", headers={"Accept-Language": "lv"})
    html = page.get_data(as_text=True)
    assert "Piegāde un sūtīšana" in html and "Delivery and shipping" not in html
    url = f"/api/v1/brands/{brand.id}/listening/themes?weeks=2"
    answer = api["viewer"].get(url, headers={"Accept-Language": "lv"})
    labels = {t["theme"]: t["label"] for t in answer.json["themes"]}
    assert labels["delivery"] == "Delivery and shipping"
