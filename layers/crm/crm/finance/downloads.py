"""Reading a document's PDF: the stored file of an issued document, or the preview of a draft
(rendered as it would be issued, unnumbered, "Draft" in its title; kept a day under previews/,
never as the document's record); and an issued invoice's or credit note's bare CII or UBL 2.1
XML, made from what it fixed at issue and put beside its PDF; each through a presigned URL."""

from __future__ import annotations

from crm.finance import issuing, lifecycle, pdfs
from crm.finance import service as documents
from crm.finance.einvoice import syntax
from crm.finance.einvoice.facts import LEGAL_TYPES
from crm.platform import audit, ids
from crm.platform.auth import Principal
from crm.platform.errors import Conflict
from crm.platform.i18n import tr


def pdf_link(principal: Principal, document_id: str) -> dict:
    """The link, once the audit trail records who asked for it."""
    document = documents.get(principal.tenant, document_id)
    audit.write(principal, "document.downloaded", "document", document_id, preview=document["status"] == "draft")
    if document["status"] == "draft":
        draft, logo = issuing.preview(principal, document_id)
        key = f"previews/t/{principal.tenant}/{document_id}/{ids.new_id()}.pdf"
        return pdfs.put_file(key, pdfs.render(draft, logo), pdfs.filename(draft))
    return pdfs.download_link(pdfs.stored(principal.tenant, document))


def einvoice_link(principal: Principal, document_id: str, form: syntax.Syntax) -> dict:
    """The link to the document's XML in `form` (cii or ubl), once the audit trail records it."""
    document = documents.get(principal.tenant, document_id)
    if document["type"] not in LEGAL_TYPES:
        raise Conflict(tr("only an invoice or a credit note has an e-invoice"))
    lifecycle.check_issued(document)
    if not document.get("legal"):
        raise Conflict(tr("the document was issued before e-invoicing: it has no e-invoice"))
    audit.write(principal, "document.downloaded", "document", document_id, format=form)
    name = syntax.filename(document, form)
    return pdfs.put_file(pdfs.key(principal.tenant, document, name), syntax.xml(document, form), name, syntax.MEDIA_TYPE)
