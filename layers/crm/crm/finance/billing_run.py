"""The monthly billing run: a tenant's schedule fires, the run function lists the contracts with a
period due through the sparse "next billing date" index (no Scan) and puts one message per contract
on the billing queue; the worker bills each contract's due periods (crm.finance.billing) and records
its outcome; once every queued contract has one, the office gets one summary email (billed, skipped
and why, failed), archived, through the one mail path.

The run is keyed by its occurrence: a second delivery (or a retry after a crash) finds the run and
the contracts it queued, queues again only those without an outcome, and the claims of the billed
periods keep each invoice single whatever the queue delivers twice. A missed run (the schedule did
not fire) loses nothing: the next run bills every period started by its day, each with its own dates.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from crm.contacts import mailer
from crm.contacts import service as contacts
from crm.finance import billing, billing_schedule, issuing
from crm.finance import billing_repository as repo
from crm.finance import contracts_repository as contracts_repo
from crm.finance import contracts_rules as rules
from crm.finance.contracts import ACTIVE
from crm.platform import aws, clock, scheduling
from crm.platform import settings as env
from crm.platform.errors import Conflict
from crm.platform.i18n import Reader, tr, tr_n

logger = Logger(child=True)
MAX_RECEIVES = 5  # the billing queue's maxReceiveCount (template.yaml): the last attempt records the failure
SUMMARY_LEASE_S = 120  # shorter than the queue's visibility timeout: a failed summary is retried with the message
QUEUE_BATCH = 10  # SQS SendMessageBatch's most
DUE_PAGE = 100


def _expiry() -> int:
    return int(clock.now().timestamp()) + repo.RUN_RETENTION_S


# ---------------------------------------------------------------- the run


def start(event: dict, function_arn: str) -> str:
    """Act on one Scheduler delivery of a tenant's billing series. Returns what happened, for the log."""
    tenant = str((event.get("detail") or {}).get("tenant"))
    schedule = repo.get_schedule(tenant)
    occurrence = scheduling.delivered(event, billing_schedule.recurrence(schedule), billing_schedule.target(function_arn))
    if occurrence is None or schedule is None:
        return "skipped: the billing schedule was changed or removed"
    as_of = occurrence.at.astimezone(ZoneInfo(schedule["recurrence"]["timezone"])).date()
    return enqueue(tenant, f"{occurrence.at:%Y%m%dT%H%MZ}", as_of)


def enqueue(tenant: str, run_id: str, as_of: date) -> str:
    """Queue every contract with a period started by `as_of` (its day in the tenant's zone)."""
    expires = _expiry()
    repo.start_run(tenant, run_id, as_of.isoformat(), expires)
    queue, start, total = aws.client("sqs"), None, 0
    while True:
        due, start = contracts_repo.due_page(tenant, as_of.isoformat(), limit=DUE_PAGE, start=start)
        for at in range(0, len(due), QUEUE_BATCH):
            pending = repo.queue(tenant, run_id, [c["id"] for c in due[at : at + QUEUE_BATCH]], expires)
            if pending:
                entries = [
                    {
                        "Id": str(i),
                        "MessageBody": json.dumps({"tenant": tenant, "run_id": run_id, "as_of": as_of.isoformat(), "contract_id": c}),
                    }
                    for i, c in enumerate(pending)
                ]
                answer = queue.send_message_batch(QueueUrl=env.billing_queue_url(), Entries=entries)
                if answer.get("Failed"):
                    raise RuntimeError(f"{len(answer['Failed'])} billing messages were not queued; the run is retried")
            total += len(pending)
        if not start:
            break
    repo.listed(tenant, run_id)
    summarise(tenant, run_id)
    return f"queued {total}"


# ---------------------------------------------------------------- the worker


@dataclass(frozen=True)
class Message:
    """One queued contract of a run, as the worker receives it."""

    id: str
    tenant: str
    run_id: str
    contract_id: str
    as_of: date
    receive_count: int

    @classmethod
    def parse(cls, message_id: str, body: str, receive_count: int) -> Message:
        m = json.loads(body)
        return cls(message_id, m["tenant"], m["run_id"], m["contract_id"], date.fromisoformat(m["as_of"]), receive_count)


@dataclass(frozen=True)
class Known:
    """What the batch read found for a message: its contract, its customer, its outcome in the run."""

    contract: dict | None
    customer: dict | None
    outcome: dict | None


