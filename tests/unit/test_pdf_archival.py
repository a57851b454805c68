"""The PDFs are built for archiving and e-invoicing: PDF/A-3b structure (embedded fonts, sRGB
output intent, XMP that matches the document information), the same bytes on every render, and
still PDF/A-3 once factur-x has embedded an invoice's XML."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest

from crm.platform import pdf
from tests.support.documents import STANDARD_14, fonts, invoice, png

PARIS_WINTER = timezone(timedelta(hours=1))
ROOT = Path(__file__).resolve().parents[2]

# A Factur-X MINIMUM invoice (the profile of the factur-x package's own smallest test file), with
# our seller and buyer: what the finance context will embed, at a richer profile.
MINIMUM_CII = b"""<?xml version='1.0' encoding='UTF-8'?>
<rsm:CrossIndustryInvoice xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>INV-000123</ram:ID>
  <ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20260115</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty>
    <ram:Name>Plomberie Dupont SAS</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">732829320</ram:ID></ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR44732829320</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty>
    <ram:Name>Societe Generale d'Equipement</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">552120222</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>23333.28</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">4666.66</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>27999.94</ram:GrandTotalAmount>
    <ram:DuePayableAmount>27999.94</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def render(**kwargs) -> bytes:
    return pdf.render(*invoice(**kwargs))


@pytest.fixture(scope="module")
def document() -> bytes:
    return render()


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))  # keep it in a name: its objects die with it


_PREFIXES = {
    "http://www.aiim.org/pdfa/ns/id/": "pdfaid",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
}


def _xmp(data: bytes) -> dict:
    """The XMP properties by their usual prefixed names ("pdfaid:part")."""
    with _open(data) as document:
        found = {}
        for qualified, value in document.open_metadata().items():
            namespace, name = qualified[1:].split("}")
            found[f"{_PREFIXES.get(namespace, namespace)}:{name}"] = value
        return found


def _pdfa(data: bytes) -> tuple[str | None, str | None]:
    meta = _xmp(data)
    return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


def _assert_embedded_fonts_only(data: bytes) -> None:
    found = fonts(data)
    assert found, "the document draws text"
    for name, font in found.items():
        assert name.split("+")[-1] not in STANDARD_14 and name not in STANDARD_14
        assert font.subtype == "/TrueType"
        assert font.program and len(font.program) > 1000, f"{name} has no embedded font program"


