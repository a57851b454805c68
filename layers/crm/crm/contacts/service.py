"""Rules of the contact record: defaults, parent links without cycles, what each role sees."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel

from crm.contacts import attachments, search
from crm.contacts.events import ContactDeleted
from crm.contacts.geo import CircleZone, Location, check_point, validate_zone_for_location
from crm.contacts.hours import check_window
from crm.contacts.models import (
    ArchivedEmail,
    Availability,
    AvailabilityQuery,
    Contact,
    ContactFields,
    ContactPatch,
    ContactView,
    Settings,
    SettingsPatch,
    ZoneAnswer,
    ZoneQuery,
)
from crm.contacts.repository import accounts as accounts_repo
from crm.contacts.repository import contacts as repo
from crm.contacts.repository import notes as notes_repo
from crm.platform import audit, clock, dynamo, idempotency, identifiers, ids, outbox, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, NotFound, PreconditionFailed, invalid
from crm.platform.i18n import joined, reason, tr, tr_n
from crm.platform.pagination import Page
from crm.platform.redaction import Identity
from crm.platform.text import digits, fold

DEFAULT_ZONE_RADIUS_M = 20.0
MAX_PARENT_DEPTH = 20


# ---------------------------------------------------------------- settings


def settings(tenant: str) -> Settings:
    stored = accounts_repo.get_settings(tenant) or {}
    defaults = {"version": 0, "default_zone_radius_m": DEFAULT_ZONE_RADIUS_M}
    return Settings.model_validate({**defaults, **{k: v for k, v in stored.items() if k in Settings.model_fields}})


def update_settings(principal: Principal, patch: SettingsPatch, expected_version: int) -> Settings:
    current = settings(principal.tenant)
    if current.version != expected_version:
        raise PreconditionFailed(tr("the settings changed since you read them; reload them and apply your change again"))
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    merged = current.model_copy(update={**changes, "version": current.version + 1})
    record = audit.entry(principal, "settings.changed", "settings", principal.tenant, fields=sorted(changes))
    accounts_repo.put_settings(principal.tenant, merged.model_dump(), expected_version, record)
    return merged


# ---------------------------------------------------------------- contacts


def view(contact: dict, principal: Principal) -> Contact | ContactView:
    """Resources (technicians) never see the flag."""
    return ContactView.model_validate(contact) if principal.is_resource else Contact.model_validate(contact)


def lookup(tenant: str, contact_id: str) -> dict | None:
    """The contact, or None (for callers to whom a missing contact is no error)."""
    return repo.get_contact(tenant, contact_id)


def lookup_many(tenant: str, contact_ids: list[str]) -> list[dict]:
    """The contacts of these ids that exist (one batch read per 100)."""
    return repo.get_contacts(tenant, contact_ids) if contact_ids else []


def get(tenant: str, contact_id: str) -> dict:
    contact = lookup(tenant, contact_id)
    if contact is None:
        raise NotFound(tr("no such contact"))
    return contact


def _writable(contact: dict) -> dict:
    return {k: v for k, v in contact.items() if k in ContactFields.model_fields}


def _ancestors(tenant: str, contact_id: str | None, parent_id: str | None) -> list[dict]:
    """The chain above a would-be parent, refusing a link that would make a cycle."""
    chain: list[dict] = []
    current = parent_id
    while current:
        if current == contact_id:
            raise Conflict(tr("a contact cannot be its own ancestor: this parent link would make a cycle"))
        parent = repo.get_contact(tenant, current)
        if parent is None:
            if not chain:
                raise invalid("parent_id", tr("is not a contact of this account"))
            break
        chain.append(parent)
        if len(chain) >= MAX_PARENT_DEPTH:
            raise invalid("parent_id", tr("contacts nest at most {levels} levels deep", levels=MAX_PARENT_DEPTH))
        current = parent.get("parent_id")
    return chain


def _prepared(tenant: str, fields: ContactFields) -> dict:
    """Fields with defaults applied: a located contact gets the account's default circle zone."""
    if (fields.location is not None and fields.zone is None) or (isinstance(fields.zone, CircleZone) and fields.zone.radius_m is None):
        fields = fields.model_copy(update={"zone": CircleZone(radius_m=settings(tenant).default_zone_radius_m)})
    if fields.zone is not None:
        if fields.location is None:  # ContactFields refuses a zone without a location; model_copy above keeps that
            raise invalid("zone", tr("a zone needs the site's location"))
        try:
            validate_zone_for_location(fields.zone, fields.location)
        except ValueError as e:
            raise invalid("zone", reason(e)) from None
    return fields.model_dump(mode="json")


