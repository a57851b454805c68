"""The arithmetic of a statement of account (pure, no AWS): the period's bounds, the opening
balance from the contact's balance, the running balance, what each invoice still had due at the
statement's end and its ageing (current, 1-30, 31-60, 61-90, over 90 days past due)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from crm.platform.errors import invalid
from crm.platform.i18n import tr

MAX_DAYS = 5 * 365 + 2  # five years, leap days included
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")


def check_period(since: date, until: date) -> None:
    if until < since:
        raise invalid("until", tr("must not be before since"))
    if (until - since).days > MAX_DAYS:
        raise invalid("since", tr("a statement covers at most five years"))


def bucket(due_date: date, as_of: date) -> str:
    """The ageing bucket of an amount due on `due_date`, as of `as_of`: not yet due (or due that
    day) is current; then by whole days past due."""
    late = (as_of - due_date).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "days_1_30"
    if late <= 60:
        return "days_31_60"
    if late <= 90:
        return "days_61_90"
    return "over_90"


def ageing(owed: Iterable[dict], as_of: date) -> dict[str, int]:
    """The amounts `owed` ({due_date, due}) per bucket, and their total."""
    totals = dict.fromkeys(BUCKETS, 0)
    for row in owed:
        totals[bucket(date.fromisoformat(row["due_date"]), as_of)] += row["due"]
    return {**totals, "total": sum(totals.values())}


def opening_balance(balance_now: int, entries_from_since: Iterable[dict]) -> int:
    """The balance before the period: every entry's total (the contact's balance) less the entries
    dated from the period's first day on."""
    return balance_now - sum(e["delta"] for e in entries_from_since)


def running(opening: int, entries: Iterable[dict]) -> list[dict]:
    """The entries (oldest first) each with its debit (what it charges), credit (what it settles)
    and the balance after it."""
    balance, out = opening, []
    for entry in entries:
        balance += entry["delta"]
        debit, credit = max(entry["delta"], 0), max(-entry["delta"], 0)
        out.append({**entry, "debit": debit, "credit": credit, "balance": balance})
    return out


def owed_at(open_invoices: Iterable[dict], entries: Iterable[dict], as_of: str) -> list[dict]:
    """Each invoice issued by `as_of` with what it still had due that day: what it has due now (its
    open item, none once settled) plus what settled it (payments, credit notes) after `as_of`.
    `entries` must hold every entry dated after `as_of`."""
    owed: dict[str, dict] = {}
    for item in open_invoices:
        if item["issue_date"] <= as_of:
            owed[item["id"]] = {k: item.get(k) for k in ("number", "issue_date", "due_date")} | {
                "invoice_id": item["id"],
                "due": item["due"],
            }
    for entry in entries:
        if entry["date"] > as_of and entry.get("invoice_id") and entry.get("invoice_issue_date", as_of) <= as_of:
            row = owed.setdefault(
                entry["invoice_id"],
                {
                    "invoice_id": entry["invoice_id"],
                    "number": entry.get("invoice_number"),
                    "issue_date": entry.get("invoice_issue_date"),
                    "due_date": entry.get("invoice_due_date") or entry.get("invoice_issue_date"),
                    "due": 0,
                },
            )
            row["due"] += entry["amount"]
    return sorted((r for r in owed.values() if r["due"] > 0), key=lambda r: (r["due_date"], r["number"] or ""))
