"""Post text limits, counted the way each platform counts them.

The post form shows the same counts live through ``static/js/text_count.js``; the two files
implement the same rules with the same regular expressions, and a parity test runs both on the
same strings. Change one, change the other.

How each platform counts, and why:

- X: twitter-text v3 weighted length. Text is NFC-normalised; every URL counts 23; every emoji
  sequence counts 2; other code points weigh 1 in the Latin/punctuation ranges and 2 elsewhere
  (so CJK counts 2).
- Bluesky: 300 grapheme clusters, and the record's text may not exceed 3,000 UTF-8 bytes
  (``app.bsky.feed.post`` has ``maxGraphemes: 300`` and ``maxLength: 3000``).
- Mastodon: the server (``StatusLengthValidator``) replaces each http(s) URL with 23 characters
  and each ``@user@domain`` mention with ``@user``, then counts grapheme clusters
  (``each_grapheme_cluster.size``), not code points, so an emoji family counts 1.
- LinkedIn, Instagram, Facebook: code points. None of them documents grapheme or UTF-16
  counting for post text; code points never undercount a grapheme count and are what the
  platforms' "characters" most plausibly means.
- WordPress and webhooks: no practical limit; counted in code points for display.

URL and emoji detection are approximations of twitter-text's extractors: http(s) URLs with a
dotted host, and (for X only) bare domains whose last label is in a list of common TLDs. Trailing
punctuation is not part of a URL.
"""

import unicodedata
from bisect import bisect_left, bisect_right
from itertools import accumulate

import regex
from flask_babel import gettext as _

PLATFORM_LIMITS: dict[str, int | None] = {
    "x": 280,
    "bluesky": 300,
    "mastodon": 500,
    "linkedin": 3000,
    "instagram": 2200,
    "facebook": 63206,
    "wordpress": None,
    "webhook": None,
}

PLATFORM_NAMES = {
    "x": "X",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "linkedin": "LinkedIn",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "wordpress": "WordPress",
    "webhook": "Webhook",
}

ELLIPSIS = "…"
X_URL_LENGTH = 23
BLUESKY_MAX_BYTES = 3000
INSTAGRAM_MAX_HASHTAGS = 30
INSTAGRAM_MAX_MENTIONS = 20

# Bare domains (no scheme) only count as links on X when they start with www. or the top-level
# domain is one of these.
_COMMON_TLD_LIST = """
    com org net edu gov mil int info biz io co ai app dev me tv ly gl gg to fm sh xyz online site
    tech store blog news shop page link live cloud social uk us ca au de fr es it nl be ch at se no
    dk fi pl pt ie cz ru ua jp cn kr in br mx ar nz za tw hk sg id my ph vn tr il eu
"""
COMMON_TLDS = frozenset(_COMMON_TLD_LIST.split())

_WORD_CHAR = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?"
_HOST = _LABEL + r"(?:\." + _LABEL + ")+"
_PORT = r"(?::[0-9]{1,5})?"
# A path may hold anything but whitespace, and does not end in punctuation that usually closes
# the sentence around the link.
_PATH = r"(?:[/?#](?:[^\p{White_Space}]*[^\p{White_Space}.,:;!?'\"()\[\]{}<>…*])?)?"
_SCHEME_URL = r"(?<![" + _WORD_CHAR + r"])[Hh][Tt][Tt][Pp][Ss]?://" + _HOST + _PORT + _PATH
# Bare domains: the TLD is checked against COMMON_TLDS after matching (group "tld").
_BARE_URL = (
    r"(?<!["
    + _WORD_CHAR
    + r"@＠$#＃.\-/])"
    + r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,})"
    + r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
    + _PORT
    + _PATH
)
_EMOJI = (
    r"\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|[#*0-9]\uFE0F?\u20E3"
    r"|[\u00A9\u00AE]\uFE0F"
    # Bare © and ® are text symbols that X weighs as ordinary Latin-1 characters.
    r"|(?![\u00A9\u00AE])\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"
    r"(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*"
)
_MENTION_WITH_DOMAIN = (
    r"(?<![/" + _WORD_CHAR + r"])@(?P<user>[A-Za-z0-9_]+(?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)"
    r"@[" + _WORD_CHAR + r".\-]+[" + _WORD_CHAR + r"]+"
)
_X_ENTITIES = regex.compile(
    "(?P<url>" + _SCHEME_URL + ")|(?P<bare>" + _BARE_URL + ")|(?P<emoji>" + _EMOJI + ")"
)
_MASTODON_ENTITIES = regex.compile(
    "(?P<url>" + _SCHEME_URL + ")|(?P<mention>" + _MENTION_WITH_DOMAIN + ")"
)
_ANY_URL = regex.compile("(?P<url>" + _SCHEME_URL + ")|(?P<bare>" + _BARE_URL + ")")
# Known difference from Intl.Segmenter (ICU): the regex module joins a virama that follows a
# non-Indic letter to the next consonant ("x\u094d\u0937" is 1 here, 2 in the browser).
_GRAPHEME = regex.compile(r"\X")
_HASHTAG = regex.compile(r"(?<![" + _WORD_CHAR + r"&#＃])[#＃][" + _WORD_CHAR + r"]+")
_AT_TAG = regex.compile(r"(?<![" + _WORD_CHAR + r"@＠])[@＠][A-Za-z0-9_.]+")

