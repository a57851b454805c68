"""French and English throughout: the account's locale, a person's and a staff user's own; emails in
the reader's language, problem details in the language asked (Accept-Language), else the caller's
own, else the account's; the customer pool's forgot-password email."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from infra import template
from tests.support.lambdas import call, invoke
from tests.support.mail import sent

ADMIN = {"role": "admin"}
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def set_settings(tenant: str = "t1", **values) -> dict:
    current = call("GET", "/settings", tenant=tenant, **ADMIN)
    reply = call("PATCH", "/settings", tenant=tenant, body=values, headers={"If-Match": current.headers["etag"]}, **ADMIN)
    assert reply.status == 200, reply.body
    return reply.json


def set_own_locale(email: str, locale: str | None, role: str = "office") -> dict:
    me = call("GET", "/me", role=role, email=email)
    reply = call("PATCH", "/me", role=role, email=email, body={"locale": locale}, headers={"If-Match": me.headers["etag"]})
    assert reply.status == 200, reply.body
    return reply.json


@pytest.fixture
def contact(aws):
    group = call("POST", "/contact-groups", **ADMIN, body={"name": "Clients"}).json
    return call("POST", "/contacts", body={"name": "ABC SA", "group_id": group["id"]}).json


# ---------------------------------------------------------------- the account's and a user's locale


def test_the_account_holds_a_locale_currency_and_time_zone(aws):
    assert {k: v for k, v in call("GET", "/settings", **ADMIN).json.items() if k in ("locale", "currency", "time_zone")} == {
        "locale": "en-GB",
        "currency": "EUR",
        "time_zone": "Europe/Paris",
    }
    saved = set_settings(locale="fr-fr", currency="CHF", time_zone="Europe/Zurich")
    assert (saved["locale"], saved["currency"], saved["time_zone"]) == ("fr-FR", "CHF", "Europe/Zurich")
    assert call("GET", "/settings", role="office").json["locale"] == "fr-FR"


def test_an_unknown_locale_or_currency_is_422_naming_the_field_and_nothing_is_stored(aws):
    before = call("GET", "/settings", **ADMIN)
    reply = call(
        "PATCH",
        "/settings",
        body={"locale": "tlh-KLINGON", "currency": "EURO", "time_zone": "Mars/Olympus"},
        headers={"If-Match": before.headers["etag"]},
        **ADMIN,
    )
    assert reply.status == 422
    assert sorted(e["field"] for e in reply.json["errors"]) == ["currency", "locale", "time_zone"]
    refused = call("PATCH", "/settings", body={"currency": "XYZ"}, headers={"If-Match": before.headers["etag"]}, **ADMIN)
    assert refused.status == 422 and [e["field"] for e in refused.json["errors"]] == ["currency"]
    assert call("GET", "/settings", **ADMIN).json == before.json


def test_a_staff_user_has_their_own_locale_until_they_clear_it(aws):
    set_settings(locale="fr-FR")
    me = call("GET", "/me", email="ann@t1.example")
    assert me.status == 200 and me.headers["etag"] == '"0"'
    assert (me.json["locale"], me.json["reads_in"]["locale"], me.json["role"]) == (None, "fr-FR", "office")
    assert call("PATCH", "/me", email="ann@t1.example", body={"locale": "en-GB"}).status == 428
    mine = set_own_locale("ann@t1.example", "en-GB")
    assert (mine["locale"], mine["reads_in"]["locale"], mine["version"]) == ("en-GB", "en-GB", 1)
    stale = call("PATCH", "/me", email="ann@t1.example", body={"locale": "fr-FR"}, headers={"If-Match": '"0"'})
    assert stale.status == 412
    wrong = call("PATCH", "/me", email="ann@t1.example", body={"locale": "xx"}, headers={"If-Match": '"1"'})
    assert wrong.status == 422 and [e["field"] for e in wrong.json["errors"]] == ["locale"]
    cleared = set_own_locale("ann@t1.example", None)
    assert (cleared["locale"], cleared["reads_in"]["locale"]) == (None, "fr-FR")
    # Another user's profile is their own.
    assert call("GET", "/me", email="bob@t1.example").json["locale"] is None


def test_a_persons_locale_is_checked_and_kept(contact):
    path = f"/contacts/{contact['id']}/persons"
    refused = call("POST", path, body={"name": "Jane", "locale": "english"})
    assert refused.status == 422 and [e["field"] for e in refused.json["errors"]] == ["locale"]
    jane = call("POST", path, body={"name": "Jane", "locale": "en-gb"})
    assert jane.status == 201 and jane.json["locale"] == "en-GB"
    patched = call("PATCH", f"/persons/{jane.json['id']}", body={"locale": "fr-FR"}, headers={"If-Match": '"1"'})
    assert patched.status == 200 and patched.json["locale"] == "fr-FR"


# ---------------------------------------------------------------- problem details


def test_a_422_reads_in_the_language_asked_with_english_field_names(contact):
    reply = call("POST", "/contacts", body={"group_id": "not-an-id", "surprise": 1}, headers=FRENCH)
    assert reply.status == 422 and reply.headers["content-language"] == "fr-FR"
    assert reply.json["title"] == "Données invalides"
    assert {e["field"]: e["message"] for e in reply.json["errors"]} == {
        "name": "est obligatoire",
        "group_id": "n'a pas la forme attendue (^[0-9A-HJKMNP-TV-Z]{26}$)",
        "surprise": "n'est pas un champ de cette requête",
    }
    assert "name : est obligatoire" in reply.json["detail"] and " ; " in reply.json["detail"]
    english = call("POST", "/contacts", body={"group_id": "not-an-id"}, headers={"Accept-Language": "en-US"})
    assert english.headers["content-language"] == "en-GB" and {e["message"] for e in english.json["errors"]} >= {"is required"}


def test_a_domain_problem_reads_in_the_language_asked(contact):
    reply = call("GET", "/contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=FRENCH)
    assert reply.status == 404 and (reply.json["title"], reply.json["detail"]) == ("Introuvable", "ce contact n'existe pas")
    refused = call("POST", "/contact-groups", role="office", body={"name": "x"}, headers={"accept-language": "fr"})
    assert refused.status == 403 and refused.json["detail"] == "le rôle office ne peut pas appeler cette route"


def test_without_accept_language_a_problem_reads_in_the_users_then_the_accounts_locale(contact):
    missing = "/contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert call("GET", missing).json["detail"] == "no such contact"  # nothing chosen: English
    set_settings(locale="fr-FR")
    assert call("GET", missing).json["detail"] == "ce contact n'existe pas"  # the account's
    set_own_locale("office@t1.example", "en-GB")
    assert call("GET", missing).json["detail"] == "no such contact"  # the user's own, over the account's
    assert call("GET", missing, headers=FRENCH).json["detail"] == "ce contact n'existe pas"  # the request's, over both


# ---------------------------------------------------------------- emails in the reader's language


def fire_alert(aws, contact: dict, recipients: list[str]) -> None:
    alert_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    note = call(
        "POST", f"/contacts/{contact['id']}/notes", body={"text": "Rappeler pour le devis", "alert_at": alert_at, "alert_to": recipients}
    )
    assert note.status == 201, note.body
    event = {"tenant": "t1", "contact_id": contact["id"], "note_id": note.json["id"]}
    assert invoke("AlertsFunction", event)["outcome"] == "sent"


def test_an_alert_reads_in_french_for_a_french_account_and_in_english_for_an_english_user(aws, contact):
    set_settings(locale="fr-FR")
    set_own_locale("planner@t1.example", "en-GB")
    fire_alert(aws, contact, ["planner@t1.example", "dispatch@acme.example"])
    by_reader = {tuple(m["to"]): m for m in sent()}
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    french, english = by_reader[("dispatch@acme.example",)], by_reader[("planner@t1.example",)]
    assert french["subject"] == "Rappel : ABC SA"
    assert "Rappeler pour le devis" in french["body"] and "Note écrite par office@t1.example le " in french["body"]
    assert format_date(today, "long", locale="fr_FR") in french["body"]
    assert english["subject"] == "Reminder: ABC SA" and format_date(today, "long", locale="en_GB") in english["body"]
    archived = call("GET", f"/contacts/{contact['id']}/emails").json["items"]
    assert sorted(e["subject"] for e in archived) == ["Rappel : ABC SA", "Reminder: ABC SA"]


@pytest.fixture
def booking(aws, contact):
    repair = call("POST", "/job-types", **ADMIN, body={"name": "Dépannage"}).json
    site = {"slug": "abc-sa", "job_type_ids": [repair["id"]], "notify_email": "dispatch@t1.example"}
    assert call("PUT", f"/contacts/{contact['id']}/booking-site", body=site, headers={"If-Match": '"0"'}).status == 201
    return {"contact": contact, "repair": repair}


def invite(contact: dict, name: str, email: str, **person) -> object:
    created = call("POST", f"/contacts/{contact['id']}/persons", body={"name": name, "email": email, "booking_site_access": True, **person})
    assert created.status == 201, created.body
    reply = call("POST", f"/contacts/{contact['id']}/booking-site/invitations", body={"person_id": created.json["id"]})
    assert reply.status == 201, reply.body
    (message,) = [m for m in sent() if m["to"] == [email]]
    return created.json, message


def test_an_invitation_reads_in_french_for_a_french_account_and_in_english_for_an_english_person(booking):
    set_settings(locale="fr-FR")
    _, french = invite(booking["contact"], "Claire Martin", "claire@abc.example")
    assert french["subject"] == "Votre accès au site de réservation de ABC SA"
    assert french["body"].startswith("Bonjour Claire Martin,") and "ce mot de passe temporaire :" in french["body"]
    _, english = invite(booking["contact"], "Jane Doe", "jane@abc.example", locale="en-GB")
    assert english["subject"] == "Your access to ABC SA's booking site"
    assert english["body"].startswith("Hello Jane Doe,") and "this temporary password:" in english["body"]


def test_a_booking_request_emails_the_office_in_its_language_with_the_date_its_way(booking):
    set_settings(locale="fr-FR")
    person, _ = invite(booking["contact"], "Claire Martin", "claire@abc.example")
    preferred = date.today() + timedelta(days=20)
    customer = {"tenant": "t1", "email": "claire@abc.example", "contact_id": booking["contact"]["id"], "person_id": person["id"]}
    body = {
        "job_type_id": booking["repair"]["id"],
        "site_id": booking["contact"]["id"],
        "preferred_date": preferred.isoformat(),
        "description": "Fuite",
    }
    assert call("POST", "/booking/sites/abc-sa/requests", body=body, **customer).status == 201
    (office,) = [m for m in sent() if m["to"] == ["dispatch@t1.example"]]
    assert office["subject"].startswith("Demande d'intervention ") and office["subject"].endswith(" : Dépannage à ABC SA")
    assert f"Date souhaitée : {format_date(preferred, 'long', locale='fr_FR')}" in office["body"]
    assert "claire@abc.example a demandé une intervention" in office["body"]


def test_a_customers_problem_reads_in_their_persons_language(booking):
    person, _ = invite(booking["contact"], "Claire Martin", "claire@abc.example", locale="fr-FR")
    customer = {"tenant": "t1", "email": "claire@abc.example", "contact_id": booking["contact"]["id"], "person_id": person["id"]}
    late = {"job_type_id": booking["repair"]["id"], "site_id": booking["contact"]["id"], "preferred_date": "2020-01-01", "description": "x"}
    reply = call("POST", "/booking/sites/abc-sa/requests", body=late, **customer)
    assert reply.status == 422 and reply.json["errors"] == [{"field": "preferred_date", "message": "est dans le passé"}]


def test_a_gdpr_export_is_emailed_in_the_persons_language(contact):
    set_settings(locale="en-GB")
    jane = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane", "email": "jane@abc.example", "locale": "fr-FR"}).json
    assert call("POST", f"/persons/{jane['id']}/export", **ADMIN, body={"email_to": "jane@abc.example"}).status == 200
    (message,) = sent()
    assert message["subject"] == "L'export de vos données personnelles"
    assert "prêtes à être téléchargées jusqu'au " in message["body"]


# ---------------------------------------------------------------- the customer pool's forgot-password email


def trigger_event(aws, person: dict, contact: dict, metadata: dict | None = None) -> dict:
    return {
        "version": "1",
        "region": template.REGION,
        "userPoolId": aws["CustomerUserPool"],
        "userName": "a-sub",
        "triggerSource": "CustomMessage_ForgotPassword",
        "request": {
            "userAttributes": {
                "email": person["email"],
                "custom:tenant": "t1",
                "custom:contact_id": contact["id"],
                "custom:person_id": person["id"],
            },
            "codeParameter": "{####}",
            "clientMetadata": metadata or {},
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }


def test_the_forgot_password_email_reads_in_the_language_the_page_asked_else_the_persons(aws, booking):
    set_settings(locale="fr-FR")
    person, _ = invite(booking["contact"], "Claire Martin", "claire@abc.example")
    french = invoke("CustomerMessagesFunction", trigger_event(aws, person, booking["contact"]))
    assert french["response"]["emailSubject"] == "Votre code pour changer de mot de passe sur le site de réservation de ABC SA"
    assert "{####}" in french["response"]["emailMessage"] and "<p>Bonjour Claire Martin,</p>" in french["response"]["emailMessage"]
    asked = trigger_event(aws, person, booking["contact"], {"locale": "en-GB"})
    english = invoke("CustomerMessagesFunction", asked)["response"]
    assert (
        english["emailSubject"] == "Your password reset code for ABC SA's booking site" and "Your code: {####}" in english["emailMessage"]
    )
    other = {**trigger_event(aws, person, booking["contact"]), "triggerSource": "CustomMessage_AdminCreateUser"}
    assert invoke("CustomerMessagesFunction", other)["response"]["emailMessage"] is None  # Cognito's own
