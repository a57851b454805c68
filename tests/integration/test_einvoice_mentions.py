"""The mentions French law asks of every invoice and credit note, found in the issued PDF's text
(pypdf) in French and in English; issuing while the account's legal identity or the customer's
record lacks one is refused with ONE problem listing each missing item and where to set it."""

from __future__ import annotations

import pytest

from tests.support.documents import page_texts
from tests.support.einvoice import stored_pdf
from tests.support.finance import CUSTOMER_SIREN, LINE, draft, issue, issued, set_legal_identity, setup_finance
from tests.support.lambdas import call

CUSTOMER_VAT = "FR44732829320"


@pytest.fixture
def world(aws):
    world = setup_finance()
    set_legal_identity(early_payment_discount={"rate": "2", "within_days": 10}, vat_on_debits=True)
    reply = call("PATCH", f"/contacts/{world['customer']}", body={"vat_number": CUSTOMER_VAT}, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    return world


def _text(document: dict) -> str:
    return " ".join(page_texts(stored_pdf(document)))


def _invoice(world, **fields) -> dict:
    lines = [LINE, {"description": "Robinet", "unit_price": 5000, "tax_rate": "S5"}]
    return issued(world["customer"], lines=lines, delivery_site_id=world["site"], delivery_date="2026-11-28", reference="PO-77", **fields)


ENGLISH = (
    # the seller: legal name and form, share capital, registered office, SIREN, RCS, VAT number
    "Plomberie Dupont SAS - SAS with a share capital of €10,000.00 - 12 rue des Lilas, 75011 Paris",
    "SIREN 303 265 045 - RCS Paris 303 265 045 - VAT number FR40303265045",
    # numbering and dates: issue, delivery or service, due
    "Invoice INV-000001",
    "Number INV-000001",
    "Delivery or service date 28 November 2026",
    "Due date",
    # the reform's four: the customer's SIREN, the delivery address, the nature of the operation, VAT on debits
    f"Customer's SIREN: {CUSTOMER_SIREN[:3]} {CUSTOMER_SIREN[3:6]} {CUSTOMER_SIREN[6:]}",
    "Delivered to Chantier Foch 1 av Foch 69006 Lyon",
    "Nature of the operation Supply of services",
    "VAT paid on debits (the seller has opted to pay VAT on debits)",
    # both parties' VAT numbers
    f"Customer's VAT number: {CUSTOMER_VAT}",
    # payment terms: penalties, the 40 EUR indemnity, the discount
    "Late payment penalties: 12.15% a year, due from the day after the due date.",
    "Fixed indemnity for recovery costs owed by a business paying late: €40.00.",
    "Early payment discount: 2% for payment within 10 days.",
    "Payment by bank transfer: IBAN FR7630006000011234567890189, BIC BNPAFRPPXXX",
    # VAT per rate
    "VAT 20% on €120.00 €24.00",
    "VAT 5.5% on €50.00 €2.75",
    "Total due €196.75",
)
FRENCH = (
    "Plomberie Dupont SAS - SAS au capital de 10 000,00 € - 12 rue des Lilas, 75011 Paris",
    "SIREN 303 265 045 - RCS Paris 303 265 045 - TVA intracommunautaire FR40303265045",
    "Facture INV-000001",
    "Date de livraison ou d'exécution 28 novembre 2026",
    "Échéance",
    "SIREN du client : 732 829 320",
    "Livré à Chantier Foch 1 av Foch 69006 Lyon",
    "Nature de l'opération Prestation de services",
    "Option pour le paiement de la taxe d'après les débits",
    f"N° de TVA intracommunautaire du client : {CUSTOMER_VAT}",
    "Pénalités de retard : 12,15 % par an, exigibles dès le lendemain de l'échéance.",
    "Indemnité forfaitaire pour frais de recouvrement due par un professionnel en cas de retard de paiement : 40,00 €.",
    "Escompte pour paiement anticipé : 2 % pour un paiement sous 10 jours.",
    "Paiement par virement : IBAN FR7630006000011234567890189, BIC BNPAFRPPXXX",
    "TVA 20 % sur 120,00 € 24,00 €",
    "TVA 5,5 % sur 50,00 € 2,75 €",
)


def test_an_invoice_carries_every_mention_in_english(world):
    text = _text(_invoice(world))
    for mention in ENGLISH:
        assert mention in text, mention


def test_an_invoice_carries_every_mention_in_french(world):
    text = _text(_invoice(world, person_id=world["accountant"]))  # Anne reads French
    for mention in FRENCH:
        assert mention in text, mention


def test_a_credit_note_names_its_invoice_and_carries_the_parties_mentions(world):
    invoice = _invoice(world)
    note = call("POST", "/documents/credit-notes", body={"invoice_id": invoice["id"], "lines": [1]}).json
    text = _text(issue(note).json)
    for mention in ("Credit note CRN-000001", "Credits invoice INV-000001", ENGLISH[0], ENGLISH[1], ENGLISH[6], ENGLISH[8]):
        assert mention in text, mention
    assert "Late payment penalties" not in text  # a credit note is not paid by the customer


def test_a_private_customer_owes_no_recovery_indemnity_and_the_discount_says_none(world):
    set_legal_identity()  # no discount for early payment: "none"
    text = _text(issued(world["other"]))
    assert "No discount for early payment." in text and "Late payment penalties: 12.15% a year" in text
    assert "recovery costs" not in text and "Customer's SIREN" not in text
    assert "Nature of the operation Supply of services" in text


def test_goods_and_services_say_so(world):
    doc = issued(world["customer"], operation="mixed")
    assert "Nature of the operation Supply of goods and services" in _text(doc)
    assert doc["operation"] == "mixed" and doc["delivery_date"] == doc["issue_date"]  # the issue date unless given


def test_issuing_without_the_legal_data_is_refused_with_each_missing_item_and_where_to_set_it(aws):
    world = setup_finance()
    call("PUT", "/settings/legal", role="admin", body={"legal_name": "Plomberie Dupont SAS"}, headers={"If-Match": '"1"'})
    group = call("POST", "/contact-groups", role="admin", body={"name": "Others"}).json["id"]
    bare = call("POST", "/contacts", body={"name": "Sans adresse", "group_id": group}).json
    doc = draft(bare["id"])
    reply = call("POST", f"/documents/{doc['id']}/issue", headers={"If-Match": '"1"', "Accept-Language": "fr-FR"})
    assert reply.status == 409
    fields = [e["field"] for e in reply.json["errors"]]
    assert fields == [
        "seller.legal_form",
        "seller.share_capital",
        "seller.address",
        "seller.siren",
        "seller.rcs_city",
        "seller.vat_number",
        "seller.late_payment_rate",
        "seller.early_payment_discount",
        "buyer.kind",
        "buyer.address",
        "buyer.country",
    ]
    messages = {e["field"]: e["message"] for e in reply.json["errors"]}
    assert messages["seller.siren"].startswith("n'est pas renseigné") and "PUT /settings/legal" in messages["seller.siren"]
    assert f"PATCH /contacts/{bare['id']}" in messages["buyer.kind"] and reply.json["detail"].startswith("le document ne peut pas")
    assert call("GET", f"/documents/{doc['id']}").json["status"] == "draft"  # nothing issued, no number taken
    assert issue(draft(world["customer"], "quote")).status == 200  # a quote needs none of it
