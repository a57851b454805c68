"""Files the product makes for a user (an export, a report) kept in the attachments bucket under
`t/<tenant>/exports/<area>/` and handed out through a presigned link that expires, once the audit
trail records who exported what (platform/downloads.py). Each file is tagged so the bucket's
lifecycle deletes it (every version) a day later: the link lives an hour, the file no longer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from crm.platform import aws, downloads, ids, settings
from crm.platform.auth import Principal

LINK_LIFETIME = timedelta(hours=1)
EXPORT_TAG = "crm-retention=export"  # template.yaml: AttachmentsBucket's expire-exports rule


class FileLink(BaseModel):
    url: str
    filename: str
    content_type: str
    rows: int | None = None
    expires_at: str


def publish(
    principal: Principal,
    area: str,
    filename: str,
    content_type: str,
    body: bytes,
    *,
    action: str,
    target_type: str,
    target_id: str,
    rows: int | None = None,
    **details: Any,
) -> FileLink:
    """Store `body` as `filename` and link to it, `action` on `target_type`/`target_id` audited."""
    counted = {} if rows is None else {"rows": rows}
    key = f"t/{principal.tenant}/exports/{area}/{ids.new_id()}/{filename}"
    aws.client("s3").put_object(Bucket=settings.attachments_bucket(), Key=key, Body=body, ContentType=content_type, Tagging=EXPORT_TAG)
    url, expires_at = downloads.link(
        principal, key, filename, action=action, target_type=target_type, target_id=target_id, lifetime=LINK_LIFETIME, **details, **counted
    )
    return FileLink(url=url, filename=filename, content_type=content_type, rows=rows, expires_at=expires_at)
