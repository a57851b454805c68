"""A contract's billing periods and what each one bills: pure rules, no AWS.

- Period i starts `i` steps (1, 3 or 12 months) after the start date, counted from the start each
  time, so a contract starting on the 31st bills on the 28th of February and again on the 31st of
  March (never drifting to the 28th). It ends the day before the next one starts, or on the
  contract's last day.
- The minimum period runs from the start to `end_date`; an extension (`extended_until`) adds the
  periods starting after it, up to that day.
- With `instalment`, each period bills it. With `total_value`, the total is spread over the minimum
  period's periods: each bills the total divided by their count, rounded down to the minor unit,
  and the last one the remainder, so they sum to the total exactly (70,000.00 over 36 months:
  35 x 1,944.44 and 1,944.60). An extension period bills the regular amount.
- The deposit (first payment) is billed once, with the first period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
MAX_PERIODS = 600  # 50 years of monthly periods: past it a contract is surely mistyped


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date
    amount: int  # minor units, without the deposit
    deposit: int  # minor units: the first period's only


def add_months(day: date, months: int) -> date:
    """`day` moved by `months`, on the same day of the month or the month's last day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def starts(start: date, last_day: date, frequency: str, limit: int = MAX_PERIODS + 1) -> list[date]:
    """The first day of each period from `start` that starts on or before `last_day` (at most `limit`)."""
    step = MONTHS[frequency]
    out: list[date] = []
    while len(out) < limit:
        begin = add_months(start, step * len(out))
        if begin > last_day:
            break
        out.append(begin)
    return out


def spread(total: int, count: int) -> list[int]:
    """`total` over `count` periods: the rounded-down share each, the remainder on the last."""
    share = total // count
    return [share] * (count - 1) + [total - share * (count - 1)]


def periods(contract: dict) -> list[Period]:
    """Every billing period of the contract (minimum period, then its extension)."""
    start, end = date.fromisoformat(contract["start_date"]), date.fromisoformat(contract["end_date"])
    last_day = date.fromisoformat(contract["extended_until"]) if contract.get("extended_until") else end
    firsts = starts(start, last_day, contract["frequency"])
    minimum = sum(1 for d in firsts if d <= end)
    if contract.get("instalment") is not None:
        amounts = [int(contract["instalment"])] * len(firsts)
    else:
        shares = spread(int(contract["total_value"]), minimum)
        amounts = shares + [shares[0]] * (len(firsts) - minimum)
    out = []
    for i, begin in enumerate(firsts):
        stop = firsts[i + 1] - timedelta(days=1) if i + 1 < len(firsts) else last_day
        out.append(Period(i, begin, stop, amounts[i], int(contract.get("deposit") or 0) if i == 0 else 0))
    return out


def is_billed(contract: dict, index: int) -> bool:
    """Whether period `index` is billed: before `next_period`, or billed ahead ("bill now")."""
    return index < int(contract.get("next_period", 0)) or index in contract.get("billed_ahead", [])


def unbilled(contract: dict) -> list[Period]:
    return [p for p in periods(contract)[int(contract.get("next_period", 0)) :] if not is_billed(contract, p.index)]


def due(contract: dict, as_of: date) -> list[Period]:
    """The periods not billed yet that have started by `as_of`."""
    return [p for p in unbilled(contract) if p.start <= as_of]


def next_unbilled(contract: dict) -> Period | None:
    remaining = unbilled(contract)
    return remaining[0] if remaining else None


def billed(contract: dict, index: int, active: bool) -> dict:
    """The contract once period `index` is billed: `next_period` moves past it and past the periods
    billed ahead that follow; a later period is kept among those billed ahead. Its next billing
    date follows (none once inactive or fully billed). The caller saves it on condition of the
    version it read, so two billings of one contract never both count."""
    position, ahead = int(contract.get("next_period", 0)), set(contract.get("billed_ahead", []))
    if index == position:
        position += 1
        while position in ahead:
            position += 1
    else:
        ahead.add(index)
    moved = {**contract, "next_period": position, "billed_ahead": sorted(p for p in ahead if p > position)}
    upcoming = next_unbilled(moved) if active else None
    return {**moved, "next_billing_date": upcoming.start.isoformat() if upcoming else None}
