import json
import shutil
import subprocess
from itertools import accumulate
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.text_limits import (
    ELLIPSIS,
    PLATFORM_LIMITS,
    count_text,
    fit_text,
    validate_post_text,
)

TEXT_COUNT_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "text_count.js"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
FRENCH_FLAG = "\U0001f1eb\U0001f1f7"  # 🇫🇷
KEYCAP_ONE = "1\ufe0f\u20e3"  # 1️⃣
E_ACUTE_COMBINING = "e\u0301"  # é as two code points
LONG_URL = "https://example.com/" + "a" * 80

LIMITED = [p for p, limit in PLATFORM_LIMITS.items() if limit is not None]


def graphemes(text: str) -> list[str]:
    return regex.findall(r"\X", text)


def test_limits_are_the_platforms_published_ones():
    assert PLATFORM_LIMITS == {
        "x": 280,
        "bluesky": 300,
        "mastodon": 500,
        "linkedin": 3000,
        "instagram": 2200,
        "facebook": 63206,
        "wordpress": None,
        "webhook": None,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world!", {"x": 13, "bluesky": 13, "mastodon": 13, "linkedin": 13}),
        (LONG_URL, {"x": 23, "bluesky": 100, "mastodon": 23, "linkedin": 100}),
        ("read www.example.org.", {"x": 29, "bluesky": 21, "mastodon": 21, "linkedin": 21}),
        ("see example.com", {"x": 27, "bluesky": 15, "mastodon": 15, "linkedin": 15}),
        ("notes.txt", {"x": 9, "bluesky": 9, "mastodon": 9, "linkedin": 9}),
        ("日本語のテキスト", {"x": 16, "bluesky": 8, "mastodon": 8, "linkedin": 8}),
        (FAMILY, {"x": 2, "bluesky": 1, "mastodon": 1, "linkedin": 7}),
        (THUMBS_UP_MEDIUM, {"x": 2, "bluesky": 1, "mastodon": 1, "linkedin": 2}),
        (FRENCH_FLAG, {"x": 2, "bluesky": 1, "mastodon": 1, "linkedin": 2}),
        (KEYCAP_ONE, {"x": 2, "bluesky": 1, "mastodon": 1, "linkedin": 3}),
        (E_ACUTE_COMBINING, {"x": 1, "bluesky": 1, "mastodon": 1, "linkedin": 2}),
        ("\u00a9 2025", {"x": 6, "bluesky": 6, "mastodon": 6, "linkedin": 6}),
        ("@alice@mastodon.social hi", {"x": 25, "bluesky": 25, "mastodon": 9, "linkedin": 25}),
        ("mail me@example.com", {"x": 19, "bluesky": 19, "mastodon": 19, "linkedin": 19}),
    ],
)
def test_counts_text_as_each_platform_does(text, expected):
    for platform, length in expected.items():
        assert count_text(platform, text) == length, platform


def test_x_counts_the_nfc_form_of_decomposed_text():
    # "é" typed as e + combining acute is one character once normalised.
    assert count_text("x", E_ACUTE_COMBINING * 10) == 10


def test_mastodon_url_length_follows_the_instance_setting():
    assert count_text("mastodon", LONG_URL, mastodon_url_length=30) == 30


def test_unknown_platform_is_a_programming_error():
    with pytest.raises(ValueError):
        count_text("myspace", "hi")


def _text_of_length(platform: str, length: int) -> str:
    """Text that ``platform`` counts as exactly ``length``, mixing emoji, CJK and a link."""
    head = f"{FAMILY} 日本 {LONG_URL} "
    text = head + "a" * (length - count_text(platform, head))
    assert count_text(platform, text) == length
    return text


@pytest.mark.parametrize("platform", LIMITED)
def test_post_at_the_limit_is_accepted_and_one_over_is_refused(platform):
    limit = PLATFORM_LIMITS[platform]
    at_limit = _text_of_length(platform, limit)
    image = "https://cdn.example.com/a.jpg" if platform == "instagram" else None

    assert validate_post_text(platform, at_limit, image_url=image) == []
    errors = validate_post_text(platform, at_limit + "a", image_url=image)
    assert len(errors) == 1
    assert f"{limit + 1}, 1 too many" in errors[0]


def test_x_counts_the_appended_link_after_a_space():
    text = "a" * 256  # + " " + 23 for the link = 280
    assert validate_post_text("x", text, link=LONG_URL) == []
    assert validate_post_text("x", text + "a", link=LONG_URL) != []


def test_limit_override_replaces_the_platform_limit():
    text = "a" * 1000
    assert validate_post_text("x", text) != []
    assert validate_post_text("x", text, limit_override=25_000) == []
    assert validate_post_text("wordpress", text, limit_override=999) != []


def test_wordpress_and_webhook_have_no_length_limit():
    assert validate_post_text("wordpress", "a" * 200_000) == []
    assert validate_post_text("webhook", "a" * 200_000) == []


