"""The request e-mails: built-in texts in each language, placeholders, and the template checks.

The texts are written for each language, not translated word for word. Every text asks every
customer the same way, whatever their experience, and offers nothing for a review: the do-not list
(``planner.reviews.donot``) is applied to a brand's own texts before they are saved.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.tenants import Brand
from planner.reviews.donot import check_do_not_list

PARTS = ("subject", "body", "reminder_subject", "reminder_body")
PART_LABELS = {
    "subject": _l("Subject"),
    "body": _l("Text"),
    "reminder_subject": _l("Reminder subject"),
    "reminder_body": _l("Reminder text"),
}
PLACEHOLDERS = {
    "greeting": _l("“Hi Anna,” in the brand's language, or a greeting without a name"),
    "name": _l("the customer's name (may be empty)"),
    "brand": _l("the brand's name"),
    "order_ref": _l("the order number (may be empty)"),
    "review_links": _l("the brand's review links, one a line (required in the text)"),
}

GREETINGS = {
    "en": ("Hi {name},", "Hello,"),
    "lv": ("Labdien, {name}!", "Labdien!"),
    "lt": ("Sveiki, {name},", "Sveiki,"),
    "pl": ("Dzień dobry {name},", "Dzień dobry,"),
}
UNSUBSCRIBE_LINES = {
    "en": "Don't want e-mails like this one? Unsubscribe with one click: {url}",
    "lv": "Nevēlaties saņemt šādas vēstules? Atsakieties ar vienu klikšķi: {url}",
    "lt": "Nebenorite gauti tokių laiškų? Atsisakykite vienu paspaudimu: {url}",
    "pl": "Nie chcesz dostawać takich wiadomości? Wypisz się jednym kliknięciem: {url}",
}

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "How was your order from {brand}?",
        "body": (
            "{greeting}\n\n"
            "Thank you for choosing {brand}. We hope everything turned out just as you "
            "expected.\n\n"
            "Could you spare a minute to tell others about your experience? Whatever you thought "
            "of it, an honest review helps other customers decide and helps us do better:\n\n"
            "{review_links}\n\n"
            "Thank you,\nThe {brand} team"
        ),
        "reminder_subject": "A quick reminder about your review of {brand}",
        "reminder_body": (
            "{greeting}\n\n"
            "A few days ago we asked how your recent order went. If you have a moment, we would "
            "really value your honest opinion, good or bad:\n\n"
            "{review_links}\n\n"
            "This is our only reminder: we won't write about it again.\n\n"
            "Best wishes,\nThe {brand} team"
        ),
    },
    "lv": {
        "subject": "Kā Jums patika pirkums? – {brand}",
        "body": (
            "{greeting}\n\n"
            "Paldies, ka izvēlējāties {brand}! Ceram, ka viss bija tieši tā, kā gaidījāt.\n\n"
            "Vai varat veltīt minūti un padalīties ar savu pieredzi? Lai kāds būtu Jūsu "
            "iespaids, godīga atsauksme palīdz citiem pircējiem izvēlēties, bet mums – kļūt "
            "labākiem:\n\n"
            "{review_links}\n\n"
            "Paldies!\n{brand} komanda"
        ),
        "reminder_subject": "Atgādinājums: Jūsu atsauksme par {brand}",
        "reminder_body": (
            "{greeting}\n\n"
            "Pirms dažām dienām jautājām, kā Jums veicās ar neseno pasūtījumu. Ja atrodat brīdi, "
            "mēs ļoti novērtētu Jūsu godīgo viedokli – gan labu, gan sliktu:\n\n"
            "{review_links}\n\n"
            "Šis ir vienīgais atgādinājums – vairāk par to nerakstīsim.\n\n"
            "Ar cieņu\n{brand} komanda"
        ),
    },
    "lt": {
        "subject": "Kaip jums patiko užsakymas? – {brand}",
        "body": (
            "{greeting}\n\n"
            "Dėkojame, kad pasirinkote {brand}. Tikimės, kad viskas buvo taip, kaip tikėjotės.\n\n"
            "Gal galėtumėte skirti minutę ir papasakoti apie savo patirtį? Nesvarbu, ar įspūdis "
            "geras, ar nelabai – sąžiningas atsiliepimas padeda kitiems pirkėjams apsispręsti, "
            "o mums – tobulėti:\n\n"
            "{review_links}\n\n"
            "Ačiū!\n{brand} komanda"
        ),
        "reminder_subject": "Primename: jūsų atsiliepimas apie {brand}",
        "reminder_body": (
            "{greeting}\n\n"
            "Prieš kelias dienas klausėme, kaip sekėsi su jūsų neseniu užsakymu. Jei rasite "
            "laisvą minutę, labai vertintume jūsų nuoširdžią nuomonę – ir gerą, ir blogą:\n\n"
            "{review_links}\n\n"
            "Tai vienintelis mūsų priminimas – daugiau apie tai nerašysime.\n\n"
            "Geriausi linkėjimai\n{brand} komanda"
        ),
    },
    "pl": {
        "subject": "Jak oceniasz swoje zamówienie? – {brand}",
        "body": (
            "{greeting}\n\n"
            "dziękujemy za zakupy w {brand}. Mamy nadzieję, że wszystko spełniło Twoje "
            "oczekiwania.\n\n"
            "Czy możesz poświęcić minutę i opowiedzieć innym o swoich wrażeniach? Bez względu "
            "na to, jakie są, szczera opinia pomaga innym klientom w wyborze, a nam – działać "
            "lepiej:\n\n"
            "{review_links}\n\n"
            "Dziękujemy!\nZespół {brand}"
        ),
        "reminder_subject": "Przypomnienie: Twoja opinia o {brand}",
        "reminder_body": (
            "{greeting}\n\n"
            "kilka dni temu zapytaliśmy, jak sprawdziło się Twoje ostatnie zamówienie. Jeśli "
            "znajdziesz chwilę, będziemy wdzięczni za szczerą opinię – zarówno dobrą, jak "
            "i krytyczną:\n\n"
            "{review_links}\n\n"
            "To nasze jedyne przypomnienie – więcej nie będziemy o tym pisać.\n\n"
            "Pozdrawiamy\nZespół {brand}"
        ),
    },
}


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str


def _fields(source: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(source) if name is not None]


def check_texts(session: Session, brand: Brand, language: str, texts: dict[str, str]) -> list[str]:
    """Every reason the texts of one language may not be saved; [] when they may."""
    errors: list[str] = []
    label = language.upper()
    for part, source in texts.items():
        where = f"{PART_LABELS[part]} ({label})"
        try:
            names = _fields(source)
        except ValueError:
            errors.append(
                _(
                    "%(where)s: a “{” or “}” has no partner; write placeholders as {name}.",
                    where=where,
                )
            )
            continue
        unknown = sorted({n for n in names if n not in PLACEHOLDERS})
        if unknown:
            errors.append(
                _(
                    "%(where)s: unknown placeholder %(names)s; use %(known)s.",
                    where=where,
                    names=", ".join("{" + n + "}" for n in unknown),
                    known=", ".join("{" + n + "}" for n in PLACEHOLDERS),
                )
            )
        if part.endswith("body") and "review_links" not in names:
            errors.append(_("%(where)s: the text must contain {review_links}.", where=where))
        if part.endswith("subject") and "\n" in source:
            errors.append(_("%(where)s: a subject is one line.", where=where))
        errors += [f"{where}: {reason}" for reason in check_do_not_list(session, brand, source)]
    return errors


def texts_for(templates: dict[str, dict[str, str]], language: str) -> dict[str, str]:
    """The four texts of a language: the brand's own where it has them, else the built-in."""
    own = templates.get(language) or {}
    return {part: own.get(part) or DEFAULT_TEXTS[language][part] for part in PARTS}


def compose(
    templates: dict[str, dict[str, str]],
    language: str,
    *,
    reminder: bool,
    brand_name: str,
    customer_name: str,
    order_ref: str | None,
    links: list[tuple[str, str]],
    unsubscribe_url: str,
) -> Mail:
    """The e-mail one customer gets; the unsubscribe line is always added at the end."""
    texts = texts_for(templates, language)
    named, anonymous = GREETINGS[language]
    values = {
        "greeting": named.format(name=customer_name) if customer_name else anonymous,
        "name": customer_name,
        "brand": brand_name,
        "order_ref": order_ref or "",
        "review_links": "\n".join(f"{label}: {url}" for label, url in links),
    }
    prefix = "reminder_" if reminder else ""
    subject = texts[prefix + "subject"].format_map(values)
    body = texts[prefix + "body"].format_map(values)
    footer = UNSUBSCRIBE_LINES[language].format(url=unsubscribe_url)
    return Mail(subject=" ".join(subject.split()), text=f"{body.rstrip()}\n\n-- \n{footer}\n")