@functools.lru_cache(maxsize=16)
def _run_context(tenant: str, run_id: str) -> tuple[issuing.Issuing, bool]:
    """What the run's invoices are issued with, and whether they are emailed: read by the first
    message of a run this process handles (a run bills with the settings as its worker first read
    them); a new run reads them again."""
    schedule = repo.get_schedule(tenant) or {}
    return issuing.read(tenant), bool(schedule.get("auto_send"))


def _known(tenant: str, messages: list[Message]) -> tuple[dict[str, Known], billing.Numbers]:
    """Two batch reads for the messages of one tenant: contracts, outcomes and the invoice counter,
    then the contracts' customers."""
    contracts, outcomes, counter = repo.read_batch(tenant, [(m.run_id, m.contract_id) for m in messages])
    ids = list(dict.fromkeys(c["contact_id"] for c in contracts.values()))
    customers = {c["id"]: c for c in contacts.lookup_many(tenant, ids)}
    known = {}
    for m in messages:
        contract = contracts.get(m.contract_id)
        customer = customers.get(contract["contact_id"]) if contract else None
        known[m.id] = Known(contract, customer, outcomes.get((m.run_id, m.contract_id)))
    return known, billing.Numbers(tenant, counter)


def bill_due(message: Message, known: Known, numbers: billing.Numbers) -> dict | None:
    """Bill every period of the contract started by the run's day: the contract's outcome to record,
    or None when it is recorded already (by the last invoice's transaction, or another delivery)."""
    tenant, contract, outcome = message.tenant, known.contract, known.outcome
    if outcome is not None and outcome.get("state") != "queued" and message.receive_count == 1:
        return None  # a second copy of a message another delivery finished
    context, auto_send = _run_context(tenant, message.run_id)
    principal = billing.run_principal(tenant)
    earlier = billing.billed_in_run(tenant, message.contract_id, message.run_id) if message.receive_count > 1 else []
    about = {"reference": (contract or {}).get("reference") or message.contract_id}
    with_last = not auto_send and (outcome or {}).get("state") == "queued"  # the outcome rides with the last invoice
    made: list[dict] = []
    recorded_with_invoice = False
    for _ in range(billing.ATTEMPTS):
        if contract is None or contract["status"] != ACTIVE or known.customer is None:
            break
        due = rules.due(contract, message.as_of)
        try:
            for i, period in enumerate(due):
                numbered = [d["number"] for d in (*earlier, *made)]
                run = billing.RunRecord(message.run_id, None)
                if with_last and i == len(due) - 1:
                    run = billing.RunRecord(message.run_id, {**about, "state": "billed", "numbers": numbered, "already": [], "unsent": []})
                invoice, contract = billing.issue_period(principal, context, contract, known.customer, period, numbers, run)
                made.append(invoice)
                recorded_with_invoice = run.outcome is not None
            break
        except billing.Raced:
            contract = billing.contract_or_none(tenant, message.contract_id)
            recorded = repo.get_outcome(tenant, message.run_id, message.contract_id)
            if recorded and recorded.get("state") != "queued":
                with_last = False
                earlier = []
                break
    else:
        raise Conflict(tr("the contract is being changed; retry shortly"))
    unsent = billing.finish(principal, [*earlier, *made], auto_send)
    if recorded_with_invoice or (outcome is not None and outcome.get("state") != "queued"):
        return None
    if earlier or made:
        return {**about, "state": "billed", "numbers": [d["number"] for d in (*earlier, *made)], "already": [], "unsent": unsent}
    if contract is None:
        return {"state": "skipped", "reason": "deleted"}
    if contract["status"] != ACTIVE:
        return {**about, "state": "skipped", "reason": "not_active"}
    if known.customer is None:
        raise RuntimeError("the contract's customer was not found")
    return {**about, "state": "skipped", "reason": "nothing_due"}


def _handle(message: Message, known: Known, numbers: billing.Numbers) -> None:
    """One queued contract: billed, its outcome recorded once; on its last attempt a failure is
    recorded as such (then the message goes to the dead-letter queue) so the summary still comes."""
    try:
        outcome = bill_due(message, known, numbers)
    except Exception:
        if message.receive_count >= MAX_RECEIVES:
            failed = {"state": "failed", "reason": "error", "reference": (known.contract or {}).get("reference")}
            repo.record_outcome(message.tenant, message.run_id, message.contract_id, failed)
        raise
    if outcome is not None:
        repo.record_outcome(message.tenant, message.run_id, message.contract_id, outcome)


