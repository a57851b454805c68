"""Reading a document's PDF: the stored file of an issued document through a presigned URL, or
the preview of a draft (rendered, never stored)."""

from __future__ import annotations

from crm.finance import lifecycle, pdfs
from crm.finance import service as documents
from crm.platform.auth import Principal


def pdf_link(principal: Principal, document_id: str) -> dict:
    document = documents.get(principal.tenant, document_id)
    lifecycle.check_issued(document)
    return pdfs.download_link(pdfs.stored(principal.tenant, document))
