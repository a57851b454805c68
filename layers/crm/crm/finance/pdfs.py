"""A document's PDF: laid out with the documents toolkit (PDF/A-3b, embedded fonts, the same bytes
for the same document), in the document's locale, stored once in S3 under the tenant and the
contact, and downloaded through a presigned URL.

Everything the PDF shows is fixed on the document at issue (parties, locale, seller, terms,
the logo's digest), so rendering it again gives the same bytes; the stored file is never replaced:
a render that differs from it is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from botocore.exceptions import ClientError

from crm.contacts import attachments
from crm.finance import repository as repo
from crm.finance import settings as finance_settings
from crm.finance.einvoice import facturx, mentions
from crm.platform import aws, clock, settings
from crm.platform.errors import Conflict, Unavailable
from crm.platform.i18n import Reader, tr

URL_LIFETIME = timedelta(minutes=15)
PDF = "application/pdf"
TITLES = {
    "quote": lambda number: tr("Quote {number}", number=number),
    "invoice": lambda number: tr("Invoice {number}", number=number),
    "credit_note": lambda number: tr("Credit note {number}", number=number),
    "purchase_order": lambda number: tr("Purchase order {number}", number=number),
}
DRAFT_TITLES = {
    "quote": tr("Draft quote"),
    "invoice": tr("Draft invoice"),
    "credit_note": tr("Draft credit note"),
    "purchase_order": tr("Draft purchase order"),
}


def title(document: dict, reader: Reader) -> str:
    """The document's name as its reader reads it: "Facture INV-000042"."""
    if document.get("number"):
        return reader.text(TITLES[document["type"]](document["number"]))
    return reader.text(DRAFT_TITLES[document["type"]])


def filename(document: dict) -> str:
    return f"{document.get('number') or 'draft-' + document['id']}.pdf"


def key(tenant: str, document: dict, name: str | None = None) -> str:
    """Where the document's PDF (or another of its files, `name`) is stored."""
    return f"t/{tenant}/contacts/{document['contact_id']}/documents/{document['id']}/{name or filename(document)}"


def _reader(document: dict) -> Reader:
    return Reader(locale=document.get("locale") or "en", currency=document["currency"])


def _story(document: dict, reader: Reader) -> list:
    from crm.platform import pdf

    t = reader.text
    details = [(t(tr("Number")), document.get("number") or t(tr("draft")))]
    if document.get("issue_date"):
        details.append((t(tr("Date")), reader.date(document["issue_date"])))
    if document.get("due_date") and document["type"] == "invoice":
        details.append((t(tr("Due date")), reader.date(document["due_date"])))
    if document.get("reference"):
        details.append((t(tr("Your reference")), document["reference"]))
    if document.get("credited_invoice_number"):
        details.append((t(tr("Credits invoice")), document["credited_invoice_number"]))
    details += mentions.details(document, reader)
    billed = tr("Supplier") if document["type"] == "purchase_order" else tr("Billed to")
    parties = [pdf.Address(t(billed), [document["customer"]["name"], *document["customer"]["lines"]])]
    if document.get("delivery"):
        parties.append(pdf.Address(t(tr("Delivered to")), [document["delivery"]["name"], *document["delivery"]["lines"]]))
    columns = [
        pdf.TableColumn(t(tr("Description")), 4),
        pdf.TableColumn(t(tr("Qty")), 0.8, "right"),
        pdf.TableColumn(t(tr("Unit price")), 1.4, "right"),
        pdf.TableColumn(t(tr("Discount")), 0.9, "right"),
        pdf.TableColumn(t(tr("VAT")), 0.8, "right"),
        pdf.TableColumn(t(tr("Net")), 1.4, "right"),
    ]
    rows = [
        [
            line["description"],
            reader.decimal(line["quantity"]),
            reader.money(line["unit_price"]),
            reader.percent(str(_fraction(line["discount"]))) if line["discount"] != "0" else "",
            reader.percent(str(_fraction(line["tax_percent"]))),
            reader.money(line["net"]),
        ]
        for line in document["lines"]
    ]
    sums = [pdf.Total(t(tr("Total net")), reader.money(document["net"]))]
    for tax in document["taxes"]:
        label = tr("VAT {rate} on {taxable}", rate=reader.percent(str(_fraction(tax["rate"]))), taxable=reader.money(tax["taxable"]))
        sums.append(pdf.Total(t(label), reader.money(tax["tax"])))
    sums.append(pdf.Total(t(tr("Total due")) if document["type"] == "invoice" else t(tr("Total")), reader.money(document["gross"]), True))
    story = [pdf.title(title(document, reader)), pdf.key_values(details), pdf.spacer(4), pdf.addresses(*parties), pdf.spacer(4)]
    story += [pdf.lines_table(columns, rows), pdf.totals(sums)]
    reasons = [tax["exemption_reason"] for tax in document["taxes"] if tax.get("exemption_reason")]
    # Free texts, then the legal mentions (crm.finance.einvoice.mentions).
    for block in (*reasons, document.get("notes"), document.get("terms"), *mentions.notes(document, reader)):
        if block:
            story += [pdf.spacer(3), pdf.text(block, small=True)]
    return story


def _fraction(percent: str):
    from decimal import Decimal

    return Decimal(percent) / 100


