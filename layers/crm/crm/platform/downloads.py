"""Download links: a presigned GET of one object of the attachments bucket, handed to a principal
only once the audit trail records who asked for it (attachments, GDPR exports, PDFs).

One call: `link(principal, key, filename, action=..., target_type=..., target_id=...)`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crm.platform import audit, aws, clock, settings
from crm.platform.auth import Principal

DEFAULT_LIFETIME = timedelta(minutes=15)


def link(
    principal: Principal,
    key: str,
    filename: str,
    *,
    action: str,
    target_type: str,
    target_id: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
    **details: Any,
) -> tuple[str, str]:
    """(URL, when it stops working, ISO 8601) of the object at `key`, downloaded as `filename`."""
    audit.write(principal, action, target_type, target_id, **details)
    url = aws.client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.attachments_bucket(), "Key": key, "ResponseContentDisposition": f'attachment; filename="{filename}"'},
        ExpiresIn=int(lifetime.total_seconds()),
    )
    return url, clock.iso(clock.now() + lifetime)
