"""Rules of opportunities: creation with a gapless reference (OPP-000001), changes (status, stage,
owner, value...) with everything that follows them in the same transaction (the set-up's usage
counts, the tag listings, the summary cells the pipeline and the reports read, the person-data
index), selections by index, and notes with alerts (the contacts context's, about the opportunity).
"""

from __future__ import annotations

from typing import Any

from crm.contacts import dependents, notes
from crm.contacts import service as contacts
from crm.contacts.models import Note, NoteCreated, NoteFields, NoteTopic
from crm.finance import fields as custom_fields
from crm.people import service as people
from crm.platform import clock, dynamo, idempotency, ids, personal_data
from crm.platform.auth import Principal
from crm.platform.errors import FieldError, Invalid, NotFound, PreconditionFailed, invalid_fields
from crm.platform.i18n import tr
from crm.platform.pagination import Page
from crm.sales import repository as repo
from crm.sales import rules, setup
from crm.sales.models import OpportunityFields, OpportunityPatch, Pipeline, StageTotal

REQUIRED = ("subject", "status", "stage_id", "probability_id", "expected_value", "owner")
CUSTOM_FIELDS_KIND = "opportunity"  # the opportunities' custom fields are the finance settings' of this kind


def get(tenant: str, opportunity_id: str) -> dict:
    found = repo.get_opportunity(tenant, opportunity_id)
    if found is None:
        raise NotFound(tr("no such opportunity"))
    return found


def _custom_fields(tenant: str, given: dict) -> tuple[dict, list[FieldError]]:
    """The answers to the opportunity custom fields (the finance settings' kind "opportunity") to
    store, and what is wrong with them: a bad answer, an unknown field, a required one unanswered."""
    errors: list[FieldError] = []
    try:
        stored = custom_fields.checked(tenant, CUSTOM_FIELDS_KIND, given)
    except Invalid as e:
        stored, errors = {}, list(e.errors)
    answered = set(stored) | {key for key, value in given.items() if value is not None}
    missing = [d["key"] for d in custom_fields.definitions(tenant, CUSTOM_FIELDS_KIND) if d["required"] and d["key"] not in answered]
    return stored, errors + [FieldError(f"custom_fields.{key}", tr("is required")) for key in missing]


def _checked(tenant: str, opportunity: dict, contact_known: bool = True) -> dict:
    """The opportunity with its custom fields as stored, once every reference it makes is this
    account's and every answer is good: else 422 naming each bad field (its contact and person
    too, unless `contact_known` is False: a contact still to be made)."""
    stages, probabilities = setup.require_ready(tenant)
    answers, errors = _custom_fields(tenant, opportunity.get("custom_fields") or {})
    if opportunity["stage_id"] not in stages:
        errors.append(FieldError("stage_id", tr("is not a stage of the sales set-up")))
    if opportunity["probability_id"] not in probabilities:
        errors.append(FieldError("probability_id", tr("is not a probability of the sales set-up")))
    unknown = set(opportunity.get("tags") or []) - set(setup.entries(tenant, "tags"))
    if unknown:
        errors.append(FieldError("tags", tr("{ids}: not a tag of the sales set-up", ids=", ".join(sorted(unknown)))))
    if opportunity["status"] == "lost" and not opportunity.get("lost_reason"):
        errors.append(FieldError("lost_reason", tr("is required when the status is lost")))
    if contact_known:
        errors += _contact_errors(tenant, opportunity)
    elif opportunity.get("person_id"):
        errors.append(FieldError("person_id", tr("is not a person of the opportunity's contact")))
    if errors:
        raise invalid_fields(errors)
    return {**opportunity, "custom_fields": answers}


def _contact_errors(tenant: str, opportunity: dict) -> list[FieldError]:
    if contacts.lookup(tenant, opportunity["contact_id"]) is None:
        return [FieldError("contact_id", tr("is not a contact of this account"))]
    if opportunity.get("person_id"):
        person = people.lookup(tenant, opportunity["person_id"])
        if person is None or person.get("contact_id") != opportunity["contact_id"]:
            return [FieldError("person_id", tr("is not a person of the opportunity's contact"))]
    return []


def _closing(old: dict | None, new: dict, now: str) -> dict:
    """Won or lost: when it closed (kept while it stays closed); reopened: no longer closed."""
    if new["status"] not in rules.CLOSED:
        return {**new, "closed_at": None, "lost_reason": None}
    if old is not None and old["status"] == new["status"] and old.get("closed_at"):
        return {**new, "closed_at": old["closed_at"]}
    return {**new, "closed_at": now, "lost_reason": new.get("lost_reason") if new["status"] == "lost" else None}


