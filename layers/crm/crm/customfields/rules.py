"""Pure rules of custom fields: what a value of each type may be, option lists, reordering, and
which answers a caller sees. No AWS, no HTTP: definitions and answers are plain dicts."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date
from typing import Any

from crm.customfields.models import MAX_FIELDS, FieldOptionIn
from crm.platform.errors import Conflict, FieldError, Invalid, invalid_fields
from crm.platform.i18n import joined, reason, tr, tr_n
from crm.platform.text import fold

MAX_TEXT, MAX_LONG_TEXT = 200, 4000
MAX_NUMBER = 1e15  # exact in a JSON double and in DynamoDB's number type
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------- values


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        raise ValueError(tr("must be a string"))
    value = value.strip()
    if len(value) > limit:
        raise ValueError(tr("must be at most {most} characters", most=limit))
    return value or None


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(tr("must be a number"))
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise ValueError(tr("must be a finite number between {least} and {most}", least=-int(MAX_NUMBER), most=int(MAX_NUMBER)))
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(tr("must be an ISO date, e.g. 2026-03-31"))
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(tr("is not a calendar date")) from None
    return value


def _yes_no(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(tr("must be true or false"))
    return value


def _single(value: Any, option_ids: list[str]) -> str:
    if not isinstance(value, str):
        raise ValueError(tr("must be one option id"))
    if value not in option_ids:
        raise ValueError(tr("'{value}' is not one of this field's options", value=value))
    return value


def _multiple(value: Any, option_ids: list[str]) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(tr("must be a list of option ids"))
    unknown = [v for v in value if v not in option_ids]
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ValueError(
            tr_n("{ids} is not among this field's options", "{ids} are not among this field's options", len(unknown), ids=listed)
        )
    if len(set(value)) != len(value):
        raise ValueError(tr("lists an option more than once"))
    # Stored in the field's option order, so the same choice always reads the same.
    return [o for o in option_ids if o in value] or None


def check_value(field: dict, value: Any) -> Any:
    """The value to store for `field` (None: unanswered), or ValueError saying what is wrong."""
    if value is None:
        return None
    kind = field["type"]
    option_ids = [o["id"] for o in field.get("options") or []]
    if kind == "text":
        return _text(value, MAX_TEXT)
    if kind == "long_text":
        return _text(value, MAX_LONG_TEXT)
    if kind == "number":
        return _number(value)
    if kind == "date":
        return _date(value)
    if kind == "yes_no":
        return _yes_no(value)
    if kind == "single_choice":
        return _single(value, option_ids)
    if kind == "multiple_choice":
        return _multiple(value, option_ids)
    raise ValueError(tr("unknown field type '{kind}'", kind=kind))


def visible(fields: list[dict], resource: bool) -> list[dict]:
    """The fields a caller sees: a resource (technician) only those visible to resources."""
    return [f for f in fields if f["visible_to_resources"]] if resource else list(fields)


def current_answers(fields: list[dict], stored: dict[str, Any]) -> dict[str, Any]:
    """Stored answers that still mean something: answers to deleted fields, or to options since
    removed, are left out (they are pruned from storage on the contact's next write)."""
    out = {}
    for field in fields:
        try:
            value = check_value(field, stored.get(field["id"]))
        except ValueError:
            value = None
            if field["type"] == "multiple_choice" and isinstance(stored.get(field["id"]), list):
                ids = [o["id"] for o in field["options"]]
                value = [o for o in stored[field["id"]] if o in ids] or None
        if value is not None:
            out[field["id"]] = value
    return out


def apply_answers(fields: list[dict], writable: list[dict], stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The answers after `changes`, or Invalid naming every bad entry (nothing is half applied).

    `fields` are all the group's fields, `writable` the ones the caller sees and may answer; an id
    outside `writable` is refused exactly like an unknown one, so a resource cannot probe for
    hidden fields. Required fields the caller sees may not be left empty.
    """
    by_id = {f["id"]: f for f in writable}
    errors: list[FieldError] = []
    answers = current_answers(fields, stored)
    for field_id, value in changes.items():
        field = by_id.get(field_id)
        if field is None:
            errors.append(FieldError(f"values.{field_id}", tr("is not a field of this contact's group")))
            continue
        try:
            checked = check_value(field, value)
        except ValueError as e:
            errors.append(FieldError(f"values.{field_id}", tr("{label}: {problem}", label=field["label"], problem=reason(e))))
            continue
        if checked is None:
            answers.pop(field_id, None)
        else:
            answers[field_id] = checked
    named = {e.field for e in errors}
    errors += [
        FieldError(f"values.{f['id']}", tr("{label}: {problem}", label=f["label"], problem=tr("is required")))
        for f in writable
        if f["required"] and f["id"] not in answers and f"values.{f['id']}" not in named
    ]
    if errors:
        raise invalid_fields(errors)
    return answers


# ---------------------------------------------------------------- definitions


def merge_options(existing: list[dict], incoming: list[FieldOptionIn], new_id) -> list[dict]:
    """The field's new option list: entries with an id keep that option (relabelled), entries
    without one are new options. Labels are unique within a field, ignoring case and accents."""
    known = {o["id"] for o in existing}
    errors = [
        FieldError(f"options.{i}.id", tr("is not one of this field's options"))
        for i, o in enumerate(incoming)
        if o.id is not None and o.id not in known
    ]
    ids = Counter(o.id for o in incoming if o.id is not None)
    errors += [
        FieldError(f"options.{i}.id", tr("is listed more than once")) for i, o in enumerate(incoming) if o.id is not None and ids[o.id] > 1
    ]
    labels = Counter(fold(o.label) for o in incoming)
    errors += [
        FieldError(f"options.{i}.label", tr("'{label}' is listed more than once", label=o.label))
        for i, o in enumerate(incoming)
        if labels[fold(o.label)] > 1
    ]
    if errors:
        raise invalid_fields(errors)
    return [{"id": o.id or new_id(), "label": o.label} for o in incoming]


def check_label_free(fields: list[dict], label: str, field_id: str | None = None) -> None:
    if any(fold(f["label"]) == fold(label) and f["id"] != field_id for f in fields):
        raise Conflict(
            tr("this group already has a field labelled '{label}'", label=label), [FieldError("label", tr("is already used in this group"))]
        )


def check_room(fields: list[dict]) -> None:
    if len(fields) >= MAX_FIELDS:
        raise Conflict(tr("a group holds at most {most} fields", most=MAX_FIELDS))


def reordered(fields: list[dict], field_ids: list[str]) -> list[dict]:
    """`fields` in the order of `field_ids`, which must name each field exactly once."""
    current = [f["id"] for f in fields]
    counts = Counter(field_ids)
    errors = [FieldError("field_ids", tr("{id} is not a field of this group", id=i)) for i in counts if i not in current]
    errors += [
        FieldError("field_ids", tr("{id} is listed {times} times", id=i, times=n)) for i, n in counts.items() if n > 1 and i in current
    ]
    errors += [FieldError("field_ids", tr("{id} is missing", id=i)) for i in current if i not in counts]
    if errors:
        detail = tr("field_ids must list every field of the group exactly once; {problems}", problems=joined(e.message for e in errors))
        raise Invalid(detail, errors)
    by_id = {f["id"]: f for f in fields}
    return [by_id[i] for i in field_ids]