def handle_batch(messages: list[Message]) -> dict[str, Exception]:
    """An SQS batch: each contract billed on its own (one failing neither fails nor repeats the
    others), after two batch reads for all; then each run's summary checked once. Returns the
    failed messages (ids) and why: the partial batch response retries only them."""
    failed: dict[str, Exception] = {}
    for tenant in dict.fromkeys(m.tenant for m in messages):
        mine = [m for m in messages if m.tenant == tenant]
        try:
            known, numbers = _known(tenant, mine)
        except Exception as e:  # the batch read failed (throttled, say): these messages come back
            logger.exception("the batch could not be read; its contracts will be retried")
            failed |= {m.id: e for m in mine}
            continue
        for message in mine:
            try:
                _handle(message, known[message.id], numbers)
            except Exception as e:
                logger.exception("contract not billed; it will be retried", extra={"message_id": message.id})
                failed[message.id] = e
    for tenant, run_id in dict.fromkeys((m.tenant, m.run_id) for m in messages):
        try:
            summarise(tenant, run_id)
        except Exception as e:
            logger.exception("the run's summary could not be sent; retried with its messages")
            failed |= {m.id: e for m in messages if (m.tenant, m.run_id) == (tenant, run_id) and m.id not in failed}
    return failed


def handle(body: str, receive_count: int, message_id: str = "1") -> None:
    """One message, as a batch of one; raises what made it fail."""
    failed = handle_batch([Message.parse(message_id, body, receive_count)])
    if failed:
        raise next(iter(failed.values()))


# ---------------------------------------------------------------- the summary


REASONS = {
    "deleted": tr("the contract was deleted"),
    "not_active": tr("the contract is no longer active"),
    "nothing_due": tr("no period is due"),
    "billed_already": tr("its due periods were billed already (bill now)"),
    "error": tr("billing failed on every attempt; the message is in the billing dead-letter queue"),
}


def compose(as_of: str, outcomes: list[dict], reader: Reader) -> tuple[str, str]:
    """(subject, text) of a run's summary as `reader` reads it."""
    by_state: dict[str, list[dict]] = {"billed": [], "skipped": [], "failed": []}
    for outcome in sorted(outcomes, key=lambda o: str(o.get("reference") or o["contract_id"])):
        by_state.setdefault(outcome["state"], []).append(outcome)
    invoices = sum(len(o.get("numbers") or []) for o in by_state["billed"])
    subject = reader.text(
        tr(
            "Billing run of {date}: {invoices} invoices, {skipped} skipped, {failed} failed",
            date=reader.date(as_of),
            invoices=invoices,
            skipped=len(by_state["skipped"]),
            failed=len(by_state["failed"]),
        )
    )
    lines = []
    for state, title in (
        ("billed", tr_n("{count} contract billed:", "{count} contracts billed:", len(by_state["billed"]), count=len(by_state["billed"]))),
        (
            "skipped",
            tr_n("{count} contract skipped:", "{count} contracts skipped:", len(by_state["skipped"]), count=len(by_state["skipped"])),
        ),
        ("failed", tr_n("{count} contract failed:", "{count} contracts failed:", len(by_state["failed"]), count=len(by_state["failed"]))),
    ):
        if not by_state[state]:
            continue
        lines += [reader.text(title)]
        for o in by_state[state]:
            name = o.get("reference") or o["contract_id"]
            detail = (
                ", ".join(o.get("numbers") or []) if state == "billed" else reader.text(REASONS.get(o.get("reason", ""), REASONS["error"]))
            )
            lines.append(f"- {name}: {detail}")
            if o.get("unsent"):
                lines.append(
                    "  "
                    + reader.text(
                        tr("not emailed (nobody at the contact receives financial documents): {numbers}", numbers=", ".join(o["unsent"]))
                    )
                )
        lines.append("")
    if not outcomes:
        lines.append(reader.text(tr("No contract had a period due.")))
    return subject, "\n".join(lines).rstrip() + "\n"


def summarise(tenant: str, run_id: str) -> None:
    """Send the run's summary once every queued contract has its outcome (whoever gets there first)."""
    run = repo.get_run(tenant, run_id)
    if not run or not run.get("listed") or int(run["done"]) < int(run["queued"]) or run.get("summary_sent_at"):
        return
    schedule = repo.get_schedule(tenant)
    if not schedule or not repo.take_summary(tenant, run_id, int(clock.now().timestamp()), SUMMARY_LEASE_S):
        return
    email = mailer.Email(
        to=schedule["summary_to"],
        compose=functools.partial(compose, run["as_of"], repo.outcomes(tenant, run_id)),
        kind="billing_summary",
        contact_id=None,
        related_id=run_id,
    )
    mailer.send(tenant, email, also=[repo.summary_sent(tenant, run_id, clock.iso(clock.now()))])
