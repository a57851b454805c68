"""E-invoicing rules without AWS: the nature of the operation, each legal mention from the facts
an issued document fixed (French and English), and the EN 16931 data of the document (amounts to
the cent in its currency's places, the discount as a price discount, a credit note's reference)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from facturx import parse_ubl_cii_xml

from crm.finance import lines as document_lines
from crm.finance import money
from crm.finance.einvoice import en16931, facts, mentions, syntax
from crm.platform.i18n import Reader

SELLER = {
    "legal_name": "Plomberie Dupont SAS",
    "legal_form": "SAS",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "address": {"line1": "12 rue des Lilas", "postcode": "75011", "city": "Paris", "country": "FR"},
    "siren": "303265045",
    "rcs_city": "Paris",
    "vat_number": "FR40303265045",
    "iban": "FR7630006000011234567890189",
    "late_payment_rate": "12.15",
    "recovery_indemnity": {"amount": 4000, "currency": "EUR"},
    "early_payment_discount": {"rate": "2", "within_days": 10},
    "vat_on_debits": True,
}
BUYER = {
    "name": "SGE",
    "kind": "business",
    "country": "FR",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "address": {"line1": "3 rue de l'Église", "postcode": "69003", "city": "Lyon", "country": "FR"},
}


def _line(description: str, quantity: str, unit_price: int, percent: str, discount: str = "0", category: str = "S", **extra) -> dict:
    line = {"kind": "free", "description": description, "quantity": quantity, "unit_price": unit_price, "discount": discount}
    line |= {"tax_rate": category + percent, "tax_category": category, "tax_percent": percent, **extra}
    return {**line, "net": money.line_net(document_lines.amounts(line))}


def _document(doc_type: str = "invoice", currency: str = "EUR", buyer: dict = BUYER, **fields) -> dict:
    chosen = [
        _line("Entretien", "1", 12000, "20"),
        _line("Main d'œuvre", "1.5", 5050, "5.5", discount="10"),
        _line("Formation", "1", 2000, "0", category="E", exemption_reason="Exonération, art. 261 du CGI", exemption_code="VATEX-FR-261"),
    ]
    document = {"type": doc_type, "number": "INV-000042", "currency": currency, "lines": chosen, **document_lines.priced(chosen)}
    document |= {"issue_date": "2026-12-01", "delivery_date": "2026-11-28", "due_date": "2026-12-31", "operation": "services"}
    document |= {"legal": {"seller": SELLER, "buyer": buyer}, "e_invoice": "factur-x"}
    return {**document, **fields}


@pytest.mark.parametrize(
    ("kinds", "operation"),
    [(["free", "predefined"], "services"), (["stock", "stock"], "goods"), (["stock", "free"], "mixed")],
)
def test_the_nature_of_the_operation_follows_the_lines_unless_the_draft_says(kinds, operation):
    assert facts.operation({"lines": [{"kind": k} for k in kinds]}) == operation
    assert facts.operation({"lines": [{"kind": k} for k in kinds], "operation": "goods"}) == "goods"


ENGLISH = Reader(locale="en-GB", currency="EUR")
FRENCH = Reader(locale="fr-FR", currency="EUR")


def test_each_mention_in_english_and_in_french():
    document = _document()
    assert mentions.footer(document, ENGLISH) == [
        "Plomberie Dupont SAS - SAS with a share capital of €10,000.00 - 12 rue des Lilas, 75011 Paris",
        "SIREN 303 265 045 - RCS Paris 303 265 045 - VAT number FR40303265045",
    ]
    assert mentions.details(document, ENGLISH) == [
        ("Delivery or service date", "28 November 2026"),
        ("Nature of the operation", "Supply of services"),
    ]
    assert mentions.notes(document, ENGLISH) == [
        "Customer's SIREN: 732 829 320",
        "Customer's VAT number: FR44732829320",
        "VAT paid on debits (the seller has opted to pay VAT on debits)",
        "Late payment penalties: 12.15% a year, due from the day after the due date.",
        "Fixed indemnity for recovery costs owed by a business paying late: €40.00.",
        "Early payment discount: 2% for payment within 10 days.",
        "Payment by bank transfer: IBAN FR7630006000011234567890189",
    ]
    french = " ".join([*mentions.footer(document, FRENCH), *mentions.notes(document, FRENCH)]).replace("\u202f", " ").replace("\xa0", " ")
    for mention in (
        "SAS au capital de 10 000,00 €",
        "TVA intracommunautaire FR40303265045",
        "SIREN du client : 732 829 320",
        "Option pour le paiement de la taxe d'après les débits",
        "Pénalités de retard : 12,15 % par an",
        "frais de recouvrement due par un professionnel en cas de retard de paiement : 40,00 €",
        "Escompte pour paiement anticipé : 2 % pour un paiement sous 10 jours",
    ):
        assert mention in french, mention


def test_a_private_customer_has_no_indemnity_and_a_credit_note_no_payment_terms():
    private = _document(buyer={"name": "Anne", "kind": "individual", "country": "FR", "address": BUYER["address"]})
    notes = " ".join(mentions.notes(private, ENGLISH))
    assert "recovery costs" not in notes and "Customer's SIREN" not in notes and "Late payment penalties" in notes
    credit = " ".join(mentions.notes(_document("credit_note"), ENGLISH))
    assert "Late payment" not in credit and "Early payment" not in credit and "Customer's SIREN" in credit


def test_the_en16931_amounts_are_the_documents_to_the_cent():
    document = _document()
    data = en16931.data(document)
    assert (data["BT-109"], data["BT-110"], data["BT-112"], data["BT-115"]) == ("208.18", "27.75", "235.93", "235.93")
    assert (document["net"], document["tax"], document["gross"]) == (20818, 2775, 23593)
    assert [(t["BT-118"], t["BT-119"], t["BT-116"], t["BT-117"]) for t in data["BG-23"]] == [
        ("S", "20.00", "120.00", "24.00"),
        ("S", "5.50", "68.18", "3.75"),
        ("E", "0.00", "20.00", "0.00"),
    ]
    assert data["BG-23"][2]["BT-120"] == "Exonération, art. 261 du CGI" and data["BG-23"][2]["BT-121"] == "VATEX-FR-261"
    labour = data["BG-25"][1]
    # 50.50 less 10 %: a net price of 45.45, 1.5 of them 68.175 -> the document's 68.18
    assert (labour["BT-148"], labour["BT-147-00"], labour["BT-146"], labour["BT-131"]) == ("50.50", [{"BT-147": "5.05"}], "45.45", "68.18")
    assert (data["BT-23"], data["BG-4"]["einvoicing_addr"], data["BG-7"]["einvoicing_addr_schemeid"]) == ("S1", "303265045", "0225")


def test_a_currency_without_minor_units_keeps_its_own_places():
    data = en16931.data(_document(currency="JPY"))
    assert data["BT-112"] == "23593" and data["BG-25"][0]["BT-131"] == "12000"


def test_a_credit_note_is_type_381_naming_its_invoice_and_both_syntaxes_read_back_the_same():
    note = _document("credit_note", number="CRN-000007", credited_invoice_number="INV-000042", credited_invoice_date="2026-11-30")
    for form in ("cii", "ubl"):
        parsed = parse_ubl_cii_xml(syntax.xml(note, form))
        assert parsed["BT-3"] == "381" and parsed["BG-3"][0]["BT-25"] == "INV-000042"
        assert Decimal(parsed["BT-112"]) == Decimal("235.93")


def test_a_seller_whose_address_names_no_country_is_french_by_its_siren():
    seller = {**SELLER, "address": {k: v for k, v in SELLER["address"].items() if k != "country"}}
    document = _document()
    document["legal"] = {**document["legal"], "seller": seller}
    assert en16931.data(document)["BG-4"]["country_code"] == "FR"
    assert syntax.xml(document, "cii").count(b"<ram:CountryID>FR</ram:CountryID>") == 2
