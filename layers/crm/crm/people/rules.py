"""Pure rules about persons: what finds them in search, how consent changes, who may be marketed
to, and what an erased person keeps. No AWS here."""

from __future__ import annotations

from crm.contacts import search
from crm.platform.errors import Conflict
from crm.platform.i18n import tr
from crm.platform.redaction import Identity, Replacement
from crm.platform.text import fold

ERASED_NAME = "Erased person"
# Personal fields cleared by erasure (name is replaced, not cleared, so history still reads).
PERSONAL_FIELDS = ("job_title", "mobile", "landline", "email")


def terms(person: dict) -> set[str]:
    """What makes GET /contacts?q= find this person's contact: name (whole and by word), email,
    phones. An erased person is found by nothing."""
    if person.get("erased_at"):
        return set()
    found = search.terms({"name": person.get("name") or ""})
    if person.get("email"):
        found.add(fold(person["email"]))
    for key in ("mobile", "landline"):
        found |= search.phone_terms(person.get(key))
    return found


def ensure_not_erased(person: dict) -> None:
    if person.get("erased_at"):
        raise Conflict(tr("this person was erased; an erasure cannot be undone and the record cannot change"))


def consent_after(person: dict, status: str, medium: str, by: str, at: str) -> dict:
    """The person's consent once this change is recorded. Any status may follow any other: consent
    may be withdrawn (given -> refused), given again, or asked again (-> awaiting); every change is
    recorded, even one that confirms the current status, because the history is the proof."""
    ensure_not_erased(person)
    return {"status": status, "medium": medium, "changed_at": at, "changed_by": by}


def in_marketing_audience(person: dict) -> bool:
    """Marketing email goes only to a person who opted in, whose consent is given, who has an
    address, and who was not erased."""
    return (
        bool(person.get("receives_marketing"))
        and (person.get("consent") or {}).get("status") == "given"
        and bool(person.get("email"))
        and not person.get("erased_at")
    )


def erased(person: dict, by: str, at: str) -> dict:
    """The record an erasure leaves: ids, dates and the consent status (so it is still provable that
    the person had, or had not, consented), nothing that identifies the person."""
    ensure_not_erased(person)
    consent = person.get("consent") or {}
    kept = {k: person[k] for k in ("id", "contact_id", "created_at") if k in person}
    return {
        **kept,
        "name": ERASED_NAME,
        **{k: None for k in PERSONAL_FIELDS},
        "booking_site_access": False,
        "receives_financial_documents": False,
        "receives_marketing": False,
        "tag_ids": [],
        "consent": {
            "status": consent.get("status", "awaiting"),
            "medium": consent.get("medium"),
            "changed_at": consent.get("changed_at"),
            "changed_by": consent.get("changed_by"),
        },
        "version": person["version"] + 1,
        "updated_at": at,
        "erased_at": at,
        "erased_by": by,
    }


def replacement_address(person_id: str) -> str:
    """What replaces an erased person's email address in notes and the email archive: a reserved
    (.invalid, RFC 2606) address that still tells which erased record it was."""
    return f"erased-{person_id.lower()}@erased.invalid"


def identity(person: dict) -> Identity:
    """How a person is written in other records: her name, address and phones (as dialled at home
    too), for the person-data index and for erasure."""
    if person.get("erased_at"):
        return Identity()
    phones = set().union(*(search.phone_terms(person.get(k)) for k in ("mobile", "landline")))
    return Identity(
        names=(person["name"],),
        emails=(person["email"],) if person.get("email") else (),
        phones=tuple(sorted(phones, key=len, reverse=True)),
    )


def replacement(person_id: str) -> Replacement:
    """What an erasure writes where she was: her .invalid placeholder address, "[erased]" in text."""
    return Replacement(email=replacement_address(person_id))
