"""DynamoDB keys and writes of the contacts context. The only module that knows these keys.

Items (all keys start with the tenant, through crm.platform.keys):
  contact        PK=T#t#CONTACT#<id>            SK=CONTACT
                 GSI1 T#t#CONTACTS / <name>#<id>      every contact, by name
                 GSI2 T#t#GROUP#<group> / <name>#<id> a group's contacts
                 GSI3 T#t#PARENT#<parent> / <name>#<id> a contact's children
                 GSI4 T#t#LEGALID#<SIREN, else VAT number> / <name>#<id>  (sparse: contacts by legal
                      identifier; not unique, the sites of one company share their SIREN)
  note, email    PK=T#t#CONTACT#<id>            SK=NOTE#<ulid> / EMAIL#<ulid>
                 a note about a topic filed under the contact (an opportunity) also has
                 GSI1 T#t#TOPICNOTES#<kind>#<topic id> / <ulid>
  tenant email   PK=T#t#EMAILS                  SK=EMAIL#<ulid>  (an email that concerns no contact)
  dependents     PK=T#t#CONTACT#<id>            SK=DEPENDENTS  (children, persons, jobs: how many are
                 filed under it, moved in the same transactions as they are; deleting the contact is
                 conditional on none)
  reference      PK=T#t#REF#<folded reference>  SK=REF  (uniqueness of the accounting reference)
  search term    PK=T#t#SEARCH#<first char>     SK=<term>#<contact id>#<owner>
                 (owner: "contact" for the contact's own fields, or a person's id; the term
                 holds nothing else of the contact, so it never goes stale)
  group          PK=T#t#GROUPS                  SK=GROUP#<id>  (contact_count kept in step)
  group name     PK=T#t#GROUPNAME#<folded name> SK=GROUPNAME
  settings       PK=T#t#SETTINGS                SK=SETTINGS
  legal identity PK=T#t#SETTINGS                SK=LEGAL  (the account's, on its invoices)
  profile        PK=T#t#USER#<folded email>     SK=PROFILE  (a staff user's own locale and time zone)
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

from boto3.dynamodb.conditions import Attr, Key

from crm.contacts.identity import legal_key
from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr, tr_n
from crm.platform.keys import tenant_key
from crm.platform.text import fold

CONTACT = "CONTACT"
DEPENDENTS = "DEPENDENTS"
NOTE, EMAIL = "NOTE#", "EMAIL#"


def _contact_pk(tenant: str, contact_id: str) -> str:
    return tenant_key(tenant, "CONTACT", contact_id)


def _ref_pk(tenant: str, reference: str) -> str:
    return tenant_key(tenant, "REF", fold(reference))


OWN_TERMS = "contact"


def _term_key(tenant: str, term: str, contact_id: str, owner: str = OWN_TERMS) -> tuple[str, str]:
    return tenant_key(tenant, "SEARCH", term[0]), f"{term}#{contact_id}#{owner}"


def _groups_pk(tenant: str) -> str:
    return tenant_key(tenant, "GROUPS")


def _group_name_pk(tenant: str, name: str) -> str:
    return tenant_key(tenant, "GROUPNAME", fold(name))


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "SETTINGS")


def _profile_pk(tenant: str, email: str) -> str:
    return tenant_key(tenant, "USER", email.casefold())


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
    item = dynamo.get(_contact_pk(tenant, contact_id), CONTACT)
    return dynamo.from_item(item) if item else None


def get_contacts(tenant: str, contact_ids: list[str]) -> list[dict]:
    items = dynamo.batch_get([(_contact_pk(tenant, i), CONTACT) for i in contact_ids])
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


def _group_count(tenant: str, group_id: str, delta: int) -> tuple[dict, Exception]:
    op = dynamo.update(
        _groups_pk(tenant),
        f"GROUP#{group_id}",
        UpdateExpression="ADD contact_count :d",
        ConditionExpression=Attr("PK").exists(),
        ExpressionAttributeValues={":d": delta},
    )
    return op, invalid("group_id", tr("is not one of this account's contact groups"))


def _ancestor_checks(tenant: str, ancestors: list[dict]) -> list[tuple[dict, Exception]]:
    """Each ancestor must be unchanged when we commit, so two re-parentings cannot form a cycle."""
    return [
        (
            dynamo.check(_contact_pk(tenant, a["id"]), CONTACT, ConditionExpression=Attr("version").eq(a["version"])),
            Conflict(tr("a parent contact changed while this one was saved; try again")),
        )
        for a in ancestors
    ]


def _stale_contact() -> PreconditionFailed:
    return PreconditionFailed(tr("the contact changed since you read it; reload it and apply your change again"))


def _stale_group() -> PreconditionFailed:
    return PreconditionFailed(tr("the group changed since you read it; reload it and apply your change again"))


def _group_in_use(count: int) -> Conflict:
    return Conflict(
        tr_n(
            "the group is used by {count} contact; move it to another group first",
            "the group is used by {count} contacts; move them to another group first",
            count,
            count=count,
        )
    )


def _reference_taken(tenant: str, reference: str) -> Conflict:
    return Conflict(tr("reference '{reference}' is already used by another contact", reference=reference))


def create_contact(
    tenant: str, contact: dict, terms: set[str], ancestors: list[dict], claim: Sequence[dynamo.Step] = (), also: Sequence[dynamo.Step] = ()
) -> None:
    """`claim`: the request's idempotency claim, first (its failure is the answer); `also`: what moves along (the index)."""
    item = {
        **dynamo.to_item(contact),
        "PK": _contact_pk(tenant, contact["id"]),
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
    steps.append(_group_count(tenant, contact["group_id"], +1))
    steps += _ancestor_checks(tenant, ancestors)
    if contact.get("parent_id"):
        steps.append(_counted(tenant, contact["parent_id"], "children", +1))
    steps += [(op, None) for op in _term_items(tenant, contact["id"], terms)]
    dynamo.transact_explained([*steps, *also])


def update_contact(tenant: str, old: dict, new: dict, terms: set[str], ancestors: list[dict], also: Sequence[dynamo.Step] = ()) -> None:
    """Replace `old` (at its version) by `new`, moving the reference, group count and terms along."""
    item = {
        **dynamo.to_item(new),
        "PK": _contact_pk(tenant, new["id"]),
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
        steps.append(_group_count(tenant, old["group_id"], -1))
        steps.append(_group_count(tenant, new["group_id"], +1))
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
        _contact_pk(tenant, contact_id),
        DEPENDENTS,
        UpdateExpression="ADD #kind :d",
        ExpressionAttributeNames={"#kind": kind},
        ExpressionAttributeValues={":d": delta},
    )
    return op, None


def dependent_writes(tenant: str, contact_id: str, kind: str, delta: int) -> list[dynamo.Step]:
    """For another context's transaction that files (+1) or removes (-1) a record under a contact
    (kind: persons, jobs, stock: an item's balance at the contact): the contact must exist, and its count of them moves in step, so a
    deletion of the contact cannot race them (it is conditional on every count being 0)."""
    if kind not in DEPENDENT_KINDS or kind == "children":
        raise ValueError(f"{kind!r} is not something other contexts file under a contact")
    steps = [_counted(tenant, contact_id, kind, delta)]
    if delta > 0:
        pk = _contact_pk(tenant, contact_id)
        steps.insert(0, (dynamo.check(pk, CONTACT, ConditionExpression=Attr("PK").exists()), NotFound(tr("no such contact"))))
    return steps


def dependents(tenant: str, contact_id: str) -> dict[str, int]:
    """How many child contacts, persons and jobs are filed under the contact."""
    item = dynamo.get(_contact_pk(tenant, contact_id), DEPENDENTS) or {}
    return {kind: int(item.get(kind, 0)) for kind in DEPENDENT_KINDS}


def delete_contact(tenant: str, contact: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    pk = _contact_pk(tenant, contact["id"])
    nothing_filed = reduce(operator.and_, [Attr(kind).not_exists() | Attr(kind).eq(0) for kind in DEPENDENT_KINDS])
    steps: list[dynamo.Step] = [
        (dynamo.delete(pk, CONTACT, ConditionExpression=Attr("version").eq(expected_version)), _stale_contact()),
        (
            dynamo.delete(pk, DEPENDENTS, ConditionExpression=nothing_filed),
            Conflict(tr("something was just filed under the contact; it is kept")),
        ),
        _group_count(tenant, contact["group_id"], -1),
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
    pk = _contact_pk(tenant, contact_id)
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
        _contact_pk(tenant, contact_id),
        CONTACT,
        "contacts",
        "contact",
        contact_id,
        ("main_contact", "on_site_contact"),
        personal_data.OWNER,
    )


def note_place(tenant: str, note: dict) -> personal_data.Place:
    return personal_data.Place(
        _contact_pk(tenant, note["contact_id"]), NOTE + note["id"], "contacts", "note", note["id"], ("text", "alert_to")
    )


def email_place(tenant: str, email: dict) -> personal_data.Place:
    return personal_data.Place(
        _archive_pk(tenant, email["contact_id"]), EMAIL + email["id"], "contacts", "email", email["id"], ("to", "subject")
    )


# ---------------------------------------------------------------- groups


def list_groups(tenant: str) -> list[dict]:
    return [dynamo.from_item(i) for i in dynamo.query_all(("PK", _groups_pk(tenant)), Key("SK").begins_with("GROUP#"))]


def get_group(tenant: str, group_id: str) -> dict | None:
    item = dynamo.get(_groups_pk(tenant), f"GROUP#{group_id}")
    return dynamo.from_item(item) if item else None


def _name_taken(name: str) -> Conflict:
    return Conflict(tr("a contact group named '{name}' already exists", name=name))


def create_group(tenant: str, group: dict, claim: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained(
        [
            *claim,
            (
                dynamo.put({"PK": _groups_pk(tenant), "SK": f"GROUP#{group['id']}", **group}, ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("this group already exists")),
            ),
            (
                dynamo.put(
                    {"PK": _group_name_pk(tenant, group["name"]), "SK": "GROUPNAME", "group_id": group["id"]},
                    ConditionExpression=Attr("PK").not_exists(),
                ),
                _name_taken(group["name"]),
            ),
        ]
    )


def rename_group(tenant: str, group: dict, name: str, expected_version: int) -> None:
    steps: list[tuple[dict, Exception | None]] = [
        (
            dynamo.update(
                _groups_pk(tenant),
                f"GROUP#{group['id']}",
                UpdateExpression="SET #n = :n, version = version + :one",
                ConditionExpression=Attr("version").eq(expected_version),
                ExpressionAttributeNames={"#n": "name"},
                ExpressionAttributeValues={":n": name, ":one": 1},
            ),
            _stale_group(),
        )
    ]
    if fold(name) != fold(group["name"]):
        steps.append((dynamo.delete(_group_name_pk(tenant, group["name"]), "GROUPNAME"), None))
        steps.append(
            (
                dynamo.put(
                    {"PK": _group_name_pk(tenant, name), "SK": "GROUPNAME", "group_id": group["id"]},
                    ConditionExpression=Attr("PK").not_exists(),
                ),
                _name_taken(name),
            )
        )
    dynamo.transact_explained(steps)


def retire_group(tenant: str, group: dict, expected_version: int) -> None:
    in_use = _group_in_use(group["contact_count"])
    try:
        dynamo.transact_explained(
            [
                (
                    dynamo.delete(
                        _groups_pk(tenant),
                        f"GROUP#{group['id']}",
                        ConditionExpression=Attr("version").eq(expected_version) & Attr("contact_count").eq(0),
                    ),
                    in_use,
                ),
                (dynamo.delete(_group_name_pk(tenant, group["name"]), "GROUPNAME"), None),
            ]
        )
    except Conflict:
        current = get_group(tenant, group["id"])
        if current is None:
            raise NotFound(tr("no such contact group")) from None
        if current["version"] != expected_version:
            raise _stale_group() from None
        raise _group_in_use(current["contact_count"]) from None


# ---------------------------------------------------------------- settings


def get_settings(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), "SETTINGS")
    return dynamo.from_item(item) if item else None


def put_settings(tenant: str, settings: dict, expected_version: int, audit_record: dict) -> None:
    """The tenant's settings at `expected_version`, with the audit record of the change."""
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    item = {**dynamo.to_item(settings), "PK": _settings_pk(tenant), "SK": "SETTINGS"}
    stale = PreconditionFailed(tr("the settings changed since you read them; reload them and apply your change again"))
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=condition), stale), (audit_record, None)])


