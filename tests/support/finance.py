"""A world for the finance tests: a business customer with an address and its SIREN, a child site,
persons (one who receives financial documents, in French), a private customer ("other"), finance
settings with tax rates, the account's legal identity; helpers to make and issue documents."""

from __future__ import annotations

from tests.support.lambdas import call

TAX_RATES = [
    {"code": "S20", "name": "TVA 20 %", "rate": "20"},
    {"code": "S5", "name": "TVA 5,5 %", "rate": "5.5"},
    {"code": "E", "name": "Exonérée", "rate": "0", "category": "E", "exemption_reason": "Exonération de TVA, article 261 du CGI"},
]
LINE = {"description": "Entretien chaudière", "quantity": "1", "unit_price": 12000, "tax_rate": "S20"}
CUSTOMER_SIREN = "732829320"
SELLER = {
    "legal_name": "Plomberie Dupont SAS",
    "legal_form": "SAS",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "address": {"line1": "12 rue des Lilas", "postcode": "75011", "city": "Paris", "country": "FR"},
    "siret": "30326504500011",
    "rcs_city": "Paris",
    "vat_number": "FR40303265045",
    "iban": "FR7630006000011234567890189",
    "bic": "BNPAFRPPXXX",
    "late_payment_rate": "12.15",
    "early_payment_discount": "none",
}


def set_legal_identity(tenant: str = "t1", **changes) -> None:
    """The account's legal identity, complete for invoices (`changes` replace its fields)."""
    version = call("GET", "/settings/legal", tenant=tenant).json["version"]
    body = {k: v for k, v in {**SELLER, **changes}.items() if v is not None}
    reply = call("PUT", "/settings/legal", role="admin", tenant=tenant, body=body, headers={"If-Match": f'"{version}"'})
    assert reply.status == 200, reply.body


def setup_finance() -> dict:
    group = call("POST", "/contact-groups", role="admin", body={"name": "Clients"}).json["id"]
    address = {"line1": "3 rue de l'Église", "city": "Lyon", "postcode": "69003", "country": "FR"}
    customer = call(
        "POST",
        "/contacts",
        body={"name": "Société Générale d'Équipement", "group_id": group, "address": address, "kind": "business", "siren": CUSTOMER_SIREN},
    ).json
    site = call(
        "POST",
        "/contacts",
        body={
            "name": "Chantier Foch",
            "group_id": group,
            "parent_id": customer["id"],
            "address": {"line1": "1 av Foch", "postcode": "69006", "city": "Lyon", "country": "FR"},
            "kind": "business",
            "siren": CUSTOMER_SIREN,
        },
    ).json
    home = {"line1": "8 rue Victor Hugo", "city": "Lyon", "postcode": "69002", "country": "FR"}
    other = call("POST", "/contacts", body={"name": "Other Ltd", "group_id": group, "kind": "individual", "address": home}).json
    accountant = call(
        "POST",
        f"/contacts/{customer['id']}/persons",
        body={"name": "Anne Compta", "email": "anne@sge.example", "receives_financial_documents": True, "locale": "fr-FR"},
    ).json
    boss = call("POST", f"/contacts/{customer['id']}/persons", body={"name": "Bob Boss", "email": "bob@sge.example"}).json
    settings = {
        "tax_rates": TAX_RATES,
        "nominal_codes": [{"code": "4000", "name": "Sales"}],
        "lines": [{"code": "CALL", "description": "Déplacement", "unit_price": 4500, "tax_rate": "S20", "nominal_code": "4000"}],
        "company": {"name": "Plomberie Dupont SAS", "address": ["12 rue des Lilas", "75011 Paris"]},
    }
    reply = call("PATCH", "/finance/settings", role="admin", body=settings, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body
    set_legal_identity()
    return {"customer": customer["id"], "site": site["id"], "other": other["id"], "accountant": accountant["id"], "boss": boss["id"]}


def draft(contact_id: str, doc_type: str = "invoice", lines: list[dict] | None = None, **fields) -> dict:
    reply = call("POST", "/documents", body={"type": doc_type, "contact_id": contact_id, "lines": lines or [LINE], **fields})
    assert reply.status == 201, reply.body
    return reply.json


def issue(document: dict, **kw):
    return call("POST", f"/documents/{document['id']}/issue", headers={"If-Match": f'"{document["version"]}"'}, **kw)


def issued(contact_id: str, doc_type: str = "invoice", lines: list[dict] | None = None, **fields) -> dict:
    reply = issue(draft(contact_id, doc_type, lines, **fields))
    assert reply.status == 200, reply.body
    return reply.json
