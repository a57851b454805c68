"""Domain errors. One place (crm.platform.http) maps them to RFC 9457 problems."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str  # dotted path, e.g. "zone.radius_m" or "body"
    message: str


@dataclass
class CrmError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status = 500
    title = "Internal error"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class Unauthorized(CrmError):
    status, title = 401, "Unauthorized"


class Forbidden(CrmError):
    status, title = 403, "Forbidden"


class NotFound(CrmError):
    status, title = 404, "Not found"


class Conflict(CrmError):
    status, title = 409, "Conflict"


class PreconditionFailed(CrmError):
    status, title = 412, "Precondition failed"


class PayloadTooLarge(CrmError):
    status, title = 413, "Payload too large"


class UnsupportedMediaType(CrmError):
    status, title = 415, "Unsupported media type"


class Invalid(CrmError):
    status, title = 422, "Validation failed"


class PreconditionRequired(CrmError):
    status, title = 428, "Precondition required"


class TooManyRequests(CrmError):
    status, title = 429, "Too many requests"


class Unavailable(CrmError):
    status, title = 503, "Service unavailable"


def invalid(field_name: str, message: str) -> Invalid:
    return Invalid(f"{field_name}: {message}", [FieldError(field_name, message)])


def stale(kind: str) -> PreconditionFailed:
    """The 412 of a conditional write whose version moved on since the client read it."""
    return PreconditionFailed(f"the {kind} changed since you read it; reload it and apply your change again")
