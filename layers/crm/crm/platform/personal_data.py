"""The person-data index: where each person's data is written, so that a GDPR export finds all of
it and an erasure reaches all of it.

A context that writes a person's data somewhere adds `register(tenant, subjects, place)` to the
SAME transaction: one entry per subject (a person's id, `person(id)`, or an email address,
`address(a)`) naming the place (the item's key, the context and kind of record, the attributes
holding the data, and what an erasure may do to it). The answer the running request stores for
Idempotency-Key replays may hold the same data: the entry names its record (`requests`), and an
erasure purges it.

Items (keys start with the tenant, through crm.platform.keys):
  entry      PK=T#t#PDATA#<subject>  SK=<place PK>|<place SK>   place, requests
             GSI2 T#t#PDATA-PLACE#<place PK> / <place SK>|<subject>   the entries of a partition
             (what a deleted contact's cleanup removes with its notes and emails)
  directory  the entry of a person's own record also carries her identity (names, addresses,
             phones) and GSI1 T#t#PDATA-AT#<contact> / <person id>: who can be mentioned in a
             note written at that contact
An address subject is a hash of the address, so the index keys hold no address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from boto3.dynamodb.conditions import Attr

from crm.platform import aws, dynamo, idempotency, settings
from crm.platform.errors import Conflict
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key
from crm.platform.redaction import Identity, Replacement, addresses_in

REDACT = "redact"  # an erasure rewrites the fields, leaving everything else
KEEP = "keep"  # an erasure leaves the record whole (invoices: the law keeps them as issued)
OWNER = "owner"  # the owning context rewrites it (it keeps derived data, e.g. search terms, in step)
REDACT_ATTEMPTS = 3
KEPT_REQUESTS = 20  # the stored answers a person's record remembers (they expire within days anyway)


def person(person_id: str) -> str:
    return f"P#{person_id}"


def address(email: str) -> str:
    return "A#" + hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Place:
    pk: str
    sk: str
    context: str  # the context that owns the record: contacts, people, jobs, ...
    kind: str  # what it is, as the export groups it: person, contact, note, email, job, ...
    record_id: str  # the record's own id
    fields: tuple[str, ...]  # its attributes that hold the data
    erasure: str = REDACT  # REDACT, KEEP or OWNER


def _entry_pk(tenant: str, subject: str) -> str:
    return tenant_key(tenant, "PDATA", subject)


def _entry(tenant: str, subject: str, place: Place, requests: list[str]) -> dict:
    return {
        "PK": _entry_pk(tenant, subject),
        "SK": f"{place.pk}|{place.sk}",
        "GSI2PK": tenant_key(tenant, "PDATA-PLACE", place.pk),
        "GSI2SK": f"{place.sk}|{subject}",
        "subject": subject,
        "place": {
            "pk": place.pk,
            "sk": place.sk,
            "context": place.context,
            "kind": place.kind,
            "record_id": place.record_id,
            "fields": list(place.fields),
            "erasure": place.erasure,
        },
        "requests": requests,
    }


def _running_request() -> list[str]:
    """The stored answer of the request being served, if it has one (it may echo what it wrote)."""
    record = idempotency.current_record.get()
    return [record] if record else []


def register(tenant: str, subjects: Iterable[str], place: Place) -> list[dynamo.Step]:
    """The transaction steps that record that `subjects`' data is written at `place` (one item per subject)."""
    requests = _running_request()
    return [(dynamo.put(_entry(tenant, s, place, requests)), None) for s in sorted(set(subjects))]


def register_person(tenant: str, person_id: str, contact_id: str, identity: Identity, place: Place) -> list[dynamo.Step]:
    """A person's own record: registered under her id and each of her addresses (former ones too,
    which other records may still hold), with her identity, in her contact's directory, and with
    the stored answers of the requests that wrote it so far."""
    previous = dynamo.get(_entry_pk(tenant, person(person_id)), f"{place.pk}|{place.sk}") or {}
    requests = list(dict.fromkeys([*previous.get("requests", []), *_running_request()]))[-KEPT_REQUESTS:]
    own = {
        **_entry(tenant, person(person_id), place, requests),
        "identity": {"names": list(identity.names), "emails": list(identity.emails), "phones": list(identity.phones)},
        "GSI1PK": tenant_key(tenant, "PDATA-AT", contact_id),
        "GSI1SK": person_id,
    }
    addresses = sorted({address(e) for e in identity.emails})
    return [(dynamo.put(own), None), *((dynamo.put(_entry(tenant, a, place, requests)), None) for a in addresses)]


def unregister(tenant: str, subjects: Iterable[str], place: Place) -> list[dynamo.Step]:
    """The steps that remove `subjects`' entries for `place` (the record is deleted, or no longer holds them)."""
    return [(dynamo.delete(_entry_pk(tenant, s), f"{place.pk}|{place.sk}"), None) for s in sorted(set(subjects))]


