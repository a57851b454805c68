"""Small value types shared by the contexts' models."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value.lower()


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone offset, e.g. 2026-12-01T09:00:00Z")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[0-9+() .\-]+$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Id = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Limit = Annotated[int, Field(ge=1, le=200)]
