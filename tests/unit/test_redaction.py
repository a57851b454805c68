"""Finding a person in free text and stored values, and rewriting them without her."""

from __future__ import annotations

from crm.platform.redaction import Identity, Replacement, addresses_in

JANE = Identity(names=("Jane Doe",), emails=("jane.doe@acme.test",), phones=("442079460000", "2079460000", "02079460000"))
GONE = Replacement(email="erased-1@erased.invalid")


def test_her_name_any_case_and_spacing_but_only_as_whole_words():
    assert JANE.redact("JANE  doe called; Janet Doerr did not", GONE) == "[erased] called; Janet Doerr did not"
    assert JANE.found_in("ask jane doe") and not JANE.found_in("Jane Doerr")


def test_her_phone_whatever_the_separators_and_prefix():
    for written in ("+44 20 7946 0000", "020 7946 0000", "(020) 7946-0000", "02079460000", "+44 (0)20 7946 0000"):
        assert "7946" not in JANE.redact(f"ring {written} today", GONE), written
    assert JANE.redact("order 1207946000012", GONE) == "order 1207946000012"  # a longer number is not hers


def test_her_address_becomes_the_placeholder_in_text_lists_and_maps():
    value = {"to": ["Jane.Doe@acme.test", "bob@acme.test"], "text": "cc jane.doe@acme.test", "n": 3, "ok": True}
    assert JANE.redact(value, GONE) == {
        "to": ["erased-1@erased.invalid", "bob@acme.test"],
        "text": "cc erased-1@erased.invalid",
        "n": 3,
        "ok": True,
    }


def test_an_identity_merged_with_a_former_one_finds_both():
    former = Identity(names=("Jane Smith",), emails=("jane@old.test",))
    both = JANE.merged(former)
    assert both.emails == ("jane.doe@acme.test", "jane@old.test") and both.names == ("Jane Doe", "Jane Smith")
    assert both.redact("Jane Smith <jane@old.test>", GONE) == "[erased] <erased-1@erased.invalid>"
    assert JANE.merged(None) is JANE


def test_short_numbers_and_an_empty_identity_find_nothing():
    assert not Identity(phones=("12345",)).found_in("call 12345")
    assert Identity().redact("anything at all", GONE) == "anything at all"


def test_addresses_written_in_text_are_found():
    text = "Write to Jane.Doe@acme.test, or (bob@acme.co.uk). Not @handles or a@b."
    assert addresses_in(text) == {"jane.doe@acme.test", "bob@acme.co.uk"}
