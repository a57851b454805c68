"""What other contexts file under a contact, as steps of their own transactions.

A person, a job or an opportunity hangs on a contact by its id: its context files it with `filed(+1)` in the
transaction that writes it (the contact must exist, and its count of such records moves in step)
and removes it with `filed(-1)`. A contact is deleted only while nothing (child contact, person,
job, opportunity) is filed under it, on condition, so a deletion cannot race a record being filed. A person's
search terms make GET /contacts?q= find their contact: `search_terms` keeps them in step.
"""

from __future__ import annotations

from crm.contacts.repository import contacts as repo
from crm.platform import dynamo


def filed(tenant: str, contact_id: str, kind: str, delta: int, *, with_contact: bool = False) -> list[dynamo.Step]:
    """Steps that count a record (kind "persons", "jobs", "stock", "documents", "opportunities" or "contracts") filed under the contact (+1) or taken off it (-1);
    `with_contact`: in the transaction that creates the contact (`service.create(also=...)`)."""
    return repo.dependent_writes(tenant, contact_id, kind, delta, with_contact=with_contact)


def search_terms(tenant: str, contact_id: str, owner: str, old: set[str], new: set[str]) -> list[dynamo.Step]:
    """Steps that make the contact found by `owner`'s terms (e.g. a person's id -> their name, email, phones)."""
    return repo.search_term_writes(tenant, contact_id, owner, old, new)
