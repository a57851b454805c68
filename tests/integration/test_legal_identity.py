"""Legal identity through the contacts function: the account's (GET/PUT /settings/legal), a
contact's identifiers (written with the contact, found by SIREN or VAT number), and what finance
asks before issuing an invoice (legal.missing_for_invoice)."""

from __future__ import annotations

import pytest

from crm.contacts import legal
from tests.support.lambdas import call

SIREN, SIRET, VAT = "732829320", "73282932000074", "FR44732829320"
PARIS = {"line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}
SELLER = {
    "legal_name": "Plomberie Martin SARL",
    "legal_form": "SARL",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "address": PARIS,
    "siret": "303 265 045 00011",
    "rcs_city": "Paris",
    "vat_number": "FR 40 303 265 045",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "BNPAFRPPXXX",
    "late_payment_rate": "12.15",
    "early_payment_discount": {"rate": "2", "within_days": 10},
    "vat_on_debits": True,
}
FRENCH = {"Accept-Language": "fr-FR"}


@pytest.fixture
def group(aws):
    return call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]


def put_identity(body: dict, version: str, **kwargs):
    return call("PUT", "/settings/legal", role="admin", body=body, headers={"If-Match": version, **kwargs.pop("headers", {})}, **kwargs)


def test_an_admin_sets_the_legal_identity_office_staff_read_it(aws):
    first = call("GET", "/settings/legal")
    assert first.status == 200 and first.headers["etag"] == '"0"'
    assert first.json["version"] == 0 and first.json["siren"] is None
    assert first.json["recovery_indemnity"] == {"amount": 4000, "currency": "EUR"}  # the law's, until changed

    saved = put_identity(SELLER, '"0"')
    assert saved.status == 200, saved.body
    assert saved.headers["etag"] == '"1"'
    read = call("GET", "/settings/legal").json
    # Stored compact, the SIREN taken from the SIRET.
    assert (read["siren"], read["siret"], read["vat_number"]) == ("303265045", "30326504500011", "FR40303265045")
    assert (read["iban"], read["bic"]) == ("FR7630006000011234567890189", "BNPAFRPPXXX")
    assert read["early_payment_discount"] == {"rate": "2", "within_days": 10} and read["vat_on_debits"] is True
    assert legal.legal_identity("t1").siren == "303265045"
    assert call("GET", "/settings/legal", tenant="t2").json["version"] == 0  # another account's is its own


def test_a_change_needs_the_current_version(aws):
    assert call("PUT", "/settings/legal", role="admin", body=SELLER).status == 428
    assert put_identity(SELLER, '"0"').status == 200
    stale = put_identity({**SELLER, "legal_name": "Other"}, '"0"')
    assert stale.status == 412
    assert put_identity({**SELLER, "early_payment_discount": "none"}, '"1"').json["early_payment_discount"] == "none"
    assert put_identity({"legal_name": "Martin"}, "*").json == {**call("GET", "/settings/legal").json, "legal_name": "Martin"}


def test_every_bad_field_is_named_and_nothing_is_stored(aws):
    assert put_identity(SELLER, '"0"').status == 200
    bad = put_identity(
        {
            **SELLER,
            "siren": "732829320",  # the SIRET and VAT number are another company's
            "iban": "FR7630006000011234567890188",
            "bic": "BNPA",
            "late_payment_rate": "-3",
            "recovery_indemnity": {"amount": 1000, "currency": "EUR"},
            "id": "x",
        },
        '"1"',
    )
    assert bad.status == 422
    assert {e["field"] for e in bad.json["errors"]} == {
        "siret",
        "vat_number",
        "iban",
        "bic",
        "late_payment_rate",
        "recovery_indemnity",
        "id",
    }
    assert call("GET", "/settings/legal").json["version"] == 1


