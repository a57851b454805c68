"""What a contact can be found by: prefix terms, folded for case and accents.

A contact is found by the prefix of its name (whole, or any word of it), reference, postcode, city,
phones and emails. Phones are indexed as digits so "01 23" finds "+33 (0)1 23...".
"""
from __future__ import annotations

import re

from crm.platform.text import digits, fold

MAX_NAME_WORDS = 8
MIN_TERM = 1
_PHONE_QUERY = re.compile(r"^[\d\s+().\-]+$")


def terms(contact: dict) -> set[str]:
    found: set[str] = set()
    name = fold(contact.get("name") or "")
    if name:
        found.add(name)
        found.update(w for w in re.split(r"[\s\-'’,.&/()]+", name)[:MAX_NAME_WORDS] if w)
    if contact.get("reference"):
        found.add(fold(contact["reference"]))
    address = contact.get("address") or {}
    for key in ("postcode", "city"):
        if address.get(key):
            found.add(fold(address[key]))
    for person_key in ("main_contact", "on_site_contact"):
        person = contact.get(person_key) or {}
        if person.get("email"):
            found.add(fold(person["email"]))
        if person.get("phone") and len(digits(person["phone"])) >= 3:
            found.add(digits(person["phone"]))
    return {t for t in found if len(t) >= MIN_TERM}


def query_term(q: str) -> str:
    """The folded prefix a search query looks up."""
    return digits(q) if _PHONE_QUERY.match(q) and digits(q) else fold(q)


def rank(query: str, contact: dict) -> int:
    """0 for an exact reference, 1 for an exact name, 2 for any other prefix match."""
    if contact.get("reference") and fold(contact["reference"]) == query:
        return 0
    if fold(contact.get("name") or "") == query:
        return 1
    return 2
