"""Files the product makes for a user (an export, a report) kept in the attachments bucket under
`t/<tenant>/exports/<area>/` and handed out through a presigned link that expires."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from crm.platform import aws, clock, ids, settings

LINK_LIFETIME = timedelta(hours=1)


class FileLink(BaseModel):
    url: str
    filename: str
    content_type: str
    rows: int | None = None
    expires_at: str


def publish(tenant: str, area: str, filename: str, content_type: str, body: bytes, rows: int | None = None) -> FileLink:
    key = f"t/{tenant}/exports/{area}/{ids.new_id()}/{filename}"
    s3 = aws.client("s3")
    s3.put_object(Bucket=settings.attachments_bucket(), Key=key, Body=body, ContentType=content_type)
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.attachments_bucket(), "Key": key, "ResponseContentDisposition": f'attachment; filename="{filename}"'},
        ExpiresIn=int(LINK_LIFETIME.total_seconds()),
    )
    return FileLink(url=url, filename=filename, content_type=content_type, rows=rows, expires_at=clock.iso(clock.now() + LINK_LIFETIME))
