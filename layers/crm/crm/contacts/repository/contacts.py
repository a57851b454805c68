"""DynamoDB keys and writes of contacts: the contact record, its unique reference, its search
terms and its count of dependents (the key map of the context: crm/contacts/repository/__init__.py).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

from boto3.dynamodb.conditions import Attr, Key

from crm.contacts.identity import legal_key
from crm.contacts.repository import accounts
from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, NotFound, PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.platform.text import fold

CONTACT = "CONTACT"
DEPENDENTS = "DEPENDENTS"


def contact_pk(tenant: str, contact_id: str) -> str:
    """The contact's partition: its record, its dependents, its notes and archived emails."""
    return tenant_key(tenant, "CONTACT", contact_id)


def _ref_pk(tenant: str, reference: str) -> str:
    return tenant_key(tenant, "REF", fold(reference))


OWN_TERMS = "contact"


def _term_key(tenant: str, term: str, contact_id: str, owner: str = OWN_TERMS) -> tuple[str, str]:
    return tenant_key(tenant, "SEARCH", term[0]), f"{term}#{contact_id}#{owner}"


# ---------------------------------------------------------------- contacts


def _index_keys(tenant: str, contact: dict) -> dict[str, str]:
    order = f"{fold(contact['name'])}#{contact['id']}"
    keys = {
        "GSI1PK": tenant_key(tenant, "CONTACTS"),
        "GSI1SK": order,
        "GSI2PK": tenant_key(tenant, "GROUP", contact["group_id"]),
        "GSI2SK": order,
    }
    if contact.get("parent_id"):
        keys |= {"GSI3PK": tenant_key(tenant, "PARENT", contact["parent_id"]), "GSI3SK": order}
    identifier = legal_key(contact)
    if identifier:
        keys |= {"GSI4PK": _legal_id_pk(tenant, identifier), "GSI4SK": order}
    return keys


def _legal_id_pk(tenant: str, identifier: str) -> str:
    return tenant_key(tenant, "LEGALID", identifier)


def get_contact(tenant: str, contact_id: str) -> dict | None:
    item = dynamo.get(contact_pk(tenant, contact_id), CONTACT)
    return dynamo.from_item(item) if item else None


def get_contacts(tenant: str, contact_ids: list[str]) -> list[dict]:
    items = dynamo.batch_get([(contact_pk(tenant, i), CONTACT) for i in contact_ids])
    return [dynamo.from_item(i) for i in items]


def _term_items(tenant: str, contact_id: str, terms: set[str], owner: str = OWN_TERMS) -> list[dict]:
    items = []
    for term in sorted(terms):
        pk, sk = _term_key(tenant, term, contact_id, owner)
        items.append(dynamo.put({"PK": pk, "SK": sk, "contact_id": contact_id, "owner": owner}))
    return items


def search_term_writes(tenant: str, contact_id: str, owner: str, old_terms: set[str], new_terms: set[str]) -> list[dynamo.Step]:
    """Transaction steps that make `owner`'s search terms (e.g. a person's) find the contact; the
    terms of one owner never touch another owner's."""
    if owner == OWN_TERMS:
        raise ValueError("a contact's own terms are written with the contact")
    deletes = [dynamo.delete(*_term_key(tenant, t, contact_id, owner)) for t in sorted(old_terms - new_terms)]
    return [(op, None) for op in deletes + _term_items(tenant, contact_id, new_terms - old_terms, owner)]


def _ancestor_checks(tenant: str, ancestors: list[dict]) -> list[tuple[dict, Exception]]:
    """Each ancestor must be unchanged when we commit, so two re-parentings cannot form a cycle."""
    return [
        (
            dynamo.check(contact_pk(tenant, a["id"]), CONTACT, ConditionExpression=Attr("version").eq(a["version"])),
            Conflict(tr("a parent contact changed while this one was saved; try again")),
        )
        for a in ancestors
    ]


def _stale_contact() -> PreconditionFailed:
    return PreconditionFailed(tr("the contact changed since you read it; reload it and apply your change again"))


def _reference_taken(tenant: str, reference: str) -> Conflict:
    return Conflict(tr("reference '{reference}' is already used by another contact", reference=reference))


