"""Received supplier e-invoices: the office uploads the file through a presigned POST (its policy
caps the size and pins the type), then asks for it to be read. A file that reads well becomes a bill
(the supplier matched by SIREN or VAT number, or proposed as a new contact; the purchase order it
names found by number); one that does not is a 422 naming why, and is deleted: nothing is kept of
it. The original of a bill stays as uploaded, under t/<tenant>/received/<bill id>/ in the
attachments bucket. The platform may deliver invoices too (`take_deliveries`). The office accepts or
refuses the bill; the answer goes back through the port.
"""

from __future__ import annotations

from datetime import timedelta

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.finance import repository as finance_repo
from crm.finance.einvoice import received_parsing as parsing
from crm.finance.einvoice import repository as repo
from crm.finance.einvoice.models import ReceivedUploadRequest, ReceivedUploadTicket
from crm.finance.einvoice.port import platform
from crm.platform import aws, clock, downloads, idempotency, ids, settings
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, CrmError, Invalid, NotFound, invalid
from crm.platform.i18n import tr

URL_LIFETIME = timedelta(minutes=15)


def _folder(tenant: str, bill_id: str) -> str:
    return f"t/{tenant}/received/{bill_id}/"


def request_upload(tenant: str, request: ReceivedUploadRequest) -> ReceivedUploadTicket:
    """Where to POST the file: S3 itself refuses another size or type than announced."""
    upload_id = ids.new_id()
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.attachments_bucket(),
        Key=_folder(tenant, upload_id) + request.filename,
        Fields={"Content-Type": request.content_type},
        Conditions=[{"Content-Type": request.content_type}, ["content-length-range", request.size, request.size]],
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    upload = {"url": post["url"], "fields": post["fields"], "expires_at": clock.iso(clock.now() + URL_LIFETIME)}
    return ReceivedUploadTicket.model_validate({"upload_id": upload_id, "upload": upload})


def _uploaded(tenant: str, upload_id: str) -> str:
    listed = aws.client("s3").list_objects_v2(Bucket=settings.attachments_bucket(), Prefix=_folder(tenant, upload_id), MaxKeys=1)
    found = listed.get("Contents") or []
    if not found:
        raise invalid("upload_id", tr("no file was uploaded under this id (upload it first, within 15 minutes of asking)"))
    return found[0]["Key"]


def _supplier(principal: Principal, supplier: dict) -> dict:
    """The supplier, with the contact it is when one has its SIREN (else its VAT number)."""
    if supplier.get("siren") or supplier.get("vat_number"):
        found, _ = contacts.find(
            principal, q=None, reference=None, group_id=None, parent_id=None, limit=1, cursor=None,
            siren=supplier.get("siren"), vat_number=None if supplier.get("siren") else supplier.get("vat_number"),
        )  # fmt: skip
        if found:
            return {**supplier, "contact_id": found[0]["id"]}
    return supplier


def receive(principal: Principal, upload_id: str) -> dict:
    """Read the uploaded file into a bill; a file refused is deleted."""
    tenant = principal.tenant
    if repo.bill(tenant, upload_id) is not None:
        raise Conflict(tr("this file was already received"))
    return _read(principal, upload_id, _uploaded(tenant, upload_id), idempotency.claim(upload_id))


def _read(principal: Principal, bill_id: str, key: str, claim: list) -> dict:
    tenant = principal.tenant
    s3 = aws.client("s3")
    try:
        data = s3.get_object(Bucket=settings.attachments_bucket(), Key=key)["Body"].read()
        fields = parsing.bill_fields(parsing.check_rules(parsing.read(data), key.rsplit("/", 1)[-1]))
        order = finance_repo.purchase_order_by_number(tenant, fields["purchase_order_number"]) if fields["purchase_order_number"] else None
        supplier = _supplier(principal, fields["supplier"])
        record = {
            **fields,
            "id": bill_id,
            "version": 1,
            "status": "received",
            "supplier": {k: v for k, v in supplier.items() if v is not None},
            "purchase_order_id": order["id"] if order else None,
            "original": key.rsplit("/", 1)[-1],
            "received_at": clock.iso(clock.now()),
            "received_by": principal.actor,
        }
        supplier_key = supplier.get("siren") or supplier.get("vat_number") or supplier["name"]
        # A bill is a financial document of its supplier's contact: the contact is kept while it has bills.
        filed = dependents.filed(tenant, supplier["contact_id"], "documents", +1) if supplier.get("contact_id") else []
        repo.create_bill(tenant, record, supplier_key, [*claim, *filed])
    except CrmError:
        if repo.bill(tenant, bill_id) is None:  # not a retry of a bill made: keep nothing of a refused file
            s3.delete_object(Bucket=settings.attachments_bucket(), Key=key)
        raise
    return {k: v for k, v in record.items() if v is not None}


def take_deliveries(principal: Principal) -> dict:
    """Read what the platform delivered into bills. A delivered file that does not read is refused
    back to its supplier through the port, with the reason; the same invoice delivered twice is
    taken once. Each delivery is acknowledged once handled."""
    tenant, port = principal.tenant, platform()
    taken: list[dict] = []
    refused: list[dict] = []
    for delivered in port.incoming(tenant):
        if repo.bill(tenant, delivered.received_id) is None:
            key = _folder(tenant, delivered.received_id) + delivered.filename
            aws.client("s3").put_object(Bucket=settings.attachments_bucket(), Key=key, Body=delivered.content)
            try:
                taken.append(_read(principal, delivered.received_id, key, []))
            except Invalid as e:
                why = "; ".join(str(f.message) for f in e.errors) or str(e.detail)  # in English, to the supplier
                port.answer_received(tenant, delivered.received_id, False, why)
                refused.append({"received_id": delivered.received_id, "filename": delivered.filename, "reason": why})
            except Conflict:
                pass  # already received (another delivery of it, or an upload): nothing to answer twice
        port.acknowledge(tenant, delivered.received_id)
    return {"received": taken, "refused": refused}


def get(tenant: str, bill_id: str) -> dict:
    found = repo.bill(tenant, bill_id)
    if found is None:
        raise NotFound(tr("no such received invoice"))
    return found


def find(tenant: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    return repo.bills(tenant, {}, limit=limit, cursor=cursor)


def decide(principal: Principal, bill_id: str, accept: bool, reason: str | None, expected_version: int) -> dict:
    """Accept the bill, or refuse it with a reason; the supplier hears it through the platform."""
    tenant = principal.tenant
    bill = get(tenant, bill_id)
    if bill["version"] != expected_version:
        raise repo.stale_bill()
    if bill["status"] != "received":
        raise Conflict(tr("the received invoice is already answered"))
    if not accept and not reason:
        raise invalid("reason", tr("is required to refuse an invoice: the supplier is told why"))
    platform().answer_received(tenant, bill_id, accept, reason)
    now = clock.iso(clock.now())
    answered = {**bill, "status": "accepted" if accept else "refused", "answered_at": now, "answered_by": principal.actor}
    answered |= {"refusal_reason": None if accept else reason, "version": bill["version"] + 1}
    repo.save_bill(tenant, answered, expected_version)
    return {k: v for k, v in answered.items() if v is not None}


def original_link(principal: Principal, bill_id: str) -> dict:
    """A link to the file as the supplier sent it, once the audit trail records who asked."""
    bill = get(principal.tenant, bill_id)
    key = _folder(principal.tenant, bill_id) + bill["original"]
    url, expires_at = downloads.link(
        principal, key, bill["original"], action="received_invoice.downloaded", target_type="bill", target_id=bill_id
    )
    return {"url": url, "expires_at": expires_at, "filename": bill["original"]}