def render(document: dict, logo: bytes | None) -> bytes:
    """The PDF of `document` (issued, or a draft completed as it would be issued)."""
    from crm.platform import pdf

    reader = _reader(document)
    seller = document.get("seller") or {"name": "", "lines": []}
    created = datetime.fromisoformat(document.get("issued_at") or document["created_at"])
    info = pdf.DocumentInfo(
        title=title(document, reader),
        author=seller["name"],
        created=created,
        subject=title(document, reader),
        keywords=document.get("number") or "",
        lang=reader.locale,
    )
    setup = pdf.PageSetup(
        pdf.Letterhead(seller["name"] or " ", seller["lines"], logo=logo),
        footer_lines=mentions.footer(document, reader),
        page_label=lambda n, m: reader.text(tr("Page {page} of {pages}", page=n, pages=m)),
    )
    return pdf.render(info, setup, _story(document, reader))


def logo_of(tenant: str) -> bytes | None:
    return finance_settings.logo_bytes(finance_settings.current(tenant).logo)


def _s3():
    return aws.client("s3")


def _made(document: dict, logo: bytes | None, path: str, exists: bool) -> bytes:
    """The file of an issued document: its render, with its CII XML embedded for a Factur-X one.
    A Factur-X file that an earlier attempt stored (its record not saved) is that file: the
    package dates what it writes, so it is never made twice."""
    if exists and facturx.applies(document):
        return content({"pdf": {"key": path}})
    data = render(document, logo)
    if facturx.applies(document):
        reader = _reader(document)
        data = facturx.embed(data, document, title(document, reader), reader.locale)
    return data


def stored(tenant: str, document: dict, logo: bytes | Literal["read"] | None = "read") -> dict:
    """The document with its PDF stored (rendered and put now if it is not there yet). A render
    that is not the stored file's bytes is refused (409): what was issued is never replaced."""
    if document.get("pdf"):
        return document
    logo = logo_of(tenant) if logo == "read" else logo
    if finance_settings.digest(logo) != document.get("logo_sha256"):
        raise Conflict(tr("the logo changed since the document was issued; its PDF cannot be made again as issued"))
    path = key(tenant, document)
    try:
        existing = _s3().head_object(Bucket=settings.documents_bucket(), Key=path)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None
        existing = None
    data = _made(document, logo, path, existing is not None)
    sha = hashlib.sha256(data).hexdigest()
    if existing is not None and existing.get("Metadata", {}).get("sha256") != sha:
        raise Conflict(tr("the stored PDF differs from a new render; the stored one stands"))
    if existing is None:
        try:
            _s3().put_object(Bucket=settings.documents_bucket(), Key=path, Body=data, ContentType=PDF, Metadata={"sha256": sha})
        except ClientError:
            raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None
    updated = {**document, "pdf": {"key": path, "sha256": sha, "size": len(data)}, "version": document["version"] + 1}
    file_in_folder(tenant, updated)
    repo.save_document(tenant, updated, document["version"])
    return updated


def put_issuing(tenant: str, document: dict, logo: bytes | None) -> dict:
    """The document, numbered and about to be issued in the caller's transaction, with its PDF
    rendered and put (the billing run: no HeadObject, no second write of the document). Its key is
    the document's, not its number's: rendered again for another number (the counter moved before
    the commit), the file never issued is replaced, so one issued invoice never has two files; a
    crash before the commit leaves a file no document names."""
    path = key(tenant, document, "issued.pdf")
    data = _made(document, logo, path, exists=False)
    sha = hashlib.sha256(data).hexdigest()
    try:
        _s3().put_object(Bucket=settings.documents_bucket(), Key=path, Body=data, ContentType=PDF, Metadata={"sha256": sha})
    except ClientError:
        raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None
    return {**document, "pdf": {"key": path, "sha256": sha, "size": len(data)}}


def file_in_folder(tenant: str, document: dict) -> None:
    """A copy of the stored PDF in the contact's folder, among its attachments (the office may
    remove it; the documents bucket's stays): a server-side copy, the same key each time."""
    try:
        source = (settings.documents_bucket(), document["pdf"]["key"])
        attachments.file(tenant, document["contact_id"], document["id"], "financial", filename(document), PDF, copied_from=source)
    except ClientError:
        raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None


def content(document: dict) -> bytes:
    """The stored PDF's bytes (to attach to an email)."""
    try:
        return _s3().get_object(Bucket=settings.documents_bucket(), Key=document["pdf"]["key"])["Body"].read()
    except ClientError:
        raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None


def _link(key: str, name: str, content_type: str = PDF) -> dict:
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.documents_bucket(),
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{name}"',
            "ResponseContentType": content_type,
        },
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    return {"url": url, "expires_at": clock.iso(clock.now() + URL_LIFETIME), "filename": name}


def download_link(document: dict) -> dict:
    return _link(document["pdf"]["key"], filename(document))


def put_file(key: str, data: bytes, name: str, content_type: str = PDF) -> dict:
    """A file made on request (a draft's preview under previews/, which the bucket's lifecycle
    removes after a day; an issued document's XML beside its PDF), and its download link."""
    try:
        _s3().put_object(Bucket=settings.documents_bucket(), Key=key, Body=data, ContentType=content_type)
    except ClientError:
        raise Unavailable(tr("the document store is unavailable; retry shortly"), headers={"Retry-After": "1"}) from None
    return _link(key, name, content_type)
