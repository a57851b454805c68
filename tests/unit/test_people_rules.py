"""Pure rules of persons: search terms, consent changes, the marketing audience, erasure."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm.contacts import search
from crm.people import rules
from crm.people.models import ConsentChange, PersonFields, PersonPatch, TagFields
from crm.platform.errors import Conflict

JANE = {
    "id": "01JABCDEFGHJKMNPQRSTVWXYZ0",
    "contact_id": "01JABCDEFGHJKMNPQRSTVWXYZ1",
    "version": 3,
    "created_at": "2026-01-01T00:00:00Z",
    "name": "Jane Doe-Smith",
    "job_title": "Facilities manager",
    "email": "jane.doe@acme.test",
    "mobile": "+44 20 7946 0000",
    "landline": "01632 960 001",
    "receives_marketing": True,
    "tag_ids": ["01JABCDEFGHJKMNPQRSTVWXYZ2"],
    "consent": {"status": "given", "medium": "web", "changed_at": "2026-01-02T00:00:00Z", "changed_by": "office@t1"},
}


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+44 20 7946 0000", {"442079460000", "2079460000", "02079460000"}),
        ("0044 20 7946 0000", {"00442079460000", "2079460000", "02079460000"}),
        ("+33 (0)1 23 45 67 89", {"330123456789", "0123456789"}),
        ("+1 212 555 0100", {"12125550100", "2125550100", "02125550100"}),
        ("+353 1 234 5678", {"35312345678", "12345678", "012345678"}),
        ("01632 960 001", {"01632960001"}),
        ("12", set()),
        (None, set()),
    ],
)
def test_a_phone_is_found_as_written_and_as_dialled_at_home(phone, expected):
    assert search.phone_terms(phone) == expected


def found_by(terms: set[str], query: str) -> bool:
    """As the search does: the folded query is a prefix of one of the terms."""
    return any(t.startswith(search.query_term(query)) for t in terms)


def test_a_person_is_found_by_name_words_email_and_phone_digits():
    found = rules.terms(JANE)
    for query in ("Jane Doe", "jane", "doe", "smith", "jane.doe@acme", "020 7946", "2079", "01632 960001"):
        assert found_by(found, query), query
    assert not found_by(found, "facilities"), "the job title is not searchable"


def test_names_are_folded_for_case_and_accents():
    assert found_by(rules.terms({"name": "Zoé Ärger"}), "ZOE") and found_by(rules.terms({"name": "Zoé Ärger"}), "ärg")


def test_an_erased_person_is_found_by_nothing():
    assert rules.terms({**JANE, "erased_at": "2026-02-01T00:00:00Z"}) == set()


def test_any_consent_status_may_follow_any_other_and_says_who_when_how():
    for before in ("awaiting", "given", "refused"):
        for after in ("awaiting", "given", "refused"):
            consent = rules.consent_after({**JANE, "consent": {"status": before}}, after, "paper", "admin@t1", "2026-03-01T00:00:00Z")
            assert consent == {"status": after, "medium": "paper", "changed_at": "2026-03-01T00:00:00Z", "changed_by": "admin@t1"}


def test_an_erased_persons_consent_cannot_change():
    with pytest.raises(Conflict):
        rules.consent_after({**JANE, "erased_at": "2026-02-01T00:00:00Z"}, "given", "email", "admin@t1", "2026-03-01T00:00:00Z")


@pytest.mark.parametrize("status", ["awaiting", "refused"])
def test_marketing_needs_consent_given(status):
    assert rules.in_marketing_audience(JANE)
    assert not rules.in_marketing_audience({**JANE, "consent": {"status": status}})


def test_marketing_needs_the_opt_in_an_address_and_no_erasure():
    assert not rules.in_marketing_audience({**JANE, "receives_marketing": False})
    assert not rules.in_marketing_audience({**JANE, "email": None})
    assert not rules.in_marketing_audience({**JANE, "erased_at": "2026-02-01T00:00:00Z"})


def test_erasure_keeps_ids_dates_and_consent_status_and_nothing_personal():
    erased = rules.erased(JANE, "admin@t1", "2026-04-01T00:00:00Z")
    assert erased["name"] == rules.ERASED_NAME
    assert all(erased[k] is None for k in ("email", "mobile", "landline", "job_title"))
    assert erased["tag_ids"] == [] and erased["receives_marketing"] is False
    assert erased["consent"]["status"] == "given"
    assert (erased["erased_at"], erased["erased_by"], erased["version"]) == ("2026-04-01T00:00:00Z", "admin@t1", 4)
    assert (erased["id"], erased["contact_id"], erased["created_at"]) == (JANE["id"], JANE["contact_id"], JANE["created_at"])
    text = repr(erased).casefold()
    assert "jane" not in text and "7946" not in text and "facilities" not in text


def test_an_erasure_cannot_be_repeated():
    with pytest.raises(Conflict):
        rules.erased(rules.erased(JANE, "admin@t1", "2026-04-01T00:00:00Z"), "admin@t1", "2026-04-02T00:00:00Z")


def test_the_replacement_address_is_reserved_and_names_only_the_record():
    address = rules.replacement_address(JANE["id"])
    assert address.endswith("@erased.invalid") and JANE["id"].lower() in address


# ---------------------------------------------------------------- models


def test_opt_ins_that_need_an_address_are_refused_without_one():
    with pytest.raises(ValidationError, match="receives_marketing"):
        PersonFields(name="No Mail", receives_marketing=True)
    with pytest.raises(ValidationError, match="booking_site_access"):
        PersonFields(name="No Mail", booking_site_access=True)
    assert PersonFields(name="No Mail", receives_financial_documents=True).receives_financial_documents


def test_emails_are_checked_and_lowered_and_tag_ids_deduplicated():
    tag = "01JABCDEFGHJKMNPQRSTVWXYZ2"
    fields = PersonFields(name="Jane", email="Jane.Doe@ACME.test", tag_ids=[tag, tag])
    assert fields.email == "jane.doe@acme.test" and fields.tag_ids == [tag]
    with pytest.raises(ValidationError, match="email"):
        PersonFields(name="Jane", email="not-an-address")


def test_consent_status_and_medium_come_from_their_lists():
    with pytest.raises(ValidationError) as e:
        ConsentChange(status="maybe", medium="pigeon")
    assert {err["loc"][0] for err in e.value.errors()} == {"status", "medium"}


def test_a_patch_cannot_set_consent_directly():
    with pytest.raises(ValidationError, match="consent"):
        PersonPatch(consent={"status": "given", "medium": "email"})


def test_a_tag_needs_a_hex_colour():
    assert TagFields(name="VIP", colour="#A1b2C3").colour == "#A1b2C3"
    with pytest.raises(ValidationError, match="colour"):
        TagFields(name="VIP", colour="red")
