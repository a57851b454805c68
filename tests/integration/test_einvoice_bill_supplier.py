"""A received bill whose supplier is not a contact: the office creates the contact from what the
file proposes (name, SIREN, SIRET, VAT number, address) and the bill is linked to it in the same
call; the next file from that supplier then finds it. Idempotent, 409 once linked, 422 naming the
field the contacts refuse with nothing written, 404 across tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.einvoice_world import receive, setup_einvoicing
from tests.support.lambdas import call

FIXTURES = Path(__file__).parents[1] / "fixtures" / "einvoice"
UBL = (FIXTURES / "ubl-21-en16931.xml").read_bytes()  # from "Au bon moulin", SIREN 999999998: no contact of the account
NEXT_UBL = UBL.replace(b"<cbc:ID>F124212</cbc:ID>", b"<cbc:ID>F124213</cbc:ID>", 1)


@pytest.fixture
def world(aws):
    world = setup_einvoicing()
    group = call("POST", "/contact-groups", role="admin", body={"name": "Fournisseurs"}).json["id"]
    bill = receive(UBL, "facture.xml", "application/xml")
    assert bill.status == 201 and bill.json["supplier"].get("contact_id") is None, bill.body
    return world | {"suppliers": group, "bill": bill.json}


def _supplier(bill_id: str, body: dict, **kw):
    return call("POST", f"/received-invoices/{bill_id}/supplier", body=body, **kw)


def test_the_proposed_supplier_becomes_a_contact_the_bill_and_the_next_file_are_linked_to(world):
    bill = world["bill"]
    reply = _supplier(bill["id"], {"group_id": world["suppliers"]}, headers={"Idempotency-Key": "make-supplier-1"})
    assert reply.status == 201, reply.body
    contact_id = reply.json["supplier"]["contact_id"]
    assert reply.headers["location"] == f"/contacts/{contact_id}" and reply.headers["etag"] == '"2"'
    assert reply.json["version"] == 2 and reply.json["supplier"]["siren"] == "999999998"

    contact = call("GET", f"/contacts/{contact_id}").json
    assert (contact["name"], contact["group_id"], contact["kind"]) == ("Au bon moulin", world["suppliers"], "business")
    assert (contact["siren"], contact["siret"], contact["vat_number"], contact["country"]) == (
        "999999998",
        "99999999800019",
        "FR11999999998",
        "FR",
    )
    assert contact["address"] == {
        "line1": "1242 chemin de l'olive",
        "line2": "Lieu dit des senteurs, ZAC du Mont Ventoux",
        "postcode": "84340",
        "city": "Malaucène",
        "region": None,
        "country": "FR",
    }
    assert call("GET", f"/received-invoices/{bill['id']}").json["supplier"]["contact_id"] == contact_id

    again = _supplier(bill["id"], {"group_id": world["suppliers"]}, headers={"Idempotency-Key": "make-supplier-1"})
    assert again.status == 201 and again.json["supplier"]["contact_id"] == contact_id  # the same answer, nothing made twice
    assert len(call("GET", "/contacts", query={"group_id": world["suppliers"]}).json["items"]) == 1
    twice = _supplier(bill["id"], {"group_id": world["suppliers"]})
    assert twice.status == 409 and len(call("GET", "/contacts", query={"group_id": world["suppliers"]}).json["items"]) == 1

    following = receive(NEXT_UBL, "suivante.xml", "application/xml")
    assert following.status == 201, following.body
    assert following.json["supplier"]["contact_id"] == contact_id


def test_a_field_sent_replaces_the_files_and_a_bad_identifier_is_a_422_naming_it_with_nothing_written(world):
    bill = world["bill"]
    bad = _supplier(bill["id"], {"group_id": world["suppliers"], "vat_number": "FR12999999998", "siret": "99999999800018"})
    assert bad.status == 422, bad.body
    assert {e["field"] for e in bad.json["errors"]} >= {"siret", "vat_number"}
    no_group = _supplier(bill["id"], {"group_id": "01J00000000000000000000000"})
    assert no_group.status == 422 and [e["field"] for e in no_group.json["errors"]] == ["group_id"]
    unknown = _supplier(bill["id"], {"group_id": world["suppliers"], "colour": "red"})
    assert unknown.status == 422
    assert call("GET", "/contacts", query={"group_id": world["suppliers"]}).json["items"] == []
    assert call("GET", f"/received-invoices/{bill['id']}").json["supplier"].get("contact_id") is None

    named = _supplier(bill["id"], {"group_id": world["suppliers"], "name": "Moulin de Malaucène", "siret": None, "reference": "F-MOULIN"})
    assert named.status == 201, named.body
    contact = call("GET", f"/contacts/{named.json['supplier']['contact_id']}").json
    assert (contact["name"], contact["siret"], contact["reference"]) == ("Moulin de Malaucène", None, "F-MOULIN")
    assert named.json["supplier"]["name"] == "Au bon moulin"  # the bill keeps the supplier as its file names it


def test_a_bill_already_matched_or_of_another_tenant_gets_no_new_supplier(world):
    bill = world["bill"]
    assert _supplier(bill["id"], {"group_id": world["suppliers"]}, tenant="t2").status == 404
    assert _supplier("01J00000000000000000000000", {"group_id": world["suppliers"]}).status == 404
    call("POST", "/contacts", body={"name": "Le Fournisseur", "group_id": world["suppliers"], "kind": "business", "siren": "123456782"})
    matched = receive((FIXTURES / "invoice_EN16931.pdf").read_bytes()).json
    assert matched["supplier"]["contact_id"]
    taken = _supplier(matched["id"], {"group_id": world["suppliers"]})
    assert taken.status == 409 and "already has its supplier" in taken.json["detail"]


def _deleted(contact_id: str):
    contact = call("GET", f"/contacts/{contact_id}")
    return call("DELETE", f"/contacts/{contact_id}", headers={"If-Match": contact.headers["etag"]})


def test_a_supplier_with_bills_is_kept_whether_it_was_matched_or_made_from_a_bill(world):
    made = _supplier(world["bill"]["id"], {"group_id": world["suppliers"]}).json["supplier"]["contact_id"]
    refused = _deleted(made)
    assert refused.status == 409 and "1 financial document" in refused.json["detail"], refused.body
    assert call("GET", f"/contacts/{made}").status == 200

    matched = receive(NEXT_UBL, "suivante.xml", "application/xml").json["supplier"]["contact_id"]
    assert matched == made
    assert "2 financial documents" in _deleted(made).json["detail"]

    unbilled = call("POST", "/contacts", body={"name": "Sans facture", "group_id": world["suppliers"]}).json["id"]
    assert _deleted(unbilled).status == 204  # the count is the bills', not every supplier's