def create(principal: Principal, fields: ContactFields, also: Callable[[dict], Sequence[dynamo.Step]] | None = None) -> dict:
    """The new contact; `also(contact)`: steps of the caller's that commit with it or not at all
    (a received bill linked to the supplier it creates)."""
    tenant = principal.tenant
    now = clock.iso(clock.now())
    contact = {**_prepared(tenant, fields), "id": ids.new_id(), "version": 1, "created_at": now, "updated_at": now}
    ancestors = _ancestors(tenant, contact["id"], contact.get("parent_id"))
    steps = [*_indexed(tenant, None, contact), *(also(contact) if also else ())]
    repo.create_contact(tenant, contact, search.terms(contact), ancestors, idempotency.claim(contact["id"]), steps)
    return contact


def _main_contact(contact: dict | None) -> set[str]:
    email = ((contact or {}).get("main_contact") or {}).get("email")
    return {personal_data.address(email)} if email else set()


def _indexed(tenant: str, old: dict | None, new: dict | None) -> list[dynamo.Step]:
    """The person-data index follows the main contact's address (persons are found by it)."""
    place = repo.contact_place(tenant, (new or old or {})["id"])
    before, after = _main_contact(old), _main_contact(new)
    return personal_data.unregister(tenant, before - after, place) + (
        personal_data.register(tenant, after - before, place) if after - before else []
    )


def update(principal: Principal, contact_id: str, patch: BaseModel, expected_version: int) -> dict:
    """`patch` is a ContactPatch (built at import by merge_patch_of, so no static type of its own)."""
    tenant = principal.tenant
    old = get(tenant, contact_id)
    if old["version"] != expected_version:
        raise PreconditionFailed(tr("the contact changed since you read it; reload it and apply your change again"))
    changes = patch.model_dump(exclude_unset=True, mode="json")
    for required in ("name", "group_id"):
        if required in changes and changes[required] is None:
            raise invalid(required, tr("cannot be cleared"))
    # The merged record is validated whole, so every bad field is named (422 at the HTTP edge).
    fields = ContactFields.model_validate({**_writable(old), **changes})
    new = {
        **_prepared(tenant, fields),
        "id": contact_id,
        "version": old["version"] + 1,
        "created_at": old["created_at"],
        "updated_at": clock.iso(clock.now()),
    }
    ancestors = _ancestors(tenant, contact_id, new.get("parent_id")) if new.get("parent_id") != old.get("parent_id") else []
    repo.update_contact(tenant, old, new, search.terms(new), ancestors, _indexed(tenant, old, new))
    return new


def forget_person(principal: Principal, contact_id: str, identity: Identity, placeholder: str) -> bool:
    """A person's erasure: the contact's main or on-site contact loses its details when they are
    that person's (one of her addresses; her name or one of her phones). Returns whether the
    contact changed; False for a contact deleted meanwhile."""
    emails, names = {e.casefold() for e in identity.emails}, {fold(n) for n in identity.names}
    for _ in range(3):
        contact = repo.get_contact(principal.tenant, contact_id)
        if contact is None:
            return False
        changes = {}
        main = contact.get("main_contact") or {}
        if (main.get("email") or "").casefold() in emails:
            changes["main_contact"] = {"name": placeholder}
        on_site = contact.get("on_site_contact") or {}
        if on_site and (fold(on_site["name"]) in names or digits(on_site.get("phone") or "") in identity.phones):
            changes["on_site_contact"] = {"name": placeholder}
        if not changes:
            return False
        try:
            update(principal, contact_id, ContactPatch.model_validate(changes), contact["version"])
            return True
        except PreconditionFailed:
            continue  # edited meanwhile: read it again
    raise PreconditionFailed(tr("the contact kept changing while the person was erased; try again"))


