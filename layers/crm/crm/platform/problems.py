"""RFC 9457 problems as the API answers them, and pydantic's validation errors as their fields.

A problem's title, detail and field messages are tr(...) messages rendered in the reader's locale;
field names are the request's own (`contact.email`, `lines.0.quantity`), without pydantic's
`body`/`query`/`path`/`header` prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response

from crm.platform import i18n
from crm.platform.contract import PROBLEM
from crm.platform.errors import FieldError
from crm.platform.i18n.validation import message as validation_message


def problem(
    status: int,
    title: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    headers: dict | None = None,
    locale: str = i18n.DEFAULT_LOCALE,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    """An RFC 9457 problem; its texts (tr(...) messages) rendered in `locale`; `extensions` are
    extra members (e.g. counts a client words its own message with)."""
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": "about:blank",
        "title": i18n.render(title, locale),
        "status": status,
        "detail": i18n.render(detail, locale),
    }
    errors = list(errors)
    if errors:
        body["errors"] = [{"field": e.field, "message": i18n.render(e.message, locale)} for e in errors]
    headers = {**(headers or {}), "Content-Language": locale}
    return Response(status_code=status, content_type=PROBLEM, body=json.dumps(body), headers=headers)


def _field(loc: Iterable) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    out = []
    for e in errors:
        if e.get("type") == "json_invalid":
            out.append(FieldError("body", validation_message(e)))
            continue
        out.append(FieldError(_field(e.get("loc", ("body",))) or "body", validation_message(e)))
    return out