def test_every_font_is_embedded_and_none_is_one_of_the_standard_14(document):
    _assert_embedded_fonts_only(document)
    assert {name.split("+")[1] for name in fonts(document)} == {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold"}


def test_a_chart_in_the_document_brings_no_other_font():
    from crm.platform.charts import Series, ValueAxis, monthly_chart

    chart = monthly_chart(
        [datetime(2026, m, 1).date() for m in (1, 2, 3)],
        month_label=lambda m: m.strftime("%m/%Y"),
        value_axis=ValueAxis(lambda v: f"{v:.0f} €"),
        bars=[Series("Valeur", [100, 250, 50])],
        title="Projection",
        no_data="Aucune donnée",
    )
    _assert_embedded_fonts_only(render(extra=(chart,)))


def test_the_xmp_declares_pdfa_3b_and_repeats_the_document_information(document):
    meta = _xmp(document)
    opened = _open(document)
    info = opened.docinfo
    assert _pdfa(document) == ("3", "B")
    assert meta["dc:title"] == str(info.Title) == "Facture INV-000123"
    assert meta["dc:creator"] == [str(info.Author)] == ["Plomberie Dupont SAS"]
    assert meta["dc:description"] == str(info.Subject)
    assert meta["pdf:Keywords"] == str(info.Keywords)
    assert meta["pdf:Producer"] == str(info.Producer)
    assert meta["xmp:CreatorTool"] == str(info.Creator)
    assert datetime.fromisoformat(meta["xmp:CreateDate"]) == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert str(info.CreationDate) == str(info.ModDate) == "D:20260115093000+00'00'"
    assert opened.Root.Lang == "fr-FR"


def test_the_dates_are_the_documents_own_whatever_its_time_zone_not_the_time_of_rendering():
    data = render(created=datetime(2026, 1, 15, 10, 30, tzinfo=PARIS_WINTER))
    assert str(_open(data).docinfo.CreationDate) == "D:20260115093000+00'00'"
    assert datetime.fromisoformat(_xmp(data)["xmp:ModifyDate"]) == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        pdf.DocumentInfo(title="x", author="y", created=datetime(2026, 1, 15, 9, 30))


def test_the_output_intent_is_srgb_with_its_icc_profile_embedded(document):
    from PIL import ImageCms

    opened = _open(document)
    intents = opened.Root.OutputIntents
    assert len(intents) == 1
    intent = intents[0]
    assert intent.S == pikepdf.Name.GTS_PDFA1
    assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
    profile = intent.DestOutputProfile.read_bytes()
    assert intent.DestOutputProfile.N == 3
    assert profile[12:20] == b"mntrRGB " and profile[8] < 5  # a monitor RGB profile, ICC version below 5
    assert "sRGB" in ImageCms.ImageCmsProfile(io.BytesIO(profile)).profile.profile_description


def test_nothing_pdfa_forbids_encryption_javascript_actions_or_transparency():
    data = render(logo=png(colour=(200, 30, 30, 128)))  # a half-transparent logo
    document = _open(data)
    assert not document.is_encrypted and "/Encrypt" not in document.trailer
    assert not {"/OpenAction", "/AA", "/Names", "/AcroForm"} & set(document.Root.keys())
    for obj in document.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            assert "/SMask" not in obj and "/JS" not in obj and obj.get("/S") != pikepdf.Name.JavaScript
            assert float(obj.get("/CA", 1)) == 1 and float(obj.get("/ca", 1)) == 1
    images = [obj for obj in document.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image]
    assert len(images) == 1 and images[0].ColorSpace == pikepdf.Name.DeviceRGB
    assert all("/Group" not in page for page in document.pages)


def test_every_stream_keeps_its_length_and_ends_with_an_end_of_line(document):
    assert re.search(rb"[^\n]endstream", document) is None
    checked = _open(document)
    assert checked.check_pdf_syntax() == []  # qpdf finds every stream's /Length right, the xref sound
    header = document.split(b"\n", 2)
    assert header[0] == b"%PDF-1.7" and all(b > 127 for b in header[1][1:5])


def test_the_same_document_renders_the_same_bytes_in_this_process_and_in_another(document):
    assert render() == document
    # another interpreter with another hash seed, as the Lambda that re-renders would be
    script = "import sys; from crm.platform import pdf; from tests.support.documents import invoice; sys.stdout.buffer.write(pdf.render(*invoice()))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, env=env, cwd=ROOT).stdout  # noqa: S603 (this interpreter, our script)
    assert other == document
    assert render(created=datetime(2026, 1, 16, 9, 30, tzinfo=UTC)) != document  # the date is part of the document


def test_factur_x_embedding_keeps_the_file_pdfa_3(document):
    import facturx

    result = facturx.generate_from_binary(document, MINIMUM_CII, check_xsd=True)
    embedded, original = _open(result), _open(document)
    assert _pdfa(result) == ("3", "B")
    original_profile = original.Root.OutputIntents[0].DestOutputProfile.read_bytes()
    assert embedded.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFA1
    assert embedded.Root.OutputIntents[0].DestOutputProfile.read_bytes() == original_profile
    _assert_embedded_fonts_only(result)
    [attachment] = embedded.Root.AF
    assert str(attachment.F) == "factur-x.xml" and attachment.AFRelationship == pikepdf.Name.Data
    assert facturx.get_xml_from_pdf(result, check_xsd=False)[1] == MINIMUM_CII
    assert len(embedded.trailer.ID) == 2  # a file identifier, as PDF/A requires
