"""Rules of the booking site (pure): request windows, preferred dates, job rows in the columns."""

from __future__ import annotations

import secrets
import string
from datetime import date, datetime, timedelta

from crm.platform.i18n import tr

RATE_LIMIT = 5  # booking requests per person per window
RATE_WINDOW_S = 3600
MAX_DAYS_AHEAD = 365


def rate_window(now: datetime, size: int = RATE_WINDOW_S) -> tuple[int, int]:
    """(start, end) epoch seconds of the fixed window `now` falls in."""
    epoch = int(now.timestamp())
    start = epoch - epoch % size
    return start, start + size


def retry_after(now: datetime, window_end: int) -> int:
    return max(1, window_end - int(now.timestamp()))


def preferred_date_problem(preferred: date, today: date) -> str | None:
    """Why a preferred date cannot be asked for, or None. `today` is UTC's: a day of slack for
    customers west of Greenwich whose today is still yesterday there."""
    if preferred < today - timedelta(days=1):
        return tr("is in the past")
    if preferred > today + timedelta(days=MAX_DAYS_AHEAD):
        return tr("is more than {days} days ahead", days=MAX_DAYS_AHEAD)
    return None


def sites_of(contact: dict, children: list[dict]) -> list[dict]:
    """The sites a customer may book for: their contact first, then its child sites by name."""
    return [contact, *sorted(children, key=lambda c: c.get("name", "").casefold())]


def row(job: dict, columns: list[str], type_names: dict[str, str], site_names: dict[str, str]) -> dict[str, str | None]:
    """A job as the customer sees it: its id and the configured columns, nothing else."""
    values = {
        "reference": job.get("reference"),
        "type": type_names.get(job.get("job_type_id", ""), ""),
        "site": site_names.get(job.get("contact_id", ""), ""),
        "status": job.get("status"),
        "planned_start": job.get("planned_start"),
        "planned_end": job.get("planned_end"),
        "preferred_date": job.get("preferred_date"),
        "description": job.get("description"),
        "created_at": job.get("created_at"),
        "completed_at": job.get("completed_at"),
    }
    return {"id": job["id"], **{c: values.get(c) for c in columns}}


def temporary_password(length: int = 16) -> str:
    """Meets the customer pool's policy: upper, lower, digit, symbol."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(length - 1))
        if any(c.islower() for c in core) and any(c.isupper() for c in core) and any(c.isdigit() for c in core):
            return core + secrets.choice("!#%+-=?")
