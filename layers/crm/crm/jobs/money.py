"""What a job costs and charges (pure arithmetic, no AWS).

Amounts are integer minor units of the account's currency. Each amount shown on its own (a line's
net, one resource's labour, one vehicle's mileage) is rounded half-up to the minor unit; every
total is the sum of those rounded amounts, so the parts shown always add up to the total shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MINUTES_PER_HOUR = 60


def rounded(amount: Decimal) -> int:
    """Half-up to the minor unit (half a cent goes up; amounts here are never negative)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_net(quantity: str, unit_price: int) -> int:
    """A chargeable line's net: quantity (a decimal string) x unit price, rounded."""
    return rounded(Decimal(quantity) * unit_price)


def labour_cost(minutes: int, cost_rate: int) -> int:
    """One resource's labour: minutes / 60 x their cost rate per hour, rounded."""
    return rounded(Decimal(minutes) * cost_rate / MINUTES_PER_HOUR)


def mileage_cost(km: str, mileage_rate: int) -> int:
    """One vehicle's mileage: km (a decimal string) x its rate per km, rounded."""
    return rounded(Decimal(km) * mileage_rate)


def priced_lines(lines: Iterable[dict]) -> list[dict]:
    """The lines with their `net`."""
    return [{**line, "net": line_net(line["quantity"], line["unit_price"])} for line in lines]


def totals(charges: int, labour: int, mileage: int) -> dict[str, int]:
    """A job's (or a period's) money: what it charges, what it cost, and the margin between."""
    costs = labour + mileage
    return {"charges": charges, "labour_cost": labour, "mileage_cost": mileage, "costs": costs, "margin": charges - costs}


def worked_minutes(history: Iterable[dict], until: datetime) -> int:
    """The minutes a job spent in progress according to its log: from each move into in_progress
    to the next move out of it (a pause, the completion at `until`), rounded to the nearest minute."""
    seconds, started = 0.0, None
    for entry in sorted(history, key=lambda e: e["id"]):
        if entry.get("kind") != "status":
            continue
        at = datetime.fromisoformat(entry["at"])
        if entry.get("to_status") == "in_progress" and started is None:
            started = at
        elif entry.get("from_status") == "in_progress" and started is not None:
            seconds += (at - started).total_seconds()
            started = None
    if started is not None:
        seconds += (until - started).total_seconds()
    return rounded(Decimal(seconds) / 60) if seconds > 0 else 0


def month_of(at: datetime, time_zone: str) -> str:
    """The calendar month (YYYY-MM) an instant falls in, in the account's time zone."""
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m")
