"""Labelling results: rules (exact URL > URL prefix > domain) and the brand's owned assets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.urls import domain_of, normalize_domain, normalize_url
from planner.assets import OwnedAsset
from planner.drafts import published_post_urls
from serp.models import Label, MatchType


class RuleLike(Protocol):
    match_type: str
    pattern: str
    label: str


@dataclass(frozen=True)
class Rule:
    match_type: str
    pattern: str
    label: str


def normalize_pattern(match_type: str, pattern: str) -> str:
    """A rule's pattern in the form it is stored and compared in."""
    if match_type == MatchType.DOMAIN.value:
        return normalize_domain(pattern)
    return normalize_url(pattern)


def owned_urls_for_brand(session: Session, brand_id: int) -> set[str]:
    """Pages the brand owns, recognised without a rule: the planner's owned assets (review pages,
    blog posts, ...) and the public URLs of its published posts (also those published before
    assets were recorded). The single place to extend with further kinds of owned pages.
    """
    assets = session.scalars(select(OwnedAsset.url).where(OwnedAsset.brand_id == brand_id))
    posts = published_post_urls(session, brand_id)
    return {url for url in [*assets, *posts] if url}


class Classifier:
    """A brand's rules and owned URLs, indexed once for labelling many results."""

    def __init__(self, rules: Iterable[RuleLike], owned_urls: Iterable[str] = ()) -> None:
        self.exact: dict[str, str] = {}
        self.prefixes: list[tuple[str, str]] = []
        self.domains: dict[str, str] = {}
        for rule in rules:
            pattern = normalize_pattern(rule.match_type, rule.pattern)
            if rule.match_type == MatchType.EXACT.value:
                self.exact[pattern] = rule.label
            elif rule.match_type == MatchType.PREFIX.value:
                self.prefixes.append((pattern, rule.label))
            elif rule.match_type == MatchType.DOMAIN.value:
                self.domains[pattern] = rule.label
        # The longest (most specific) prefix wins.
        self.prefixes.sort(key=lambda item: len(item[0]), reverse=True)
        self.owned = {normalize_url(url) for url in owned_urls}

    def label(self, url: str, *, normalized: bool = False) -> str | None:
        key = url if normalized else normalize_url(url)
        if key in self.exact:
            return self.exact[key]
        # A person's exact rule may overrule; otherwise the brand's own pages are owned.
        if key in self.owned:
            return Label.OWNED.value
        for prefix, label in self.prefixes:
            if key.startswith(prefix):
                return label
        host = domain_of(key)
        while host:
            if host in self.domains:
                return self.domains[host]
            # "example.com" also covers "blog.example.com".
            host = host.partition(".")[2] if "." in host else ""
        return None


def classify(url: str, rules: Iterable[RuleLike], owned_urls: Iterable[str] = ()) -> str | None:
    """The label of a result URL, or None when nothing matches (it waits in the queue)."""
    return Classifier(rules, owned_urls).label(url)


def classifier_for_brand(session: Session, brand_id: int) -> Classifier:
    from serp.models import LabelRule

    rules = session.scalars(select(LabelRule).where(LabelRule.brand_id == brand_id))
    return Classifier(list(rules), owned_urls_for_brand(session, brand_id))
