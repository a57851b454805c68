"""Domain errors. One place (crm.platform.http) maps them to RFC 9457 problems.

Titles, details and field messages are `tr(...)` messages: English as str, rendered in the
reader's language when the problem is written (field names stay English: they are the API's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crm.platform.i18n import joined, tr


@dataclass
class FieldError:
    field: str  # dotted path, e.g. "zone.radius_m" or "body"
    message: str  # a tr(...) message


@dataclass
class CrmError(Exception):
    detail: str  # a tr(...) message
    errors: list[FieldError] = field(default_factory=list)
    status = 500
    title = tr("Internal error")
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class Unauthorized(CrmError):
    status, title = 401, tr("Unauthorized")


class Forbidden(CrmError):
    status, title = 403, tr("Forbidden")


class NotFound(CrmError):
    status, title = 404, tr("Not found")


class Conflict(CrmError):
    status, title = 409, tr("Conflict")


class PreconditionFailed(CrmError):
    status, title = 412, tr("Precondition failed")


class PayloadTooLarge(CrmError):
    status, title = 413, tr("Payload too large")


class UnsupportedMediaType(CrmError):
    status, title = 415, tr("Unsupported media type")


class Invalid(CrmError):
    status, title = 422, tr("Validation failed")


class PreconditionRequired(CrmError):
    status, title = 428, tr("Precondition required")


class TooManyRequests(CrmError):
    status, title = 429, tr("Too many requests")


class Unavailable(CrmError):
    status, title = 503, tr("Service unavailable")


def field_problem(error: FieldError) -> str:
    """One bad field as a problem's detail says it: `name: message`."""
    return tr("{field}: {message}", field=error.field, message=error.message)


def invalid_fields(errors: list[FieldError]) -> Invalid:
    """A 422 naming every bad field; its detail lists them all."""
    return Invalid(joined(field_problem(e) for e in errors), errors)


def invalid(field_name: str, message: str) -> Invalid:
    return invalid_fields([FieldError(field_name, message)])
