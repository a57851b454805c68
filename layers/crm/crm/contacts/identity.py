"""Legal identifiers of a party to an invoice: a contact (the buyer) or the account (the seller).

Identifiers are checked as they are written (crm.platform.identifiers: python-stdnum, schwifty)
and against each other and the party: a SIRET is its SIREN and 5 digits, a French VAT number's
key is computed from its SIREN, a non-French VAT number is of the party's country, an individual
has none of them, only a business registered in France has a SIREN. Each bad field is named.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints, ValidationInfo, field_validator, model_validator

from crm.platform import identifiers
from crm.platform.i18n import tr

Kind = Literal["business", "individual"]
VatNumber = Annotated[str, StringConstraints(min_length=2, max_length=40)]  # checked against its party's country by IdentifierRules
FRANCE = identifiers.FRANCE


class IdentifierRules(BaseModel):
    """The checks of `siren`, `siret` and `vat_number` against each other and the party, for a
    model that declares them. pydantic validates fields in their order and `info.data` holds the
    valid ones before, so a model declares kind, country and address first, then the SIREN, then
    the SIRET and VAT number: every bad field is named, and each is compared with valid ones only."""

    @staticmethod
    def _party(info: ValidationInfo) -> tuple[str, str | None]:
        """(kind, country) of the party: the account is a business, a contact says which; the
        country is its own, else its address's."""
        country = info.data.get("country") or getattr(info.data.get("address"), "country", None)
        return info.data.get("kind") or "business", country

    @classmethod
    def _french_business(cls, info: ValidationInfo, what: str) -> None:
        kind, country = cls._party(info)
        if kind == "individual":
            raise ValueError(tr("an individual has no {what}; make the contact a business", what=what))
        if country not in (None, FRANCE):
            raise ValueError(tr("only businesses registered in France have a {what}", what=what))

    @field_validator("siren", check_fields=False)
    @classmethod
    def _siren_of_a_french_business(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            cls._french_business(info, "SIREN")
        return value

    @field_validator("siret", check_fields=False)
    @classmethod
    def _siret_of_its_siren(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        cls._french_business(info, "SIRET")
        siren = info.data.get("siren")
        if siren and value[:9] != siren:
            raise ValueError(
                tr("is an establishment of SIREN {its}, not of {siren}: a SIRET starts with its SIREN", its=value[:9], siren=siren)
            )
        return value

    @field_validator("vat_number", check_fields=False)
    @classmethod
    def _vat_number_of_its_country_and_siren(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        kind, country = cls._party(info)
        if kind == "individual":
            raise ValueError(tr("an individual has no VAT number; make the contact a business"))
        number = identifiers.vat_number(value, country)
        siren = info.data.get("siren") or (info.data.get("siret") or "")[:9]
        its = identifiers.siren_of_vat(number)
        if siren and its and its != siren:
            raise ValueError(tr("is the VAT number of SIREN {its}, not of {siren}", its=its, siren=siren))
        return number

    @model_validator(mode="after")
    def _completed(self) -> Any:
        """A SIRET or a French VAT number alone gives the SIREN; an identifier makes a contact a business."""
        siret, vat = getattr(self, "siret", None), getattr(self, "vat_number", None)
        if getattr(self, "siren", None) is None and (siret or vat):
            self.siren = siret[:9] if siret else identifiers.siren_of_vat(vat or "")
        if "kind" in type(self).model_fields and getattr(self, "kind", None) is None and (self.siren or vat):
            self.kind = "business"
        return self


def party_country(party: dict) -> str | None:
    """A contact's country of establishment: its own, else its address's."""
    return party.get("country") or (party.get("address") or {}).get("country")


def legal_key(party: dict) -> str | None:
    """What a contact is looked up by (GET /contacts?siren= or ?vat_number=): its SIREN, else a
    foreign business's VAT number. Not unique: the sites of one company share their SIREN."""
    return party.get("siren") or party.get("vat_number")


def address_incomplete(address: dict | None) -> bool:
    """An invoice's address needs a street line, a postcode and a city."""
    return not address or not all(address.get(k) for k in ("line1", "postcode", "city"))


def buyer_gaps(contact: dict) -> list[str]:
    """The fields of a contact that an invoice to it needs and that are not set: whether it is a
    business, its address and country; a French business's SIREN (a mention the e-invoicing
    reform adds), another EU business's VAT number (reverse charge)."""
    country, kind = party_country(contact), contact.get("kind")
    needed = {
        "kind": kind is None,
        "address": address_incomplete(contact.get("address")),
        "country": country is None,
        "siren": kind == "business" and country == FRANCE and not contact.get("siren"),
        "vat_number": kind == "business" and country in identifiers.EU_VAT_COUNTRIES - {FRANCE} and not contact.get("vat_number"),
    }
    return [name for name, missing in needed.items() if missing]
