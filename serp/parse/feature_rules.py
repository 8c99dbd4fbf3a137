"""What marks a page feature: the headings that name it, in several languages, and the tags,
ids, classes and attributes that have marked it for years, per engine."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Headings that name a feature, lower case, in English, Latvian, Lithuanian, Polish, German,
# French. A heading names a feature when it is one of these or starts with one and a space
# ("News about coffee", "Images for coffee").
HEADING_LABELS: dict[str, tuple[str, ...]] = {
    "top_stories": (
        "top stories",
        "news",
        "news about",
        "latest news",
        "populārākās ziņas",
        "galvenās ziņas",
        "ziņas",
        "populiariausios naujienos",
        "svarbiausios naujienos",
        "pagrindinės naujienos",
        "naujienos",
        "najważniejsze artykuły",
        "najważniejsze wiadomości",
        "wiadomości",
        "schlagzeilen",
        "top-meldungen",
        "nachrichten",
        "à la une",
        "actualités",
    ),
    "videos": (
        "videos",
        "video",
        "videoklipi",
        "vaizdo įrašai",
        "filmy",
        "wideo",
        "vidéos",
    ),
    "images": (
        "images",
        "attēli",
        "vaizdai",
        "grafika",
        "obrazy",
        "bilder",
    ),
    "discussions": (
        "discussions and forums",
        "diskusijas un forumi",
        "diskusijos ir forumai",
        "dyskusje i fora",
        "diskussionen und foren",
        "discussions et forums",
    ),
    "people_also_ask": (
        "people also ask",
        "related questions",
        "citi jautā arī",
        "cilvēki jautā arī",
        "lietotāji jautā arī",
        "žmonės taip pat klausia",
        "žmonės taip pat klausė",
        "susiję klausimai",
        "podobne pytania",
        "inne pytania",
        "ludzie pytają też",
        "ähnliche fragen",
        "nutzer fragen auch",
        "autres questions posées",
        "les internautes ont également demandé",
    ),
    "local_pack": (
        "places",
        "businesses",
        "local results",
        "vietas",
        "uzņēmumi",
        "vietos",
        "įmonės",
        "miejsca",
        "firmy",
        "orte",
        "unternehmen",
        "lieux",
        "entreprises",
    ),
}
_LABEL_KIND = {label: kind for kind, labels in HEADING_LABELS.items() for label in labels}
_FIRST_WORDS = {label.split()[0] for label in _LABEL_KIND}
# Headings are short: a longer text is a result title or a sentence.
MAX_HEADING_CHARS = 60


@dataclass(frozen=True, slots=True)
class Marker:
    """Tags, ids, classes or attributes that have marked a feature for years.

    `widen`: the marker sits on one item of the feature (a question, a video), and the
    feature is the block around it. A class ending in "*" is a prefix.
    """

    kind: str
    tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str | None], ...] = ()
    widen: bool = False

    def selectors(self) -> list[str]:
        found = [*self.tags, *(f"#{name}" for name in self.ids)]
        for name in self.classes:
            found.append(f'[class^="{name[:-1]}"]' if name.endswith("*") else f".{name}")
        for name, value in self.attributes:
            found.append(f'[{name}="{value}"]' if value is not None else f"[{name}]")
        return found


_HEADING_SELECTOR = 'h2, h3, [role="heading"]'


@dataclass(frozen=True, slots=True)
class FeatureRules:
    engine: str
    markers: tuple[Marker, ...]

    @property
    def selector(self) -> str:
        """Markers and headings in one selector: the tree is walked once."""
        parts = [part for marker in self.markers for part in marker.selectors()]
        return ", ".join([*parts, _HEADING_SELECTOR])


# Each selector costs a walk over the page's elements: one marker a feature, the one that has
# lasted longest; the rest is left to headings and to the marker of the feature's container.
GOOGLE = FeatureRules(
    engine="google",
    markers=(
        Marker("ads", ids=("tads", "tadsb", "bottomads")),
        Marker("ads", classes=("commercial-unit-desktop-top", "cu-container")),
        Marker("images", ids=("imagebox_bigimages", "iur")),
        Marker("videos", tags=("video-voyager",), attributes=(("data-vid", None),), widen=True),
        Marker("people_also_ask", classes=("related-question-pair",), widen=True),
        Marker("knowledge_panel", classes=("kp-wholepage", "kno-kp")),
        Marker("local_pack", ids=("lu_map",), classes=("rllt__details",), widen=True),
    ),
)
BING = FeatureRules(
    engine="bing",
    markers=(
        Marker("ads", ids=("sb_adsW", "sb_adsN"), classes=("b_ad", "sb_adsW", "sb_adsWv2")),
        Marker("top_stories", ids=("ans_nws",), classes=("b_nwsAns", "na_cnt"), widen=True),
        Marker("videos", ids=("ans_vid",), classes=("b_vidAns", "mc_vtvc"), widen=True),
        Marker("images", ids=("ans_img",), classes=("b_imgAns",), widen=True),
        Marker(
            "people_also_ask",
            ids=("relatedQnAListDisplay",),
            classes=("df_qntext", "df_alsoAsk"),
            widen=True,
        ),
        Marker("knowledge_panel", classes=("b_entityTP",), widen=True),
        Marker("local_pack", ids=("lMapContainer",), classes=("b_localAns",), widen=True),
    ),
)
BRAVE = FeatureRules(
    engine="brave",
    markers=(
        Marker("top_stories", ids=("news",), attributes=(("data-type", "news"),)),
        Marker("videos", ids=("videos",), attributes=(("data-type", "videos"),)),
        Marker("images", ids=("images",), attributes=(("data-type", "images"),)),
        Marker("discussions", ids=("discussions",), attributes=(("data-type", "discussions"),)),
        Marker("people_also_ask", ids=("faq",), attributes=(("data-type", "faq"),)),
        Marker("knowledge_panel", ids=("infobox",), classes=("infobox*",)),
        Marker("ads", attributes=(("data-type", "ad"),)),
    ),
)
DUCKDUCKGO = FeatureRules(engine="duckduckgo", markers=())
RULES = {rules.engine: rules for rules in (GOOGLE, BING, BRAVE, DUCKDUCKGO)}

# Blocks a feature is never widened into: the results column and the page's main panes.


@lru_cache(maxsize=8)
def selector_of(rules: FeatureRules) -> str:
    return rules.selector


@dataclass(frozen=True, slots=True)
class MarkerIndex:
    """The markers of an engine by tag, id, class and attribute, for one look-up per node."""

    tags: dict[str, Marker]
    ids: dict[str, Marker]
    classes: dict[str, Marker]
    prefixes: tuple[tuple[str, Marker], ...]
    attributes: tuple[tuple[str, str | None, Marker], ...]

    def marker_of(self, tag: str, attributes: dict[str, str | None]) -> Marker | None:
        if tag in self.tags:
            return self.tags[tag]
        node_id = attributes.get("id")
        if node_id and node_id in self.ids:
            return self.ids[node_id]
        names = attributes.get("class")
        if names:
            for name in names.split():
                if name in self.classes:
                    return self.classes[name]
                for prefix, marker in self.prefixes:
                    if name.startswith(prefix):
                        return marker
        for name, value, marker in self.attributes:
            if name in attributes and (value is None or attributes.get(name) == value):
                return marker
        return None


@lru_cache(maxsize=8)
def index_of(rules: FeatureRules) -> MarkerIndex:
    tags: dict[str, Marker] = {}
    ids: dict[str, Marker] = {}
    names: dict[str, Marker] = {}
    prefixes: list[tuple[str, Marker]] = []
    attributes: list[tuple[str, str | None, Marker]] = []
    for marker in rules.markers:
        tags.update(dict.fromkeys(marker.tags, marker))
        ids.update(dict.fromkeys(marker.ids, marker))
        for name in marker.classes:
            if name.endswith("*"):
                prefixes.append((name[:-1], marker))
            else:
                names[name] = marker
        attributes.extend((name, value, marker) for name, value in marker.attributes)
    return MarkerIndex(tags, ids, names, tuple(prefixes), tuple(attributes))


def heading_kind(text: str) -> str | None:
    """The feature a heading names, if any."""
    if len(text) > MAX_HEADING_CHARS * 2:
        return None
    words = text.lower().split()
    # Most texts asked about are not headings: their first word starts no label.
    if not words or words[0].rstrip(":›»…") not in _FIRST_WORDS:
        return None
    label = " ".join(words).rstrip(" :›»…").replace("\u200e", "").replace("\u200b", "")
    if not label or len(label) > MAX_HEADING_CHARS:
        return None
    kind = _LABEL_KIND.get(label)
    if kind is not None:
        return kind
    words = label.split(" ")
    # "News about coffee", "Images for coffee", "Videos of coffee": the label, then the query.
    for size in (3, 2, 1):
        if len(words) > size:
            kind = _LABEL_KIND.get(" ".join(words[:size]))
            if kind is not None and words[size] in _QUERY_JOINERS:
                return kind
    return None


_QUERY_JOINERS = {"about", "for", "of", "on", "zu", "für", "pour", "de", "dla", "par", "apie"}