def get_legal_identity(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), "LEGAL")
    return dynamo.from_item(item) if item else None


def put_legal_identity(tenant: str, identity: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    """The account's legal identity at `expected_version` (0: never set), with what moves along (its audit record)."""
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    item = {**dynamo.to_item(identity), "PK": _settings_pk(tenant), "SK": "LEGAL"}
    stale = PreconditionFailed(tr("the legal identity changed since you read it; reload it and apply your change again"))
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=condition), stale), *also])


# ---------------------------------------------------------------- staff profiles (their own locale)


def get_profile(tenant: str, email: str) -> dict | None:
    item = dynamo.get(_profile_pk(tenant, email), "PROFILE")
    return dynamo.from_item(item) if item else None


def put_profile(tenant: str, email: str, profile: dict, expected_version: int) -> None:
    condition = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("your profile changed since you read it; reload it and apply your change again"))
    dynamo.put_one({**dynamo.to_item(profile), "PK": _profile_pk(tenant, email), "SK": "PROFILE"}, condition, stale)


def settings_and_profiles(tenant: str, emails: list[str]) -> tuple[dict | None, dict[str, dict]]:
    """The account's settings and the profiles of the staff users at `emails` (by folded email),
    in one read: whose locale a text for these readers follows."""
    keys = [(_settings_pk(tenant), "SETTINGS"), *((_profile_pk(tenant, e), "PROFILE") for e in emails)]
    settings, profiles = None, {}
    for item in dynamo.batch_get(keys):
        data = dynamo.from_item(item)
        if item["SK"] == "SETTINGS":
            settings = data
        else:
            profiles[data["email"].casefold()] = data
    return settings, profiles