def test_instagram_refuses_a_post_without_an_image():
    assert validate_post_text("instagram", "A caption") == ["Instagram posts need an image."]
    assert validate_post_text("instagram", "A caption", image_url="  ") != []


def test_instagram_caption_may_be_empty_when_there_is_an_image():
    assert validate_post_text("instagram", "", image_url="https://cdn.example.com/a.jpg") == []


@pytest.mark.parametrize("platform", [p for p in PLATFORM_LIMITS if p != "instagram"])
def test_empty_text_is_refused(platform):
    assert validate_post_text(platform, "  \n") == [f"The {_name(platform)} post has no text."]


def test_link_alone_is_not_an_empty_post():
    assert validate_post_text("x", "", link="https://example.com/") == []


def test_instagram_refuses_more_than_thirty_hashtags():
    image = "https://cdn.example.com/a.jpg"
    thirty = " ".join(f"#tag{i}" for i in range(30))
    assert validate_post_text("instagram", thirty, image_url=image) == []
    assert validate_post_text("instagram", thirty + " #one_more", image_url=image) == [
        "Instagram allows 30 hashtags; this post has 31."
    ]


def test_bluesky_refuses_text_over_3000_bytes_even_within_300_graphemes():
    text = FAMILY * 130  # 130 graphemes, 25 bytes each
    errors = validate_post_text("bluesky", text)
    assert len(errors) == 1 and "3000 bytes" in errors[0]


def _name(platform: str) -> str:
    return {"x": "X", "linkedin": "LinkedIn", "wordpress": "WordPress"}.get(
        platform, platform.capitalize()
    )


# --- fit_text ---------------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["word", "PageOne", "日本語", "한국어", FAMILY, THUMBS_UP_MEDIUM, FRENCH_FLAG, KEYCAP_ONE]
    + [E_ACUTE_COMBINING + "t" + E_ACUTE_COMBINING, "end.", "so,", "https://example.com/x"]
)
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", ""])


@st.composite
def long_texts(draw, platform: str) -> str:
    """Mixed emoji/CJK/Latin text, repeated until it is over the platform's limit. Each repeat
    ends with a space: repeats run together could make one long URL, which X counts as 23."""
    pieces = draw(st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=40))
    unit = "".join(word + sep for word, sep in pieces) + " "
    repeat = PLATFORM_LIMITS[platform] // max(1, count_text(platform, unit)) + 2
    return unit * repeat


def _assert_is_whole_grapheme_prefix(text: str, result: str, suffix: str) -> str:
    assert result.endswith(ELLIPSIS + suffix)
    kept = result[: len(result) - len(ELLIPSIS + suffix)]
    assert text.startswith(kept)
    assert len(kept) in set(accumulate((len(g) for g in graphemes(text)), initial=0))
    return kept


@pytest.mark.parametrize("platform", LIMITED)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fitted_text_is_within_the_limit_and_cut_between_graphemes(platform, data):
    text = data.draw(long_texts(platform))
    assert count_text(platform, text) > PLATFORM_LIMITS[platform]  # what is tested: a cut
    suffix = data.draw(st.sampled_from(["", " https://example.com/launch", f" {FAMILY}"]))

    result = fit_text(platform, text, suffix=suffix)

    assert count_text(platform, result) <= PLATFORM_LIMITS[platform]
    _assert_is_whole_grapheme_prefix(text, result, suffix)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(min_size=1, max_size=120),
    limit=st.integers(min_value=5, max_value=60),
    platform=st.sampled_from(LIMITED),
)
def test_fitting_arbitrary_text_never_exceeds_the_limit(text, limit, platform):
    result = fit_text(platform, text, limit=limit)
    assert count_text(platform, result) <= limit
    if result != text:
        _assert_is_whole_grapheme_prefix(text, result, "")


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(st.text("abcdefghij", min_size=1, max_size=12), min_size=12, max_size=40),
    platform=st.sampled_from(LIMITED),
)
def test_fit_text_cuts_on_a_word_boundary(words, platform):
    text = " ".join(words)
    limit = count_text(platform, text) // 2 + 6

    kept = _assert_is_whole_grapheme_prefix(text, fit_text(platform, text, limit=limit), "")

    assert text[len(kept)] == " "


def test_fit_text_prefers_the_end_of_a_sentence():
    text = "We shipped the new calendar today. It syncs with every platform you use."
    assert fit_text("x", text, limit=60) == "We shipped the new calendar today.…"


def test_fit_text_keeps_the_suffix_whole_and_never_cuts_a_link():
    text = "Launch notes: " + " ".join(["more"] * 80)
    suffix = " " + LONG_URL
    result = fit_text("x", text, suffix=suffix)
    assert result.endswith(ELLIPSIS + suffix)
    assert count_text("x", result) <= 280

    cut_link = fit_text("bluesky", "Read " + LONG_URL + " now", limit=40)
    assert cut_link == "Read…"


