"""The planner in Latvian, Lithuanian and Polish: mails about a brand speak the brand's language
even when the worker sends them outside any request, and the planner's pages and refusals speak
the person's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale

from core.db import db
from planner import notifications
from planner import operations as ops
from planner.channels import create_channel
from planner.media.rules import media_errors
from planner.models import PostStatus
from tests.conftest import login
from tests.core.test_languages import subject
from tests.core.test_team import mail_app, smtp  # noqa: F401


def body(mail) -> str:
    return mail.get_payload(decode=True).decode()


def failed_post(brand, users):
    channel = create_channel(db.session, brand, users["admin"], platform="mastodon")
    post = ops.create_post(
        db.session, channel, users["editor"], text="Svaigi cepta maize", draft=True,
        now=datetime.now(UTC),
    )  # fmt: skip
    post.post.status = PostStatus.FAILED
    post.post.last_error = "Validation failed: Text is a duplicate"
    db.session.commit()
    return post.post


def test_a_failed_post_is_mailed_in_the_latvian_brands_language(mail_app, smtp, brand, users):  # noqa: F811
    _, inbox = smtp
    brand.language = "lv"
    post = failed_post(brand, users)

    notifications.notify(db.session, mail_app.config, post, "post.failed")

    (mail,) = inbox.messages
    assert subject(mail) == "Acme Bakery: ieraksts kanālā Mastodon neizdevās"
    text = body(mail)
    assert "Platforma ierakstu nepublicēja." in text
    assert "Zīmols: Acme Bakery" in text and "Statuss: neizdevās" in text
    assert "Text is a duplicate" in text  # the platform's own words are kept as they came


def test_a_mail_in_one_language_does_not_leak_into_the_next(mail_app, smtp, brand, users):  # noqa: F811
    _, inbox = smtp
    brand.language = "pl"
    post = failed_post(brand, users)
    notifications.notify(db.session, mail_app.config, post, "post.failed")
    brand.language = "en"
    db.session.commit()
    notifications.notify(db.session, mail_app.config, post, "post.failed")

    polish, english = inbox.messages
    assert subject(polish) == "Acme Bakery: nie udało się opublikować posta w Mastodon"
    assert subject(english) == "Acme Bakery: a post to Mastodon failed"
    assert "Status: failed" in body(english)


def test_a_connection_ending_soon_is_mailed_in_polish_with_a_polish_date(
    mail_app,  # noqa: F811
    smtp,  # noqa: F811
    brand,
    users,
):
    _, inbox = smtp
    brand.language = "pl"
    channel = create_channel(db.session, brand, users["admin"], platform="linkedin")
    db.session.commit()
    until = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)

    notifications.notify_channel(
        db.session, mail_app.config, channel, "channel.expiring", until=until
    )

    (mail,) = inbox.messages
    assert (
        subject(mail)
        == "Acme Bakery: LinkedIn trzeba połączyć ponownie do 20 grudnia 2026, 09:00 UTC"
    )
    assert "nie da się go odnowić bez udziału człowieka" in body(mail)


def test_the_post_page_speaks_latvian_to_a_latvian_editor(app, brand, users):
    post = failed_post(brand, users)
    users["editor"].locale = "lv"
    db.session.commit()
    client = app.test_client()
    login(client, users["editor"].email)

    page = client.get(f"/posts/{post.id}").text

    assert "Publicēšanas mēģinājumi" in page and "Vēsture" in page
    assert "Atpakaļ uz kalendāru" in page and "Mēģinājumu vēl nav." in page
    assert "Publish attempts" not in page


def test_the_channel_page_names_the_weekdays_in_lithuanian(app, brand, users):
    channel = create_channel(db.session, brand, users["admin"], platform="x")
    users["admin"].locale = "lt"
    db.session.commit()
    client = app.test_client()
    login(client, users["admin"].email)

    page = client.get(f"/channels/{channel.id}").text

    assert "Įsitraukimo langai" in page and "Pridėti langą" in page
    assert "pirmadienis" in page and "Monday" not in page
    assert "Kitas laisvas laikas:" in page


def test_a_platforms_media_refusal_is_a_whole_polish_sentence(app):
    with app.test_request_context(), force_locale("pl"):
        assert media_errors("instagram", []) == ["Posty na Instagram wymagają obrazu lub wideo."]


def test_a_stale_edit_says_what_the_post_is_now_in_latvian(app, brand, users):
    post = failed_post(brand, users)
    post.scheduled_at = datetime.now(UTC) + timedelta(days=2)
    db.session.commit()
    with app.test_request_context(), force_locale("lv"):
        message = str(ops.StaleVersion(post, post.version - 1))
    assert message.startswith("Kāds mainīja šo ierakstu pēc tam, kad to atvērāt")
    assert "“neizdevās”" in message


def test_a_time_too_close_to_another_post_is_refused_in_polish(app, brand, users):
    channel = create_channel(db.session, brand, users["admin"], platform="x", min_gap_minutes=90)
    now = datetime.now(UTC)
    first = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    ops.create_post(
        db.session, channel, users["admin"], text="Pierwszy", scheduled_at=first, now=now
    )
    db.session.commit()

    with app.test_request_context(), force_locale("pl"):
        check = ops.check_time(db.session, channel, first + timedelta(minutes=30))
    (error,) = check.errors
    assert error.startswith("Inny post jest zaplanowany na ")
    assert "to tylko 30 minut;" in error and "w tym kanale to 1 godzina 30 minut." in error
