"""S3's checks of a browser upload through a presigned POST, which moto does not make.

moto stores whatever a POST form sends. S3 first verifies the form's policy: its SigV4 signature
(so the policy cannot be edited by the uploader), its expiration, every condition (exact values,
`starts-with` prefixes, `content-length-range`), and that every form field is covered by a
condition. `enforce_presigned_post_policies()` puts those checks in front of moto's POST-object
handler, for the local stack's moto server and for `mock_aws` in the tests alike, and answers
refusals with S3's own status codes and XML errors (403 AccessDenied, SignatureDoesNotMatch,
InvalidAccessKeyId; 400 EntityTooLarge, EntityTooSmall).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

# Form fields no condition needs to cover (S3: the signature, the file, the policy itself, x-ignore-*).
UNCONDITIONED = {"policy", "x-amz-signature", "file"}


class PolicyRefusal(Exception):
    """S3 refuses the upload: status, error code, message and the error's extra elements."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def xml(self) -> str:
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in self.details.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId><HostId>local</HostId></Error>"
        )


def _denied(message: str) -> PolicyRefusal:
    return PolicyRefusal(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _signature(secret: str, credential_scope: list[str], string_to_sign: str) -> str:
    date, region, service, terminator = credential_scope
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _verify_signature(fields: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise PolicyRefusal(400, "InvalidArgument", "POST requires x-amz-algorithm AWS4-HMAC-SHA256 (Signature Version 4)")
    access_key, *scope = fields.get("x-amz-credential", "").split("/")
    if len(scope) != 4:
        raise PolicyRefusal(400, "InvalidArgument", "x-amz-credential is malformed")
    secret = secrets.get(access_key)
    if secret is None:
        raise PolicyRefusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
    if not hmac.compare_digest(_signature(secret, scope, fields["policy"]), fields.get("x-amz-signature", "")):
        raise PolicyRefusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )


def _conditions(policy: dict) -> list[tuple[str, str, Any]]:
    """(operator, field name in lower case, operand): eq, starts-with, content-length-range."""
    out: list[tuple[str, str, Any]] = []
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, value),) = condition.items()
            out.append(("eq", name.lower(), value))
        elif isinstance(condition, list) and len(condition) == 3 and str(condition[0]).lower() == "content-length-range":
            out.append(("content-length-range", "", (int(condition[1]), int(condition[2]))))
        elif isinstance(condition, list) and len(condition) == 3 and str(condition[1]).startswith("$"):
            out.append((str(condition[0]).lower(), str(condition[1])[1:].lower(), condition[2]))
        else:
            raise _denied(f"Invalid Policy: Invalid Simple-Condition: {json.dumps(condition)}")
    return out


def check(fields: Mapping[str, str], bucket: str, size: int, secrets: Mapping[str, str], now: datetime | None = None) -> None:
    """Raise PolicyRefusal unless S3 would store this upload. `fields`: the form's fields (the
    key with ${filename} already substituted), `size`: the file's length in bytes."""
    fields = {name.lower(): value for name, value in fields.items()}
    if "policy" not in fields:
        raise PolicyRefusal(403, "AccessDenied", "Access Denied")
    _verify_signature(fields, secrets)
    try:
        policy = json.loads(base64.b64decode(fields["policy"], validate=True))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise PolicyRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if (now or datetime.now(UTC)) > expiration:
        raise _denied("Policy expired.")
    values = {**fields, "bucket": bucket}
    covered = {"bucket"}
    for operator, name, operand in _conditions(policy):
        if operator == "content-length-range":
            low, high = operand
            if size > high:
                raise PolicyRefusal(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", ProposedSize=size, MaxSizeAllowed=high
                )
            if size < low:
                raise PolicyRefusal(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    ProposedSize=size,
                    MinSizeAllowed=low,
                )
            continue
        covered.add(name)
        value = values.get(name)
        if operator == "eq":
            ok = value == str(operand)
        elif operator == "starts-with":
            parts = value.split(",") if value is not None and name == "content-type" else [value]
            ok = all(part is not None and part.strip().startswith(str(operand)) for part in parts)
        else:
            raise _denied(f"Invalid Policy: Invalid Condition: {operator}")
        if not ok:
            shown = [operator, f"${name}", operand]
            raise _denied(f"Policy Condition failed: {json.dumps(shown)}")
    extra = sorted(name for name in fields if name not in covered | UNCONDITIONED and not name.startswith("x-ignore-"))
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")


def enforce_presigned_post_policies(secrets: Mapping[str, str]) -> None:
    """Check every browser upload moto receives in this process (its server and mock_aws) as S3
    does. `secrets`: access key id -> secret access key of the credentials that sign policies.
    Idempotent: installing it again only updates the secrets."""
    from moto.s3.responses import S3Response

    known = dict(secrets)
    current = S3Response._bucket_response_post
    if getattr(current, "post_policy_secrets", None) is not None:
        current.post_policy_secrets.update(known)  # type: ignore[attr-defined]
        return

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        if "key" in self.form_data and request.headers.get("Content-Type", "").startswith("multipart/form-data"):
            form = {name: value for name, value in self.form_data.items() if name.lower() != "key"}
            form["key"] = self.querystring["key"][0]  # with ${filename} substituted, as stored
            body = self.raw_body or b""
            size = len(body.encode() if isinstance(body, str) else body)
            try:
                check(form, bucket_name, size, bucket_response_post.post_policy_secrets)  # type: ignore[attr-defined]
            except PolicyRefusal as refusal:
                return refusal.status, {"Content-Type": "application/xml"}, refusal.xml()
        return current(self, request, bucket_name)

    bucket_response_post.post_policy_secrets = known  # type: ignore[attr-defined]
    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]
