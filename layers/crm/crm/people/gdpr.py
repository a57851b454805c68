"""GDPR rights over a person: export everything held about them, and erase them for good.

Both read the person-data index (crm.platform.personal_data): every record any context wrote her
data to, found by her id and by each address she had, on whatever contact.

An export is a JSON file in S3 (t/<tenant>/exports/persons/<person>/<export id>.json) reached by a
presigned link; emailed, the email is archived on the person's contact. Erasure rewrites every
indexed record without her (her addresses become a .invalid placeholder, her name and phones
"[erased]"; records the law keeps whole, such as invoices, are left), purges the stored answers of
the requests that wrote her data, deletes her booking-site login and her exports, and keeps an
'Erased person' record so history stays whole.
"""

from __future__ import annotations

import json
from datetime import timedelta

from crm.contacts import mailer
from crm.contacts import service as contact_records
from crm.people import repository as repo
from crm.people import rules, service
from crm.people.logins import revoke_login
from crm.people.models import ConsentEvent, ExportLink, Person
from crm.people.readers import person_reader
from crm.platform import audit, aws, clock, downloads, ids, personal_data, settings
from crm.platform.auth import Principal
from crm.platform.errors import Conflict, PreconditionFailed
from crm.platform.i18n import Reader, tr
from crm.platform.redaction import Identity

# A link signed by a Lambda role's temporary credentials dies with them (a few hours at most).
URL_LIFETIME = timedelta(hours=1)
EXPORT_TAG = "crm-retention=gdpr-export"
ERASE_ATTEMPTS = 3


def _folder(tenant: str, person_id: str) -> str:
    return f"t/{tenant}/exports/persons/{person_id}/"


def document(tenant: str, person: dict) -> dict:
    """Everything held about a person, as one JSON document: her record, tags and consent history,
    and every other record holding her data, by kind (note, email, job, contact, ...)."""
    contact = contact_records.lookup(tenant, person["contact_id"])
    held: dict[str, list[dict]] = {}
    for record in personal_data.records(tenant, _subjects(person["id"], service.identity(tenant, person))):
        if record["kind"] != "person":
            held.setdefault(record["kind"], []).append(record["data"])
    return {
        "exported_at": clock.iso(clock.now()),
        "person": Person.model_validate(person).model_dump(mode="json"),
        "tags": [{"id": t["id"], "name": t["name"]} for t in repo.get_tags(tenant, person.get("tag_ids") or [])],
        "contact": {"id": person["contact_id"], "name": contact["name"] if contact else None},
        "consent_history": [ConsentEvent.model_validate(e).model_dump(mode="json") for e in repo.all_consent_events(tenant, person["id"])],
        "records": dict(sorted(held.items())),
    }


def _subjects(person_id: str, identity: Identity) -> set[str]:
    """Her entries in the person-data index: under her id, and under every address she had."""
    return {personal_data.person(person_id), *(personal_data.address(e) for e in identity.emails)}


def export(principal: Principal, person_id: str, email_to: str | None) -> ExportLink:
    tenant = principal.tenant
    person = service.get(tenant, person_id)
    key = f"{_folder(tenant, person_id)}{ids.new_id()}.json"
    aws.client("s3").put_object(
        Bucket=settings.attachments_bucket(),
        Key=key,
        Body=json.dumps(document(tenant, person), indent=2).encode(),
        ContentType="application/json",
        Tagging=EXPORT_TAG,  # the bucket's lifecycle deletes export files a few days later
    )
    url, expires_at = downloads.link(
        principal,
        key,
        "personal-data.json",
        action="person.exported",
        target_type="person",
        target_id=person_id,
        lifetime=URL_LIFETIME,
        emailed=bool(email_to),
    )
    link = ExportLink(url=url, expires_at=expires_at)
    if email_to and _email(tenant, person, email_to, link):
        link.emailed_to = email_to
    return link


def export_email(link: ExportLink, reader: Reader) -> tuple[str, str]:
    """The export link's subject and text, as `reader` reads them. They name no one, so the archive
    holds no personal data but the address."""
    subject = reader.text(tr("Your personal data export"))
    ready = tr("The personal data we hold is ready to download until {expires}:", expires=reader.datetime(link.expires_at))
    return subject, f"{reader.text(ready)}\n\n{link.url}\n"


def _email(tenant: str, person: dict, to: str, link: ExportLink) -> bool:
    # Sent to the person, it is in their language; to anyone else, in that reader's (the mailer's way).
    own = {person["email"]: person_reader(tenant, person)} if person.get("email") else {}
    email = mailer.Email(
        to=[to],
        compose=lambda reader: export_email(link, reader),
        kind="gdpr_export",
        contact_id=person["contact_id"],
        related_id=person["id"],
        persons=(person["id"],),
        readers=own,
    )
    return bool(mailer.send(tenant, email))


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
        identity = service.identity(tenant, person)
        subjects = _subjects(person_id, identity)
        _delete_exports(tenant, person_id)
        revoke_login(tenant, person)  # the booking-site login, username their address: disabled, deleted
        contacts = {person["contact_id"]}  # her own contact's main or on-site contact may be her
        for entry in personal_data.entries(tenant, subjects):
            for record in entry.requests:  # what the requests that wrote it stored for replays
                personal_data.purge_request(record)
            if entry.place.erasure == personal_data.REDACT:
                personal_data.redact(entry.place, identity, rules.replacement(person_id))
            elif entry.place.erasure == personal_data.OWNER and entry.place.kind == "contact":
                contacts.add(entry.place.record_id)
        for contact_id in sorted(contacts):
            contact_records.forget_person(principal, contact_id, identity, rules.ERASED_NAME)
        repo.remove_consent_notes(tenant, person_id)
        erased = rules.erased(person, who, clock.iso(clock.now()))
        try:
            removal = personal_data.unregister(tenant, subjects, repo.place(tenant, person_id))
            audited = audit.entry(principal, "person.erased", "person", person_id, contact_id=person["contact_id"])
            service.write(tenant, person, erased, index=[*removal, (audited, None)])  # the erasure's audit record commits with it
        except PreconditionFailed:
            continue  # someone changed the person meanwhile (perhaps its email): redact again
        personal_data.forget(tenant, subjects)  # what is left of her entries (keyed by hashes and ids)
        return erased
    # No If-Match was sent: a 409 (try again), not a 412.
    raise Conflict(tr("the person kept changing while it was erased; try again"))
