"""A contact's folder of attachments, held in S3 and reached only through presigned URLs.

S3 is the record: an attachment exists once its upload has landed, under
t/<tenant>/contacts/<contact>/<attachment id>/<category>/<filename>. The upload policy itself pins
the key, the content type and the exact size announced, so S3 refuses what the API would have
refused, and the size listed (S3's) is always the one announced.
"""

from __future__ import annotations

from datetime import timedelta

from crm.contacts.models import Attachment, AttachmentDownload, AttachmentRequest, AttachmentTicket, Upload
from crm.platform import aws, clock, downloads, ids, settings
from crm.platform.auth import Principal
from crm.platform.errors import FieldError, NotFound, invalid_fields
from crm.platform.i18n import tr

MAX_BYTES = 25 * 1024 * 1024
URL_LIFETIME = timedelta(minutes=15)
CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)


def _folder(tenant: str, contact_id: str) -> str:
    return f"t/{tenant}/contacts/{contact_id}/"


def request_upload(tenant: str, contact_id: str, request: AttachmentRequest) -> AttachmentTicket:
    problems = []
    if request.content_type not in CONTENT_TYPES:
        problems.append(FieldError("content_type", tr("must be one of {choices}", choices=", ".join(sorted(CONTENT_TYPES)))))
    if request.size > MAX_BYTES:
        problems.append(FieldError("size", tr("must be at most {most} MB", most=MAX_BYTES // (1024 * 1024))))
    if problems:
        raise invalid_fields(problems)
    attachment_id = ids.new_id()
    category = request.category or ("image" if request.content_type.startswith("image/") else "other")
    key = f"{_folder(tenant, contact_id)}{attachment_id}/{category}/{request.filename}"
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.attachments_bucket(),
        Key=key,
        Fields={"Content-Type": request.content_type},
        Conditions=[{"Content-Type": request.content_type}, ["content-length-range", request.size, request.size]],
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    expires = clock.iso(clock.now() + URL_LIFETIME)
    return AttachmentTicket(
        id=attachment_id,
        filename=request.filename,
        category=category,
        upload=Upload(url=post["url"], fields=post["fields"], expires_at=expires),
    )


def file(
    tenant: str,
    contact_id: str,
    attachment_id: str,
    category: str,
    filename: str,
    content_type: str,
    data: bytes | None = None,
    *,
    copied_from: tuple[str, str] | None = None,
) -> str:
    """File a document another context made (a financial document's PDF) in the contact's folder,
    as an attachment of `category` under `attachment_id` (a ULID: the folder orders by it): `data`,
    or a server-side copy of the object at `copied_from` (bucket, key), whose bytes then do not
    travel again. Filing the same again rewrites the same key. Returns the key."""
    key = f"{_folder(tenant, contact_id)}{attachment_id}/{category}/{filename}"
    s3, bucket = aws.client("s3"), settings.attachments_bucket()
    if copied_from is not None:
        source = {"Bucket": copied_from[0], "Key": copied_from[1]}
        s3.copy_object(Bucket=bucket, Key=key, CopySource=source, ContentType=content_type, MetadataDirective="REPLACE")
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=data or b"", ContentType=content_type)
    return key


def _objects(prefix: str) -> list[dict]:
    paginator = aws.client("s3").get_paginator("list_objects_v2")
    return [o for page in paginator.paginate(Bucket=settings.attachments_bucket(), Prefix=prefix) for o in page.get("Contents", [])]


def list_attachments(tenant: str, contact_id: str) -> list[Attachment]:
    """Newest first (attachment ids are ULIDs)."""
    out = []
    for obj in _objects(_folder(tenant, contact_id)):
        attachment_id, category, filename = obj["Key"].rsplit("/", 3)[-3:]
        out.append(Attachment(id=attachment_id, filename=filename, category=category, size=obj["Size"], uploaded_at=obj["LastModified"]))
    return sorted(out, key=lambda a: a.id, reverse=True)


def download(principal: Principal, contact_id: str, attachment_id: str) -> AttachmentDownload:
    """A link to download the attachment, once the audit trail records who asked for it."""
    objects = _objects(f"{_folder(principal.tenant, contact_id)}{attachment_id}/")
    if not objects:
        raise NotFound(tr("no such attachment"))
    key = objects[0]["Key"]
    filename = key.rsplit("/", 1)[-1]
    url, expires_at = downloads.link(
        principal, key, filename, action="attachment.downloaded", target_type="attachment", target_id=attachment_id, contact_id=contact_id
    )
    return AttachmentDownload(id=attachment_id, filename=filename, url=url, expires_at=expires_at)


def delete(tenant: str, contact_id: str, attachment_id: str) -> None:
    objects = _objects(f"{_folder(tenant, contact_id)}{attachment_id}/")
    if not objects:
        raise NotFound(tr("no such attachment"))
    aws.client("s3").delete_objects(
        Bucket=settings.attachments_bucket(), Delete={"Objects": [{"Key": o["Key"]} for o in objects], "Quiet": True}
    )


def delete_folder(tenant: str, contact_id: str) -> None:
    objects = _objects(_folder(tenant, contact_id))
    for start in range(0, len(objects), 1000):
        chunk = objects[start : start + 1000]
        aws.client("s3").delete_objects(
            Bucket=settings.attachments_bucket(), Delete={"Objects": [{"Key": o["Key"]} for o in chunk], "Quiet": True}
        )
