"""Persons and tags: the rules applied, the repository called. No HTTP, no keys."""

from __future__ import annotations

from pydantic import BaseModel

from crm.contacts import dependents
from crm.contacts import service as contact_records
from crm.people import repository as repo
from crm.people import rules
from crm.people.logins import revoke_login
from crm.people.models import ConsentChange, ConsentEvent, Person, PersonFields, PersonPatch, Tag, TagFields
from crm.platform import clock, dynamo, idempotency, ids, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import NotFound, PreconditionFailed, invalid
from crm.platform.i18n import tr
from crm.platform.redaction import Identity


def _check_version(person: dict, expected_version: int | None) -> None:
    if expected_version is not None and person["version"] != expected_version:
        raise PreconditionFailed(tr("the person changed since you read it; reload it and apply your change again"))


def identity(tenant: str, person: dict) -> Identity:
    """How she is written anywhere: as she is now, and as she was (a former address or name other
    records may still hold), as her person-data index entry remembers it."""
    return rules.identity(person).merged(personal_data.known_identity(tenant, person["id"], repo.place(tenant, person["id"])))


def _indexed(tenant: str, person: dict) -> list[dynamo.Step]:
    """Her record in the person-data index, under her id and every address she had."""
    return personal_data.register_person(
        tenant, person["id"], person["contact_id"], identity(tenant, person), repo.place(tenant, person["id"])
    )


def write(
    tenant: str,
    old: dict | None,
    new: dict,
    *,
    event: dict | None = None,
    index: list[dynamo.Step] | None = None,
    claim: list[dynamo.Step] | None = None,
) -> None:
    """Create (old None) or replace a person, with what moves along: the search terms that make
    her contact found by her, the contact's count of persons, and her person-data index entries
    (`index`: other steps for them, e.g. an erasure's removal); `claim`: the request's idempotency
    claim when it creates her or a consent event."""
    terms = rules.terms(new)
    steps = dependents.search_terms(tenant, new["contact_id"], new["id"], set((old or {}).get("search_terms") or []), terms)
    if old is None:
        steps += dependents.filed(tenant, new["contact_id"], "persons", +1)
    repo.write_person(tenant, old, new, terms, event, [*steps, *(_indexed(tenant, new) if index is None else index)], claim or [])


def lookup(tenant: str, person_id: str) -> dict | None:
    """The person, or None (for callers to whom a missing person is no error)."""
    return repo.get_person(tenant, person_id)


def get(tenant: str, person_id: str) -> dict:
    person = lookup(tenant, person_id)
    if person is None:
        raise NotFound(tr("no such person"))
    return person


def view(person: dict) -> Person:
    return Person.model_validate(person)


def _event(person_id: str, change: ConsentChange, by: str, at: str) -> dict:
    return ConsentEvent(
        id=ids.new_id(), person_id=person_id, status=change.status, medium=change.medium, note=change.note, changed_at=at, changed_by=by
    ).model_dump(exclude_none=True)


