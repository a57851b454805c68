"""Who reads a text, and how: the account's locale, time zone and currency (its settings), and a
staff user's own locale and time zone (their profile: GET/PATCH /me).

Every email, export and document the product writes for a person follows their reader here; a
problem answer follows `reader_locale` when the request sends no Accept-Language.
"""

from __future__ import annotations

from pydantic import BaseModel

from crm.contacts.models import Profile, ProfileFields, Reading
from crm.contacts.repository import accounts as accounts_repo
from crm.platform.auth import Principal
from crm.platform.errors import PreconditionFailed
from crm.platform.i18n import DEFAULT_LOCALE, Reader, tr
from crm.platform.i18n.formats import DEFAULT_CURRENCY, DEFAULT_TIME_ZONE


def reader(settings: dict | None, own: dict | None = None) -> Reader:
    """How someone reads: their own locale and time zone (`own`: a profile, a person) where they
    have them, the account's otherwise; always the account's currency."""
    settings, own = settings or {}, own or {}
    return Reader(
        locale=own.get("locale") or settings.get("locale") or DEFAULT_LOCALE,
        time_zone=own.get("time_zone") or settings.get("time_zone") or DEFAULT_TIME_ZONE,
        currency=settings.get("currency") or DEFAULT_CURRENCY,
    )


def account_reader(tenant: str, own: dict | None = None) -> Reader:
    """How a reader of this account reads: their own way where they have one (`own`: a person),
    else the account's (a supplier, an address nobody chose anything for)."""
    return reader(accounts_repo.get_settings(tenant), own)


def readers_at(tenant: str, addresses: list[str]) -> dict[str, Reader]:
    """The reader at each email address: a staff user's own profile, else the account's way. One
    read for all of them."""
    settings, profiles = accounts_repo.settings_and_profiles(tenant, list(dict.fromkeys(a.casefold() for a in addresses)))
    return {a: reader(settings, profiles.get(a.casefold())) for a in addresses}


def _who(principal: Principal) -> str:
    return principal.email or principal.user_id


def principal_reader(principal: Principal) -> Reader:
    """How a staff user reads what the product writes for them (exports, reports)."""
    return readers_at(principal.tenant, [_who(principal)])[_who(principal)]


def reader_locale(principal: Principal) -> str:
    """The locale of a staff user's problem answers when their request names none."""
    return principal_reader(principal).locale


# ---------------------------------------------------------------- GET/PATCH /me


def _profile(principal: Principal, settings: dict | None, own: dict) -> Profile:
    reading = reader(settings, own)
    return Profile(
        email=_who(principal),
        role=principal.role,
        version=own.get("version", 0),
        locale=own.get("locale"),
        time_zone=own.get("time_zone"),
        reads_in=Reading(locale=reading.locale, time_zone=reading.time_zone, currency=reading.currency),
    )


def profile(principal: Principal) -> Profile:
    # Read consistently (two gets, not one batch): a PATCH's ETag must be the current version.
    own = accounts_repo.get_profile(principal.tenant, _who(principal)) or {}
    return _profile(principal, accounts_repo.get_settings(principal.tenant), own)


def update_profile(principal: Principal, patch: BaseModel, expected_version: int) -> Profile:
    """`patch` is a ProfilePatch (a merge patch: null goes back to the account's way)."""
    old = accounts_repo.get_profile(principal.tenant, _who(principal)) or {"version": 0}
    if old["version"] != expected_version:
        raise PreconditionFailed(tr("your profile changed since you read it; reload it and apply your change again"))
    fields = ProfileFields.model_validate({**{k: old.get(k) for k in ProfileFields.model_fields}, **patch.model_dump(exclude_unset=True)})
    new = {**fields.model_dump(), "email": _who(principal), "version": expected_version + 1}
    accounts_repo.put_profile(principal.tenant, _who(principal), new, expected_version)
    return _profile(principal, accounts_repo.get_settings(principal.tenant), new)
