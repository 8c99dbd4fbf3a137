"""The brand's voice guide and the checks made as people type: words to avoid, the do-not list,
a missing disclosure, shouting in capitals, a link to a domain the brand has not approved.

``check_text`` is pure: the server runs it when a reply or post is saved or submitted, and the
editors' pages ask for the same result as people type (one source of truth, no rules in JS).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import User
from core.tenants import Brand
from planner.operations import PlannerError
from planner.reviews.donot import BUILT_IN_RULES, RULE_NOTE, brand_phrases
from planner.reviews.reply_models import VoiceGuide

MAX_TEXT = 20_000
MAX_FIELD = 10_000
DEFAULT_DISCLOSURE_TAGS = ("#ad", "#sponsored", "#partner")
# Words that say a post is paid for or gifted: such a post needs one of the disclosure tags.
PAID_WORDS = re.compile(
    r"(?<![#\w])(?:sponsored|paid partnership|paid post|in partnership with|gifted|"
    r"affiliate link|affiliate|promo code|commission)(?!\w)",
    re.IGNORECASE,
)
URL_OR_DOMAIN = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,24}(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
# Bare words that look like domains but are file names or abbreviations.
NOT_DOMAINS = {"e.g", "i.e", "etc.", "a.m", "p.m"}
CAPS_WORD = re.compile(r"(?<!\w)[^\W\d_a-z]{4,}(?!\w)")
# Codes whose warnings stop a reply from being submitted; the others are shown to the approver.
BLOCKING = frozenset({"do_not", "incentive"})


@dataclass(frozen=True)
class Warning:
    code: str
    reason: str
    span: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span)
        return data


@dataclass
class GuideRules:
    """What ``check_text`` needs of a brand's guide, detached from the database."""

    brand_name: str = ""
    words_to_use: list[str] = field(default_factory=list)
    words_to_avoid: list[str] = field(default_factory=list)
    do_not: list[str] = field(default_factory=list)
    approved_domains: list[str] = field(default_factory=list)
    disclosure_tags: list[str] = field(default_factory=lambda: list(DEFAULT_DISCLOSURE_TAGS))


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _phrase_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where a phrase occurs as whole words, case-insensitive (spans index the original text)."""
    words = [re.escape(w) for w in phrase.split()]
    if not words:
        return []
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(unicodedata.normalize("NFKC", text))]


def _host(found: str) -> str:
    rest = re.sub(r"^https?://", "", found, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].casefold().rstrip(".")
    return host.removeprefix("www.")


def _approved(host: str, domains: list[str]) -> bool:
    for domain in domains:
        domain = _host(domain)
        if host == domain or host.endswith("." + domain):
            return True
    return False


def check_text(guide: GuideRules, text: str) -> list[Warning]:
    """Every warning the guide gives about the text, in order of where it occurs."""
    text = text or ""
    found: list[Warning] = []
    for phrase in guide.words_to_avoid:
        for span in _phrase_spans(text, phrase):
            found.append(
                Warning(
                    "avoided_word",
                    _("“%(phrase)s” is on the brand's words to avoid.", phrase=phrase),
                    span,
                )
            )
    for phrase in guide.do_not:
        for span in _phrase_spans(text, phrase):
            found.append(
                Warning(
                    "do_not",
                    _(
                        "“%(phrase)s” is on %(brand)s's do-not list.",
                        phrase=phrase,
                        brand=guide.brand_name,
                    ),
                    span,
                )
            )
    for pattern, what in BUILT_IN_RULES:
        for match in pattern.finditer(text):
            reason = _("This %(what)s; %(rule)s.", what=what, rule=RULE_NOTE)
            found.append(Warning("incentive", reason, match.span()))
    paid = PAID_WORDS.search(text)
    if paid and guide.disclosure_tags:
        folded = _fold(text)
        if not any(
            re.search(r"(?<![\w#])" + re.escape(_fold(tag)) + r"(?!\w)", folded)
            for tag in guide.disclosure_tags
        ):
            tags = ", ".join(guide.disclosure_tags)
            found.append(
                Warning(
                    "missing_disclosure",
                    _(
                        "“%(word)s” says this is paid for or gifted, but no disclosure "
                        "(%(tags)s) is in the text.",
                        word=paid.group(0),
                        tags=tags,
                    ),
                    paid.span(),
                )
            )
    allowed_caps = {_fold(w) for phrase in guide.words_to_use for w in phrase.split()}
    for match in CAPS_WORD.finditer(text):
        if _fold(match.group(0)) in allowed_caps:
            continue
        found.append(
            Warning(
                "all_caps",
                _(
                    "“%(word)s” is in capitals, which reads as shouting (add it to the words "
                    "to use if it is a name).",
                    word=match.group(0),
                ),
                match.span(),
            )
        )
    if guide.approved_domains:
        for match in URL_OR_DOMAIN.finditer(text):
            host = _host(match.group(0))
            if not host or host in NOT_DOMAINS or "." not in host:
                continue
            if not _approved(host, guide.approved_domains):
                found.append(
                    Warning(
                        "unapproved_domain",
                        _(
                            "The link goes to %(host)s, which is not one of the brand's approved "
                            "domains (%(domains)s).",
                            host=host,
                            domains=", ".join(guide.approved_domains),
                        ),
                        match.span(),
                    )
                )
    return sorted(found, key=lambda w: (w.span, w.code))


# --- the stored guide -----------------------------------------------------------------------

GUIDE_FIELDS = (
    "audience",
    "tone",
    "words_to_use",
    "words_to_avoid",
    "approvals",
    "image_rules",
    "approved_domains",
    "disclosure_tags",
)


def guide_for(session: Session, brand: Brand) -> VoiceGuide:
    """The brand's guide; an unsaved empty one when it has none yet (a GET never writes)."""
    found = session.scalar(select(VoiceGuide).where(VoiceGuide.brand_id == brand.id))
    if found is not None:
        return found
    return VoiceGuide(
        brand_id=brand.id,
        **{name: "" for name in GUIDE_FIELDS if name != "disclosure_tags"},
        disclosure_tags="\n".join(DEFAULT_DISCLOSURE_TAGS),
    )


