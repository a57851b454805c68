"""pydantic's validation errors as translatable messages, from their type and context.

pydantic writes its messages in English only; each common error type gets a message here with the
same meaning, its context (`min_length`, `le`, ...) as parameters. A custom validator that raised
`ValueError(tr(...))` keeps its own message. A type not listed keeps pydantic's English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crm.platform.i18n.messages import Message, reason, tr, tr_n


def _literal(ctx: Mapping[str, Any]) -> Message:
    # pydantic lists the choices as "'a', 'b' or 'c'": the English "or" becomes a comma.
    return tr("must be one of {choices}", choices=str(ctx.get("expected", "")).replace(" or ", ", "))


_DATE = tr("must be a date, e.g. 2026-12-01")
_DATETIME = tr("must be a date and time, e.g. 2026-12-01T09:00:00Z")
_INTEGER = tr("must be a whole number")
_NUMBER = tr("must be a number")
_BOOLEAN = tr("must be true or false")
_OBJECT = tr("must be an object")

MESSAGES: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "missing": lambda ctx: tr("is required"),
    "extra_forbidden": lambda ctx: tr("is not a field of this request"),
    "json_invalid": lambda ctx: tr("is not valid JSON"),
    "string_type": lambda ctx: tr("must be a string"),
    "string_too_short": lambda ctx: tr_n(
        "must be at least {min} character long", "must be at least {min} characters long", ctx["min_length"], min=ctx["min_length"]
    ),
    "string_too_long": lambda ctx: tr_n(
        "must be at most {max} character long", "must be at most {max} characters long", ctx["max_length"], max=ctx["max_length"]
    ),
    "string_pattern_mismatch": lambda ctx: tr("does not have the expected form ({pattern})", pattern=ctx["pattern"]),
    "int_type": lambda ctx: _INTEGER,
    "int_parsing": lambda ctx: _INTEGER,
    "int_from_float": lambda ctx: _INTEGER,
    "float_type": lambda ctx: _NUMBER,
    "float_parsing": lambda ctx: _NUMBER,
    "decimal_type": lambda ctx: _NUMBER,
    "decimal_parsing": lambda ctx: _NUMBER,
    "finite_number": lambda ctx: tr("must be a finite number"),
    "bool_type": lambda ctx: _BOOLEAN,
    "bool_parsing": lambda ctx: _BOOLEAN,
    "greater_than": lambda ctx: tr("must be greater than {limit}", limit=ctx["gt"]),
    "greater_than_equal": lambda ctx: tr("must be at least {limit}", limit=ctx["ge"]),
    "less_than": lambda ctx: tr("must be less than {limit}", limit=ctx["lt"]),
    "less_than_equal": lambda ctx: tr("must be at most {limit}", limit=ctx["le"]),
    "too_short": lambda ctx: tr_n(
        "must have at least {min} item", "must have at least {min} items", ctx["min_length"], min=ctx["min_length"]
    ),
    "too_long": lambda ctx: tr_n("must have at most {max} item", "must have at most {max} items", ctx["max_length"], max=ctx["max_length"]),
    "list_type": lambda ctx: tr("must be a list"),
    "dict_type": lambda ctx: _OBJECT,
    "model_type": lambda ctx: _OBJECT,
    "model_attributes_type": lambda ctx: _OBJECT,
    "literal_error": _literal,
    "enum": _literal,
    "union_tag_invalid": lambda ctx: tr("must be one of {choices}", choices=str(ctx.get("expected_tags", ""))),
    "union_tag_not_found": lambda ctx: tr("needs its {field} field", field=str(ctx.get("discriminator", "")).strip("'")),
    "date_type": lambda ctx: _DATE,
    "date_parsing": lambda ctx: _DATE,
    "date_from_datetime_parsing": lambda ctx: _DATE,
    "date_from_datetime_inexact": lambda ctx: _DATE,
    "datetime_type": lambda ctx: _DATETIME,
    "datetime_parsing": lambda ctx: _DATETIME,
    "datetime_from_date_parsing": lambda ctx: _DATETIME,
    "timezone_aware": lambda ctx: tr("needs a time zone offset, e.g. 2026-12-01T09:00:00Z"),
}


def message(error: Mapping[str, Any]) -> str:
    """What one pydantic error says, translatable where its type is known."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), BaseException):
        said = reason(ctx["error"])
        return said if isinstance(said, Message) else said.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    make = MESSAGES.get(kind)
    if make is not None:
        try:
            return make(ctx)
        except KeyError:  # a context without the value the message names: pydantic's own words
            pass
    return str(error.get("msg") or kind or "invalid").removeprefix("Value error, ")
