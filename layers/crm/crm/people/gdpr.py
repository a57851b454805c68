"""GDPR rights over a person: export everything held about them, and erase them for good.

An export is a JSON file in S3 (t/<tenant>/exports/persons/<person>/<export id>.json) reached by a
presigned link; emailed, the email is archived on the person's contact. Erasure anonymises the
person everywhere they appear, deletes their booking-site login, and keeps an 'Erased person'
record so history stays whole. Jobs they booked name them only as "person:<id>".

The export does not list the jobs the person booked: no index finds a job by who booked it, and
filtering the job logs of their contact's every site reads all of those jobs.
"""

from __future__ import annotations

import json
from datetime import timedelta

from crm.booking.logins import revoke_login
from crm.contacts import readers
from crm.contacts import repository as contacts
from crm.contacts import service as contact_records
from crm.people import repository as repo
from crm.people import rules, service
from crm.people.models import ConsentEvent, ExportLink, Person
from crm.people.readers import person_reader
from crm.platform import aws, clock, ids, mail, settings
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import tr

# A link signed by a Lambda role's temporary credentials dies with them (a few hours at most).
URL_LIFETIME = timedelta(hours=1)
ERASE_ATTEMPTS = 3


def _folder(tenant: str, person_id: str) -> str:
    return f"t/{tenant}/exports/persons/{person_id}/"


def _mentions(tenant: str, contact_id: str, prefix: str, field: str, address: str | None) -> list[dict]:
    """The contact's notes or archived emails addressed to `address`."""
    if not address:
        return []
    found, cursor, query = [], None, {"gdpr": contact_id, "prefix": prefix}
    while True:
        items, cursor = contacts.list_partition(tenant, contact_id, prefix, limit=200, cursor=cursor, query=query)
        found += [i for i in items if address.casefold() in (a.casefold() for a in i.get(field) or [])]
        if not cursor:
            return found


def document(tenant: str, person: dict) -> dict:
    """Everything held about a person, as one JSON document."""
    contact = contacts.get_contact(tenant, person["contact_id"])
    return {
        "exported_at": clock.iso(clock.now()),
        "person": Person.model_validate(person).model_dump(mode="json"),
        "tags": [{"id": t["id"], "name": t["name"]} for t in repo.get_tags(tenant, person.get("tag_ids") or [])],
        "contact": {"id": person["contact_id"], "name": contact["name"] if contact else None},
        "consent_history": [ConsentEvent.model_validate(e).model_dump(mode="json") for e in repo.all_consent_events(tenant, person["id"])],
        "note_alerts": _mentions(tenant, person["contact_id"], contacts.NOTE, "alert_to", person.get("email")),
        "emails": _mentions(tenant, person["contact_id"], contacts.EMAIL, "to", person.get("email")),
    }


def export(principal: Principal, person_id: str, email_to: str | None) -> ExportLink:
    tenant = principal.tenant
    person = service.get(tenant, person_id)
    key = f"{_folder(tenant, person_id)}{ids.new_id()}.json"
    s3 = aws.client("s3")
    s3.put_object(
        Bucket=settings.attachments_bucket(),
        Key=key,
        Body=json.dumps(document(tenant, person), indent=2).encode(),
        ContentType="application/json",
    )
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.attachments_bucket(),
            "Key": key,
            "ResponseContentDisposition": 'attachment; filename="personal-data.json"',
        },
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    link = ExportLink(url=url, expires_at=clock.iso(clock.now() + URL_LIFETIME))
    if email_to:
        _email(tenant, person, email_to, link)
        link.emailed_to = email_to
    return link


def _email(tenant: str, person: dict, to: str, link: ExportLink) -> None:
    # The subject and body name no one, so the archive holds no personal data but the address.
    # Sent to the person, it is in their language; to anyone else, in that reader's.
    if to.casefold() == (person.get("email") or "").casefold():
        reader = person_reader(tenant, person)
    else:
        reader = readers.readers_at(tenant, [to])[to]
    subject = reader.text(tr("Your personal data export"))
    ready = tr("The personal data we hold is ready to download until {expires}:", expires=reader.datetime(link.expires_at))
    message_id = mail.send([to], subject, f"{reader.text(ready)}\n\n{link.url}\n")
    contacts.archive_email(
        tenant,
        {
            "id": ids.new_id(),
            "contact_id": person["contact_id"],
            "kind": "gdpr_export",
            "to": [to],
            "subject": subject,
            "sent_at": clock.iso(clock.now()),
            "message_id": message_id,
            "related_id": person["id"],
        },
    )


def _delete_exports(tenant: str, person_id: str) -> None:
    """Every version of every export file (the bucket is versioned: a plain delete keeps them)."""
    s3, bucket = aws.client("s3"), settings.attachments_bucket()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=_folder(tenant, person_id)):
        versions = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if versions:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})


def erase(principal: Principal, person_id: str) -> dict:
    """Anonymise a person everywhere, then record the erasure on the person (the commit point:
    until it lands the person is not erased and the whole erasure may be run again)."""
    tenant, who = principal.tenant, principal.actor
    for _ in range(ERASE_ATTEMPTS):
        person = service.get(tenant, person_id)
        rules.ensure_not_erased(person)
        _delete_exports(tenant, person_id)
        revoke_login(tenant, person)  # the booking-site login, username their address: disabled, deleted
        if person.get("email"):
            contacts.redact_address(tenant, person["contact_id"], person["email"], rules.replacement_address(person_id))
        contact_records.forget_person(
            principal,
            person["contact_id"],
            email=person.get("email"),
            name=person["name"],
            phones=[person.get("mobile"), person.get("landline")],
            placeholder=rules.ERASED_NAME,
        )
        repo.remove_consent_notes(tenant, person_id)
        erased = rules.erased(person, who, clock.iso(clock.now()))
        try:
            repo.write_person(tenant, service.contact_for(tenant, person), person, erased, set())
            return erased
        except PreconditionFailed:
            continue  # someone changed the person meanwhile (perhaps its email): redact again
    # No If-Match was sent: a 409 (try again), not a 412.
    raise Conflict(tr("the person kept changing while it was erased; try again"))
