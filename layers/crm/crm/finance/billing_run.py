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
from datetime import date
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from crm.contacts import mailer
from crm.finance import billing, billing_schedule
from crm.finance import billing_repository as repo
from crm.finance import contracts_repository as contracts_repo
from crm.finance import contracts_rules as rules
from crm.finance.contracts import ACTIVE
from crm.platform import aws, clock, scheduling
from crm.platform import settings as env
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


def bill_due(tenant: str, contract_id: str, as_of: date, auto_send: bool) -> dict:
    """Bill every period of the contract started by `as_of`: the contract's outcome in the run."""
    contract = billing.contract_or_none(tenant, contract_id)
    if contract is None:
        return {"state": "skipped", "reason": "deleted"}
    about = {"reference": contract.get("reference") or contract_id}
    if contract["status"] != ACTIVE:
        return {**about, "state": "skipped", "reason": "not_active"}
    due = rules.due(contract, as_of)
    if not due:
        return {**about, "state": "skipped", "reason": "nothing_due"}
    principal = billing.run_principal(tenant)
    made: list[str] = []
    already: list[str] = []
    unsent: list[str] = []
    for period in due:
        invoice, new, why = billing.bill(principal, contract, period, auto_send)
        (made if new else already).append(invoice.get("number") or invoice["id"])
        if why:
            unsent.append(invoice.get("number") or invoice["id"])
    outcome = {**about, "state": "billed" if made else "skipped", "numbers": made, "already": already, "unsent": unsent}
    return outcome if made else {**outcome, "reason": "billed_already"}


def handle(body: str, receive_count: int) -> None:
    """One queued contract: billed, its outcome recorded once; on its last attempt a failure is
    recorded as such (then the message goes to the dead-letter queue) so the summary still comes."""
    message = json.loads(body)
    tenant, run_id, contract_id = message["tenant"], message["run_id"], message["contract_id"]
    schedule = repo.get_schedule(tenant) or {}
    try:
        outcome = bill_due(tenant, contract_id, date.fromisoformat(message["as_of"]), bool(schedule.get("auto_send")))
    except Exception:
        if receive_count >= MAX_RECEIVES:
            contract = billing.contract_or_none(tenant, contract_id) or {}
            repo.record_outcome(tenant, run_id, contract_id, {"state": "failed", "reason": "error", "reference": contract.get("reference")})
            summarise(tenant, run_id)
        raise
    repo.record_outcome(tenant, run_id, contract_id, outcome)
    summarise(tenant, run_id)


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
