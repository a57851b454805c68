"""What every request passes before routing, validation or any route code: its size, the caller's
identity and role, its body, its Idempotency-Key and the per-client rate (`admit`).

The body: what is checked here is what no model can say: the body is UTF-8 (API Gateway hands binary bodies
over base64-encoded), it is `application/json`, it is a JSON object where the route takes one (a
list would otherwise be read as its first element), and every number in it is one DynamoDB can
store (magnitude 1E-130 to below 1E126, at most 38 significant digits; no NaN or Infinity). A body
that fails is a 415 or a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from crm.platform import ratelimit
from crm.platform.auth import Principal, authorize, principal_from_claims
from crm.platform.contract import MAX_BODY_BYTES, Contract
from crm.platform.errors import FieldError, Forbidden, PayloadTooLarge, UnsupportedMediaType, invalid, invalid_fields
from crm.platform.i18n import tr
from crm.platform.problems import validation_errors
from crm.platform.proxy_events import header

MAX_DIGITS, MIN_EXPONENT, MAX_EXPONENT = 38, -130, 125
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def admit(event: dict, contract: Contract | None) -> Principal | None:
    """Size, identity, role, then the body and the per-client rate, before routing or
    validation, so a caller who may not use a route learns nothing about what it accepts. A
    PUBLIC route has no principal (None)."""
    takes_body = contract is not None and contract.body is not None
    if takes_body and len((event.get("body") or "").encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise PayloadTooLarge(tr("the body is larger than {most} KB", most=MAX_BODY_BYTES // 1024))
    principal = None
    if contract is None or not contract.public:
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
        principal = principal_from_claims(claims)
        if contract is None:
            raise Forbidden(tr("this route has no access rule"))
        authorize(principal, contract.roles)
    if contract.body is not None:
        json_body(event, contract.body)
    else:
        event["body"], event["isBase64Encoded"] = None, False  # a route without a body ignores one
    key = header(event, "Idempotency-Key")
    if contract.method == "POST" and key is not None and not IDEMPOTENCY_KEY.match(key):
        raise invalid("Idempotency-Key", tr("must be 1 to 255 visible ASCII characters"))
    if contract.per_client is not None:
        source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or "unknown"
        ratelimit.count(contract.path, source, contract.per_client)
    return principal


def json_body(event: dict, model: type[BaseModel]) -> None:
    """Check the event's body for a route that takes `model`; leave it as UTF-8 text for routing.
    A body with an unstorable number lists every other bad field too."""
    raw = event.get("body")
    if raw is None or raw == "":
        return
    _json_content_type(event.get("headers") or {})
    text = _text(raw, bool(event.get("isBase64Encoded")))
    event["body"], event["isBase64Encoded"] = text, False
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)
    except ValueError:
        raise invalid("body", tr("is not valid JSON")) from None
    if not isinstance(data, dict):
        raise invalid("body", tr("must be a JSON object"))
    problems = [FieldError(path, message) for path, message in unstorable_numbers(data)]
    if problems:
        try:
            model.model_validate(data)
        except ValidationError as e:
            named = {p.field for p in problems}
            problems += [p for p in validation_errors(e.errors()) if p.field not in named]
        raise invalid_fields(problems)


def _json_content_type(headers: dict[str, str]) -> None:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    media_type, *params = (p.strip().lower() for p in value.split(";"))
    charset = next((p.split("=", 1)[1].strip('"') for p in params if p.startswith("charset=")), "utf-8")
    if media_type != "application/json" or charset != "utf-8":
        raise UnsupportedMediaType(
            tr("send the body as application/json (UTF-8), not as {sent}", sent=value or "-"),
            [FieldError("Content-Type", tr("must be application/json"))],
        )


def _text(raw: str, base64_encoded: bool) -> str:
    try:
        data = base64.b64decode(raw, validate=True) if base64_encoded else raw.encode("utf-8")
        return data.decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise invalid("body", tr("is not UTF-8 text")) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def unstorable_numbers(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, why) of every number in `value` (parsed with Decimals) DynamoDB cannot store."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from unstorable_numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable_numbers(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, Decimal) and not value.is_zero():
        significant = "".join(map(str, value.as_tuple().digits)).strip("0")
        if len(significant) > MAX_DIGITS:
            yield path or "body", tr("has more than {most} significant digits", most=MAX_DIGITS)
        elif not MIN_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
            yield path or "body", tr("is outside the range a number may take (1E-130 to 9.9E+125 in magnitude)")
