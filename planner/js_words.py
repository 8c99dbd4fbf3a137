"""The words of the planner's page scripts (see core/js_words.py): the composer, the media
library's uploads and the voice-guide check of the post and reply editors."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core.i18n import current_language
from core.js_words import Plural

# What each network writes after a post text it folds, in the languages its interface speaks;
# where it does not speak the user's language, people see its English, and so does the preview.
# These are the networks' own words (a fact about them, like where they fold), not ours.
FEED_MORE: dict[str, dict[str, str]] = {
    "facebook": {
        "en": "See more",
        "lv": "Skatīt vairāk",
        "lt": "Žiūrėti daugiau",
        "pl": "Zobacz więcej",
    },  # fmt: skip
    "linkedin": {"en": "see more", "pl": "zobacz więcej"},  # no Latvian or Lithuanian LinkedIn
    "instagram": {"en": "more", "pl": "więcej"},  # no Latvian or Lithuanian Instagram
}


def feed_more(network: str, language: str) -> str:
    """The network's "… more" in ``language``, or its English."""
    words = FEED_MORE[network]
    return words.get(language, words["en"])


def composer_words() -> dict[str, Any]:
    language = current_language()
    return {
        **{FEED_MORE[network]["en"]: feed_more(network, language) for network in FEED_MORE},
        "Links in Instagram captions cannot be clicked.": _l(
            "Links in Instagram captions cannot be clicked."
        ),
        "The link is clickable in the text; Bluesky shows no card for it.": _l(
            "The link is clickable in the text; Bluesky shows no card for it."
        ),
        "Sent as JSON to the webhook address.": _l("Sent as JSON to the webhook address."),
        "no alt text": _l("no alt text"),
        "Describe this image before scheduling": _l("Describe this image before scheduling"),
        "{count} character": Plural(
            lambda n: ngettext("{count} character", "{count} characters", n)
        ),
        "{count} character too many": Plural(
            lambda n: ngettext("{count} character too many", "{count} characters too many", n)
        ),
        "Post {number} of the thread": _l("Post {number} of the thread"),
        "First comment": _l("First comment"),
        "(untitled)": _l("(untitled)"),
        "Reading the link…": _l("Reading the link…"),
        "No card: {problem}.": _l("No card: {problem}."),
        "the page could not be reached": _l("the page could not be reached"),
    }


def media_library_words() -> dict[str, Any]:
    return {
        "Uploading {count} file…": Plural(
            lambda n: ngettext("Uploading {count} file…", "Uploading {count} files…", n)
        ),
        "Uploaded. Add alt text to each image.": _l("Uploaded. Add alt text to each image."),
        "The file is larger than the library accepts.": _l(
            "The file is larger than the library accepts."
        ),
        "The upload failed ({status}).": _l("The upload failed ({status})."),
        "The upload was interrupted; try again.": _l("The upload was interrupted; try again."),
    }


def voice_check_words() -> dict[str, Any]:
    return {
        "No warnings from the voice guide.": _l("No warnings from the voice guide."),
        "Copied": _l("Copied"),
    }
