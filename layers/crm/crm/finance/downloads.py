"""Reading a document's PDF: the stored file of an issued document, or the preview of a draft
(rendered as it would be issued, unnumbered, "Draft" in its title; kept a day under previews/,
never as the document's record), each through a presigned URL."""

from __future__ import annotations

from crm.finance import pdfs
from crm.finance import service as documents
from crm.platform import audit, ids
from crm.platform.auth import Principal


def pdf_link(principal: Principal, document_id: str) -> dict:
    """The link, once the audit trail records who asked for it."""
    document = documents.get(principal.tenant, document_id)
    audit.write(principal, "document.downloaded", "document", document_id, preview=document["status"] == "draft")
    if document["status"] == "draft":
        draft, logo = documents.preview(principal, document_id)
        key = f"previews/t/{principal.tenant}/{document_id}/{ids.new_id()}.pdf"
        return pdfs.put_preview(key, pdfs.render(draft, logo), pdfs.filename(draft))
    return pdfs.download_link(pdfs.stored(principal.tenant, document))
