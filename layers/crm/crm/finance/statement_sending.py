"""A statement of account as a file (GET .../statement?format=pdf: a link to it, kept a day) or
emailed as an attachment through the one mail path (crm.contacts.mailer: SES, archived on the
contact) to its persons who receive financial documents or to chosen addresses; the file sent is
kept in the contact's documents, where the archived email points."""

from __future__ import annotations

from datetime import date

from crm.contacts import mailer
from crm.finance import pdfs, sending, statement_pdf, statements
from crm.finance import settings as finance_settings
from crm.finance.ledger_models import StatementSendRequest
from crm.platform import ids
from crm.platform.auth import Principal
from crm.platform.i18n import Reader, tr


def with_pdf(principal: Principal, contact_id: str, since: date | None, until: date | None, include_children: bool) -> dict:
    """The statement and a link to its PDF."""
    tenant = principal.tenant
    statement = statements.statement(tenant, contact_id, since, until, include_children)
    data = statement_pdf.render(statement, statement_pdf.contact_reader(tenant, contact_id), finance_settings.current(tenant))
    key = f"previews/t/{tenant}/statements/{contact_id}/{ids.new_id()}.pdf"
    return {**statement, "pdf": pdfs.put_file(key, data, statement_pdf.filename(statement))}


def compose(statement: dict, company: str, reader: Reader) -> tuple[str, str]:
    """(subject, text) of the email carrying the statement, as `reader` reads it."""
    name = statement_pdf.title(statement, reader)
    subject = reader.text(tr("{document} from {company}", document=name, company=company)) if company else name
    period = tr("from {first} to {last}", first=reader.date(statement["since"]), last=reader.date(statement["until"]))
    balance = reader.money(statement["closing_balance"], statement["currency"])
    lines = [
        reader.text(tr("Hello,")),
        "",
        reader.text(tr("Please find attached your statement of account {period}.", period=reader.text(period))),
        reader.text(tr("The balance on {date} is {amount}.", date=reader.date(statement["until"]), amount=balance)),
        "",
        company,
    ]
    return subject, "\n".join(lines).rstrip() + "\n"


def send(principal: Principal, contact_id: str, request: StatementSendRequest) -> dict:
    tenant = principal.tenant
    statement = statements.statement(tenant, contact_id, request.since, request.until, request.include_children)
    to, persons, reading = sending.recipients(tenant, contact_id, request.to)
    chosen = finance_settings.current(tenant)
    data = statement_pdf.render(statement, statement_pdf.contact_reader(tenant, contact_id), chosen)
    name = statement_pdf.filename(statement)
    key = f"t/{tenant}/contacts/{contact_id}/documents/statements/{ids.new_id()}/{name}"
    pdfs.put_file(key, data, name)
    company = chosen.company.name if chosen.company else ""
    email = mailer.Email(
        to=to,
        compose=lambda reader: compose(statement, company, reader),
        kind="statement_of_account",
        contact_id=contact_id,
        persons=tuple(persons[: mailer.MAX_PERSONS]),
        readers=reading,
        attachments=(mailer.Attachment(name, "application/pdf", data, s3_key=key),),
    )
    mailer.send(tenant, email)
    return {"to": to, "filename": name, "closing_balance": statement["closing_balance"]}