def _person_index(tenant: str, old: dict | None, new: dict) -> list[dynamo.Step]:
    before, after = (old or {}).get("person_id"), new.get("person_id")
    if before == after:
        return []
    place = repo.place(tenant, new["id"])
    steps = personal_data.unregister(tenant, [personal_data.person(before)], place) if before else []
    return steps + (personal_data.register(tenant, [personal_data.person(after)], place) if after else [])


def create(principal: Principal, fields: OpportunityFields) -> dict:
    tenant = principal.tenant
    now = clock.iso(clock.now())
    data: dict[str, Any] = fields.model_dump(mode="json", exclude={"new_contact"})
    draft = {**data, "id": ids.new_id(), "owner": data.get("owner") or principal.actor}
    if fields.new_contact is not None:
        # Checked first without its contact (nothing made for a bad opportunity), then the contact
        # made through the contacts service; should saving the opportunity then fail, the contact
        # stays, as if created on its own.
        _checked(tenant, draft, contact_known=False)
        with idempotency.on_the_way():
            draft["contact_id"] = contacts.create(principal, fields.new_contact)["id"]
    draft = _closing(None, _checked(tenant, draft), now)
    currency = contacts.settings(tenant).currency

    def build(n: int) -> dict:
        return {**draft, "reference": rules.reference(n), "currency": currency, "created_at": now, "updated_at": now, "version": 1}

    also = [*dependents.filed(tenant, draft["contact_id"], "opportunities", 1), *_person_index(tenant, None, draft)]
    return repo.create_opportunity(tenant, build, also, idempotency.claim(draft["id"]))


def update(principal: Principal, opportunity_id: str, patch: OpportunityPatch, expected_version: int) -> dict:
    tenant = principal.tenant
    old = get(tenant, opportunity_id)
    if old["version"] != expected_version:
        raise PreconditionFailed(tr("the opportunity changed since you read it; reload it and apply your change again"))
    changes = patch.model_dump(mode="json", exclude_unset=True)
    cleared = [FieldError(name, tr("may not be cleared")) for name in REQUIRED if name in changes and changes[name] is None]
    if cleared:
        raise invalid_fields(cleared)
    if "custom_fields" in changes and changes["custom_fields"] is None:
        changes["custom_fields"] = {}
    now = clock.iso(clock.now())
    new = {**old, **changes, "version": old["version"] + 1, "updated_at": now}
    new = _closing(old, _checked(tenant, new), now)
    repo.save_opportunity(tenant, old, new, _person_index(tenant, old, new))
    return new


def find(
    tenant: str, selection: rules.Selection, reference: str | None, *, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    if selection.due_from and selection.due_to and selection.due_to < selection.due_from:
        raise invalid_fields([FieldError("due_to", tr("must not be before {field}", field="due_from"))])
    if reference:
        found_id = repo.opportunity_id_by_reference(tenant, reference.strip())
        found = repo.get_opportunity(tenant, found_id) if found_id else None
        return ([found] if found and selection.matches(found) else []), None
    return repo.select(tenant, selection, limit=limit, cursor=cursor, query={"opportunities": vars(selection)})


def pipeline(tenant: str) -> Pipeline:
    """Open opportunities by stage, in the set-up's order (a stage with none shows zeros)."""
    cells = {c["key"]: c for c in repo.summary(tenant, ("PIPE",))}
    stages = setup.entries(tenant, "stages").values()
    totals = [
        StageTotal(stage_id=s["id"], name=s["name"], count=cells.get(s["id"], {}).get("n", 0), value=cells.get(s["id"], {}).get("v", 0))
        for s in stages
    ]
    return Pipeline(currency=contacts.settings(tenant).currency, stages=totals)


# ---------------------------------------------------------------- notes


def _topic(opportunity_id: str) -> NoteTopic:
    return NoteTopic(kind="opportunity", id=opportunity_id)


def create_note(principal: Principal, opportunity_id: str, fields: NoteFields) -> NoteCreated:
    opportunity = get(principal.tenant, opportunity_id)
    return notes.create(principal, opportunity["contact_id"], fields, _topic(opportunity_id))


def get_note(tenant: str, opportunity_id: str, note_id: str) -> Note:
    opportunity = get(tenant, opportunity_id)
    note = notes.get(tenant, opportunity["contact_id"], note_id)
    if note.topic != _topic(opportunity_id):
        raise NotFound(tr("no such note on this opportunity"))
    return note


def list_notes(tenant: str, opportunity_id: str, *, limit: int, cursor: str | None) -> Page[Note]:
    get(tenant, opportunity_id)
    return notes.topic_notes(tenant, _topic(opportunity_id), limit=limit, cursor=cursor)