def create(principal: Principal, contact_id: str, fields: PersonFields) -> dict:
    tenant, now = principal.tenant, clock.iso(clock.now())
    contact_records.get(tenant, contact_id)
    person = {
        **fields.model_dump(exclude={"consent"}),
        "id": ids.new_id(),
        "contact_id": contact_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    person["consent"] = {"status": "awaiting"}
    event = None
    if fields.consent:
        person["consent"] = rules.consent_after(person, fields.consent.status, fields.consent.medium, principal.actor, now)
        event = _event(person["id"], fields.consent, principal.actor, now)
    write(tenant, None, person, event=event, claim=idempotency.claim(person["id"]))
    return person


def _writable(person: dict) -> dict:
    return {k: v for k, v in person.items() if k in PersonFields.model_fields and k != "consent"}


def update(principal: Principal, person_id: str, patch: PersonPatch, expected_version: int) -> dict:
    tenant = principal.tenant
    old = get(tenant, person_id)
    rules.ensure_not_erased(old)
    _check_version(old, expected_version)
    changes = patch.model_dump(exclude_unset=True, mode="json")
    if "name" in changes and changes["name"] is None:
        raise invalid("name", tr("cannot be cleared"))
    # The merged record is validated whole, so a rule spanning fields (opt-ins need an email) holds.
    fields = PersonFields.model_validate({**_writable(old), **changes})
    new = {**old, **fields.model_dump(exclude={"consent"}), "version": old["version"] + 1, "updated_at": clock.iso(clock.now())}
    _close_old_login(tenant, old, new)
    write(tenant, old, new)
    return new


def _close_old_login(tenant: str, old: dict, new: dict) -> None:
    """Before the change is written (if the write then fails, the login is closed all the same: the
    office invites the person again): a new address leaves no login at the old one; withdrawn
    access disables the login (an invitation enables it again)."""
    if old.get("email") and new.get("email") != old["email"]:
        revoke_login(tenant, old)
    elif old.get("booking_site_access") and not new.get("booking_site_access"):
        revoke_login(tenant, old, delete=False)


def record_consent(principal: Principal, person_id: str, change: ConsentChange, expected_version: int | None) -> dict:
    """Set the person's consent and append the change to its history, together."""
    tenant, now = principal.tenant, clock.iso(clock.now())
    old = get(tenant, person_id)
    _check_version(old, expected_version)
    consent = rules.consent_after(old, change.status, change.medium, principal.actor, now)
    new = {**old, "consent": consent, "version": old["version"] + 1, "updated_at": now}
    event = _event(person_id, change, principal.actor, now)
    write(tenant, old, new, event=event, claim=idempotency.claim(event["id"]))
    return event


def delete(principal: Principal, person_id: str, expected_version: int) -> None:
    tenant = principal.tenant
    person = get(tenant, person_id)
    rules.ensure_not_erased(person)
    _check_version(person, expected_version)
    revoke_login(tenant, person)
    own = {personal_data.person(person_id), *(personal_data.address(e) for e in identity(tenant, person).emails)}
    along = dependents.search_terms(tenant, person["contact_id"], person_id, set(person.get("search_terms") or []), set())
    along += dependents.filed(tenant, person["contact_id"], "persons", -1)
    repo.delete_person(tenant, person, expected_version, [*along, *personal_data.unregister(tenant, own, repo.place(tenant, person_id))])


def find(
    tenant: str, *, contact_id: str | None = None, tag_id: str | None = None, audience: str | None = None, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    if contact_id:
        contact_records.get(tenant, contact_id)
    if tag_id and repo.get_tag(tenant, tag_id) is None:
        raise invalid("tag", tr("is not a tag of this account"))  # a filter naming nothing is bad input, not a missing page
    query = {"contact_id": contact_id, "tag": tag_id, "audience": audience}
    return repo.list_persons(
        tenant, contact_id=contact_id, tag_id=tag_id, marketing=audience == "marketing", limit=limit, cursor=cursor, query=query
    )


def consent_event(tenant: str, person_id: str, event_id: str) -> dict:
    get(tenant, person_id)
    event = repo.get_consent_event(tenant, person_id, event_id)
    if event is None:
        raise NotFound(tr("no such consent change of this person"))
    return event


def consent_history(tenant: str, person_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    get(tenant, person_id)
    return repo.consent_history(tenant, person_id, limit=limit, cursor=cursor, query={"consent": person_id})


# ---------------------------------------------------------------- tags


def tags(tenant: str) -> list[Tag]:
    return sorted((Tag.model_validate(t) for t in repo.list_tags(tenant)), key=lambda t: t.name.casefold())


def tag(tenant: str, tag_id: str) -> dict:
    found = repo.get_tag(tenant, tag_id)
    if found is None:
        raise NotFound(tr("no such tag"))
    return found


def create_tag(tenant: str, fields: TagFields) -> Tag:
    new = {**fields.model_dump(), "id": ids.new_id(), "version": 1, "person_count": 0}
    repo.create_tag(tenant, new, idempotency.claim(new["id"]))
    return Tag.model_validate(new)


def update_tag(tenant: str, tag_id: str, patch: BaseModel, expected_version: int) -> Tag:
    """`patch` is a TagPatch (built at import by merge_patch_of, so no static type of its own)."""
    old = tag(tenant, tag_id)
    if old["version"] != expected_version:
        raise PreconditionFailed(tr("the tag changed since you read it; reload it and apply your change again"))
    changes = patch.model_dump(exclude_unset=True)
    for required in ("name", "colour"):
        if required in changes and changes[required] is None:
            raise invalid(required, tr("cannot be cleared"))
    new = {**old, **changes, "version": old["version"] + 1}
    repo.update_tag(tenant, old, new, expected_version)
    return Tag.model_validate(new)


def delete_tag(tenant: str, tag_id: str, expected_version: int) -> None:
    repo.delete_tag(tenant, tag(tenant, tag_id), expected_version)
