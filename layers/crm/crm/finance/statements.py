"""A contact's statement of account (optionally with its child sites) over a period: opening
balance, the invoices, credit notes and payments of the period with the running balance, the
closing balance, and the ageing of what was due at the period's end.

Read from the per-contact ledger (crm.finance.ledger_repository), per contact of the family: the
balance item, the entries from the period's first day on, and the open invoices. The opening
balance is the balance item less the entries from that day, so the cost grows with the entries of
the period (and those after it, for a statement ending in the past), never with the contact's
history before it.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from crm.contacts import service as contacts
from crm.finance import ledger_repository as repo
from crm.finance import lists
from crm.finance import statement_rules as rules
from crm.platform import clock

TOTALS = {"invoice": "invoiced", "credit_note": "credited", "payment": "paid"}


def today(tenant: str) -> date:
    return clock.now().astimezone(ZoneInfo(contacts.settings(tenant).time_zone)).date()


def period(tenant: str, since: date | None, until: date | None) -> tuple[date, date]:
    """The period asked, by default from the first of the month of `until` (today) to `until`;
    422 naming `until` when it is before `since`, `since` when it spans over five years."""
    until = until or today(tenant)
    since = since or until.replace(day=1)
    rules.check_period(since, until)
    return since, until


def statement(tenant: str, contact_id: str, since: date | None, until: date | None, include_children: bool) -> dict:
    contact = contacts.get(tenant, contact_id)
    first, last = period(tenant, since, until)
    family = lists.family(tenant, contact_id, "children" if include_children else None)
    names = {c["id"]: c["name"] for c in contacts.lookup_many(tenant, family)}
    balance_now, entries, open_invoices = 0, [], []
    for member in family:
        balance_now += repo.balance(tenant, member)
        entries += repo.entries_from(tenant, member, first.isoformat())
        open_invoices += repo.open_invoices(tenant, member)
    entries.sort(key=lambda e: (e["date"], e["id"]))
    opening = rules.opening_balance(balance_now, entries)
    within = [e for e in entries if e["date"] <= last.isoformat()]
    rows = [{**row, "contact_name": names.get(row["contact_id"], "")} for row in rules.running(opening, within)]
    owed = rules.owed_at(open_invoices, entries, last.isoformat())
    totals = dict.fromkeys(TOTALS.values(), 0)
    for entry in within:
        totals[TOTALS[entry["kind"]]] += entry["amount"]
    return {
        "contact_id": contact_id,
        "contact_name": contact["name"],
        "address": contact.get("address"),
        "include_children": include_children,
        "since": first.isoformat(),
        "until": last.isoformat(),
        "currency": contacts.settings(tenant).currency,
        "opening_balance": opening,
        "closing_balance": rows[-1]["balance"] if rows else opening,
        "entries": rows,
        "totals": totals,
        "owed": owed,
        "ageing": rules.ageing(owed, last),
    }
