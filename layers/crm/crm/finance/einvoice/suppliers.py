"""A received bill's supplier made a contact: a bill whose seller is not a contact of the account
carries it as a proposal (name, SIREN, SIRET, VAT number, address, as the file gives them). The
office creates the contact from it, in the group it names (the account has no group marked as its
suppliers'), and the bill is linked to it in the same transaction, where the contact counts it among
its documents (it cannot be deleted while it has bills): both or neither. The next file
from the same supplier then finds the contact by its SIREN (else VAT number)."""

from __future__ import annotations

from crm.contacts import dependents
from crm.contacts import service as contacts
from crm.contacts.models import ContactFields
from crm.finance.einvoice import received
from crm.finance.einvoice import received_parsing as parsing
from crm.finance.einvoice import repository as repo
from crm.finance.einvoice.models import SupplierFromBill
from crm.platform.auth import Principal


def create_from_bill(principal: Principal, bill_id: str, request: SupplierFromBill) -> dict:
    """The bill, linked to the contact made from its proposed supplier (409 when it has one; 422
    naming each field the contacts refuse, the identifiers checked as every contact's are)."""
    bill = received.get(principal.tenant, bill_id)
    if bill["supplier"].get("contact_id"):
        raise repo.supplier_taken()
    chosen = request.model_dump(exclude_unset=True, exclude={"group_id", "reference"})
    fields = ContactFields.model_validate(
        parsing.supplier_contact(bill["supplier"]) | chosen | {"group_id": request.group_id, "reference": request.reference}
    )
    linked: dict = {}

    def link(contact: dict) -> list:  # the bill keeps the supplier as its file names it, and now its contact
        linked.update({**bill, "supplier": {**bill["supplier"], "contact_id": contact["id"]}, "version": bill["version"] + 1})
        filed = dependents.filed(principal.tenant, contact["id"], "documents", +1, with_contact=True)
        return [repo.supplier_linked(principal.tenant, linked, bill["version"]), *filed]

    contacts.create(principal, fields, also=link)
    return {k: v for k, v in linked.items() if v is not None}
