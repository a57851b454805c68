"""Which locales the product speaks, which one a request asks for, and their gettext catalogues.

A locale is a BCP 47 tag (`fr-FR`): its language picks the catalogue (crm/locale/fr/LC_MESSAGES/
messages.mo), its region the formats (Babel's fr_FR). English is the source language: its texts
are the msgids themselves, so it needs no catalogue, and any message a catalogue lacks reads in
English. Adding a locale: its tag here, then its catalogue (README, "Languages").
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LOCALES: tuple[str, ...] = ("en-GB", "fr-FR")
DEFAULT_LOCALE = "en-GB"
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"

_BY_LOWER = {tag.lower(): tag for tag in LOCALES}


def canonical(tag: str | None) -> str | None:
    """The supported locale `tag` names (any case, `-` or `_`), else None."""
    if not tag:
        return None
    return _BY_LOWER.get(tag.strip().replace("_", "-").lower())


def _language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _ranked(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 and `*` left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for *_, tag in sorted(ranked)]


def negotiate(accept_language: str | None) -> str | None:
    """The supported locale an Accept-Language header prefers: a tag itself, else the first
    supported locale of its language (`fr-CH` and `fr` read fr-FR); None when none is spoken."""
    for tag in _ranked(accept_language or ""):
        exact = canonical(tag)
        if exact:
            return exact
        same_language = [t for t in LOCALES if _language(t) == _language(tag)]
        if same_language:
            return same_language[0]
    return None


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue of `locale` (English, the source, has none: its messages are the msgids).
    A missing catalogue reads English rather than failing: the completeness test catches it."""
    tag = canonical(locale) or DEFAULT_LOCALE
    if _language(tag) == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[tag.replace("-", "_"), _language(tag)], fallback=True)
