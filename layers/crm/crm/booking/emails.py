"""The booking site's emails, each built in one function (subject, text) so it can be translated."""

from __future__ import annotations

from datetime import date


def invitation(company: str, person_name: str, address: str, url: str, password: str) -> tuple[str, str]:
    """To a person invited to their contact's booking site: the address and a temporary password."""
    subject = f"Your access to {company}'s booking site"
    text = (
        f"Hello {person_name},\n\n"
        f"You can now follow and request jobs for {company} at:\n{url}\n\n"
        f"Sign in with your email address ({address}) and this temporary password:\n{password}\n\n"
        "You will be asked to choose your own password the first time you sign in.\n"
    )
    return subject, text


def booking_request(
    company: str, customer_address: str, reference: str, job_type: str, site: str, preferred: date, description: str
) -> tuple[str, str]:
    """To the office: a customer asked for a job on the booking site."""
    subject = f"Booking request {reference}: {job_type} at {site}".replace("  ", " ")
    text = (
        f"{customer_address} asked for a job on {company}'s booking site.\n\n"
        f"Reference:      {reference}\n"
        f"Type:           {job_type}\n"
        f"Site:           {site}\n"
        f"Preferred date: {preferred.isoformat()}\n"
        f"Description:\n{description}\n\n"
        "It is in the 'to schedule' list.\n"
    )
    return subject, text