# ---------------------------------------------------------------- notes and the email archive


def _topic_pk(tenant: str, kind: str, topic_id: str) -> str:
    return tenant_key(tenant, "TOPICNOTES", kind, topic_id)


def create_note(tenant: str, note: dict, claim: Sequence[dynamo.Step] = (), also: Sequence[dynamo.Step] = ()) -> None:
    """A note in its contact's partition; a note about something filed under the contact (an
    opportunity: `note["topic"]`) is also listed by that topic (GSI1)."""
    pk = _contact_pk(tenant, note["contact_id"])
    topic = note.get("topic")
    listed = {"GSI1PK": _topic_pk(tenant, topic["kind"], topic["id"]), "GSI1SK": note["id"]} if topic else {}
    dynamo.transact_explained(
        [
            *claim,
            (dynamo.check(pk, CONTACT, ConditionExpression=Attr("PK").exists()), NotFound(tr("no such contact"))),
            (
                dynamo.put(
                    {**dynamo.to_item(note), "PK": pk, "SK": NOTE + note["id"], **listed}, ConditionExpression=Attr("PK").not_exists()
                ),
                Conflict(tr("this note already exists")),
            ),
            *also,
        ]
    )


def get_note(tenant: str, contact_id: str, note_id: str) -> dict | None:
    item = dynamo.get(_contact_pk(tenant, contact_id), NOTE + note_id)
    return dynamo.from_item(item) if item else None


