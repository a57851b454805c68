"""Small value types shared by the contexts' models."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model
from pydantic.fields import FieldInfo

from crm.platform.i18n import LOCALES, canonical, tr

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(tr("is not an email address"))
    return value.lower()


# ISO 8601 text only: pydantic would also read a number, or a string of digits, as seconds since 1970.
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError(tr("must be an ISO 8601 date and time, e.g. 2026-12-01T09:00:00Z"))


def _iso_date(value: Any) -> Any:
    if (isinstance(value, date) and not isinstance(value, datetime)) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError(tr("must be an ISO 8601 date, e.g. 2026-12-01"))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(tr("needs a time zone offset, e.g. 2026-12-01T09:00:00Z"))
    return value


def _locale(value: str) -> str:
    supported = canonical(value)
    if supported is None:
        raise ValueError(tr("is not a locale this product speaks; use one of {locales}", locales=", ".join(LOCALES)))
    return supported


def _currency(value: str) -> str:
    from crm.platform.i18n.formats import is_currency

    if not is_currency(value):
        raise ValueError(tr("is not an ISO 4217 currency code, e.g. EUR"))
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
        known = value != "localtime"  # the host's zone, which zoneinfo accepts, is nobody's
    except (ZoneInfoNotFoundError, ValueError, OSError):
        known = False
    if not known:
        raise ValueError(tr("'{value}' is not an IANA time zone, e.g. Europe/Paris", value=value))
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[0-9+() .\-]+$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Id = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
AwareDatetime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_aware)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Limit = Annotated[int, Field(ge=1, le=200)]
# A locale the product speaks, as a BCP 47 tag (fr-FR), written back in its canonical spelling.
LocaleTag = Annotated[str, StringConstraints(min_length=2, max_length=35), AfterValidator(_locale)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]


def merge_patch_of(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The JSON merge patch of `model`: every field optional with its own constraints; a field sent
    replaces, null clears, a field left out stays (read it with model_dump(exclude_unset=True))."""
    fields: dict[str, Any] = {}  # create_model's field definitions: (annotation, FieldInfo) pairs
    for n, f in model.model_fields.items():
        if f.annotation is None:  # `None | None` would fail the same way, less clearly
            raise TypeError(f"{model.__name__}.{n} has no annotation to make optional")
        fields[n] = (f.annotation | None, FieldInfo.merge_field_infos(f, default=None))
    doc = f"A JSON merge patch of {model.__name__}: fields sent replace, null clears, fields left out stay."
    return create_model(name, __config__=STRICT, __doc__=doc, **fields)


class Money(BaseModel):
    """A sum: integer minor units (cents) of an ISO 4217 currency."""

    model_config = STRICT
    amount: int = Field(ge=0, le=10**15, description="In minor units (cents)")
    currency: Currency