def delete(principal: Principal, contact_id: str, expected_version: int) -> None:
    contact = get(principal.tenant, contact_id)
    if contact["version"] != expected_version:
        raise PreconditionFailed(tr("the contact changed since you read it; reload it before deleting"))
    # The counts the contact keeps; the deletion itself is conditional on them (a record filed meanwhile keeps it).
    held = [_counted(n, kind) for kind, n in repo.dependents(principal.tenant, contact_id).items() if n]
    if held:
        what = joined(held, tr(" and "))
        raise Conflict(tr("the contact still has {what}; delete, move or re-parent them first", what=what))
    # What other contexts (and this one's subscriber) kept about it goes on the ContactDeleted event.
    deleted = ContactDeleted(
        tenant=principal.tenant,
        event_id=ids.new_id(),
        contact_id=contact_id,
        group_id=contact["group_id"],
        parent_id=contact.get("parent_id"),
        deleted_at=clock.iso(clock.now()),
    )
    repo.delete_contact(principal.tenant, contact, expected_version, [*_indexed(principal.tenant, contact, None), outbox.owe(deleted)])
    outbox.publish_after_commit(principal.tenant, [deleted.event_id])


def _counted(n: int, kind: str) -> str:
    return {
        "children": tr_n("{count} child contact", "{count} child contacts", n, count=n),
        "persons": tr_n("{count} person", "{count} persons", n, count=n),
        "jobs": tr_n("{count} job", "{count} jobs", n, count=n),
        "stock": tr_n("{count} item in stock", "{count} items in stock", n, count=n),
        "documents": tr_n("{count} financial document", "{count} financial documents", n, count=n),
        "opportunities": tr_n("{count} opportunity", "{count} opportunities", n, count=n),
        "contracts": tr_n("{count} contract", "{count} contracts", n, count=n),
    }[kind]


def forget_contact(tenant: str, contact_id: str) -> None:
    """After a contact's deletion (its ContactDeleted event): its notes, archived emails, their
    index entries and its folder of attachments. Idempotent."""
    repo.delete_partition(tenant, contact_id)
    attachments.delete_folder(tenant, contact_id)


