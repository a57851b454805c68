"""A business customer's invoice or credit note as Factur-X: the toolkit's PDF/A-3 with the
document's CII XML embedded by the factur-x package (`generate_from_binary`: the XML attached as
factur-x.xml, AFRelationship Data, the Factur-X XMP extension schema).

The package writes the current time into the PDF's dates and XMP, so a Factur-X file is made once,
at issue, stored, and never made again (crm.finance.pdfs.stored keeps the stored one)."""

from __future__ import annotations

from crm.finance.einvoice import syntax


def applies(document: dict) -> bool:
    return document.get("e_invoice") == "factur-x"


def embed(pdf: bytes, document: dict, title: str, lang: str) -> bytes:
    from facturx import generate_from_binary

    seller = document["legal"]["seller"]
    metadata = {
        "author": seller.get("legal_name") or "",
        "keywords": f"Factur-X, {document['number']}",
        "title": title,
        "subject": title,
    }
    cii = syntax.xml(document, "cii")
    return generate_from_binary(pdf, cii, flavor="factur-x", level=syntax.PROFILE, check_xsd=False, pdf_metadata=metadata, lang=lang)
