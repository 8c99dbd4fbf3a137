"""Which language a page speaks, and how it writes dates and numbers: the browser's
Accept-Language, a person's own setting that wins, a brand's language for its public pages and
for mails about it, and a switch on the public pages remembered in a cookie."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from flask_babel import force_locale

from core.db import db
from core.i18n import PUBLIC_COOKIE, compile_catalogues, local_datetime, number
from core.models import User
from planner.csvio import ImportReport, import_summary
from planner.reviews.importing import import_reviews
from planner.reviews.settings import settings_for
from tests.conftest import login
from tests.core.test_team import admin_client, invite, link_in, mail_app, smtp  # noqa: F401

LATVIAN = {"Accept-Language": "lv-LV,lv;q=0.9,en;q=0.5"}


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


@pytest.fixture
def reviews(brand):
    """Six reviews, so that the counts on the public page take the "many" forms."""
    rows = [
        f"google,g{i},{rating},,Review number {i},Customer {i},2026-11-0{i}T10:00:00+00:00,,,,"
        for i, rating in enumerate((5, 4, 5, 3, 5, 4), start=1)
    ]
    header = (
        "source,external_id,rating,title,text,author,created_at,language,url,reply_text,reply_at"
    )
    data = ("\n".join([header, *rows]) + "\n").encode()
    report = import_reviews(db.session, brand, data, actor="test", now=datetime.now(UTC))
    assert report.ok, report.errors
    db.session.commit()
    return report


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


# --- the language of a page -------------------------------------------------------------------


def test_the_browser_language_is_used_when_the_person_chose_none(app, client):
    page = client.get("/login", headers=LATVIAN).text
    assert html_lang(page) == "lv"
    assert "Pieteikties PageOne" in page and "Aizmirsāt paroli?" in page
    polish = client.get("/login", headers={"Accept-Language": "pl"}).text
    assert html_lang(polish) == "pl" and "Zaloguj się do PageOne" in polish
    # A language PageOne does not speak falls back to English.
    german = client.get("/login", headers={"Accept-Language": "de-DE"}).text
    assert html_lang(german) == "en" and "Log in to PageOne" in german


def test_a_persons_own_language_wins_over_the_browser(app, users, brand):
    client = app.test_client()
    login(client, users["editor"].email)
    saved = client.post("/account/language", data={"lang-language": "lt"}, headers=LATVIAN)
    assert saved.status_code == 302
    assert db.session.get(User, users["editor"].id).locale == "lt"
    page = client.get(f"/brands/{brand.id}/approvals", headers=LATVIAN).text
    assert html_lang(page) == "lt" and "Niekas nelaukia patvirtinimo." in page
    # Choosing "the browser's language" again gives the browser its say back.
    client.post("/account/language", data={"lang-language": ""})
    assert db.session.get(User, users["editor"].id).locale is None
    assert html_lang(client.get("/account", headers=LATVIAN).text) == "lv"


def test_the_language_saved_message_speaks_the_new_language(app, users):
    client = app.test_client()
    login(client, users["viewer"].email)
    answer = client.post("/account/language", data={"lang-language": "pl"}, follow_redirects=True)
    assert "Zapisano język." in answer.text and html_lang(answer.text) == "pl"


def test_an_unknown_language_is_refused_with_a_message(app, users):
    client = app.test_client()
    login(client, users["viewer"].email)
    answer = client.post("/account/language", data={"lang-language": "xx"})
    assert answer.status_code == 400 and "Not a valid choice." in answer.text
    assert db.session.get(User, users["viewer"].id).locale is None


def test_wtforms_own_messages_speak_latvian(app, client):
    answer = client.post("/login", data={"email": "", "password": ""}, headers=LATVIAN)
    assert "Šis lauks ir obligāts." in answer.text


def test_roles_and_flash_messages_are_translated(app, users, brand):
    client = app.test_client()
    users["approver"].locale = "lv"
    db.session.commit()
    login(client, users["approver"].email)
    page = client.get("/account").text
    assert "apstiprinātājs" in page and "Jūsu konts" in page
    # Said while still logged in as a Latvian speaker, shown on the next page.
    shown = client.post("/logout", follow_redirects=True).text
    assert "Jūs esat izgājis." in shown


# --- public pages and mails follow the brand --------------------------------------------------


def publish_reviews_page(brand) -> None:
    settings = settings_for(db.session, brand)
    settings.page_enabled = True
    settings.profile_url = "https://maps.example/acme"
    db.session.add(settings)
    db.session.commit()


def test_a_latvian_brands_public_page_is_latvian_whatever_the_browser_says(app, brand, reviews):
    brand.language = "lv"
    publish_reviews_page(brand)
    visitor = app.test_client()
    page = visitor.get(f"/b/{brand.slug}/reviews", headers={"Accept-Language": "pl,en"})
    assert html_lang(page.text) == "lv"
    assert "Izvēlētas atsauksmes" in page.text
    # The other languages are one click away.
    assert 'href="?lang=pl"' in page.text and 'href="?lang=en"' in page.text
    assert "Cookie" in page.headers.get("Vary", "")


def test_the_language_switch_on_a_public_page_is_remembered_in_a_cookie(app, brand, reviews):
    brand.language = "lv"
    publish_reviews_page(brand)
    visitor = app.test_client()
    switched = visitor.get(f"/b/{brand.slug}/reviews?lang=pl")
    assert html_lang(switched.text) == "pl" and "Wybrane opinie" in switched.text
    assert f"{PUBLIC_COOKIE}=pl" in switched.headers["Set-Cookie"]
    again = visitor.get(f"/b/{brand.slug}/reviews")
    assert html_lang(again.text) == "pl"
    # Only public pages read that cookie: the app's own pages keep the browser's language.
    assert html_lang(visitor.get("/login", headers=LATVIAN).text) == "lv"
    # A made-up language changes nothing.
    assert html_lang(app.test_client().get(f"/b/{brand.slug}/reviews?lang=xx").text) == "lv"


def test_the_public_review_page_counts_with_the_languages_plurals(app, brand, reviews):
    publish_reviews_page(brand)
    page = app.test_client().get(f"/b/{brand.slug}/reviews?lang=pl").text
    # Six reviews: Polish uses its "many" form for 5–21.
    assert "Łącznie 6 opinii" in page
    lithuanian = app.test_client().get(f"/b/{brand.slug}/reviews?lang=lt").text
    assert "Iš viso 6 atsiliepimai" in lithuanian


def test_the_public_crisis_page_speaks_the_brands_language(app, brand, users):
    brand.language = "lt"
    db.session.commit()
    client = app.test_client()
    login(client, users["admin"].email)
    base = f"/brands/{brand.id}/listening/crisis"
    client.post(f"{base}/page", data={"title": "Atšaukimas", "statement": "Duona", "faq": ""})
    client.post(f"{base}/update", data={"text": "Atnaujinta."})
    page = app.test_client().get(f"/b/{brand.slug}/updates", headers=LATVIAN)
    assert page.status_code == 200
    assert html_lang(page.text) == "lt" and "Atnaujinta " in page.text and "Naujienos" in page.text
    assert 'href="?lang=en"' in page.text


def test_an_invitation_mail_speaks_the_language_of_its_brand(
    mail_app,  # noqa: F811
    smtp,  # noqa: F811
    users,
    brand,
):
    _, inbox = smtp
    brand.language = "pl"
    db.session.commit()
    admin = admin_client(mail_app, users)
    assert invite(admin, "ola@example.com", "approver", [brand.id]).status_code == 302
    (mail,) = inbox.messages
    assert subject(mail) == "Zaproszenie do PageOne"
    body = mail.get_payload(decode=True).decode()
    assert "zaprasza Cię do PageOne jako zatwierdzający" in body
    # The invitation page speaks the mail's language; the new account keeps following the
    # browser, since nobody chose a language for the person.
    newcomer = mail_app.test_client()
    path = link_in(mail)
    assert html_lang(newcomer.get(path, headers=LATVIAN).text) == "pl"
    password = "plum orchard lantern"
    newcomer.post(path, data={"name": "Ola", "password": password, "confirm": password})
    assert db.session.query(User).filter_by(email="ola@example.com").one().locale is None


def test_an_invitation_in_a_chosen_language_sets_the_new_accounts_language(
    mail_app,  # noqa: F811
    smtp,  # noqa: F811
    users,
    brand,
):
    _, inbox = smtp
    admin = admin_client(mail_app, users)
    sent = admin.post(
        "/team",
        data={"email": "ilze@example.com", "role": "approver", "brands": [brand.id],
              "language": "lv"},
    )  # fmt: skip
    assert sent.status_code == 302
    (mail,) = inbox.messages
    assert subject(mail) == "Jūs esat uzaicināts uz PageOne"
    path = link_in(mail)
    newcomer = mail_app.test_client()
    page = newcomer.get(path, headers={"Accept-Language": "en"}).text
    assert html_lang(page) == "lv" and "Iestatīt paroli un pieteikties" in page
    password = "plum orchard lantern"
    joined = newcomer.post(path, data={"name": "Ilze", "password": password, "confirm": password})
    assert joined.status_code == 302
    assert db.session.query(User).filter_by(email="ilze@example.com").one().locale == "lv"
    home = newcomer.get("/", headers={"Accept-Language": "en"}, follow_redirects=True).text
    assert "Laipni lūdzam PageOne, Ilze!" in home and html_lang(home) == "lv"


def test_a_reset_mail_speaks_the_persons_language(mail_app, smtp, users):  # noqa: F811
    _, inbox = smtp
    users["viewer"].locale = "lt"
    db.session.commit()
    mail_app.test_client().post("/forgot-password", data={"email": users["viewer"].email})
    (mail,) = inbox.messages
    assert subject(mail) == "Atkurkite savo PageOne slaptažodį"


# --- formats ----------------------------------------------------------------------------------


def test_dates_and_numbers_are_written_the_locales_way(app):
    moment = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    with app.test_request_context():
        written = {}
        for language in ("en", "lv", "lt", "pl"):
            with force_locale(language):
                written[language] = (
                    local_datetime(moment, "Europe/Riga", "yMMMMd"),
                    number(1234.5, 1),
                )
    assert written["en"] == ("December 6, 2026, 16:05", "1,234.5")
    assert written["lv"] == ("2026. gada 6. decembris 16:05", "1\xa0234,5")
    assert written["lt"][0] == "2026 m. gruodžio 6 d. 16:05" and written["lt"][1].endswith(",5")
    assert written["pl"] == ("6 grudnia 2026, 16:05", "1\xa0234,5")


def test_the_approvals_page_writes_its_dates_in_the_persons_language(app, users, brand, now):
    from planner.channels import create_channel
    from planner.operations import create_post

    brand.requires_approval = True
    channel = create_channel(db.session, brand, users["admin"], platform="x", max_per_day=None)
    when = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    create_post(db.session, channel, users["editor"], text="Sveiki", scheduled_at=when, now=now)
    users["approver"].locale = "pl"
    db.session.commit()
    client = app.test_client()
    login(client, users["approver"].email)
    page = client.get(f"/brands/{brand.id}/approvals").text
    months = ("stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
              "października listopada grudnia").split()  # fmt: skip
    local = when.astimezone(brand.zone)
    assert f"{local.day} {months[local.month - 1]}" in page and "Zatwierdź" in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pl", ["1 nowy post", "2 nowe posty", "5 nowych postów", "22 nowe posty"]),
        ("lt", ["1 naujas įrašas", "2 nauji įrašai", "5 nauji įrašai", "22 nauji įrašai"]),
        ("lv", ["1 jauns ieraksts", "2 jauni ieraksti", "5 jauni ieraksti", "22 jauni ieraksti"]),
    ],
)
def test_counts_take_each_languages_plural_form(app, language, expected):
    with app.test_request_context(), force_locale(language):
        written = [import_summary(ImportReport(created=n)) for n in (1, 2, 5, 22)]
    for sentence, phrase in zip(written, expected, strict=True):
        assert phrase in sentence, (sentence, phrase)


def test_lithuanian_and_latvian_use_their_other_forms_for_ten_and_eleven(app):
    with app.test_request_context():
        with force_locale("lt"):
            assert "10 naujų įrašų" in import_summary(ImportReport(created=10))
            assert "21 naujas įrašas" in import_summary(ImportReport(created=21))
        with force_locale("lv"):
            assert "11 jaunu ierakstu" in import_summary(ImportReport(created=11))
            assert "21 jauns ieraksts" in import_summary(ImportReport(created=21))


def test_the_calendar_gets_fullcalendars_locale_for_the_page(app, users, brand):
    users["editor"].locale = "lv"
    db.session.commit()
    client = app.test_client()
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/calendar").text
    assert "/vendor/fullcalendar/locales/lv/global.js" in page and '"locale": "lv"' in page
    assert client.get("/vendor/fullcalendar/locales/lv/global.js").status_code == 200


# --- compiled catalogues ----------------------------------------------------------------------


def test_catalogues_are_compiled_at_start_when_missing_or_older(tmp_path):
    source = tmp_path / "source"
    target = tmp_path / "compiled"
    po = source / "lv" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Language: lv\\n"\n\nmsgid "Save"\nmsgstr "Saglabāt"\n')
    assert compile_catalogues(source, target) == [target / "lv/LC_MESSAGES/messages.mo"]
    assert compile_catalogues(source, target) == []  # up to date: nothing to do
    later = time.time() + 5
    os.utime(po, (later, later))
    assert len(compile_catalogues(source, target)) == 1  # the .po changed: compiled again


def test_the_app_compiles_its_catalogues_into_the_instance_folder(tmp_path):
    from app import create_app

    create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": "sqlite://"})
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    )
    compiled = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    for language in ("lv", "lt", "pl"):
        assert os.path.exists(os.path.join(compiled, language, "LC_MESSAGES", "messages.mo"))


def test_the_compile_command_compiles_what_is_out_of_date(app, runner):
    compiled = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    mo = os.path.join(compiled, "pl", "LC_MESSAGES", "messages.mo")
    os.remove(mo)
    result = runner.invoke(args=["i18n", "compile"])
    assert result.exit_code == 0 and "1 catalogue(s) compiled" in result.output
    assert os.path.exists(mo)