def children(tenant: str, parent_id: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """A contact's child contacts by name, a page at a time."""
    return repo.list_contacts(tenant, group_id=None, parent_id=parent_id, limit=limit, cursor=cursor, query={"children": parent_id})


def _matches(contact: dict, group_id: str | None, parent_id: str | None) -> bool:
    return (group_id is None or contact["group_id"] == group_id) and (parent_id is None or contact.get("parent_id") == parent_id)


def _exact_matches(tenant: str, term: str, group_id: str | None, parent_id: str | None, limit: int) -> list[dict]:
    """Up to `limit` contacts whose reference or whole name is exactly the query, reference first."""
    if limit < 1:
        return []
    ids = [i for i in [repo.contact_id_by_reference(tenant, term)] if i]
    ids += repo.exact_term_contact_ids(tenant, term, limit)
    contacts = [c for c in repo.get_contacts(tenant, list(dict.fromkeys(ids))) if _matches(c, group_id, parent_id)]
    return sorted((c for c in contacts if search.rank(term, c) < search.PREFIX), key=lambda c: search.rank(term, c))[:limit]


def find(
    principal: Principal,
    *,
    q: str | None,
    reference: str | None,
    group_id: str | None,
    parent_id: str | None,
    limit: int,
    cursor: str | None,
    siren: str | None = None,
    vat_number: str | None = None,
) -> tuple[list[dict], str | None]:
    tenant = principal.tenant
    query = {"q": q, "reference": reference, "group_id": group_id, "parent_id": parent_id, "siren": siren, "vat_number": vat_number}
    if siren or vat_number:
        # A French VAT number is its SIREN's (its key is computed from it): both find by SIREN.
        keys = {key for key in (siren, vat_number and (identifiers.siren_of_vat(vat_number) or vat_number)) if key}
        if len(keys) > 1:
            return [], None  # a SIREN and another company's VAT number: nobody has both
        return repo.list_contacts(
            tenant, group_id=group_id, parent_id=parent_id, limit=limit, cursor=cursor, query=query, legal_id=keys.pop()
        )
    if reference:
        found_id = repo.contact_id_by_reference(tenant, reference)
        contact = repo.get_contact(tenant, found_id) if found_id else None
        return ([contact] if contact is not None and _matches(contact, group_id, parent_id) else []), None
    if q is not None:
        term = search.query_term(q)
        if not term:
            raise invalid("q", tr("needs at least one letter or digit"))
        # Exact reference and name matches lead the first page, wherever the prefix order puts
        # them, and the prefix pages leave those out. Every page works the lead out again (two
        # small reads), so the cursor stays a plain position and nothing shows twice.
        lead = _exact_matches(tenant, term, group_id, parent_id, limit - 1)
        led = {c["id"] for c in lead}
        contact_ids, next_cursor = repo.search_contact_ids(
            tenant, term, limit=limit if cursor else limit - len(lead), cursor=cursor, query=query
        )
        # Group and parent narrow the contacts found (read whole, so always current): a page may
        # come back short, and next_cursor goes on.
        found = [c for c in repo.get_contacts(tenant, [i for i in contact_ids if i not in led]) if _matches(c, group_id, parent_id)]
        return ([] if cursor else lead) + found, next_cursor
    return repo.list_contacts(tenant, group_id=group_id, parent_id=parent_id, limit=limit, cursor=cursor, query=query)


def archived_emails(tenant: str, contact_id: str | None, *, limit: int, cursor: str | None) -> Page[ArchivedEmail]:
    """Every email sent about the contact (None: those that concern no contact), newest first."""
    if contact_id is not None:
        get(tenant, contact_id)
    items, next_cursor = notes_repo.list_partition(
        tenant, contact_id, notes_repo.EMAIL, limit=limit, cursor=cursor, query={"emails": contact_id}
    )
    return Page(items=[ArchivedEmail.model_validate(e) for e in items], next_cursor=next_cursor)


def zone_check(tenant: str, contact_id: str, point: ZoneQuery) -> ZoneAnswer:
    contact = get(tenant, contact_id)
    if not contact.get("location") or not contact.get("zone"):
        raise Conflict(tr("this contact has no location, so no zone to check against"))
    fields = ContactFields.model_validate(_writable(contact))
    assert fields.location is not None and fields.zone is not None  # both set, checked above
    # Stored circles carry their radius (filled in on save); the settings are read only for old ones.
    unsized = isinstance(fields.zone, CircleZone) and fields.zone.radius_m is None
    default_radius = settings(tenant).default_zone_radius_m if unsized else DEFAULT_ZONE_RADIUS_M
    result = check_point(fields.zone, fields.location, Location(lat=point.lat, lon=point.lon), default_radius)
    return ZoneAnswer(**result.model_dump(), zone=fields.zone)


def availability(tenant: str, contact_id: str, window: AvailabilityQuery) -> Availability:
    contact = get(tenant, contact_id)
    hours = ContactFields.model_validate(_writable(contact)).opening_hours
    result = check_window(hours, window.start, window.end)
    return Availability(**result.model_dump(), always_open=hours is None)