def create_contact(
    tenant: str, contact: dict, terms: set[str], ancestors: list[dict], claim: Sequence[dynamo.Step] = (), also: Sequence[dynamo.Step] = ()
) -> None:
    """`claim`: the request's idempotency claim, first (its failure is the answer); `also`: what moves along (the index)."""
    item = {
        **dynamo.to_item(contact),
        "PK": contact_pk(tenant, contact["id"]),
        "SK": CONTACT,
        **_index_keys(tenant, contact),
        "search_terms": sorted(terms),
    }
    steps: list[tuple[dict, Exception | None]] = [
        *claim,
        (dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this contact already exists"))),
    ]
    if contact.get("reference"):
        ref = {"PK": _ref_pk(tenant, contact["reference"]), "SK": "REF", "contact_id": contact["id"]}
        steps.append((dynamo.put(ref, ConditionExpression=Attr("PK").not_exists()), _reference_taken(tenant, contact["reference"])))
    steps.append(accounts.group_count(tenant, contact["group_id"], +1))
    steps += _ancestor_checks(tenant, ancestors)
    if contact.get("parent_id"):
        steps.append(_counted(tenant, contact["parent_id"], "children", +1))
    steps += [(op, None) for op in _term_items(tenant, contact["id"], terms)]
    dynamo.transact_explained([*steps, *also])


def update_contact(tenant: str, old: dict, new: dict, terms: set[str], ancestors: list[dict], also: Sequence[dynamo.Step] = ()) -> None:
    """Replace `old` (at its version) by `new`, moving the reference, group count and terms along."""
    item = {
        **dynamo.to_item(new),
        "PK": contact_pk(tenant, new["id"]),
        "SK": CONTACT,
        **_index_keys(tenant, new),
        "search_terms": sorted(terms),
    }
    steps: list[tuple[dict, Exception | None]] = [
        (dynamo.put(item, ConditionExpression=Attr("version").eq(old["version"])), _stale_contact())
    ]
    old_ref, new_ref = old.get("reference"), new.get("reference")
    if (old_ref and fold(old_ref)) != (new_ref and fold(new_ref)):
        if old_ref:
            steps.append((dynamo.delete(_ref_pk(tenant, old_ref), "REF"), None))
        if new_ref:
            ref = {"PK": _ref_pk(tenant, new_ref), "SK": "REF", "contact_id": new["id"]}
            steps.append((dynamo.put(ref, ConditionExpression=Attr("PK").not_exists()), _reference_taken(tenant, new_ref)))
    if old["group_id"] != new["group_id"]:
        steps.append(accounts.group_count(tenant, old["group_id"], -1))
        steps.append(accounts.group_count(tenant, new["group_id"], +1))
    steps += _ancestor_checks(tenant, ancestors)
    if old.get("parent_id") != new.get("parent_id"):
        steps += [_counted(tenant, old["parent_id"], "children", -1)] if old.get("parent_id") else []
        steps += [_counted(tenant, new["parent_id"], "children", +1)] if new.get("parent_id") else []
    old_terms = set(old.get("search_terms") or [])
    steps += [(dynamo.delete(*_term_key(tenant, t, old["id"])), None) for t in sorted(old_terms - terms)]
    steps += [(op, None) for op in _term_items(tenant, new["id"], terms - old_terms)]
    dynamo.transact_explained([*steps, *also])


DEPENDENT_KINDS = ("children", "persons", "jobs", "stock", "documents", "opportunities", "contracts")


def _counted(tenant: str, contact_id: str, kind: str, delta: int) -> dynamo.Step:
    op = dynamo.update(
        contact_pk(tenant, contact_id),
        DEPENDENTS,
        UpdateExpression="ADD #kind :d",
        ExpressionAttributeNames={"#kind": kind},
        ExpressionAttributeValues={":d": delta},
    )
    return op, None


def dependent_writes(tenant: str, contact_id: str, kind: str, delta: int, *, with_contact: bool = False) -> list[dynamo.Step]:
    """For another context's transaction that files (+1) or removes (-1) a record under a contact
    (kind: persons, jobs, stock: an item's balance at the contact): the contact must exist, and its count of them moves in step, so a
    deletion of the contact cannot race them (it is conditional on every count being 0). `with_contact`:
    the contact is created in the same transaction, whose own put of it is the check."""
    if kind not in DEPENDENT_KINDS or kind == "children":
        raise ValueError(f"{kind!r} is not something other contexts file under a contact")
    steps = [_counted(tenant, contact_id, kind, delta)]
    if delta > 0 and not with_contact:
        pk = contact_pk(tenant, contact_id)
        steps.insert(0, (dynamo.check(pk, CONTACT, ConditionExpression=Attr("PK").exists()), NotFound(tr("no such contact"))))
    return steps


def dependents(tenant: str, contact_id: str) -> dict[str, int]:
    """How many child contacts, persons and jobs are filed under the contact."""
    item = dynamo.get(contact_pk(tenant, contact_id), DEPENDENTS) or {}
    return {kind: int(item.get(kind, 0)) for kind in DEPENDENT_KINDS}


def delete_contact(tenant: str, contact: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    pk = contact_pk(tenant, contact["id"])
    nothing_filed = reduce(operator.and_, [Attr(kind).not_exists() | Attr(kind).eq(0) for kind in DEPENDENT_KINDS])
    steps: list[dynamo.Step] = [
        (dynamo.delete(pk, CONTACT, ConditionExpression=Attr("version").eq(expected_version)), _stale_contact()),
        (
            dynamo.delete(pk, DEPENDENTS, ConditionExpression=nothing_filed),
            Conflict(tr("something was just filed under the contact; it is kept")),
        ),
        accounts.group_count(tenant, contact["group_id"], -1),
    ]
    if contact.get("parent_id"):
        steps.append(_counted(tenant, contact["parent_id"], "children", -1))
    if contact.get("reference"):
        steps.append((dynamo.delete(_ref_pk(tenant, contact["reference"]), "REF"), None))
    steps += [(dynamo.delete(*_term_key(tenant, t, contact["id"])), None) for t in contact.get("search_terms") or []]
    dynamo.transact_explained([*steps, *also])


def delete_partition(tenant: str, contact_id: str) -> None:
    """What a deleted contact left in its partition (its notes and archived emails) and their
    person-data index entries (idempotent: nothing left is no error)."""
    pk = contact_pk(tenant, contact_id)
    dynamo.batch_delete((i["PK"], i["SK"]) for i in dynamo.query_all(("PK", pk)))
    personal_data.forget_partition(tenant, pk)


def contact_id_by_reference(tenant: str, reference: str) -> str | None:
    item = dynamo.get(_ref_pk(tenant, reference), "REF")
    return item["contact_id"] if item else None


def list_contacts(
    tenant: str,
    *,
    group_id: str | None,
    parent_id: str | None,
    limit: int,
    cursor: str | None,
    query: dict,
    legal_id: str | None = None,
) -> tuple[list[dict], str | None]:
    """Contacts by name: those with a legal identifier (SIREN, else VAT number), a parent's
    children, a group's members, or all; the other filters narrow."""
    filters = {"group_id": group_id, "parent_id": parent_id}
    if legal_id:
        partition, index = ("GSI4PK", _legal_id_pk(tenant, legal_id)), "GSI4"
    elif parent_id:
        partition, index = ("GSI3PK", tenant_key(tenant, "PARENT", parent_id)), "GSI3"
        del filters["parent_id"]
    elif group_id:
        partition, index = ("GSI2PK", tenant_key(tenant, "GROUP", group_id)), "GSI2"
        del filters["group_id"]
    else:
        partition, index = ("GSI1PK", tenant_key(tenant, "CONTACTS")), "GSI1"
    conditions = [Attr(name).eq(value) for name, value in filters.items() if value]
    narrow = reduce(operator.and_, conditions) if conditions else None
    items, next_cursor = dynamo.query_page(
        tenant=tenant, query=query, partition=partition, index=index, limit=limit, cursor=cursor, filter_expression=narrow
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def search_contact_ids(tenant: str, term: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[str], str | None]:
    """Ids of the contacts whose terms (their own, or their persons') start with `term`."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", tenant_key(tenant, "SEARCH", term[0])),
        sort=Key("SK").begins_with(term),
        limit=limit,
        cursor=cursor,
    )
    return list(dict.fromkeys(i["contact_id"] for i in items)), next_cursor


def exact_term_contact_ids(tenant: str, term: str, limit: int) -> list[str]:
    """Ids of the contacts that have exactly `term` among their terms (e.g. as their whole name)."""
    items, _ = dynamo.query_page(
        tenant=tenant,
        query={"exact": term},
        partition=("PK", tenant_key(tenant, "SEARCH", term[0])),
        sort=Key("SK").begins_with(f"{term}#"),
        limit=limit,
    )
    return list(dict.fromkeys(i["contact_id"] for i in items))


# ---------------------------------------------------------------- where personal data is written (for the person-data index)


def contact_place(tenant: str, contact_id: str) -> personal_data.Place:
    """A contact record's main and on-site contacts; rewritten by the contacts service (search terms follow)."""
    return personal_data.Place(
        contact_pk(tenant, contact_id),
        CONTACT,
        "contacts",
        "contact",
        contact_id,
        ("main_contact", "on_site_contact"),
        personal_data.OWNER,
    )
