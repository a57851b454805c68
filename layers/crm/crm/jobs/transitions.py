"""The job status machine (pure): which moves exist, and which of them a resource may make.

    to_schedule  -> scheduled | cancelled
    scheduled    -> in_progress | to_schedule | cancelled
    in_progress  -> paused | completed | completed_with_issues
    paused       -> in_progress | cancelled
    completed, completed_with_issues, cancelled: terminal (nothing leaves them)

A resource (technician) works the job on site: scheduled -> in_progress, in_progress -> paused |
completed | completed_with_issues, paused -> in_progress. Planning moves (to/from to_schedule,
scheduled) and cancelling are the office's.
"""

from __future__ import annotations

from typing import Literal

from crm.platform.i18n import tr

Status = Literal["to_schedule", "scheduled", "in_progress", "paused", "completed", "completed_with_issues", "cancelled"]
STATUSES: tuple[Status, ...] = ("to_schedule", "scheduled", "in_progress", "paused", "completed", "completed_with_issues", "cancelled")

ALLOWED: dict[str, tuple[str, ...]] = {
    "to_schedule": ("scheduled", "cancelled"),
    "scheduled": ("in_progress", "to_schedule", "cancelled"),
    "in_progress": ("paused", "completed", "completed_with_issues"),
    "paused": ("in_progress", "cancelled"),
    "completed": (),
    "completed_with_issues": (),
    "cancelled": (),
}
RESOURCE_MOVES = frozenset(
    {
        ("scheduled", "in_progress"),
        ("in_progress", "paused"),
        ("in_progress", "completed"),
        ("in_progress", "completed_with_issues"),
        ("paused", "in_progress"),
    }
)
TERMINAL = frozenset(s for s, nexts in ALLOWED.items() if not nexts)
COMPLETED = frozenset({"completed", "completed_with_issues"})


class NotAllowed(ValueError):
    def __init__(self, current: str, wanted: str, allowed: tuple[str, ...]):
        self.current, self.wanted, self.allowed = current, wanted, allowed
        listed = ", ".join(allowed) if allowed else tr("none: it is final")
        super().__init__(
            tr("a {current} job cannot become {wanted}; allowed from {current}: {allowed}", current=current, wanted=wanted, allowed=listed)
        )


def allowed(current: str, *, resource: bool = False) -> tuple[str, ...]:
    nexts = ALLOWED[current]
    return tuple(n for n in nexts if (current, n) in RESOURCE_MOVES) if resource else nexts


def check(current: str, wanted: str, *, resource: bool = False) -> None:
    """Raise NotAllowed naming the moves the caller may make from `current`."""
    options = allowed(current, resource=resource)
    if wanted not in options:
        raise NotAllowed(current, wanted, options)


def is_terminal(status: str) -> bool:
    return status in TERMINAL
