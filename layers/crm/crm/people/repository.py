"""DynamoDB keys and writes of the people context. The only module that knows these keys.

Items (all keys start with the tenant, through crm.platform.keys):
  person          PK=T#t#PERSON#<id>          SK=PERSON
                  GSI1 T#t#CONTACT-PERSONS#<contact> / <name>#<id>   a contact's persons, by name
                  GSI2 T#t#PERSONS / <name>#<id>                     every person of the tenant
                  (search_terms: the terms it wrote into the contacts' search index)
  consent event   PK=T#t#PERSON#<id>          SK=CONSENT#<ulid>   append-only history
  tag membership  PK=T#t#TAG#<tag>            SK=PERSON#<name>#<id>  a copy of the person, so a
                  tag's persons (the marketing audience) are one Query
  tag             PK=T#t#TAGS                 SK=TAG#<id>   (person_count kept in step)
  tag name        PK=T#t#TAGNAME#<folded>     SK=TAGNAME    (uniqueness of a tag's name)

A person's item, its memberships, its tags' counts and its consent event are written in one
transaction, with what moves along in other contexts (its contact's search terms and count of
persons, through crm.contacts.dependents) and its person-data index entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key

from crm.platform import dynamo, personal_data
from crm.platform.errors import Conflict, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr, tr_n
from crm.platform.keys import tenant_key
from crm.platform.text import fold

PERSON, CONSENT = "PERSON", "CONSENT#"
Steps = list[tuple[dict, Exception | None]]


def _person_pk(tenant: str, person_id: str) -> str:
    return tenant_key(tenant, "PERSON", person_id)


def _order(person: dict) -> str:
    return f"{fold(person['name'])}#{person['id']}"


def _member_key(tenant: str, tag_id: str, person: dict) -> tuple[str, str]:
    return tenant_key(tenant, "TAG", tag_id), f"PERSON#{_order(person)}"


def _tags_pk(tenant: str) -> str:
    return tenant_key(tenant, "TAGS")


def _tag_name_pk(tenant: str, name: str) -> str:
    return tenant_key(tenant, "TAGNAME", fold(name))


def _stale_person() -> PreconditionFailed:
    return PreconditionFailed(tr("the person changed since you read it; reload it and apply your change again"))


def _stale_tag() -> PreconditionFailed:
    return PreconditionFailed(tr("the tag changed since you read it; reload it and apply your change again"))


# ---------------------------------------------------------------- persons


def place(tenant: str, person_id: str) -> personal_data.Place:
    """A person's own record, for the person-data index (the people context rewrites it at erasure)."""
    fields = ("name", "job_title", "mobile", "landline", "email")
    return personal_data.Place(_person_pk(tenant, person_id), PERSON, "people", "person", person_id, fields, personal_data.OWNER)


def get_person(tenant: str, person_id: str) -> dict | None:
    item = dynamo.get(_person_pk(tenant, person_id), PERSON)
    return dynamo.from_item(item) if item else None


def _stored(person: dict) -> dict:
    """What is written: no empty fields (so `erased_at` exists only once a person is erased)."""
    return dynamo.to_item({k: v for k, v in person.items() if v is not None and k != "search_terms"})


def _person_put(tenant: str, old: dict | None, new: dict, terms: set[str]) -> tuple[dict, Exception]:
    item = {
        **_stored(new),
        "PK": _person_pk(tenant, new["id"]),
        "SK": PERSON,
        "GSI1PK": tenant_key(tenant, "CONTACT-PERSONS", new["contact_id"]),
        "GSI1SK": _order(new),
        "GSI2PK": tenant_key(tenant, "PERSONS"),
        "GSI2SK": _order(new),
        "search_terms": sorted(terms),
    }
    if old is None:
        return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this person already exists"))
    return dynamo.put(item, ConditionExpression=Attr("version").eq(old["version"]) & Attr("erased_at").not_exists()), _stale_person()


def _tag_count(tenant: str, tag_id: str, delta: int) -> tuple[dict, Exception]:
    op = dynamo.update(
        _tags_pk(tenant),
        f"TAG#{tag_id}",
        UpdateExpression="ADD person_count :d",
        ConditionExpression=Attr("PK").exists(),
        ExpressionAttributeValues={":d": delta},
    )
    return op, invalid("tag_ids", tr("{id} is not one of this account's tags", id=tag_id))


