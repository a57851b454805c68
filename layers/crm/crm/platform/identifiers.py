"""Company identifiers and bank details, checked with python-stdnum and schwifty (never regexes).

Each check takes what a user typed (spaces, dots and dashes allowed) and returns the compact form
that is stored and compared, or raises ValueError with a tr() message saying what is wrong (a 422
naming the field when it runs in a model): SIREN and SIRET by their Luhn keys, a French VAT number
by its key computed from the SIREN it holds, another VAT number by its country's rules, an IBAN
by its check digits and its country's structure, a BIC by its structure and country.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, ValidationInfo
from stdnum import exceptions as stdnum_errors
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from crm.platform.i18n import Message, tr

FRANCE = "FR"
# VAT numbers start with their country's ISO 3166 code, but Greece's with EL.
_VAT_PREFIX = {"GR": "EL"}
_VAT_COUNTRY = {prefix: country for country, prefix in _VAT_PREFIX.items()}
EU_VAT_COUNTRIES = frozenset(c.upper() for c in eu_vat.MEMBER_STATES)  # and XI: Northern Ireland


def _why(error: stdnum_errors.ValidationError) -> Message:
    if isinstance(error, stdnum_errors.InvalidChecksum):
        return tr("its check digits are wrong")
    if isinstance(error, stdnum_errors.InvalidLength):
        return tr("it has the wrong number of characters")
    return tr("it is not written as such a number is")


def siren(value: str) -> str:
    """A French company's number (9 digits, Luhn key)."""
    try:
        return fr_siren.validate(value)
    except stdnum_errors.ValidationError as e:
        raise ValueError(tr("is not a SIREN number: {why}", why=_why(e))) from None


def siret(value: str) -> str:
    """A French establishment's number: its company's SIREN and 5 more digits (Luhn key)."""
    try:
        return fr_siret.validate(value)
    except stdnum_errors.ValidationError as e:
        raise ValueError(tr("is not a SIRET number: {why}", why=_why(e))) from None


def vat_country(number: str) -> str | None:
    """The ISO 3166 country a VAT number's prefix names (EL: GR), or None without a prefix."""
    prefix = number[:2].upper()
    return _VAT_COUNTRY.get(prefix, prefix) if prefix.isalpha() and len(prefix) == 2 else None


def vat_number(value: str, country: str | None = None) -> str:
    """A VAT number, checked by its country's rules: an EU one (with its prefix: FR40303265045)
    by stdnum's EU VAT module, France's key against the SIREN it holds; another country's by
    stdnum's module for it where there is one. `country` (ISO 3166 alpha-2) is the country the
    number must be of; an EU number written without its prefix is read as that country's."""
    compact = re.sub(r"[^0-9A-Z]", "", value.upper())
    named = vat_country(compact)
    if named not in EU_VAT_COUNTRIES and country in EU_VAT_COUNTRIES:
        named, compact = country, _VAT_PREFIX.get(country, country) + compact
    if country is not None and named is not None and named != country and named in EU_VAT_COUNTRIES:
        raise ValueError(tr("is a VAT number of {prefix}, not of {country}", prefix=named, country=country))
    named = country or named
    if named is None:
        raise ValueError(tr("must start with its country's code, e.g. FR40303265045"))
    try:
        if named == FRANCE:
            return FRANCE + fr_tva.validate(compact)
        if named in EU_VAT_COUNTRIES:
            return eu_vat.validate(compact)
        module = get_cc_module(named.lower(), "vat")
        if module is not None:
            module.validate(value)
    except stdnum_errors.ValidationError as e:
        raise ValueError(tr("is not a VAT number of {country}: {why}", country=named, why=_why(e))) from None
    if not 4 <= len(compact) <= 20:
        raise ValueError(tr("is not a VAT number: it has the wrong number of characters"))
    return compact


def siren_of_vat(number: str) -> str | None:
    """The SIREN a (checked, compact) French VAT number holds; None for another country's."""
    return fr_tva.to_siren(number) if vat_country(number) == FRANCE else None


def iban(value: str) -> str:
    """An IBAN, in its electronic form (no spaces)."""
    from schwifty import IBAN  # its bank registry loads with it: only where an IBAN is checked
    from schwifty.exceptions import InvalidChecksumDigits, InvalidCountryCode, InvalidLength, SchwiftyException

    try:
        return IBAN(value, validate_bban=True).compact
    except InvalidChecksumDigits:
        raise ValueError(tr("is not an IBAN: its check digits are wrong")) from None
    except InvalidLength:
        raise ValueError(tr("is not an IBAN: it has the wrong number of characters for its country")) from None
    except InvalidCountryCode:
        raise ValueError(tr("is not an IBAN: it does not start with a country that has IBANs")) from None
    except SchwiftyException:
        raise ValueError(tr("is not an IBAN: its account number is not written as its country's are")) from None


def bic(value: str) -> str:
    """A BIC (SWIFT code), 8 or 11 characters, upper case."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return BIC(value).compact
    except SchwiftyException:
        raise ValueError(tr("is not a BIC: 8 or 11 letters and digits, the 5th and 6th a country code")) from None


# Validation context of data read back after it was checked: an IBAN or BIC is not checked again
# (schwifty loads its bank registry on import, about 0.1 s of a cold start).
STORED = {"stored": True}


def _unless_stored(check: Callable[[str], str]) -> Callable[[str, ValidationInfo], str]:
    def validate(value: str, info: ValidationInfo) -> str:
        return value if (info.context or {}).get("stored") else check(value)

    return validate


_Typed = StringConstraints(min_length=1, max_length=40)
Siren = Annotated[str, _Typed, AfterValidator(siren)]
Siret = Annotated[str, _Typed, AfterValidator(siret)]
PrefixedVatNumber = Annotated[str, _Typed, AfterValidator(vat_number)]  # of any country, with its prefix
Iban = Annotated[str, _Typed, AfterValidator(_unless_stored(iban))]
Bic = Annotated[str, _Typed, AfterValidator(_unless_stored(bic))]
