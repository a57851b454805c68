"""Factur-X EN 16931 for a business customer's invoice or credit note: the CII XML extracted from
the stored PDF is valid against the XSD, passes the EN 16931 and French CTC schematrons (saxonche),
and parsed back its amounts are the API's to the cent; the file is PDF/A-3 (XMP), the XML attached
with AFRelationship Data, every font embedded. A private customer's invoice is a plain PDF/A-3."""

from __future__ import annotations

import io
from decimal import Decimal

import pikepdf
import pytest
from facturx import get_xml_from_pdf, parse_ubl_cii_xml

from crm.finance import pdfs, service
from tests.support.documents import fonts
from tests.support.einvoice import (
    CII_EN16931,
    CII_FR_CTC,
    embedded_files,
    pdfa_part,
    schematron_failures,
    stored_pdf,
    xsd_valid,
)
from tests.support.finance import CUSTOMER_SIREN, LINE, issue, issued, setup_finance
from tests.support.lambdas import call

LINES = [
    LINE,
    {"description": "Main d'œuvre", "quantity": "1.5", "unit_price": 5050, "discount": "10", "tax_rate": "S5"},
    {"kind": "predefined", "code": "CALL"},
    {"description": "Formation", "unit_price": 2000, "tax_rate": "E"},
    {"description": "Joint", "quantity": "3", "unit_price": 3, "tax_rate": "S20"},
]


@pytest.fixture
def world(aws):
    return setup_finance()


def _major(minor: int) -> Decimal:
    return Decimal(minor) / 100


def _cii(document: dict) -> bytes:
    filename, xml = get_xml_from_pdf(stored_pdf(document), check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def test_a_business_invoice_is_factur_x_whose_xml_passes_the_xsd_and_both_schematrons(world):
    invoice = issued(world["customer"], lines=LINES, delivery_site_id=world["site"], reference="PO-77")
    assert invoice["e_invoice"] == "factur-x"
    xml = _cii(invoice)
    assert xsd_valid(xml, "factur-x")
    assert schematron_failures(xml, CII_EN16931) == []
    assert schematron_failures(xml, CII_FR_CTC) == []


def test_the_xml_amounts_are_the_documents_to_the_cent(world):
    invoice = issued(world["customer"], lines=LINES)
    data = parse_ubl_cii_xml(_cii(invoice))
    assert (data["BT-1"], data["BT-3"], data["BT-5"]) == ("INV-000001", "380", "EUR")
    assert data["BG-7"]["legal_identifier"] == CUSTOMER_SIREN
    assert [Decimal(data[bt]) for bt in ("BT-109", "BT-110", "BT-112", "BT-115")] == [
        _major(invoice[k]) for k in ("net", "tax", "gross", "due")
    ]
    assert [(t["BT-118"], Decimal(t["BT-119"]), Decimal(t["BT-116"]), Decimal(t["BT-117"])) for t in data["BG-23"]] == [
        (t["category"], Decimal(t["rate"]), _major(t["taxable"]), _major(t["tax"])) for t in invoice["taxes"]
    ]
    assert [Decimal(line["BT-131"]) for line in data["BG-25"]] == [_major(line["net"]) for line in invoice["lines"]]
    assert str(data["BT-9"]) == invoice["due_date"] and str(data["BT-72"]) == invoice["delivery_date"]


def test_a_credit_note_names_the_invoice_it_corrects(world):
    invoice = issued(world["customer"], lines=LINES)
    note = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"], "lines": [0, 1]}).json
    note = issue(note).json
    xml = _cii(note)
    assert schematron_failures(xml, CII_EN16931) == [] and schematron_failures(xml, CII_FR_CTC) == []
    data = parse_ubl_cii_xml(xml)
    assert data["BT-3"] == "381"
    assert [(ref["BT-25"], str(ref["BT-26"])) for ref in data["BG-3"]] == [("INV-000001", invoice["issue_date"])]
    assert Decimal(data["BT-112"]) == _major(note["gross"])


def test_the_file_is_pdfa_3_with_the_xml_attached_as_data_and_every_font_embedded(world):
    invoice = issued(world["customer"])
    data = stored_pdf(invoice)
    assert pdfa_part(data) == ("3", "B")
    (relationship, xml) = embedded_files(data)["factur-x.xml"]
    assert relationship == "/Data" and xml == _cii(invoice)
    assert fonts(data) and all(font.program for font in fonts(data).values())
    with pikepdf.open(io.BytesIO(data)) as pdf:  # the toolkit's sRGB output intent kept through the embedding
        assert [str(intent.S) for intent in pdf.Root.OutputIntents] == ["/GTS_PDFA1"]
        assert pdf.open_metadata().get("{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}ConformanceLevel") == "EN 16931"


def test_a_private_customers_invoice_is_a_plain_pdfa_3_made_again_byte_for_byte(world):
    invoice = issued(world["other"])
    assert invoice["e_invoice"] == "pdf"
    data = stored_pdf(invoice)
    assert pdfa_part(data) == ("3", "B") and embedded_files(data) == {}
    assert pdfs.render(service.get("t1", invoice["id"]), None) == data
