"""The legal facts of an invoice or credit note, fixed on it at issue (`document["legal"]`) so that
its PDF, its mentions and its CII/UBL forms read the same facts forever: the seller's legal
identity, the buyer's identity and address, the delivery address when it is another place, the
day of delivery or service and the nature of the operation.

Issuing one while the account's legal identity or the customer's record lacks what an invoice
must show is refused with ONE problem that lists each missing item and where to set it
(`fixed(..., complete=True)`, before the document is numbered).
"""

from __future__ import annotations

from crm.contacts import legal
from crm.contacts import service as contacts
from crm.contacts.identity import party_country
from crm.platform.errors import Conflict
from crm.platform.i18n import tr

LEGAL_TYPES = frozenset({"invoice", "credit_note"})
GOODS_KINDS = frozenset({"stock"})  # a line of a stock item is goods; any other line bills a service
IDENTITY = ("kind", "siren", "siret", "vat_number")


def operation(document: dict) -> str:
    """goods, services or mixed: as the draft says, else from its lines."""
    if document.get("operation"):
        return document["operation"]
    goods = {line.get("kind") in GOODS_KINDS for line in document["lines"]}
    return "mixed" if goods == {True, False} else "goods" if goods == {True} else "services"


def _address(contact: dict) -> dict:
    address = dict(contact.get("address") or {})
    address["country"] = address.get("country") or party_country(contact)
    return {k: v for k, v in address.items() if v}


def fixed(
    tenant: str, document: dict, *, complete: bool = False, identity: legal.LegalIdentity | None = None, customer: dict | None = None
) -> dict:
    """The facts to fix on `document` at issue: {"legal": ..., "operation", "delivery_date"}
    (for an invoice or credit note; nothing for a quote or purchase order). What is not set is left
    out (a draft's preview shows what there is). `complete` (issue): first raise Conflict (409)
    listing every missing item (`errors[].field`: seller.siren, buyer.address...), each message
    saying where to set it. `identity` (the account's) and `customer` (the document's contact) when
    the caller has read them."""
    if document["type"] not in LEGAL_TYPES:
        return {}
    identity = identity or legal.legal_identity(tenant)
    if customer is None or customer["id"] != document["contact_id"]:
        customer = contacts.get(tenant, document["contact_id"])
    if complete:
        missing = legal.missing_for_invoice(tenant, document["contact_id"], contact=customer, identity=identity)
        if missing:
            raise Conflict(
                tr("the document cannot be issued: legal mentions it must carry are not set (each is listed, with where to set it)"),
                [m.field_error() for m in missing],
            )
    seller = identity.model_dump(mode="json", exclude={"version"}, exclude_none=True)
    buyer = {k: customer[k] for k in IDENTITY if customer.get(k)}
    buyer |= {"name": customer["name"], "country": party_country(customer), "address": _address(customer)}
    facts: dict = {"seller": seller, "buyer": {k: v for k, v in buyer.items() if v}}
    site_id = document.get("delivery_site_id")
    if site_id and site_id != document["contact_id"]:
        site = contacts.get(tenant, site_id)
        facts["delivery"] = {"name": site["name"], "address": _address(site) or facts["buyer"].get("address", {})}
    return {"legal": facts, "operation": operation(document), "delivery_date": document.get("delivery_date") or document["issue_date"]}


def business_to_business(document: dict) -> bool:
    """Whether the buyer is a business (Factur-X, the recovery indemnity), from the issued facts."""
    return (document.get("legal") or {}).get("buyer", {}).get("kind") == "business"
