"""How a person at a contact reads what the product writes them: their own locale where they chose
one, else their account's way (crm.contacts.readers)."""

from __future__ import annotations

from crm.contacts import readers
from crm.people import repository as repo
from crm.platform.auth import Principal
from crm.platform.i18n import Reader


def person_reader(tenant: str, person: dict) -> Reader:
    return readers.account_reader(tenant, person)


def reader_locale(principal: Principal) -> str:
    """The locale of a caller's problem answers when their request names none: a booking-site
    customer's is their person's, a staff user's their own profile's."""
    if principal.person_id is None:
        return readers.reader_locale(principal)
    person = repo.get_person(principal.tenant, principal.person_id) or {}
    return person_reader(principal.tenant, person).locale