_SENTENCE_END = frozenset(".!?。！？…")
_TRAILING_JUNK = frozenset(",;:-–—、，")


def _is_x_light(code_point: int) -> bool:
    return (
        code_point <= 4351
        or 8192 <= code_point <= 8205
        or 8208 <= code_point <= 8223
        or 8242 <= code_point <= 8247
    )


def _is_common_tld_link(match: regex.Match) -> bool:
    bare = match.group("bare")
    return bare is None or bare[:4].lower() == "www." or match.group("tld").lower() in COMMON_TLDS


def _graphemes(text: str) -> list[str]:
    return _GRAPHEME.findall(text)


def _count_x(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    weight = 0
    position = 0
    for match in _X_ENTITIES.finditer(text):
        if not _is_common_tld_link(match):
            continue
        weight += sum(100 if _is_x_light(ord(c)) else 200 for c in text[position : match.start()])
        weight += X_URL_LENGTH * 100 if match.group("emoji") is None else 200
        position = match.end()
    weight += sum(100 if _is_x_light(ord(c)) else 200 for c in text[position:])
    return weight // 100


def _count_mastodon(text: str, url_length: int) -> int:
    def placeholder(match: regex.Match) -> str:
        if match.group("url") is not None:
            return "x" * url_length
        return "@" + match.group("user")

    return len(_graphemes(_MASTODON_ENTITIES.sub(placeholder, text)))


def _check_platform(platform: str) -> None:
    if platform not in PLATFORM_LIMITS:
        raise ValueError(f"unknown platform {platform!r}")


def count_text(platform: str, text: str, *, mastodon_url_length: int = 23) -> int:
    """Length of ``text`` as ``platform`` counts it against its limit."""
    _check_platform(platform)
    if platform == "x":
        return _count_x(text)
    if platform == "bluesky":
        return len(_graphemes(text))
    if platform == "mastodon":
        return _count_mastodon(text, mastodon_url_length)
    return len(text)


def join_link(text: str, link: str | None) -> str:
    """The text as published when the publisher appends ``link`` after a space."""
    if not link:
        return text
    return f"{text} {link}" if text.strip() else link


def validate_post_text(
    platform: str,
    text: str,
    *,
    link: str | None = None,
    image_url: str | None = None,
    limit_override: int | None = None,
    has_media: bool = False,
) -> list[str]:
    """Reasons ``platform`` would refuse this post, in words for the user; [] when it is fine.

    ``link`` is the link the publisher appends to the text (after a space); pass it only for
    platforms where it is appended. ``limit_override`` replaces the platform's limit (an X
    Premium account, a Mastodon instance with a higher limit).
    """
    _check_platform(platform)
    name = PLATFORM_NAMES[platform]
    published = join_link(text, link)
    limit = PLATFORM_LIMITS[platform] if limit_override is None else limit_override
    errors: list[str] = []

    # ``has_media``: the post carries items from the media library.
    has_image = bool((image_url or "").strip()) or has_media
    if platform == "instagram" and not has_image:
        errors.append(_("Instagram posts need an image."))
    # Instagram's caption is optional when there is an image; everywhere else a post with no
    # text is almost certainly a mistake in the plan, so it is refused rather than published.
    if not published.strip() and not (platform == "instagram" and has_image):
        errors.append(_("The %(platform)s post has no text.", platform=name))

    if limit is not None:
        length = count_text(platform, published)
        if length > limit:
            words = {"platform": name, "limit": limit, "length": length, "over": length - limit}
            if platform == "x":
                errors.append(
                    _(
                        "%(platform)s allows %(limit)d characters (links count 23, emoji and CJK"
                        " characters count 2); this post has %(length)d, %(over)d too many.",
                        **words,
                    )
                )
            elif platform == "mastodon":
                errors.append(
                    _(
                        "%(platform)s allows %(limit)d characters (links count 23); this post has"
                        " %(length)d, %(over)d too many.",
                        **words,
                    )
                )
            else:
                errors.append(
                    _(
                        "%(platform)s allows %(limit)d characters; this post has %(length)d,"
                        " %(over)d too many.",
                        **words,
                    )
                )

    if platform == "bluesky":
        size = len(published.encode("utf-8"))
        if size > BLUESKY_MAX_BYTES:
            errors.append(
                _(
                    "Bluesky allows %(limit)d bytes of text; this post has %(size)d (long emoji"
                    " sequences and accents take several bytes each).",
                    limit=BLUESKY_MAX_BYTES,
                    size=size,
                )
            )
    if platform == "instagram":
        hashtags = len(_HASHTAG.findall(published))
        if hashtags > INSTAGRAM_MAX_HASHTAGS:
            errors.append(
                _(
                    "Instagram allows %(limit)d hashtags; this post has %(count)d.",
                    limit=INSTAGRAM_MAX_HASHTAGS,
                    count=hashtags,
                )
            )
        mentions = len(_AT_TAG.findall(published))
        if mentions > INSTAGRAM_MAX_MENTIONS:
            errors.append(
                _(
                    "Instagram allows %(limit)d @mentions; this post has %(count)d.",
                    limit=INSTAGRAM_MAX_MENTIONS,
                    count=mentions,
                )
            )
    return errors


def _close(graphemes: list[str]) -> str:
    """Join the kept graphemes, drop trailing spaces and dangling commas, and add the ellipsis."""
    end = len(graphemes)
    while end and (graphemes[end - 1].isspace() or graphemes[end - 1] in _TRAILING_JUNK):
        end -= 1
    return "".join(graphemes[:end]) + ELLIPSIS


def _url_spans(graphemes: list[str]) -> list[tuple[int, int]]:
    """URL spans as grapheme indices [start, end), so a cut never leaves half a link."""
    starts = list(accumulate((len(g) for g in graphemes), initial=0))[:-1]
    spans = []
    for match in _ANY_URL.finditer("".join(graphemes)):
        if _is_common_tld_link(match):
            start = bisect_right(starts, match.start()) - 1
            spans.append((start, bisect_left(starts, match.end())))
    return spans


def fit_text(platform: str, text: str, *, suffix: str = "", limit: int | None = None) -> str:
    """``text + suffix``, shortened with "…" to fit the limit; the suffix is kept whole.

    The cut falls on a sentence end or, failing that, a word boundary when one keeps at least
    half of what fits; otherwise between two graphemes. A link is never cut in half.
    """
    _check_platform(platform)
    limit = PLATFORM_LIMITS[platform] if limit is None else limit
    if limit is None or count_text(platform, text + suffix) <= limit:
        return text + suffix
    if count_text(platform, ELLIPSIS + suffix) > limit:
        raise ValueError(f"{suffix!r} alone does not fit in {limit} characters on {platform}")

    graphemes = _graphemes(text)

    def fits(n: int) -> bool:
        return count_text(platform, _close(graphemes[:n]) + suffix) <= limit

    # Counts grow with the prefix (apart from a URL being cut, handled below), so bisect for
    # the longest prefix that fits; the full text is known not to fit.
    low, high = 0, len(graphemes)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    longest = low

    def ends_sentence(k: int) -> bool:
        closed_by = graphemes[k - 1]
        return closed_by in _SENTENCE_END and (closed_by in "。！？" or graphemes[k].isspace())

    def ends_word(k: int) -> bool:
        return graphemes[k].isspace()

    candidates = [
        next((k for k in range(longest, longest // 2, -1) if is_boundary(k)), None)
        for is_boundary in (ends_sentence, ends_word)
    ]
    url_spans = _url_spans(graphemes)
    for cut in [k for k in candidates if k] + [longest]:
        cut = next((start for start, end in url_spans if start < cut < end), cut)
        if fits(cut):
            return _close(graphemes[:cut]) + suffix
    return ELLIPSIS + suffix
