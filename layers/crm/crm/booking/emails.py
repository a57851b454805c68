"""The booking site's emails, each written by one function: (subject, text) as its reader reads them."""

from __future__ import annotations

from crm.platform.i18n import Reader, tr


def invitation(reader: Reader, person: dict, company: str, url: str, password: str) -> tuple[str, str]:
    """To a person invited to their contact's booking site: the address and a temporary password."""
    paragraphs = [
        tr("Hello {name},", name=person.get("name", "")),
        tr("You can now follow and request jobs for {company} at:\n{url}", company=company, url=url),
        tr("Sign in with your email address ({email}) and this temporary password:\n{password}", email=person["email"], password=password),
        tr("You will be asked to choose your own password the first time you sign in."),
    ]
    subject = tr("Your access to {company}'s booking site", company=company)
    return reader.text(subject), "\n\n".join(reader.text(p) for p in paragraphs) + "\n"


def booking_request(reader: Reader, customer: str, company: str, job: dict, type_name: str, site_name: str) -> tuple[str, str]:
    """To the office: a customer asked for a job on the booking site."""
    reference = job.get("reference", "")
    subject = tr("Booking request {reference}: {type} at {site}", reference=reference, type=type_name, site=site_name)
    preferred = reader.date(job["preferred_date"]) if job.get("preferred_date") else ""
    lines = [
        tr("{customer} asked for a job on {company}'s booking site.", customer=customer, company=company),
        "",
        tr("Reference: {reference}", reference=reference),
        tr("Type: {type}", type=type_name),
        tr("Site: {site}", site=site_name),
        tr("Preferred date: {date}", date=preferred),
        tr("Description:"),
        job.get("description", ""),
        "",
        tr("It is in the 'to schedule' list."),
    ]
    return reader.text(subject).replace("  ", " "), "\n".join(reader.text(line) for line in lines) + "\n"
