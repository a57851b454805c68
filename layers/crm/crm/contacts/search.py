"""What a contact can be found by: prefix terms, folded for case and accents.

A contact is found by the prefix of its name (whole, or any later word of it: the whole name
already answers for the first), reference, postcode, city, phones and emails. Phones are indexed as
digits, and international ones also as dialled at home, so "01 42" finds "+33 1 42 ...".
"""

from __future__ import annotations

import re

from crm.platform.text import digits, fold

MAX_NAME_WORDS = 8
MIN_TERM = 1
MIN_PHONE_DIGITS = 3
_PHONE_QUERY = re.compile(r"^[\d\s+().\-]+$")


def terms(contact: dict) -> set[str]:
    found: set[str] = set()
    name = fold(contact.get("name") or "")
    if name:
        found.add(name)
        found.update(w for w in re.split(r"[\s\-'’,.&/()]+", name)[1:MAX_NAME_WORDS] if w)
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
        found |= phone_terms(person.get("phone"))
    return {t for t in found if len(t) >= MIN_TERM}


# ITU-T E.164 country calling codes that are one or two digits long; every other code has three.
_SHORT_CODES = {"1", "7"} | {
    "20",
    "27",
    "30",
    "31",
    "32",
    "33",
    "34",
    "36",
    "39",
    "40",
    "41",
    "43",
    "44",
    "45",
    "46",
    "47",
    "48",
    "49",
    "51",
    "52",
    "53",
    "54",
    "55",
    "56",
    "57",
    "58",
    "60",
    "61",
    "62",
    "63",
    "64",
    "65",
    "66",
    "81",
    "82",
    "84",
    "86",
    "90",
    "91",
    "92",
    "93",
    "94",
    "95",
    "98",
}


def national_number(phone: str) -> str | None:
    """The digits after the country code of an international number (+44 20 ... -> 20...)."""
    raw = phone.strip()
    number = digits(raw)
    if raw.startswith("00"):
        number = number[2:]
    elif not raw.startswith("+"):
        return None
    for length in (1, 2, 3):
        if number[:length] in _SHORT_CODES or length == 3:
            return number[length:] or None
    return None


def phone_terms(phone: str | None) -> set[str]:
    """A phone is found by its digits as written, and, if international, as dialled at home:
    "+44 20 7946 0000" by "4420", "2079" and "02079"."""
    if not phone:
        return set()
    found = {digits(phone)}
    national = national_number(phone)
    if national:
        found |= {national, "0" + national.lstrip("0")}
    return {t for t in found if len(t) >= MIN_PHONE_DIGITS}


def query_term(q: str) -> str:
    """The folded prefix a search query looks up."""
    return digits(q) if _PHONE_QUERY.match(q) and digits(q) else fold(q)


EXACT_REFERENCE, EXACT_NAME, PREFIX = 0, 1, 2


def rank(query: str, contact: dict) -> int:
    """How well a contact found by `query` (a folded term) matches it."""
    if contact.get("reference") and fold(contact["reference"]) == query:
        return EXACT_REFERENCE
    if fold(contact.get("name") or "") == query:
        return EXACT_NAME
    return PREFIX
