"""Texts for humans in the reader's language, and numbers, money and dates in their locale.

* `tr("no such contact")`, `tr_n("{count} site", "{count} sites", n, count=n)`: a `Message`, the
  English text (it IS a str, so logs and comparisons read English) that also knows how to render
  itself in another locale from the gettext catalogues in crm/locale/ (`render(text, locale)`).
  pybabel extracts every `tr`/`tr_n` call (`make messages`); a translator edits the .po files.
* `negotiate(accept_language)`, `canonical(tag)`: the supported locale a request or a setting asks for.
* `Reader(locale, time_zone, currency)`: what a reader needs to read a text, a sum or a date their
  way; its formatting goes through Babel, whose locale data loads on first use only.
"""

from crm.platform.i18n.formats import Reader
from crm.platform.i18n.locales import DEFAULT_LOCALE, LOCALES, canonical, negotiate, translations
from crm.platform.i18n.messages import Message, joined, reason, render, tr, tr_n

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Message",
    "Reader",
    "canonical",
    "joined",
    "negotiate",
    "reason",
    "render",
    "tr",
    "tr_n",
    "translations",
]
