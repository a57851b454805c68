"""Messages: English text that renders itself in the reader's language.

A `Message` is a str (its English text, so logs, comparisons and `str()` read English) that keeps
its msgid, plural form and parameters, so the HTTP edge or an email can render it in any locale
later. Parameters are named (`{count}`), so a translator may reorder them; a number is formatted
for the locale (Babel), a Message parameter is rendered in the same locale.

Only literal msgids reach a catalogue: `tr(f"...")` or `tr(variable)` cannot be extracted, so
pass the varying parts as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm.platform.i18n.locales import translations


class Message(str):
    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, n: int | None = None, params: dict[str, Any] | None = None) -> Message:
        params = dict(params or {})
        english = {name: _plain(value) for name, value in params.items()}
        self = super().__new__(cls, (msgid if plural is None or n == 1 else plural).format(**english))
        self.msgid, self.plural, self.n, self.params = msgid, plural, n, params
        return self

    def __reduce__(self):  # pickled (e.g. across processes) as what it is, not as a plain str
        return (type(self), (self.msgid, self.plural, self.n, self.params))

    def render(self, locale: str) -> str:
        catalogue = translations(locale)
        template = catalogue.gettext(self.msgid) if self.plural is None else catalogue.ngettext(self.msgid, self.plural, self.n or 0)
        values = {name: _localised(value, locale) for name, value in self.params.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation naming a parameter that is not there: English
            return (self.msgid if self.plural is None or self.n == 1 else self.plural).format(**values)


class _Joined(Message):
    """Several texts in one, each rendered in the reader's locale, as is the separator."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Iterable[str], separator: str) -> _Joined:
        parts = tuple(parts)
        self = str.__new__(cls, separator.join(parts))
        self.msgid, self.plural, self.n, self.params = str(self), None, None, {}
        self.parts, self.separator = parts, separator
        return self

    def __reduce__(self):
        return (type(self), (self.parts, self.separator))

    def render(self, locale: str) -> str:
        return render(self.separator, locale).join(render(part, locale) for part in self.parts)


def tr(msgid: str, **params: Any) -> Message:
    """A translatable text; `{name}` placeholders take the keyword parameters."""
    return Message(msgid, params=params)


def tr_n(singular: str, plural: str, n: int, **params: Any) -> Message:
    """A translatable text whose form depends on the number `n` (each language has its own rule)."""
    return Message(singular, plural, n, params)


def joined(parts: Iterable[str], separator: str | None = None) -> Message:
    """`parts` in one text, between each two `separator` (a message; by default the list
    separator of the reader's language, "; " in English)."""
    return _Joined(parts, tr("; ") if separator is None else separator)


def render(text: str, locale: str) -> str:
    """`text` in `locale`: a Message translated, any other str as it is."""
    return text.render(locale) if isinstance(text, Message) else str(text)


def reason(error: BaseException) -> str:
    """What an exception says, still translatable when it was raised with a Message."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, Message) else str(error)


def _plain(value: Any) -> Any:
    """A parameter in the English text a Message is as a str (for logs and API fields)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%A} {value.isoformat()}"
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _localised(value: Any, locale: str) -> str:
    """A parameter in the reader's locale: a message translated, a number or a day by Babel."""
    if isinstance(value, str):
        return render(value, locale)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        from crm.platform.i18n.formats import number

        return number(value, locale)
    if isinstance(value, date) and not isinstance(value, datetime):
        from crm.platform.i18n.formats import date as day

        return day(value, locale, "full")
    return str(value)
