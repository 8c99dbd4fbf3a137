"""Turning a review into a post's text with the brand's per-platform templates.

Templates are Jinja run in a sandbox (``jinja2.sandbox.SandboxedEnvironment``): a brand's
editors write them, so they can read the review's fields and nothing else. Variables:

- ``quote`` — the review's text, shortened with "…" to fit the platform's limit
- ``stars`` — "★" per star; ``rating`` — the number
- ``reviewer`` — first name and initial ("Maria S.")
- ``source`` — the site's name ("Google"); ``url`` — the review's address (may be empty)
- ``title`` — the review's headline (may be empty); ``date`` — "March 2026"; ``brand`` — its name

The link to the review is not written by the template: it goes in the post's link, which the
publisher appends after a space, and it is counted when the quote is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from planner.reviews.models import Review, source_name
from planner.text_limits import (
    BLUESKY_MAX_BYTES,
    PLATFORM_LIMITS,
    count_text,
    fit_text,
    join_link,
    validate_post_text,
)

_SHORT = "“{{ quote }}” {{ stars }} — {{ reviewer }} on {{ source }}"
_LONG = "What our customers say:\n\n“{{ quote }}”\n\n{{ stars }} {{ reviewer }}, on {{ source }}"
DEFAULT_TEMPLATES = {
    "x": _SHORT,
    "bluesky": _SHORT,
    "mastodon": "“{{ quote }}”\n\n{{ stars }} — {{ reviewer }} on {{ source }}",
    "linkedin": _LONG,
    "facebook": _LONG,
    "instagram": _LONG,
    "wordpress": (
        "{{ title or 'A review from ' ~ reviewer }}\n\n“{{ quote }}”\n\n"
        "{{ stars }} — {{ reviewer }}, on {{ source }}, {{ date }}"
    ),
    "webhook": _SHORT,
}
# Private-use characters: no filter changes them, so the quote's place can be found.
_MARK = "\ue000\ue001"

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def reviewer_name(author: str) -> str:
    """First name and the initial of the last: "maria de la cruz" → "Maria C."."""
    words = [w for w in author.replace("\u00a0", " ").split() if any(c.isalnum() for c in w)]
    if not words:
        return _("A customer")
    first = words[0][:1].upper() + words[0][1:]
    if len(words) == 1:
        return first
    return f"{first} {words[-1][:1].upper()}."


def stars(rating: int) -> str:
    return "★" * max(0, min(rating, 5))


def review_context(review: Review, brand_name: str) -> dict[str, Any]:
    return {
        "quote": review.text or review.title,
        "stars": stars(review.rating),
        "rating": review.rating,
        "reviewer": reviewer_name(review.author),
        "source": source_name(review.source),
        "url": review.url or "",
        "title": review.title,
        "date": f"{review.created_at:%B %Y}",
        "brand": brand_name,
    }


@dataclass
class RenderedPost:
    platform: str
    text: str
    link: str | None
    errors: list[str] = field(default_factory=list)

    @property
    def published(self) -> str:
        """Exactly what the platform receives: the text and the appended link."""
        return join_link(self.text, self.link)

    @property
    def length(self) -> int:
        return count_text(self.platform, self.published)

    @property
    def limit(self) -> int | None:
        return PLATFORM_LIMITS[self.platform]


def template_for(platform: str, templates: dict[str, Any] | None) -> str:
    custom = (templates or {}).get(platform)
    return custom if isinstance(custom, str) and custom.strip() else DEFAULT_TEMPLATES[platform]


def render_post(
    platform: str,
    source: str,
    context: dict[str, Any],
    *,
    link: str | None,
    image_url: str | None = None,
) -> RenderedPost:
    """The post for ``platform``: the template rendered, the quote fitted to the limit."""
    quote = str(context.get("quote", ""))
    try:
        rendered = _env.from_string(source).render({**context, "quote": _MARK})
    except TemplateError as exc:
        return RenderedPost(platform, "", link, [f"The {platform} template does not work: {exc}"])
    marks = rendered.count(_MARK)
    if marks > 1:
        return RenderedPost(platform, "", link, ["Use {{ quote }} once in the template."])
    rendered = rendered.strip()
    if marks == 0:
        text = rendered
    else:
        text = _fit(platform, rendered, quote, link)
    errors = validate_post_text(platform, text, link=link, image_url=image_url)
    return RenderedPost(platform, text, link, errors)


def _fit(platform: str, rendered: str, quote: str, link: str | None) -> str:
    prefix, suffix = rendered.split(_MARK)
    quote = " ".join(quote.split()) if platform in ("x", "bluesky") else quote.strip()
    link_part = f" {link}" if link else ""
    limit = PLATFORM_LIMITS[platform]
    for _attempt in range(8):
        try:
            fitted = fit_text(platform, prefix + quote, suffix=suffix + link_part, limit=limit)
        except ValueError:
            return prefix + suffix  # the template alone is too long; validation says so
        text = fitted[: len(fitted) - len(link_part)] if link_part else fitted
        # Bluesky also caps bytes: long emoji sequences can pass 300 graphemes' worth of bytes.
        size = len(join_link(text, link).encode())
        if platform != "bluesky" or size <= BLUESKY_MAX_BYTES or limit is None:
            return text
        limit = max(1, int(limit * BLUESKY_MAX_BYTES / size) - 1)
    return text


def check_template(platform: str, source: str) -> list[str]:
    """Problems of a template, found by rendering it with a sample review."""
    sample = {
        "quote": "The flat white was perfect and Ana remembered my name.",
        "stars": "★★★★★",
        "rating": 5,
        "reviewer": "Maria S.",
        "source": "Google",
        "url": "https://example.com/review/1",
        "title": "Best coffee in town",
        "date": "March 2026",
        "brand": "Sample brand",
    }
    try:
        rendered = _env.from_string(source).render({**sample, "quote": _MARK})
    except TemplateError as exc:
        return [f"{platform}: {exc}"]
    if _MARK not in rendered:
        return [f"{platform}: the template must contain {{{{ quote }}}}."]
    if rendered.count(_MARK) > 1:
        return [f"{platform}: use {{{{ quote }}}} once."]
    return []