def rules_for(session: Session, brand: Brand) -> GuideRules:
    guide = guide_for(session, brand)
    return GuideRules(
        brand_name=brand.name,
        words_to_use=lines(guide.words_to_use),
        words_to_avoid=lines(guide.words_to_avoid),
        do_not=brand_phrases(session, brand),
        approved_domains=lines(guide.approved_domains),
        disclosure_tags=lines(guide.disclosure_tags),
    )


def check_for_brand(session: Session, brand: Brand, text: str) -> list[Warning]:
    if len(text or "") > MAX_TEXT:
        raise PlannerError(_("The text is longer than %(num)d characters.", num=MAX_TEXT))
    return check_text(rules_for(session, brand), text)


def update_guide(
    session: Session, brand: Brand, actor: User | None, values: dict[str, Any]
) -> VoiceGuide:
    """Save the guide, or refuse with every reason and change nothing."""
    errors: list[str] = []
    cleaned: dict[str, str] = {}
    for name in GUIDE_FIELDS:
        value = values.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(f"“{name}” must be text.")
            continue
        value = value.replace("\r\n", "\n").strip()
        if len(value) > MAX_FIELD:
            errors.append(f"“{name}” is longer than {MAX_FIELD} characters.")
        cleaned[name] = value
    for domain in lines(cleaned.get("approved_domains")):
        host = _host(domain)
        if not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,24}", host):
            errors.append(f"“{domain}” is not a domain name (for example example.com).")
    for tag in lines(cleaned.get("disclosure_tags")):
        if len(tag) > 40:
            errors.append(
                _("The disclosure “%(tag)s…” is longer than 40 characters.", tag=tag[:40])
            )
    if errors:
        raise PlannerError(*errors)
    guide = guide_for(session, brand)
    if guide.id is None:
        session.add(guide)
    for name, value in cleaned.items():
        setattr(guide, name, "\n".join(lines(value)) if name in LIST_FIELDS else value)
    audit.record(session, actor, "voice.updated", "brand", brand.id, brand_id=brand.id)
    session.flush()
    return guide


LIST_FIELDS = frozenset({"words_to_use", "words_to_avoid", "approved_domains", "disclosure_tags"})


def guide_dict(session: Session, brand: Brand) -> dict[str, Any]:
    guide = guide_for(session, brand)
    data: dict[str, Any] = {
        name: lines(getattr(guide, name)) if name in LIST_FIELDS else getattr(guide, name)
        for name in GUIDE_FIELDS
    }
    data["do_not"] = brand_phrases(session, brand)
    return data