def test_fit_text_leaves_text_that_fits_alone():
    assert fit_text("x", "short", suffix=" https://example.com") == "short https://example.com"
    assert fit_text("wordpress", "a" * 100_000) == "a" * 100_000


def test_fit_text_refuses_a_suffix_that_cannot_fit():
    with pytest.raises(ValueError):
        fit_text("x", "text", suffix=" " + "b" * 300)


# --- parity with the post form's counter -----------------------------------------------------

TRICKY_STRINGS = [
    "",
    "Hello, world!",
    "a" * 281,
    LONG_URL,
    f"Read this: {LONG_URL}. Then reply!",
    "HTTPS://EXAMPLE.COM/Path?q=1#frag), and (https://example.org/x)",
    "http://localhost:8000/ and ftp://example.com",
    "www.example.org www.example.zz example.com example.zz notes.txt sub.domain.co.uk/path",
    "mail me@example.com or visit #example.com $example.com",
    "https://bücher.example/straße?ä=ö",
    "日本語のテキスト、中文文本。한국어 텍스트",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    FAMILY,
    FAMILY + THUMBS_UP_MEDIUM + FRENCH_FLAG + KEYCAP_ONE,
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England flag
    "\U0001f1eb\U0001f1f7\U0001f1e9",  # a flag and a lone regional indicator
    "\u2764\ufe0f \u2764 \u263a\ufe0e \u00a9 \u00a9\ufe0f \u00ae \u2122 \u203c\ufe0f",
    "\U0001f9d1\U0001f3fd\u200d\U0001f4bb\U0001f469\u200d\u2764\ufe0f\u200d\U0001f48b\u200d\U0001f468",
    "#\ufe0f\u20e3*\u20e30\u20e3",
    E_ACUTE_COMBINING * 5,
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349algo",
    "क्षत्रिय नमस्ते",
    "\u0e01\u0e33 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\r\n\r\n\t\u00a0\u2003\u200b\u200d\u2060",
    "curly \u2018quotes\u2019 \u201cand\u201d dashes \u2013 \u2014 \u2026 \u2032",
    "@alice@mastodon.social @bob @carol@example.com/x and email dave@example.org",
    "\U0001f600" * 150,
    "\U00010348\U0001d11e ancient and musical",
    "\u1100\u1161\u11a8 decomposed hangul",
]


def _node_counts(strings: list[str]) -> list[dict[str, int]]:
    script = (
        f"const T = require({json.dumps(str(TEXT_COUNT_JS))});"
        "let input = '';"
        "process.stdin.on('data', (c) => (input += c));"
        "process.stdin.on('end', () => {"
        "  const platforms = JSON.parse(input).platforms;"
        "  const out = JSON.parse(input).strings.map((s) =>"
        "    Object.fromEntries(platforms.map((p) => [p, T.count(p, s)])));"
        "  process.stdout.write(JSON.stringify(out));"
        "});"
    )
    completed = subprocess.run(
        ["node", "-e", script],
        input=json.dumps({"strings": strings, "platforms": list(PLATFORM_LIMITS)}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(completed.stdout)


def test_post_form_counter_matches_the_server_count():
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH; cannot run static/js/text_count.js")

    js_counts = _node_counts(TRICKY_STRINGS)

    for text, js in zip(TRICKY_STRINGS, js_counts, strict=True):
        python = {platform: count_text(platform, text) for platform in PLATFORM_LIMITS}
        assert js == python, repr(text)


PARITY_PIECES = st.sampled_from(
    [FAMILY, THUMBS_UP_MEDIUM, FRENCH_FLAG, KEYCAP_ONE, E_ACUTE_COMBINING, "日本", " ", "\n"]
    + ["https://example.com/a_b.", "www.ex.io", "@a@b.social", "#tag", "\u00a9", "\ufe0f", "."]
)


# Code points this Python's Unicode data does not assign are left out: a browser and the server
# each segment newly assigned ones with their own Unicode version (U+1D280, a Unicode 17 mark,
# joins the character before it for the regex module and stands alone for Node 20's ICU). The
# server's count is the one that validates a post.
ASSIGNED_TEXT = st.text(st.characters(exclude_categories=("Cn", "Cs")), max_size=40)


@settings(max_examples=10, deadline=None)
@given(
    strings=st.lists(
        st.one_of(ASSIGNED_TEXT, st.lists(PARITY_PIECES, max_size=12).map("".join)),
        min_size=50,
        max_size=50,
    )
)
def test_post_form_counter_matches_the_server_count_on_generated_text(strings):
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH; cannot run static/js/text_count.js")

    for text, js in zip(strings, _node_counts(strings), strict=True):
        assert js == {platform: count_text(platform, text) for platform in PLATFORM_LIMITS}, text