def test_the_problem_reads_in_french(aws):
    bad = put_identity({"iban": "FR7630006000011234567890188", "vat_number": "FR45732829320"}, '"0"', headers=FRENCH)
    messages = {e["field"]: e["message"] for e in bad.json["errors"]}
    assert "IBAN" in messages["iban"] and "clé" in messages["iban"]
    assert "TVA" in messages["vat_number"]


def new_contact(group, **fields):
    reply = call("POST", "/contacts", body={"name": "ABC", "group_id": group, **fields})
    assert reply.status == 201, reply.body
    return reply.json


def test_a_contact_keeps_its_identifiers_compact_and_checked(group):
    contact = new_contact(group, siret="732 829 320 00074", vat_number="fr44 732 829 320", address=PARIS)
    assert (contact["kind"], contact["siren"], contact["siret"], contact["vat_number"]) == ("business", SIREN, SIRET, VAT)
    bad = call("POST", "/contacts", body={"name": "", "group_id": group, "siren": "732829321", "kind": "individual", "vat_number": VAT})
    assert bad.status == 422
    assert {e["field"] for e in bad.json["errors"]} == {"name", "siren", "vat_number"}
    changed = call("PATCH", f"/contacts/{contact['id']}", body={"siret": "30326504500011"}, headers={"If-Match": f'"{contact["version"]}"'})
    assert changed.status == 422 and [e["field"] for e in changed.json["errors"]] == ["siret"]
    assert call("GET", f"/contacts/{contact['id']}").json["siret"] == SIRET


def test_contacts_are_found_by_siren_or_vat_number_the_sites_of_a_company_together(group):
    company = new_contact(group, name="ABC Holding", siren=SIREN)
    site = new_contact(group, name="ABC Lyon", siret=SIRET, parent_id=company["id"])
    new_contact(group, name="Other", siren="303265045")
    german = new_contact(group, name="Müller GmbH", country="DE", vat_number="DE136695976")
    call("POST", "/contacts", tenant="t2", body={"name": "Not yours", "group_id": group, "siren": SIREN})

    def found(**query):
        reply = call("GET", "/contacts", query=query)
        assert reply.status == 200, reply.body
        return [c["id"] for c in reply.json["items"]]

    assert found(siren="732 829 320") == [company["id"], site["id"]]
    assert found(vat_number=VAT) == [company["id"], site["id"]]  # a French VAT number is its SIREN's
    assert found(siren=SIREN, parent_id=company["id"]) == [site["id"]]
    first = call("GET", "/contacts", query={"siren": SIREN, "limit": 1}).json
    assert [c["id"] for c in first["items"]] == [company["id"]]
    assert found(siren=SIREN, limit=1, cursor=first["next_cursor"]) == [site["id"]]
    assert found(vat_number="de 136695976") == [german["id"]]
    assert found(siren=SIREN, vat_number="FR40303265045") == []
    assert call("GET", "/contacts", query={"siren": SIREN}, role="resource").status == 200
    bad = call("GET", "/contacts", query={"siren": "732829321", "vat_number": "136695976"})
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} == {"siren", "vat_number"}


def test_what_an_invoice_lacks_is_listed_with_where_to_set_it(group):
    customer = new_contact(group, name="ABC", kind="business", address=PARIS)
    missing = legal.missing_for_invoice("t1", customer["id"])
    assert [m.item for m in missing] == [
        "seller.legal_name",
        "seller.legal_form",
        "seller.share_capital",
        "seller.address",
        "seller.siren",
        "seller.rcs_city",
        "seller.vat_number",
        "seller.late_payment_rate",
        "seller.early_payment_discount",
        "buyer.siren",
    ]
    assert "PUT /settings/legal" in missing[0].where and f"PATCH /contacts/{customer['id']}" in missing[-1].where
    assert missing[-1].field_error().field == "buyer.siren"

    assert put_identity(SELLER, '"0"').status == 200
    call("PATCH", f"/contacts/{customer['id']}", body={"siren": SIREN}, headers={"If-Match": '"1"'})
    assert legal.missing_for_invoice("t1", customer["id"]) == []
