"""The port to the e-invoicing platform (plateforme agréée, PA): the one way an invoice leaves for
its buyer's platform, and a supplier's invoice arrives and is answered.

A platform is an adapter implementing `EInvoicingPlatform`, chosen by the EINVOICING_PLATFORM
setting: `local` (crm.finance.einvoice.local_platform: files in S3, the platform's answers played
deterministically) for `make dev` and the tests; a real PA is another module with the same
calls (README, "E-invoicing"). Every call is idempotent on the ids it is given, as a PA's API is
on the sender's invoice id: a retry after a crash never submits or reports twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from crm.platform import settings

# The lifecycle statuses of an issued invoice on the platform (the reform's CDAR statuses:
# déposée, rejetée, refusée, approuvée, encaissée), in the order they can follow each other.
PlatformStatus = Literal["submitted", "rejected", "refused", "approved", "paid"]
STATUSES: tuple[PlatformStatus, ...] = ("submitted", "rejected", "refused", "approved", "paid")


@dataclass(frozen=True)
class Submission:
    """What goes to the platform: the issued file as stored, and who it is addressed to."""

    document_id: str
    number: str
    buyer_siren: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class StatusEvent:
    status: PlatformStatus
    at: str  # ISO 8601 UTC, the platform's time
    reason: str | None = None  # why it was rejected or refused


@dataclass(frozen=True)
class Delivered:
    """A supplier's invoice the platform delivered to this account."""

    received_id: str  # a ULID, the bill's id once read
    filename: str
    content: bytes


class EInvoicingPlatform(Protocol):
    def submit(self, tenant: str, submission: Submission) -> str:
        """Deposit the invoice; returns the platform's id of it. The same document again returns
        the same id (nothing deposited twice)."""
        ...

    def statuses(self, tenant: str, platform_id: str) -> list[StatusEvent]:
        """Every status the invoice has had on the platform, oldest first."""
        ...

    def report_paid(self, tenant: str, platform_id: str, amount: int, currency: str, paid_on: str) -> None:
        """The seller's "paid" (encaissée) status of a services invoice; once per invoice."""
        ...

    def answer_received(self, tenant: str, received_id: str, accepted: bool, reason: str | None) -> None:
        """The buyer's answer to a received invoice: approved, or refused with the reason."""
        ...

    def incoming(self, tenant: str) -> list[Delivered]:
        """The suppliers' invoices delivered and not yet acknowledged, oldest first."""
        ...

    def acknowledge(self, tenant: str, received_id: str) -> None:
        """The delivered invoice is taken (a bill, or refused back): not delivered again."""
        ...


def platform() -> EInvoicingPlatform:
    """The adapter the settings choose."""
    chosen = settings.einvoicing_platform()
    if chosen == "local":
        from crm.finance.einvoice.local_platform import LocalPlatform

        return LocalPlatform()
    raise settings.MissingSetting(f"EINVOICING_PLATFORM names no adapter: {chosen!r} (known: local)")
