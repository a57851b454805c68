"""The monthly billing run on moto, in-process: contracts written in bulk (`bench/bulk.py`), then
the run function's work (`billing_run.enqueue`: the sparse index read, one SQS message per
contract) and the worker's (`billing_run.handle` for each message taken from the queue), timed
and counted per invoice; at two sizes, whose time ratio says how the run grows.

Then the at-least-once simulation: the same code fed by an in-process queue (moto's SQS and its
table copies per transaction are too slow for the size), where a share of the messages fail once
at a random step (before the issue, before the send, before the contract moves on, before the
outcome is recorded) and come back, some twice at the end; it ends by counting invoices per
contract period and checking the numbers are gapless. The PDF render is left out of the
simulation (it is not part of what makes billing exactly-once; the timed runs include it).

Sizes: BILLING_BENCH_SIZES (default "1000,10000") and BILLING_BENCH_SIMULATED (default 100000).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, deque
from datetime import date
from unittest.mock import patch

import boto3

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.finance import BUSINESS, LEGAL_IDENTITY

TENANT = "bench"
AS_OF = date(2027, 2, 1)
TERMS = {"start_date": "2027-02-01", "end_date": "2027-12-31", "frequency": "monthly", "instalment": 10_000, "tax_rate": "S20"}


def _sizes() -> list[int]:
    return [int(n) for n in os.environ.get("BILLING_BENCH_SIZES", "1000,10000").split(",")]


def _world(contracts: int) -> list[str]:
    """A tenant with a tax rate and its legal identity, a French business customer (so every invoice
    is Factur-X), and `contracts` active contracts due on AS_OF."""
    from crm.contacts import groups as contact_groups
    from crm.contacts import legal
    from crm.contacts import service as contacts
    from crm.contacts.models import ContactFields, GroupFields
    from crm.finance import contracts_repository as repo
    from crm.finance import settings as finance_settings
    from crm.finance.models import FinanceSettingsFields
    from crm.platform.auth import ADMIN, Principal

    admin = Principal(tenant=TENANT, role=ADMIN, user_id="bench", email="bench@example.com")
    group = contact_groups.create_group(TENANT, GroupFields(name="Customers"))
    customer = contacts.create(admin, ContactFields.model_validate({"name": "ABC", "group_id": group.id, **BUSINESS}))["id"]
    legal.update_legal_identity(TENANT, legal.LegalIdentityFields.model_validate(LEGAL_IDENTITY), 0)
    fields = FinanceSettingsFields.model_validate({"tax_rates": [{"code": "S20", "name": "TVA", "rate": "20"}]})
    finance_settings.update(admin, fields, 0)
    ids = [f"01JBENCHC{n:017d}" for n in range(contracts)]
    with bulk.collected() as operations:
        for contract_id in ids:
            contract = {**TERMS, "id": contract_id, "contact_id": customer, "reference": f"C-{contract_id[-6:]}", "version": 2}
            contract |= {"status": "active", "currency": "EUR", "next_period": 0, "next_billing_date": TERMS["start_date"]}
            repo.create(TENANT, contract)
    bulk.write(operations)
    return ids


def _drain(queue_url: str) -> int:
    from crm.finance import billing_run

    sqs, handled = boto3.client("sqs"), 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            billing_run.handle(message["Body"], 1)
            handled += 1
        sqs.delete_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


def _timed_run(contracts: int) -> dict:
    from crm.finance import billing_run

    calls = AwsCalls()
    with stack(calls) as refs:
        _world(contracts)
        calls.take()
        started = time.perf_counter()
        billing_run.enqueue(TENANT, "bench-run", AS_OF)
        queued = calls.take()
        handled = _drain(refs["BillingQueue"])
        elapsed = time.perf_counter() - started
        worked = calls.take()
    if handled != contracts:
        raise RuntimeError(f"{handled} messages handled for {contracts} contracts")
    dynamodb, _ = breakdown(worked, "dynamodb")
    run_dynamodb, _ = breakdown(queued, "dynamodb")
    return {
        "contracts": contracts,
        "seconds": elapsed,
        "run requests per contract": run_dynamodb / contracts,
        "worker requests per invoice": dynamodb / contracts,
        "worker calls": worked,
    }


def _timed_rows() -> list[dict]:
    results = [_timed_run(n) for n in _sizes()]
    base = results[0]
    rows = []
    for r in results:
        _, detail = breakdown(Counter({k: round(v / r["contracts"], 2) for k, v in r["worker calls"].items()}), "dynamodb")
        _, other = breakdown(Counter({k: round(v / r["contracts"], 2) for k, v in r["worker calls"].items()}), None)
        rows.append(
            {
                "Measure": f"billing run, {r['contracts']:,} contracts (one invoice each, PDF included)",
                "Seconds": f"{r['seconds']:.1f}",
                "× time of the smallest": f"{r['seconds'] / base['seconds']:.2f} for {r['contracts'] / base['contracts']:.0f}× contracts",
                "Run: DynamoDB requests per contract": f"{r['run requests per contract']:.2f}",
                "Worker: DynamoDB requests per invoice": f"{r['worker requests per invoice']:.2f} ({detail})",
                "Worker: other AWS per invoice": other,
            }
        )
    return rows


# ---------------------------------------------------------------- the at-least-once simulation

STEPS = ("_issued", "_sent", "advance", "record_outcome")


def _simulated(contracts: int, failing: float = 0.05) -> dict:
    from crm.finance import billing, billing_run, pdfs
    from crm.finance import contracts_repository as repo

    rng = random.Random(20270201)  # reproducible: the same faults at each run
    with stack():
        ids = _world(contracts)
        bodies = [json.dumps({"tenant": TENANT, "run_id": "sim", "as_of": AS_OF.isoformat(), "contract_id": c}) for c in ids]
        billing_run.repo.start_run(TENANT, "sim", AS_OF.isoformat(), 0)
        for at in range(0, len(ids), 10):
            billing_run.repo.queue(TENANT, "sim", ids[at : at + 10], 0)
        billing_run.repo.listed(TENANT, "sim")
        doomed = {c: rng.choice(STEPS) for c in ids if rng.random() < failing}
        queue = deque((body, 1) for body in bodies)
        failures = 0
        originals = {step: getattr(billing_run.repo if step == "record_outcome" else billing, step) for step in STEPS}

        def faulty(step):
            def run(*args, **kwargs):
                contract = current[0]
                if doomed.get(contract) == step:
                    del doomed[contract]
                    raise RuntimeError(f"fault injected before {step}")
                return originals[step](*args, **kwargs)

            return run

        current = [""]
        patches = [patch.object(billing_run.repo if s == "record_outcome" else billing, s, faulty(s)) for s in STEPS]
        patches.append(patch.object(pdfs, "stored", lambda tenant, document, logo="read": document))
        for p in patches:
            p.start()
        started = time.perf_counter()
        try:
            while queue:
                body, receives = queue.popleft()
                current[0] = json.loads(body)["contract_id"]
                try:
                    billing_run.handle(body, receives)
                except RuntimeError:
                    failures += 1
                    queue.append((body, receives + 1))  # visible again after its timeout
            for body in rng.sample(bodies, max(1, len(bodies) // 100)):  # late duplicates, as SQS may deliver
                current[0] = json.loads(body)["contract_id"]
                billing_run.handle(body, 1)
            elapsed = time.perf_counter() - started
        finally:
            for p in patches:
                p.stop()
        claims = [repo.claimed(TENANT, c, 0) for c in ids]
        numbers = sorted(int(billing.documents.get(TENANT, c["document_id"])["sequence"]) for c in claims if c)
        from crm.finance import repository as documents_repo

        issued = documents_repo.counter_value(TENANT, "invoice")
    missing = sum(1 for c in claims if c is None)
    return {
        "contracts": contracts,
        "failures": failures,
        "missing": missing,
        "duplicates": issued - len(numbers),
        "gapless": numbers == list(range(1, len(numbers) + 1)),
        "seconds": elapsed,
    }


def _simulation_rows() -> list[dict]:
    n = int(os.environ.get("BILLING_BENCH_SIMULATED", "100000"))
    r = _simulated(n)
    return [
        {
            "Measure": f"simulated run, {r['contracts']:,} contracts, 5 % of messages failing once at a random step, 1 % delivered again",
            "Failed deliveries retried": f"{r['failures']:,}",
            "Missing invoices": r["missing"],
            "Duplicate invoices": r["duplicates"],
            "Numbers gapless": "yes" if r["gapless"] else "NO",
            "Seconds": f"{r['seconds']:.0f}",
        }
    ]


def timed() -> list[dict]:
    return _timed_rows()


def simulation() -> list[dict]:
    return _simulation_rows()
