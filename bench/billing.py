"""The monthly billing run on moto, in-process: contracts written in bulk (`bench/bulk.py`), then
the run function's work (`billing_run.enqueue`: the sparse index read, one SQS message per
contract) and the worker's (`billing_run.handle_batch` for each batch of up to 10 messages taken
from the queue, as Lambda's SQS poller hands them), timed and counted per invoice; at two sizes,
the small one run before and after the large one, whose time ratio says how the run grows (the
machine is noisy: one small run alone swung the ratio by 10 %). The bench's customer is a French
business, so every invoice is Factur-X (rendered, its CII XML embedded): the time per invoice is
Factur-X's.

moto's TransactWriteItems deep-copies each table it writes to before every transaction (its
rollback), which makes a transaction cost in proportion to the table and the run quadratic on moto
where DynamoDB's is not: like the tests and the local stack, the bench runs with
`infra/dynamodb_rollback.py` (the items a transaction names are snapshot instead). moto's Query
walks every item of the table, of a GSI's or not: the bench runs inside `bench/partitions.py`'s
`partitioned()`, where a Query reads its partition (the run function's, one per 100 due contracts
on GSI3; a redelivery's, of its contract's claims) and gets moto's own answer (checked once per
run against moto's whole-table Query). moto's SQS walks the whole queue for each message sent or
received; `bench/env.py` makes each message cost itself, with the same answers.

Then the at-least-once simulation: the same code fed by an in-process queue (moto's SQS is too slow
for the size), in batches of 10, where a share of the messages fail once at a random step (before
the PDF is put, before the commit, before the folder copy) and come back, some twice at the end; it ends by counting invoices per contract period and
checking the numbers are gapless. The PDF render is left out of the simulation (it is not part of
what makes billing exactly-once; the timed runs include it).

Sizes: BILLING_BENCH_SIZES (default "1000,10000,1000") and BILLING_BENCH_SIMULATED (default 100000).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections import Counter, deque
from datetime import date
from unittest.mock import patch

import boto3

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.finance import BUSINESS, LEGAL_IDENTITY
from bench.partitions import partitioned, same_as_moto

TENANT = "bench"
AS_OF = date(2027, 2, 1)
TERMS = {"start_date": "2027-02-01", "end_date": "2027-12-31", "frequency": "monthly", "instalment": 10_000, "tax_rate": "S20"}


def _sizes() -> list[int]:
    """The runs, in order: by default the small size before and after the large one, so the ratio's
    floor (their mean) sees the machine as it was on both sides of the large run."""
    return [int(n) for n in os.environ.get("BILLING_BENCH_SIZES", "1000,10000,1000").split(",")]


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
        failed = billing_run.handle_batch([billing_run.Message.parse(m["MessageId"], m["Body"], 1) for m in messages])
        if failed:
            raise RuntimeError(f"{len(failed)} contracts failed: {next(iter(failed.values()))!r}")
        handled += len(messages)
        sqs.delete_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


def _timed_run(contracts: int) -> dict:
    from crm.finance import billing_run, contracts_repository

    calls = AwsCalls()
    with stack(calls) as refs, partitioned():
        _world(contracts)
        calls.take()
        started = time.perf_counter()
        billing_run.enqueue(TENANT, "bench-run", AS_OF)
        queued = calls.take()
        worker_started = time.perf_counter()
        handled = _drain(refs["BillingQueue"])
        elapsed = time.perf_counter() - started
        worker_elapsed = time.perf_counter() - worker_started
        worked = calls.take()
        # The due index as moto answers it, for the next month (every contract is due again then).
        same_as_moto(lambda: contracts_repository.due_page(TENANT, "2027-03-01", limit=100, start=None))
    if handled != contracts:
        raise RuntimeError(f"{handled} messages handled for {contracts} contracts")
    dynamodb, _ = breakdown(worked, "dynamodb")
    run_dynamodb, _ = breakdown(queued, "dynamodb")
    return {
        "contracts": contracts,
        "seconds": elapsed,
        "worker seconds": worker_elapsed,
        "run requests per contract": run_dynamodb / contracts,
        "worker requests per invoice": dynamodb / contracts,
        "worker calls": worked,
    }


def _timed_rows() -> list[dict]:
    results = [_timed_run(n) for n in _sizes()]
    smallest = min(r["contracts"] for r in results)
    floor = statistics.mean(r["seconds"] for r in results if r["contracts"] == smallest)
    rows = []
    for r in results:
        _, detail = breakdown(Counter({k: round(v / r["contracts"], 2) for k, v in r["worker calls"].items()}), "dynamodb")
        _, other = breakdown(Counter({k: round(v / r["contracts"], 2) for k, v in r["worker calls"].items()}), None)
        rows.append(
            {
                "Measure": f"billing run, {r['contracts']:,} contracts (one Factur-X invoice each, PDF included)",
                "Seconds": f"{r['seconds']:.1f}",
                "Worker ms per invoice (Factur-X)": f"{1000 * r['worker seconds'] / r['contracts']:.0f}",
                "× time of the smallest (mean of its runs)": f"{r['seconds'] / floor:.2f} for {r['contracts'] / smallest:.0f}× contracts",
                "Run: DynamoDB requests per contract": f"{r['run requests per contract']:.2f}",
                "Worker: DynamoDB requests per invoice": f"{r['worker requests per invoice']:.2f} ({detail})",
                "Worker: other AWS per invoice": other,
            }
        )
    return rows


# ---------------------------------------------------------------- the at-least-once simulation

STEPS = ("_rendered", "_commit", "_filed_copy")  # the run's outcome rides with the commit


def _simulated(contracts: int, failing: float = 0.05) -> dict:
    from crm.finance import billing, billing_run, pdfs
    from crm.finance import contracts_repository as repo
    from crm.finance import repository as documents_repo
    from crm.platform import dynamo
    from crm.platform.keys import tenant_key

    rng = random.Random(20270201)  # reproducible: the same faults at each run
    with stack(), partitioned():
        ids = _world(contracts)
        bodies = [json.dumps({"tenant": TENANT, "run_id": "sim", "as_of": AS_OF.isoformat(), "contract_id": c}) for c in ids]
        billing_run.repo.start_run(TENANT, "sim", AS_OF.isoformat(), 0)
        for at in range(0, len(ids), 10):
            billing_run.repo.queue(TENANT, "sim", ids[at : at + 10], 0)
        billing_run.repo.listed(TENANT, "sim")
        doomed = {c: rng.choice(STEPS) for c in ids if rng.random() < failing}
        retried = sorted(doomed)
        failures = 0
        originals = {step: getattr(billing, step) for step in STEPS}
        real_bill_due = billing_run.bill_due
        current = [""]

        def faulty(step):
            def run(*args, **kwargs):
                if doomed.get(current[0]) == step:
                    del doomed[current[0]]
                    raise RuntimeError(f"fault injected before {step}")
                return originals[step](*args, **kwargs)

            return run

        def billing_one(message, known, numbers):
            current[0] = message.contract_id
            return real_bill_due(message, known, numbers)

        def unrendered(tenant, document, logo):
            return {**document, "pdf": {"key": pdfs.key(tenant, document, "issued.pdf"), "sha256": "", "size": 0}}

        patches = [patch.object(billing, s, faulty(s)) for s in STEPS]
        patches += [patch.object(billing_run, "bill_due", billing_one), patch.object(pdfs, "put_issuing", unrendered)]
        patches.append(patch.object(pdfs, "file_in_folder", lambda tenant, document: None))
        for p in patches:
            p.start()

        def deliver(batch: list[tuple[str, int]]) -> list[tuple[str, int]]:
            messages = [billing_run.Message.parse(str(i), body, receives) for i, (body, receives) in enumerate(batch)]
            failed = billing_run.handle_batch(messages)
            return [(body, receives + 1) for i, (body, receives) in enumerate(batch) if str(i) in failed]

        queue = deque((body, 1) for body in bodies)
        started = time.perf_counter()
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(10, len(queue)))]
                again = deliver(batch)
                failures += len(again)
                queue.extend(again)  # visible again after their timeout
            late = rng.sample(bodies, max(1, len(bodies) // 100))  # late duplicates, as SQS may deliver
            for at in range(0, len(late), 10):
                deliver([(body, 1) for body in late[at : at + 10]])
            elapsed = time.perf_counter() - started
        finally:
            for p in patches:
                p.stop()
        # Read back in batches of 100 (moto answers each request slowly; this is not timed).
        claims = [dynamo.from_item(i) for i in dynamo.batch_get([(repo.key(TENANT, c)[0], f"{repo.PERIOD}0000") for c in ids])]
        for contract_id in rng.sample(retried, min(3, len(retried))):  # the Query a redelivery makes, as moto answers it
            same_as_moto(lambda contract_id=contract_id: repo.claims(TENANT, contract_id))
        documents = dynamo.batch_get([(tenant_key(TENANT, "DOC", c["document_id"]), "DOC") for c in claims])
        numbers = sorted(int(d["sequence"]) for d in documents)
        issued = documents_repo.counter_value(TENANT, "invoice")
    missing = len(ids) - len(claims)
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