def _membership_steps(tenant: str, old: dict | None, new: dict | None) -> Steps:
    old_tags = set((old or {}).get("tag_ids") or [])
    new_tags = set((new or {}).get("tag_ids") or [])
    steps: Steps = []
    if old is not None:  # else old_tags is empty
        for tag_id in sorted(old_tags):
            moved = new is None or tag_id not in new_tags or _order(old) != _order(new)
            if moved:
                steps.append((dynamo.delete(*_member_key(tenant, tag_id, old)), None))
    if new is not None:  # else new_tags is empty
        for tag_id in sorted(new_tags):
            pk, sk = _member_key(tenant, tag_id, new)
            steps.append((dynamo.put({**_stored(new), "PK": pk, "SK": sk, "person_id": new["id"]}), None))
    steps += [_tag_count(tenant, t, +1) for t in sorted(new_tags - old_tags)]
    steps += [_tag_count(tenant, t, -1) for t in sorted(old_tags - new_tags)]
    return steps


def _event_put(tenant: str, event: dict) -> tuple[dict, Exception]:
    item = {**dynamo.to_item(event), "PK": _person_pk(tenant, event["person_id"]), "SK": CONSENT + event["id"]}
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), Conflict(tr("this consent change is already recorded"))


def write_person(
    tenant: str,
    old: dict | None,
    new: dict,
    terms: set[str],
    event: dict | None = None,
    also: Sequence[dynamo.Step] = (),
    claim: Sequence[dynamo.Step] = (),
) -> None:
    """Create (old is None) or replace `old` at its version: the person (with the search `terms`
    it wrote on its contact), its tag memberships and counts, a consent event, and `also` (what
    moves with it in other contexts and the person-data index), all or nothing (with the request's
    idempotency claim, first, when it creates the person or the event)."""
    steps: Steps = [*claim, _person_put(tenant, old, new, terms)]
    steps += _membership_steps(tenant, old, new)
    if event:
        steps.append(_event_put(tenant, event))
    dynamo.transact_explained([*steps, *also])


def delete_person(tenant: str, person: dict, expected_version: int, also: Sequence[dynamo.Step] = ()) -> None:
    pk = _person_pk(tenant, person["id"])
    condition = Attr("version").eq(expected_version) & Attr("erased_at").not_exists()
    steps: Steps = [(dynamo.delete(pk, PERSON, ConditionExpression=condition), _stale_person())]
    steps += _membership_steps(tenant, person, None)
    dynamo.transact_explained([*steps, *also])
    # The consent history lives in the person's partition; it goes with the person.
    dynamo.batch_delete((i["PK"], i["SK"]) for i in dynamo.query_all(("PK", pk)))


def _marketing() -> Attr:
    return (
        Attr("receives_marketing").eq(True) & Attr("consent.status").eq("given") & Attr("email").exists() & Attr("erased_at").not_exists()
    )


def list_persons(
    tenant: str,
    *,
    contact_id: str | None = None,
    tag_id: str | None = None,
    marketing: bool = False,
    limit: int,
    cursor: str | None,
    query: dict,
) -> tuple[list[dict], str | None]:
    """Persons by name: a contact's, a tag's (its memberships), or the whole tenant's."""
    index, sort = None, None
    if contact_id:
        partition, index = ("GSI1PK", tenant_key(tenant, "CONTACT-PERSONS", contact_id)), "GSI1"
    elif tag_id:
        partition, sort = ("PK", tenant_key(tenant, "TAG", tag_id)), Key("SK").begins_with("PERSON#")
    else:
        partition, index = ("GSI2PK", tenant_key(tenant, "PERSONS")), "GSI2"
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=partition,
        sort=sort,
        index=index,
        limit=limit,
        cursor=cursor,
        filter_expression=_marketing() if marketing else None,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def consent_history(tenant: str, person_id: str, *, limit: int, cursor: str | None, query: dict) -> tuple[list[dict], str | None]:
    """Newest first (event ids are ULIDs)."""
    items, next_cursor = dynamo.query_page(
        tenant=tenant,
        query=query,
        partition=("PK", _person_pk(tenant, person_id)),
        sort=Key("SK").begins_with(CONSENT),
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )
    return [dynamo.from_item(i) for i in items], next_cursor


def get_consent_event(tenant: str, person_id: str, event_id: str) -> dict | None:
    item = dynamo.get(_person_pk(tenant, person_id), CONSENT + event_id)
    return dynamo.from_item(item) if item else None


