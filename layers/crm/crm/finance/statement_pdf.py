"""A statement of account as PDF, through the documents toolkit (PDF/A-3b, the company's
letterhead, page N of M), in the contact's language: the language of its persons who receive
financial documents (the first of them), else the account's."""

from __future__ import annotations

from datetime import UTC, datetime

from crm.contacts import readers
from crm.finance import settings as finance_settings
from crm.finance.models import FinanceSettings
from crm.people import service as people
from crm.platform.i18n import Reader, tr

MAX_PERSONS = 50


def contact_reader(tenant: str, contact_id: str) -> Reader:
    found, _ = people.find(tenant, contact_id=contact_id, limit=MAX_PERSONS, cursor=None)
    receiving = next((p for p in found if p.get("receives_financial_documents")), None)
    return readers.account_reader(tenant, receiving)


def filename(statement: dict) -> str:
    return f"statement-{statement['since']}-{statement['until']}.pdf"


def title(statement: dict, reader: Reader) -> str:
    return reader.text(tr("Statement of account {name}", name=statement["contact_name"]))


def _label(entry: dict, reader: Reader) -> str:
    if entry["kind"] == "payment":
        label = reader.text(tr("Payment"))
        return f"{label} – {entry['invoice_number']}" if entry.get("invoice_number") else label
    return reader.text(
        tr("Invoice {number}", number=entry["number"]) if entry["kind"] == "invoice" else tr("Credit note {number}", number=entry["number"])
    )


def _story(statement: dict, reader: Reader) -> list:
    from crm.platform import pdf

    t, money = reader.text, (lambda amount: reader.money(amount, statement["currency"]))
    period = t(tr("From {first} to {last}", first=reader.date(statement["since"]), last=reader.date(statement["until"])))
    address = statement.get("address") or {}
    town = " ".join(p for p in (address.get("postcode"), address.get("city")) if p)
    lines = [p for p in (address.get("line1"), address.get("line2"), town, address.get("country")) if p]
    story = [pdf.title(title(statement, reader)), pdf.key_values([(t(tr("Period")), period)]), pdf.spacer(3)]
    story += [pdf.addresses(pdf.Address(t(tr("Customer")), [statement["contact_name"], *lines])), pdf.spacer(4)]
    columns = [
        pdf.TableColumn(t(tr("Date")), 1.3),
        pdf.TableColumn(t(tr("Description")), 2.6),
        pdf.TableColumn(t(tr("Due date")), 1.3),
        pdf.TableColumn(t(tr("Debit")), 1.3, "right"),
        pdf.TableColumn(t(tr("Credit")), 1.3, "right"),
        pdf.TableColumn(t(tr("Balance")), 1.4, "right"),
    ]
    rows = [["", t(tr("Opening balance")), "", "", "", money(statement["opening_balance"])]]
    for entry in statement["entries"]:
        description = _label(entry, reader)
        if statement["include_children"]:
            description = f"{description} ({entry['contact_name']})"
        rows.append(
            [
                reader.date(entry["date"], "short"),
                description,
                reader.date(entry["due_date"], "short") if entry.get("due_date") else "",
                money(entry["debit"]) if entry["debit"] else "",
                money(entry["credit"]) if entry["credit"] else "",
                money(entry["balance"]),
            ]
        )
    totals = statement["totals"]
    story += [pdf.lines_table(columns, rows)]
    story += [
        pdf.totals(
            [
                pdf.Total(t(tr("Invoiced")), money(totals["invoiced"])),
                pdf.Total(t(tr("Credited")), money(totals["credited"])),
                pdf.Total(t(tr("Paid")), money(totals["paid"])),
                pdf.Total(t(tr("Closing balance")), money(statement["closing_balance"]), True),
            ]
        ),
        pdf.spacer(4),
        pdf.text(t(tr("Amounts due on {date}, by days past due", date=reader.date(statement["until"]))), bold=True),
    ]
    ageing = statement["ageing"]
    buckets = [
        ("current", tr("Not yet due")),
        ("days_1_30", tr("1-30 days")),
        ("days_31_60", tr("31-60 days")),
        ("days_61_90", tr("61-90 days")),
        ("over_90", tr("Over 90 days")),
        ("total", tr("Total due")),
    ]
    story += [pdf.lines_table([pdf.TableColumn(t(label), 1, "right") for _, label in buckets], [[money(ageing[k]) for k, _ in buckets]])]
    return story


def render(statement: dict, reader: Reader, chosen: FinanceSettings) -> bytes:
    """The statement's PDF under the letterhead of the finance settings `chosen`; the same statement
    gives the same bytes (dated its last day)."""
    from crm.platform import pdf

    company = chosen.company
    info = pdf.DocumentInfo(
        title=title(statement, reader),
        author=company.name if company else "",
        created=datetime.fromisoformat(statement["until"]).replace(tzinfo=UTC),
        subject=title(statement, reader),
        lang=reader.locale,
    )
    setup = pdf.PageSetup(
        pdf.Letterhead(company.name if company else " ", company.address if company else [], logo=finance_settings.logo_bytes(chosen.logo)),
        page_label=lambda n, m: reader.text(tr("Page {page} of {pages}", page=n, pages=m)),
    )
    return pdf.render(info, setup, _story(statement, reader))
