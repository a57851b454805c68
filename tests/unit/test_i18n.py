"""Texts in the reader's language, and numbers, money and dates formatted by Babel per locale."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, Field, ValidationError

from crm.platform.errors import FieldError as Error
from crm.platform.errors import Invalid, field_problem, invalid_fields
from crm.platform.i18n import Reader, canonical, joined, negotiate, reason, render, tr, tr_n
from crm.platform.i18n import messages as messages_module
from crm.platform.i18n.validation import message as validation_message
from crm.platform.types import Currency, LocaleTag, TimeZone

FR, EN = Reader("fr-FR"), Reader("en-GB")
NNBSP, NBSP = "\u202f", "\xa0"  # French groups thousands with a narrow no-break space; a no-break space precedes €


# ---------------------------------------------------------------- formats


def test_money_reads_as_each_locale_writes_it():
    assert FR.money(194444) == f"1{NNBSP}944,44{NBSP}€"
    assert EN.money(194444) == "€1,944.44"
    assert EN.money(194444, "GBP") == "£1,944.44"
    assert FR.money(1500, "JPY").startswith(f"1{NNBSP}500")  # a currency without minor units: 1500 yen, not 15


def test_dates_read_as_each_locale_writes_them():
    assert FR.date(date(2026, 12, 1)) == "1 décembre 2026"
    assert EN.date("2026-12-01") == "1 December 2026"


def test_times_are_in_the_readers_zone():
    moment = "2026-12-01T08:30:00Z"  # 09:30 in Paris (winter), 08:30 in London
    assert "09:30" in FR.datetime(moment) and "1 décembre 2026" in FR.datetime(moment)
    assert "08:30" in Reader("en-GB", "Europe/London").datetime(moment)
    assert Reader("en-GB", "America/New_York").time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "08:00"


def test_numbers_decimals_and_percentages():
    assert FR.number(1234567) == f"1{NNBSP}234{NNBSP}567" and EN.number(1234567) == "1,234,567"
    assert FR.decimal("0.0125") == "0,0125" and EN.decimal("1234.5") == "1,234.5"
    assert FR.percent("0.2") == f"20{NBSP}%" and EN.percent("0.055") == "5.5%"


def test_export_headers_follow_the_reader():
    columns = [tr("Reference: {reference}", reference="R-1"), tr("Description:")]
    assert FR.headers(columns) == ["Référence : R-1", "Description :"]
    assert EN.headers(columns) == ["Reference: R-1", "Description:"]


# ---------------------------------------------------------------- messages and their fallback


def test_a_message_is_its_english_text_and_renders_in_another_language():
    message = tr("no such contact")
    assert message == "no such contact" and str(message) == "no such contact"
    assert render(message, "fr-FR") == "ce contact n'existe pas"
    assert render(message, "en-GB") == "no such contact"


def test_plural_forms_follow_each_language():
    def used(n: int) -> str:
        return tr_n(
            "the group is used by {count} contact; move it to another group first",
            "the group is used by {count} contacts; move them to another group first",
            n,
            count=n,
        )

    assert render(used(1), "fr-FR") == "le groupe est utilisé par 1 contact ; déplacez-le d'abord dans un autre groupe"
    assert render(used(2500), "fr-FR") == f"le groupe est utilisé par 2{NNBSP}500 contacts ; déplacez-les d'abord dans un autre groupe"
    assert render(used(0), "en-GB").startswith("the group is used by 0 contacts")


def test_parameters_render_in_the_same_language():
    detail = invalid_fields([Error("alert_at", tr("must be in the future")), Error("q", tr("needs at least one letter or digit"))]).detail
    assert render(detail, "fr-FR") == "alert_at : doit être dans le futur ; q : nécessite au moins une lettre ou un chiffre"
    assert render(detail, "en-GB") == "alert_at: must be in the future; q: needs at least one letter or digit"
    held = [tr_n("{count} person", "{count} persons", 2, count=2), tr_n("{count} job", "{count} jobs", 1, count=1)]
    assert render(joined(held, tr(" and ")), "fr-FR") == "2 personnes et 1 intervention"


def test_a_message_missing_from_the_catalogue_reads_in_english_never_as_a_key():
    assert render(tr("a text no catalogue has yet: {n}", n=3), "fr-FR") == "a text no catalogue has yet: 3"


def test_an_unknown_locale_reads_in_english():
    assert render(tr("no such contact"), "de-DE") == "no such contact"


def test_a_translation_naming_a_missing_parameter_reads_in_english(monkeypatch):
    class Broken(gettext.NullTranslations):
        def gettext(self, message):
            return "{nothing} ici"

    monkeypatch.setattr(messages_module, "translations", lambda locale: Broken())
    assert render(tr("Reminder: {contact}", contact="ABC"), "fr-FR") == "Reminder: ABC"


def test_reason_keeps_a_raised_message_translatable():
    try:
        raise ValueError(tr("must be in the future"))
    except ValueError as e:
        assert render(reason(e), "fr-FR") == "doit être dans le futur"
    assert reason(KeyError("x")) == "'x'"


def test_a_field_problem_puts_the_field_name_first_in_every_language():
    assert render(field_problem(Error("name", tr("is required"))), "fr-FR") == "name : est obligatoire"


# ---------------------------------------------------------------- which locale


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr-FR"),
        ("fr", "fr-FR"),
        ("fr-CH", "fr-FR"),
        ("de-DE, en-US;q=0.5", "en-GB"),
        ("en;q=0.4, fr;q=0.9", "fr-FR"),
        ("de-DE", None),
        ("*", None),
        ("fr;q=0, en", "en-GB"),
        ("", None),
        (None, None),
        (";;;q=x,", None),
    ],
)
def test_accept_language_is_negotiated_against_the_supported_locales(header, expected):
    assert negotiate(header) == expected


def test_locale_tags_are_written_back_in_their_canonical_spelling():
    assert canonical("FR_fr") == "fr-FR" and canonical("en-gb") == "en-GB" and canonical("fr") is None


class Account(BaseModel):
    locale: LocaleTag | None = None
    currency: Currency | None = None
    time_zone: TimeZone | None = None


def test_an_unknown_locale_currency_or_zone_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as refused:
        Account(locale="klingon", currency="XYZ", time_zone="Europe/Atlantis")
    assert [e["loc"] for e in refused.value.errors()] == [("locale",), ("currency",), ("time_zone",)]
    assert Account(locale="fr-fr", currency="EUR", time_zone="Europe/Paris").locale == "fr-FR"


# ---------------------------------------------------------------- pydantic's messages, translated


class Probe(BaseModel):
    name: str = Field(min_length=2, max_length=3)
    count: int = Field(ge=1)
    kind: str = Field(pattern="^[a-z]+$")
    tags: list[str] = Field(default_factory=list, max_length=1)


def _messages(data: dict, locale: str) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        Probe.model_validate(data)
    return {e["loc"][0]: render(validation_message(e), locale) for e in refused.value.errors()}


def test_validation_messages_are_translated_from_their_type_and_context():
    bad = {"name": "x", "count": 0, "kind": "X1", "tags": ["a", "b"]}
    assert _messages(bad, "fr-FR") == {
        "name": "doit compter au moins 2 caractères",
        "count": "doit valoir au moins 1",
        "kind": "n'a pas la forme attendue (^[a-z]+$)",
        "tags": "doit contenir au plus 1 élément",
    }
    french = _messages({"count": "many", "kind": "ok"}, "fr-FR")
    assert french == {"name": "est obligatoire", "count": "doit être un nombre entier"}
    assert _messages({"name": "abcd", "count": 1, "kind": "ok"}, "en-GB") == {"name": "must be at most 3 characters long"}


def test_an_unknown_field_is_refused_in_the_readers_language():
    class Strict(BaseModel):
        model_config = {"extra": "forbid"}

    with pytest.raises(ValidationError) as refused:
        Strict.model_validate({"surprise": 1})
    assert render(validation_message(refused.value.errors()[0]), "fr-FR") == "n'est pas un champ de cette requête"


def test_a_validators_own_message_keeps_its_translation():
    with pytest.raises(ValidationError) as refused:
        Account(time_zone="Mars/Olympus")
    assert render(validation_message(refused.value.errors()[0]), "fr-FR") == (
        "« Mars/Olympus » n'est pas un fuseau horaire IANA, par exemple Europe/Paris"
    )


def test_an_invalid_error_renders_every_field():
    error = Invalid(joined([tr("{field}: {message}", field="a", message=tr("is required"))]), [])
    assert render(error.detail, "fr-FR") == "a : est obligatoire" and render(error.title, "fr-FR") == "Données invalides"
