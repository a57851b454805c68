"""SIREN, SIRET, VAT numbers, IBAN and BIC: real numbers pass in their compact form, each kind of
mistake is refused with a message that says what is wrong."""

from __future__ import annotations

import pytest

from crm.platform import identifiers

# Identifiers whose keys are right (the VAT number's key is computed from the SIREN).
SIREN, SIRET, VAT = "732829320", "73282932000074", "FR44732829320"


@pytest.mark.parametrize("typed", ["732829320", "732 829 320", "732.829.320"])
def test_a_siren_is_kept_as_its_nine_digits(typed):
    assert identifiers.siren(typed) == SIREN


@pytest.mark.parametrize(
    ("typed", "why"),
    [("732829321", "check digits"), ("73282932", "number of characters"), ("73282932A", "not written as")],
)
def test_a_bad_siren_says_what_is_wrong(typed, why):
    with pytest.raises(ValueError, match=why):
        identifiers.siren(typed)


def test_a_siret_passes_its_luhn_key_la_postes_too():
    assert identifiers.siret("732 829 320 00074") == SIRET
    assert identifiers.siret("35600000000048") == "35600000000048"  # La Poste's establishments have a key of their own
    with pytest.raises(ValueError, match="check digits"):
        identifiers.siret("73282932000075")


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("FR 44 732 829 320", None, VAT),
        ("44732829320", "FR", VAT),  # without its prefix, read as the country's
        ("FR40303265045", "FR", "FR40303265045"),
        ("DE136695976", None, "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("BE 0403.019.261", "BE", "BE0403019261"),
        ("EL094259216", "GR", "EL094259216"),  # Greece's numbers start with EL
        ("CHE-116.281.710 MWST", "CH", "CHE116281710MWST"),  # outside the EU: stdnum's Swiss module
    ],
)
def test_a_vat_number_is_checked_by_its_countrys_rules(typed, country, stored):
    assert identifiers.vat_number(typed, country) == stored


@pytest.mark.parametrize(
    ("typed", "country", "why"),
    [
        ("FR45732829320", None, "check digits"),  # the key is not the SIREN's
        ("FR44732829321", None, "check digits"),
        ("DE136695977", None, "VAT number of DE: its check digits are wrong"),
        ("DE136695976", "FR", "of DE, not of FR"),
        ("FR44732829320", "BE", "of FR, not of BE"),
        ("136695976", None, "must start with its country's code"),
        ("CHE-116.281.711 MWST", "CH", "of CH"),
    ],
)
def test_a_bad_vat_number_says_what_is_wrong(typed, country, why):
    with pytest.raises(ValueError, match=why):
        identifiers.vat_number(typed, country)


def test_a_french_vat_number_holds_its_siren():
    assert identifiers.siren_of_vat(VAT) == SIREN
    assert identifiers.siren_of_vat("DE136695976") is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("GB82WEST12345698765432", "GB82WEST12345698765432"),
    ],
)
def test_an_iban_is_kept_in_its_electronic_form(typed, stored):
    assert identifiers.iban(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("FR7630006000011234567890188", "check digits"),  # a French IBAN's RIB key, within its BBAN
        ("FR7730006000011234567890189", "check digits"),
        ("FR763000600001123456789018", "number of characters"),
        ("XX7630006000011234567890189", "country"),
    ],
)
def test_a_bad_iban_says_what_is_wrong(typed, why):
    with pytest.raises(ValueError, match=why):
        identifiers.iban(typed)


def test_a_bic_has_8_or_11_characters_and_a_country():
    assert identifiers.bic("bnpafrpp") == "BNPAFRPP"
    assert identifiers.bic("BNPAFRPPXXX") == "BNPAFRPPXXX"
    for bad in ("BNPA", "BNPAXXPP", "BNPAFRPPXX"):
        with pytest.raises(ValueError, match="not a BIC"):
            identifiers.bic(bad)