def _identity(item: dict) -> Identity:
    found = item["identity"]
    return Identity(tuple(found["names"]), tuple(found["emails"]), tuple(found["phones"]))


def known_identity(tenant: str, person_id: str, place: Place) -> Identity | None:
    """The identity a person's record (at `place`) was last registered with: her former names and
    addresses included, which other records may still hold."""
    item = dynamo.get(_entry_pk(tenant, person(person_id)), f"{place.pk}|{place.sk}")
    return _identity(item) if item and "identity" in item else None


def mentioned(tenant: str, text: str, contact_ids: Iterable[str]) -> set[str]:
    """The subjects a free text mentions: the persons of these contacts it names (name, address or
    phone), and every email address written in it."""
    found = {address(a) for a in addresses_in(text)}
    for contact_id in dict.fromkeys(contact_ids):
        for item in dynamo.query_all(("GSI1PK", tenant_key(tenant, "PDATA-AT", contact_id)), index="GSI1"):
            if _identity(item).found_in(text):
                found.add(item["subject"])
    return found


# ---------------------------------------------------------------- reading and erasing


@dataclass(frozen=True)
class Entry:
    place: Place
    subjects: tuple[str, ...]  # whose data it holds, of those asked for
    requests: tuple[str, ...]  # the stored answers of the requests that wrote it (idempotency records)


def _items(tenant: str, subjects: Iterable[str]) -> list[dict]:
    return [item for subject in dict.fromkeys(subjects) for item in dynamo.query_all(("PK", _entry_pk(tenant, subject)))]


def entries(tenant: str, subjects: Iterable[str]) -> list[Entry]:
    """Every place holding these subjects' data, once each."""
    found: dict[str, Entry] = {}
    for item in _items(tenant, subjects):
        p = item["place"]
        known = found.get(item["SK"])
        place = known.place if known else Place(p["pk"], p["sk"], p["context"], p["kind"], p["record_id"], tuple(p["fields"]), p["erasure"])
        held = (*(known.subjects if known else ()), item["subject"])
        requests = tuple(dict.fromkeys([*(known.requests if known else ()), *item.get("requests", [])]))
        found[item["SK"]] = Entry(place, held, requests)
    return list(found.values())


def records(tenant: str, subjects: Iterable[str]) -> list[dict]:
    """What the places of these subjects hold today, as {context, kind, id, data}, for an export."""
    found = []
    for entry in entries(tenant, subjects):
        item = dynamo.get(entry.place.pk, entry.place.sk)
        if item is not None:
            found.append(
                {"context": entry.place.context, "kind": entry.place.kind, "id": entry.place.record_id, "data": dynamo.from_item(item)}
            )
    return found


def redact(place: Place, identity: Identity, replacement: Replacement) -> bool:
    """Rewrite the place's fields without the person, on condition nothing changed since read (its
    version moves on, if it has one). Returns whether anything changed."""
    for _ in range(REDACT_ATTEMPTS):
        item = dynamo.get(place.pk, place.sk)
        if item is None:
            return False
        changed = {f: identity.redact(item[f], replacement) for f in place.fields if f in item}
        changed = {f: v for f, v in changed.items() if v != item[f]}
        if not changed:
            return False
        # Placeholders of our own: the condition's builder names its own #n0/:v0.
        names = {f"#redacted{i}": f for i, f in enumerate(changed)}
        values = {f":redacted{i}": v for i, v in enumerate(changed.values())}
        update = "SET " + ", ".join(f"#redacted{i} = :redacted{i}" for i in range(len(changed)))
        if "version" in item:
            condition = Attr("version").eq(item["version"])
            update, values = update + ", version = version + :redacted_one", values | {":redacted_one": 1}
        else:
            condition = Attr("PK").exists()
            for field in changed:
                condition &= Attr(field).eq(item[field])
        try:
            dynamo.update_one(
                place.pk,
                place.sk,
                Conflict(tr("the record changed while it was being redacted")),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=dynamo.to_item(values),
            )
            return True
        except Conflict:
            continue  # written meanwhile: read it again
    raise Conflict(tr("a record kept changing while the person was erased; run the erasure again"))


def purge_request(record: str) -> None:
    """Delete a stored request answer (an idempotency record) that may hold the person's data."""
    aws.client("dynamodb").delete_item(TableName=settings.idempotency_table_name(), Key={"id": {"S": record}})


def forget(tenant: str, subjects: Iterable[str]) -> None:
    """Remove these subjects' entries, but those of records an erasure keeps whole."""
    dynamo.batch_delete((i["PK"], i["SK"]) for i in _items(tenant, subjects) if i["place"]["erasure"] != KEEP)


def forget_partition(tenant: str, pk: str) -> None:
    """Remove the entries of every place in a partition (a deleted contact's notes and emails)."""
    items = dynamo.query_all(("GSI2PK", tenant_key(tenant, "PDATA-PLACE", pk)), index="GSI2")
    dynamo.batch_delete((i["PK"], i["SK"]) for i in items)
