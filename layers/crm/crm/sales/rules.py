"""Pure rules of opportunities: references, what a probability weighs, the summary cells an
opportunity counts in (pipeline, projection, opened/won/lost flows), and which index a selection
reads. No AWS here.

Summary cells: an opportunity adds (1, its expected value) to each cell its current state belongs
in; a change moves it from the cells of its old state to those of its new one. The repository
writes these deltas as ADDs in the opportunity's own transaction, so a report reads cells (months x
probabilities) instead of opportunities, and its cost follows what it shows, not the tenant's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

REFERENCE_PREFIX = "OPP-"
UNLABELLED_WEIGHT = 50  # a probability with a label only ("Tiède") weighs 50 %: neither counted whole nor dropped
CLOSED = ("won", "lost")

# A cell: (its partition's parts, its sort key) -> (count, value) added.
Cell = tuple[tuple[str, ...], str]


def reference(n: int) -> str:
    return f"{REFERENCE_PREFIX}{n:06d}"


def weight(probability: Mapping) -> int:
    """The percentage a probability weighs in the weighted projection."""
    percent = probability.get("percent")
    return UNLABELLED_WEIGHT if percent is None else int(percent)


def weighted(value: int, percent: int) -> int:
    """`value` minor units weighted by `percent`, rounded half up to a minor unit."""
    return int((Decimal(value) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP))


def projection_scopes(opportunity: Mapping) -> list[tuple[str, ...]]:
    """The projection's partitions an open opportunity counts in: all, its owner's, its stage's."""
    return [("ALL",), ("OWNER", opportunity["owner"]), ("STAGE", opportunity["stage_id"])]


def cells(opportunity: Mapping | None) -> Counter[Cell]:
    """The cells the opportunity's state counts in, each with 1 (the count); values separately."""
    out: Counter[Cell] = Counter()
    if opportunity is None:
        return out
    if opportunity["status"] == "open":
        out[(("PIPE",), opportunity["stage_id"])] += 1
        if opportunity.get("close_month"):
            for scope in projection_scopes(opportunity):
                out[(("PROJ", *scope), f"{opportunity['close_month']}#{opportunity['probability_id']}")] += 1
    for scope in (("ALL",), ("OWNER", opportunity["owner"])):
        out[(("FLOW", *scope), f"{opportunity['created_at'][:7]}#opened")] += 1
        if opportunity["status"] in CLOSED and opportunity.get("closed_at"):
            out[(("FLOW", *scope), f"{opportunity['closed_at'][:7]}#{opportunity['status']}")] += 1
    return out


@dataclass(frozen=True)
class Delta:
    cell: Cell
    count: int
    value: int


def deltas(old: Mapping | None, new: Mapping | None) -> list[Delta]:
    """What moves in the summary cells when `old` becomes `new` (None: created or deleted)."""
    moves: dict[Cell, list[int]] = {}
    for sign, state in ((-1, old), (1, new)):
        if state is None:
            continue
        for cell, n in cells(state).items():
            move = moves.setdefault(cell, [0, 0])
            move[0] += sign * n
            move[1] += sign * n * int(state.get("expected_value") or 0)
    return [Delta(cell, count, value) for cell, (count, value) in sorted(moves.items()) if count or value]


# ---------------------------------------------------------------- selections


@dataclass(frozen=True)
class Selection:
    """The filters of a list, an export or a report of opportunities."""

    status: str | None = None
    stage_id: str | None = None
    probability_id: str | None = None
    owner: str | None = None
    tag: str | None = None
    contact_id: str | None = None
    due_from: str | None = None
    due_to: str | None = None
    value_min: int | None = None
    value_max: int | None = None
    custom_field: tuple[str, str] | None = None  # (key, value): an answer to a custom field

    def index(self) -> tuple[str, str]:
        """The index a selection reads: the most selective filter that has one (a contact, a tag,
        an owner, a stage), else the status's (open when none is given). The other filters are
        applied to what it reads."""
        for name in ("contact_id", "tag", "owner", "stage_id"):
            value = getattr(self, name)
            if value is not None:
                return name, value
        return "status", self.status or "open"

    def matches(self, opportunity: Mapping) -> bool:
        value = int(opportunity.get("expected_value") or 0)
        due = opportunity.get("due_date")
        return (
            (self.status is None or opportunity["status"] == self.status)
            and (self.stage_id is None or opportunity["stage_id"] == self.stage_id)
            and (self.probability_id is None or opportunity["probability_id"] == self.probability_id)
            and (self.owner is None or opportunity["owner"] == self.owner)
            and (self.tag is None or self.tag in (opportunity.get("tags") or []))
            and (self.contact_id is None or opportunity["contact_id"] == self.contact_id)
            and (self.due_from is None or (due is not None and due >= self.due_from))
            and (self.due_to is None or (due is not None and due <= self.due_to))
            and (self.value_min is None or value >= self.value_min)
            and (self.value_max is None or value <= self.value_max)
            and (self.custom_field is None or answered(opportunity, *self.custom_field))
        )


def answered(opportunity: Mapping, key: str, value: str) -> bool:
    """Whether the opportunity's answer to custom field `key` is `value` (one of them, for a
    multiple choice), compared as text: "3", "true", an option id, a date."""
    answer = (opportunity.get("custom_fields") or {}).get(key)
    answers = answer if isinstance(answer, list) else [answer]
    return any(a is not None and (str(a).lower() if isinstance(a, bool) else str(a)) == value for a in answers)


def charge_line(line: Mapping) -> dict | None:
    """A quote's line as a job's chargeable line: its unit price net of its discount (rounded half
    up to the minor unit), its tax as the rate it was priced at. A line of quantity 0 charges nothing."""
    if Decimal(line["quantity"]) == 0:
        return None
    unit = Decimal(line["unit_price"]) * (100 - Decimal(line["discount"])) / 100
    out = {
        "description": line["description"],
        "quantity": line["quantity"],
        "unit_price": int(unit.quantize(Decimal(1), ROUND_HALF_UP)),
        "tax_rate": line["tax_percent"],
        "nominal_code": line.get("nominal_code"),
        "stock_item_id": line.get("item_id"),
    }
    return {k: v for k, v in out.items() if v is not None}


def due_order(opportunity: Mapping) -> str:
    """The sort key of every list of opportunities: by due date (none: last), then id."""
    return f"{opportunity.get('due_date') or '~'}#{opportunity['id']}"


def months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM), both included."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def span_months(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