def topic_notes(tenant: str, kind: str, topic_id: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """The notes about one topic (an opportunity), newest first."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("GSI1PK", _topic_pk(tenant, kind, topic_id)),
        index="GSI1",
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def list_partition(
    tenant: str, contact_id: str | None, prefix: str, *, limit: int, cursor: str | None, query: dict
) -> tuple[list[dict], str | None]:
    """A contact's notes or emails (contact_id None: the emails filed on the tenant), newest first
    (their ids are ULIDs)."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _archive_pk(tenant, contact_id)),
        sort=Key("SK").begins_with(prefix),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def alert_done(tenant: str, note: dict, status: str) -> list[dynamo.Step]:
    """The step that moves a pending alert to `status` (sent, with its archived email; cancelled)."""
    op = dynamo.update(
        _contact_pk(tenant, note["contact_id"]),
        NOTE + note["id"],
        UpdateExpression="SET alert_status = :s",
        ConditionExpression=Attr("alert_status").eq("pending"),
        ExpressionAttributeValues={":s": status},
    )
    return [(op, Conflict(tr("the alert was already sent or cancelled")))]


def _archive_pk(tenant: str, contact_id: str | None) -> str:
    return _contact_pk(tenant, contact_id) if contact_id else tenant_key(tenant, "EMAILS")


def archive_email(tenant: str, email: dict) -> list[dynamo.Step]:
    """The step that files a sent email in its contact's archive (or the tenant's, contact_id None)."""
    item = {**dynamo.to_item({k: v for k, v in email.items() if v is not None}), "PK": _archive_pk(tenant, email["contact_id"])}
    item["SK"] = EMAIL + email["id"]
    return [(dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this email is already archived")))]


def list_before(tenant: str, contact_id: str, prefix: str, before: str | None, limit: int) -> list[dict]:
    """Up to `limit` of a contact's notes or emails older than the id `before`, newest first."""
    upper = prefix + (before or "~")  # "~" sorts after every ULID character
    items = dynamo.query_all(("PK", _contact_pk(tenant, contact_id)), Key("SK").between(prefix, upper), newest_first=True, limit=limit + 1)
    return [dynamo.from_item(i) for i in items if i["SK"] != upper][:limit]