def all_consent_events(tenant: str, person_id: str) -> list[dict]:
    items = dynamo.query_all(("PK", _person_pk(tenant, person_id)), Key("SK").begins_with(CONSENT))
    return [dynamo.from_item(i) for i in items]


def remove_consent_notes(tenant: str, person_id: str) -> int:
    """Drop the free-text notes of a person's consent history (they may name the person); the
    status, medium, who and when stay as the proof of consent. Returns how many changed."""
    changed = 0
    for event in all_consent_events(tenant, person_id):
        if event.get("note"):
            dynamo.transact([dynamo.update(_person_pk(tenant, person_id), CONSENT + event["id"], UpdateExpression="REMOVE note")])
            changed += 1
    return changed


# ---------------------------------------------------------------- tags


def list_tags(tenant: str) -> list[dict]:
    return [dynamo.from_item(i) for i in dynamo.query_all(("PK", _tags_pk(tenant)), Key("SK").begins_with("TAG#"))]


def get_tag(tenant: str, tag_id: str) -> dict | None:
    item = dynamo.get(_tags_pk(tenant), f"TAG#{tag_id}")
    return dynamo.from_item(item) if item else None


def get_tags(tenant: str, tag_ids: list[str]) -> list[dict]:
    return [dynamo.from_item(i) for i in dynamo.batch_get([(_tags_pk(tenant), f"TAG#{t}") for t in tag_ids])]


def _name_taken(name: str) -> Conflict:
    return Conflict(tr("a tag named '{name}' already exists", name=name))


def _name_put(tenant: str, name: str, tag_id: str) -> tuple[dict, Exception]:
    item = {"PK": _tag_name_pk(tenant, name), "SK": "TAGNAME", "tag_id": tag_id}
    return dynamo.put(item, ConditionExpression=Attr("PK").not_exists()), _name_taken(name)


def create_tag(tenant: str, tag: dict, claim: Sequence[dynamo.Step] = ()) -> None:
    dynamo.transact_explained(
        [
            *claim,
            (
                dynamo.put({"PK": _tags_pk(tenant), "SK": f"TAG#{tag['id']}", **tag}, ConditionExpression=Attr("PK").not_exists()),
                Conflict(tr("this tag already exists")),
            ),
            _name_put(tenant, tag["name"], tag["id"]),
        ]
    )


def update_tag(tenant: str, old: dict, new: dict, expected_version: int) -> None:
    # person_count is kept by the persons' transactions: set the other fields, never overwrite it.
    steps: Steps = [
        (
            dynamo.update(
                _tags_pk(tenant),
                f"TAG#{new['id']}",
                UpdateExpression="SET #n = :n, colour = :c, version = :v",
                ConditionExpression=Attr("version").eq(expected_version),
                ExpressionAttributeNames={"#n": "name"},
                ExpressionAttributeValues={":n": new["name"], ":c": new["colour"], ":v": new["version"]},
            ),
            _stale_tag(),
        )
    ]
    if fold(old["name"]) != fold(new["name"]):
        steps.append((dynamo.delete(_tag_name_pk(tenant, old["name"]), "TAGNAME"), None))
        steps.append(_name_put(tenant, new["name"], new["id"]))
    dynamo.transact_explained(steps)


def delete_tag(tenant: str, tag: dict, expected_version: int) -> None:
    in_use = Conflict(tr("the tag is still given to some persons; take it off them first"))
    try:
        dynamo.transact_explained(
            [
                (
                    dynamo.delete(
                        _tags_pk(tenant),
                        f"TAG#{tag['id']}",
                        ConditionExpression=Attr("version").eq(expected_version) & Attr("person_count").eq(0),
                    ),
                    in_use,
                ),
                (dynamo.delete(_tag_name_pk(tenant, tag["name"]), "TAGNAME"), None),
            ]
        )
    except Conflict:
        current = get_tag(tenant, tag["id"])
        if current is None:
            raise NotFound(tr("no such tag")) from None
        if current["version"] != expected_version:
            raise _stale_tag() from None
        count = current.get("person_count", 0)
        raise Conflict(
            tr_n(
                "the tag is given to {count} person; take it off them first",
                "the tag is given to {count} persons; take it off them first",
                count,
                count=count,
            )
        ) from None
