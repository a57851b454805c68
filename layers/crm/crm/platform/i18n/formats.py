"""Numbers, money, dates and times formatted for a locale, always by Babel (never by hand).

Babel's locale data loads on first use, not at import: a function that formats nothing (most API
requests) never pays for it. `Reader` is what the later contexts write PDFs, exports and emails
with: a reader's locale, time zone and currency, and every format in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime as DateTime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from crm.platform.i18n.locales import DEFAULT_LOCALE, canonical

DEFAULT_CURRENCY = "EUR"
DEFAULT_TIME_ZONE = "Europe/Paris"
Length = Literal["full", "long", "medium", "short"]


def _babel(locale: str) -> str:
    return (canonical(locale) or DEFAULT_LOCALE).replace("-", "_")


def number(value: int | float | Decimal, locale: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_babel(locale))


def decimal(value: Decimal | str, locale: str) -> str:
    """A decimal (a rate, a quantity), never rounded: 0.0125 reads 0,0125 (not 0,013)."""
    from babel.numbers import format_decimal

    return format_decimal(Decimal(value), locale=_babel(locale), decimal_quantization=False)


def percent(value: Decimal | str, locale: str) -> str:
    """A ratio as a percentage: 0.2 -> 20 %."""
    from babel.numbers import format_percent

    return format_percent(Decimal(value), locale=_babel(locale), decimal_quantization=False)


def money(minor_units: int, currency: str, locale: str) -> str:
    """An amount in minor units (cents) of an ISO 4217 currency: 194444 EUR -> 1 944,44 € / €1,944.44."""
    from babel.numbers import format_currency, get_currency_precision

    amount = Decimal(minor_units).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=_babel(locale))


def is_currency(code: str) -> bool:
    """An ISO 4217 currency Babel knows (its global data, not a locale's)."""
    from babel.numbers import is_currency as known

    return known(code)


def _moment(value: DateTime | str) -> DateTime:
    moment = DateTime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError("a moment needs its time zone offset")
    return moment


def date(value: Date | str, locale: str, format: Length = "long") -> str:
    """1 décembre 2026 / 1 December 2026 (`format`: short, medium, long, full)."""
    from babel.dates import format_date

    day = Date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day, format, locale=_babel(locale))


def month(value: str, locale: str) -> str:
    """A month, "2027-03": mars 2027 / March 2027 (the locale's own pattern for a month and year)."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", Date.fromisoformat(value + "-01"), locale=_babel(locale))


def time(value: DateTime | str, locale: str, time_zone: str, format: Length = "short") -> str:
    from babel.dates import format_time

    return format_time(_moment(value), format, tzinfo=ZoneInfo(time_zone), locale=_babel(locale))


def datetime(value: DateTime | str, locale: str, time_zone: str, format: Length = "long") -> str:
    """A moment in `time_zone`: the date in `format` and the time short, joined as the locale joins
    them (1 décembre 2026 à 09:30 / 1 December 2026 at 09:30)."""
    from babel.dates import format_date, format_time, get_datetime_format

    local = _moment(value).astimezone(ZoneInfo(time_zone))
    babel_locale = _babel(locale)
    pattern = str(get_datetime_format(format, locale=babel_locale)).replace("'", "")
    day = format_date(local, format, locale=babel_locale)
    return pattern.replace("{0}", format_time(local, "short", locale=babel_locale)).replace("{1}", day)


@dataclass(frozen=True)
class Reader:
    """Who reads a text: their locale, IANA time zone and (the account's) currency."""

    locale: str = DEFAULT_LOCALE
    time_zone: str = DEFAULT_TIME_ZONE
    currency: str = DEFAULT_CURRENCY

    def text(self, message: str) -> str:
        from crm.platform.i18n.messages import render

        return render(message, self.locale)

    def headers(self, columns: Iterable[str]) -> list[str]:
        """Column headers of a CSV or XLSX export (pass `tr("Reference")`, ...)."""
        return [self.text(c) for c in columns]

    def number(self, value: int | float | Decimal) -> str:
        return number(value, self.locale)

    def decimal(self, value: Decimal | str) -> str:
        return decimal(value, self.locale)

    def percent(self, value: Decimal | str) -> str:
        return percent(value, self.locale)

    def money(self, minor_units: int, currency: str | None = None) -> str:
        return money(minor_units, currency or self.currency, self.locale)

    def date(self, value: Date | str, format: Length = "long") -> str:
        return date(value, self.locale, format)

    def month(self, value: str) -> str:
        return month(value, self.locale)

    def time(self, value: DateTime | str, format: Length = "short") -> str:
        return time(value, self.locale, self.time_zone, format)

    def datetime(self, value: DateTime | str, format: Length = "long") -> str:
        return datetime(value, self.locale, self.time_zone, format)
