"""The page scripts' words (core/js_words.py): each page that loads a script renders its
dictionary in the page's language, every text a script looks up is in its dictionary, texts
with a count carry each language's plural forms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from core.db import db
from core.js_words import words_of
from core.models import User
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "static" / "js"
LOOKUP = re.compile(r"""\b(?:t|tn)\(\s*"((?:[^"\\]|\\.)*)"|WORDS\["((?:[^"\\]|\\.)*)"\]""")


def dictionary(page: str, script: str) -> dict:
    block = re.search(
        rf'<script type="application/json" id="words-{script}">(.*?)</script>', page, re.S
    )
    assert block, f"the page renders no words for {script}.js"
    return json.loads(block.group(1))


@pytest.fixture
def latvian(app, users, brand):
    user = db.session.get(User, users["admin"].id)
    user.locale = "lv"
    db.session.commit()
    client = app.test_client()
    login(client, user.email)
    return client


def test_each_page_renders_its_scripts_words_in_latvian(latvian, brand):
    compose = latvian.get(f"/brands/{brand.id}/compose").text
    composer = dictionary(compose, "composer")
    assert composer["Reading the link…"] == "Nolasa saiti…"
    assert composer["Links in Instagram captions cannot be clicked."] == (
        "Instagram aprakstos saites nav klikšķināmas."
    )
    # Latvian takes "zero" (0, 10–20 …), "one" (1, 21 …) and "other" forms.
    assert composer["{count} character"] == {
        "one": "{count} rakstzīme",
        "other": "{count} rakstzīmes",
        "zero": "{count} rakstzīmes",
    }
    assert dictionary(compose, "voice_check")["Copied"] == "Nokopēts"

    media = dictionary(latvian.get(f"/brands/{brand.id}/media").text, "media_library")
    assert media["Uploading {count} file…"]["one"] == "Augšupielādē {count} failu…"
    assert media["The upload was interrupted; try again."].startswith("Augšupielāde tika")

    voice = dictionary(latvian.get(f"/brands/{brand.id}/voice").text, "voice_check")
    assert voice["No warnings from the voice guide."] == "Balss vadlīnijas nebrīdina ne par ko."

    inbox = latvian.get(f"/brands/{brand.id}/listening")
    assert inbox.status_code == 200
    selected = dictionary(inbox.text, "bulk_select")["{count} selected"]
    assert selected["one"] == "atlasīts {count}" and selected["other"] == "atlasīti {count}"


def test_the_preview_writes_see_more_as_each_network_does_in_the_users_language(latvian, brand):
    composer = dictionary(latvian.get(f"/brands/{brand.id}/compose").text, "composer")
    assert composer["See more"] == "Skatīt vairāk"  # Facebook speaks Latvian
    # LinkedIn and Instagram have no Latvian interface: Latvians see their English.
    assert composer["see more"] == "see more"
    assert composer["more"] == "more"


def test_plural_forms_follow_each_languages_categories(app):
    with app.test_request_context():
        for language, expected in {
            "lt": {
                "one": "{count} simbolis",
                "few": "{count} simboliai",
                "other": "{count} simbolių",
            },
            "pl": {"one": "{count} znak", "few": "{count} znaki", "many": "{count} znaków"},
            "en": {"one": "{count} character", "other": "{count} characters"},
        }.items():
            with force_locale(language):
                forms = words_of("composer")["{count} character"]
            assert {k: v for k, v in forms.items() if not k.isdigit()} == expected, language


def test_every_text_a_script_looks_up_is_in_its_dictionary(app):
    """A text added to a script without its dictionary entry would stay English everywhere."""
    registry = app.extensions["pageone.script_words"]
    with app.test_request_context(), force_locale("lv"):
        for script in registry:
            source = (SCRIPTS / f"{script}.js").read_text(encoding="utf-8")
            looked_up = {json.loads(f'"{one or two}"') for one, two in LOOKUP.findall(source)}
            assert looked_up, f"{script}.js looks up no words"
            words = words_of(script)
            missing = looked_up - set(words)
            assert not missing, f"{script}.js looks up words its dictionary lacks: {missing}"
            untranslated = [k for k, v in words.items() if v == k and k not in ("see more", "more")]
            assert not untranslated, f"{script}: no Latvian for {untranslated}"


def test_scripts_with_words_of_their_own_are_given_a_dictionary(app):
    # Every script that writes English into the page takes its words from a dictionary.
    registry = app.extensions["pageone.script_words"]
    shows_words = re.compile(r"textContent\s*=\s*[^;]*\"[A-Za-z][a-z]+ ")
    for path in SCRIPTS.glob("*.js"):
        if path.stem == "calendar":  # reads its words from calendar-config (calendar.html)
            continue
        source = path.read_text(encoding="utf-8")
        if shows_words.search(source) or "words-" in source:
            assert path.stem in registry, f"{path.name} shows words but has no dictionary"


def test_the_english_page_gets_the_english_words(app, users, brand):
    client = app.test_client()
    login(client, users["admin"].email)
    composer = dictionary(client.get(f"/brands/{brand.id}/compose").text, "composer")
    assert composer["See more"] == "See more"
    assert composer["{count} character"] == {
        "one": "{count} character",
        "other": "{count} characters",
    }
