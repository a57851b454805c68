"""The legal identity of a contact and of the account: identifiers checked against each other and
the party (each bad field named), and what an invoice still lacks on either side."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm.contacts.identity import buyer_gaps
from crm.contacts.legal import LegalIdentityFields, seller_gaps
from crm.contacts.models import ContactFields

GROUP = "01J0000000000000000000000G"
SIREN, SIRET, VAT = "732829320", "73282932000074", "FR44732829320"
OTHER_SIRET, OTHER_VAT = "30326504500011", "FR40303265045"  # SIREN 303265045
PARIS = {"line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}


def contact(**fields) -> ContactFields:
    return ContactFields.model_validate({"name": "ABC", "group_id": GROUP, **fields})


def bad_fields(model, data: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_a_siret_or_a_french_vat_number_gives_the_siren_and_makes_a_business():
    assert contact(siret=SIRET).siren == SIREN
    by_vat = contact(vat_number="fr 44 732829320")
    assert (by_vat.siren, by_vat.vat_number, by_vat.kind) == (SIREN, VAT, "business")
    assert contact(siren=SIREN, siret=SIRET, vat_number=VAT, country="FR").kind == "business"
    assert contact().kind is None


def test_identifiers_of_another_company_are_named_each():
    errors = bad_fields(ContactFields, {"name": "", "group_id": GROUP, "siren": SIREN, "siret": OTHER_SIRET, "vat_number": OTHER_VAT})
    assert set(errors) == {"name", "siret", "vat_number"}
    assert "SIREN 303265045, not of 732829320" in errors["siret"]
    assert "SIREN 303265045, not of 732829320" in errors["vat_number"]


def test_every_bad_identifier_is_named_with_the_other_bad_fields():
    errors = bad_fields(
        ContactFields, {"name": "ABC", "group_id": "nope", "siren": "732829321", "siret": "73282932000075", "vat_number": "FR45732829320"}
    )
    assert set(errors) == {"group_id", "siren", "siret", "vat_number"}


def test_an_individual_has_no_company_identifiers():
    errors = bad_fields(ContactFields, {"name": "Anne", "group_id": GROUP, "kind": "individual", "siren": SIREN, "vat_number": VAT})
    assert set(errors) == {"siren", "vat_number"}
    assert "make the contact a business" in errors["siren"]


def test_a_foreign_business_has_its_countrys_vat_number_and_no_siren():
    assert contact(country="DE", vat_number="136695976").vat_number == "DE136695976"
    assert contact(address={**PARIS, "country": "BE"}, vat_number="BE0403019261").vat_number == "BE0403019261"
    errors = bad_fields(ContactFields, {"name": "GmbH", "group_id": GROUP, "country": "DE", "siren": SIREN, "vat_number": VAT})
    assert "only businesses registered in France" in errors["siren"]
    assert "of FR, not of DE" in errors["vat_number"]
    # The contact's own country wins over its address's (a site abroad of a French company).
    assert contact(country="FR", address={**PARIS, "country": "ES"}, vat_number=VAT).vat_number == VAT


SELLER = {
    "legal_name": "Plomberie Martin SARL",
    "legal_form": "SARL",
    "share_capital": {"amount": 1000000, "currency": "EUR"},
    "address": PARIS,
    "siren": SIREN,
    "siret": SIRET,
    "rcs_city": "Paris",
    "vat_number": VAT,
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "BNPAFRPP",
    "late_payment_rate": "12.15",
    "early_payment_discount": "none",
    "vat_on_debits": True,
}


def test_a_complete_legal_identity_lacks_nothing_and_keeps_the_legal_indemnity():
    identity = LegalIdentityFields.model_validate(SELLER)
    assert identity.iban == "FR7630006000011234567890189"
    assert identity.recovery_indemnity.model_dump() == {"amount": 4000, "currency": "EUR"}
    assert seller_gaps(identity) == []


def test_an_empty_legal_identity_lacks_what_every_invoice_names():
    assert seller_gaps(LegalIdentityFields()) == [
        "legal_name",
        "legal_form",
        "share_capital",
        "address",
        "siren",
        "rcs_city",
        "vat_number",
        "late_payment_rate",
        "early_payment_discount",
    ]


def test_a_sole_trader_has_no_share_capital_nor_rcs_city_to_give():
    sole = {k: v for k, v in SELLER.items() if k not in ("share_capital", "rcs_city")} | {"legal_form": "EI"}
    assert seller_gaps(LegalIdentityFields.model_validate(sole)) == []
    assert "no share capital" in bad_fields(LegalIdentityFields, {**sole, "share_capital": SELLER["share_capital"]})["share_capital"]


def test_every_bad_field_of_a_legal_identity_is_named():
    errors = bad_fields(
        LegalIdentityFields,
        {
            **SELLER,
            "siret": OTHER_SIRET,
            "vat_number": "FR45732829320",
            "iban": "FR7630006000011234567890188",
            "bic": "BNPA",
            "late_payment_rate": "0",
            "recovery_indemnity": {"amount": 3000, "currency": "EUR"},
            "early_payment_discount": {"rate": "2.5", "within_days": 0},
            "legal_form": "Ltd",
            "tenant": "t2",
        },
    )
    assert set(errors) == {
        "siret",
        "vat_number",
        "iban",
        "bic",
        "late_payment_rate",
        "recovery_indemnity",
        "early_payment_discount.terms.within_days",
        "legal_form",
        "tenant",
    }


def test_a_buyer_lacks_what_its_kind_and_country_require():
    assert buyer_gaps({"name": "X"}) == ["kind", "address", "country"]
    assert buyer_gaps({"kind": "individual", "address": PARIS}) == []
    assert buyer_gaps({"kind": "business", "address": PARIS}) == ["siren"]  # the reform's mention
    assert buyer_gaps({"kind": "business", "address": PARIS, "siren": SIREN}) == []
    assert buyer_gaps({"kind": "business", "address": {**PARIS, "country": "DE"}}) == ["vat_number"]  # reverse charge
    assert buyer_gaps({"kind": "business", "address": {**PARIS, "country": "CH"}}) == []
    assert buyer_gaps({"kind": "business", "address": {"line1": "x", "country": "FR"}, "siren": SIREN}) == ["address"]
