"""DynamoDB keys and writes of the billing schedule and the billing runs. The only module that knows them.

Items (every key starts with the tenant, through crm.platform.keys):
  schedule  PK=T#t#FINANCE  SK=BILLING   recurrence, auto_send, summary_to, version
  run       PK=T#t#BILLRUN#<occurrence>  SK=RUN   as_of, queued (contracts put on the queue),
            done (contracts whose outcome is recorded), listed (every due contract is queued),
            summary_sent_at / summary_lease (one summary email per run)
  outcome   PK=T#t#BILLRUN#<occurrence>  SK=C#<contract>   queued, then billed / skipped / failed
            with the periods and invoice numbers, or the reason: what the summary reports
Runs and outcomes expire after RUN_RETENTION_S (the summary email is archived for good).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from crm.finance import contracts_repository as contracts_repo
from crm.finance import repository as documents_repo
from crm.platform import dynamo
from crm.platform.errors import PreconditionFailed
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

SCHEDULE, RUN, OUTCOME = "BILLING", "RUN", "C#"


class _Held(Exception):
    """A condition of the run's bookkeeping did not hold (recorded already, or held by another
    worker): an answer to the caller here, never a problem a reader gets."""


RUN_RETENTION_S = 400 * 86400  # a year of runs, and a month to spare


def _settings_pk(tenant: str) -> str:
    return tenant_key(tenant, "FINANCE")


def _run_pk(tenant: str, run_id: str) -> str:
    return tenant_key(tenant, "BILLRUN", run_id)


def _out(item: dict) -> dict:
    return dynamo.from_item({k: v for k, v in item.items() if k not in ("PK", "SK", "expires_at")})


# ---------------------------------------------------------------- schedule


def get_schedule(tenant: str) -> dict | None:
    item = dynamo.get(_settings_pk(tenant), SCHEDULE)
    return _out(item) if item else None


def put_schedule(tenant: str, schedule: dict, expected_version: int, audit_record: dict) -> None:
    held = Attr("PK").not_exists() if expected_version == 0 else Attr("version").eq(expected_version)
    stale = PreconditionFailed(tr("the billing schedule changed since you read it; reload it and apply your change again"))
    item = dynamo.to_item({**schedule, "PK": _settings_pk(tenant), "SK": SCHEDULE})
    dynamo.transact_explained([(dynamo.put(item, ConditionExpression=held), stale), (audit_record, None)])


# ---------------------------------------------------------------- runs


def start_run(tenant: str, run_id: str, as_of: str, expires_at: int) -> None:
    """The run's item, once (a second delivery of the occurrence finds it)."""
    item = {"PK": _run_pk(tenant, run_id), "SK": RUN, "as_of": as_of, "queued": 0, "done": 0, "expires_at": expires_at}
    with contextlib.suppress(_Held):
        dynamo.put_one(item, Attr("PK").not_exists(), _Held())


def get_run(tenant: str, run_id: str) -> dict | None:
    item = dynamo.get(_run_pk(tenant, run_id), RUN)
    return _out(item) if item else None


def _outcome_put(tenant: str, run_id: str, contract_id: str, expires_at: int) -> dict:
    item = {"PK": _run_pk(tenant, run_id), "SK": OUTCOME + contract_id, "contract_id": contract_id, "state": "queued"}
    return dynamo.put({**item, "expires_at": expires_at}, ConditionExpression=Attr("PK").not_exists())


def _counted(tenant: str, run_id: str, name: str, n: int) -> dict:
    return dynamo.update(_run_pk(tenant, run_id), RUN, UpdateExpression=f"ADD {name} :n", ExpressionAttributeValues={":n": n})


def queue(tenant: str, run_id: str, contract_ids: Sequence[str], expires_at: int) -> list[str]:
    """Record the contracts as queued in the run (each once) and count them; returns those whose
    outcome is still to come (queued now or earlier, by a delivery that crashed before sending)."""
    steps = [(_outcome_put(tenant, run_id, c, expires_at), None) for c in contract_ids]
    try:
        dynamo.transact_explained([*steps, (_counted(tenant, run_id, "queued", len(contract_ids)), None)])
        return list(contract_ids)
    except ClientError as e:
        if dynamo.error_code(e) != "TransactionCanceledException":
            raise
    pending = []  # a second delivery of the run: one at a time, the ones already recorded are known
    for contract_id in contract_ids:
        try:
            dynamo.transact_explained(
                [(_outcome_put(tenant, run_id, contract_id, expires_at), _Held()), (_counted(tenant, run_id, "queued", 1), None)]
            )
            pending.append(contract_id)
        except _Held:
            item = dynamo.get(_run_pk(tenant, run_id), OUTCOME + contract_id)
            if item and item.get("state") == "queued":
                pending.append(contract_id)
    return pending


def listed(tenant: str, run_id: str) -> None:
    dynamo.update_one(_run_pk(tenant, run_id), RUN, _Held(), UpdateExpression="SET listed = :t", ExpressionAttributeValues={":t": True})


def read_batch(tenant: str, pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, dict], dict[tuple[str, str], dict], int]:
    """For (run, contract) pairs: the contracts, the runs' outcomes for them, and the invoice
    counter, in ONE strongly consistent batch read (what the worker's writes are conditioned on)."""
    contract_keys = {contracts_repo.key(tenant, c): c for _, c in pairs}
    outcome_keys = {outcome_key(tenant, r, c): (r, c) for r, c in pairs}
    counter = documents_repo.counter_key(tenant, "invoice")
    found = {(i["PK"], i["SK"]): i for i in dynamo.batch_get([*contract_keys, *outcome_keys, counter], consistent=True)}
    contracts = {c: contracts_repo.of_item(found[k]) for k, c in contract_keys.items() if k in found}
    outcomes = {pair: _out(found[k]) for k, pair in outcome_keys.items() if k in found}
    return contracts, outcomes, documents_repo.counter_of(found.get(counter))


def get_outcome(tenant: str, run_id: str, contract_id: str) -> dict | None:
    item = dynamo.get(*outcome_key(tenant, run_id, contract_id))
    return _out(item) if item else None


def outcome_key(tenant: str, run_id: str, contract_id: str) -> tuple[str, str]:
    """The key of a contract's outcome in a run (for a batch read with other items)."""
    return _run_pk(tenant, run_id), OUTCOME + contract_id


def outcome_steps(tenant: str, run_id: str, contract_id: str, outcome: dict, held: Exception) -> list[dynamo.Step]:
    """The contract's outcome in the run and the run's count of outcomes, as steps of another
    write's transaction (the last invoice's): `held` when the outcome is recorded already."""
    fields = {k: v for k, v in outcome.items() if v is not None}
    names = {f"#f{i}": k for i, k in enumerate(fields)}
    values = {f":x{i}": v for i, v in enumerate(fields.values())}
    update = dynamo.update(
        _run_pk(tenant, run_id),
        OUTCOME + contract_id,
        UpdateExpression="SET " + ", ".join(f"#f{i} = :x{i}" for i in range(len(fields))),
        ConditionExpression=Attr("state").eq("queued"),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=dynamo.to_item(values),
    )
    return [(update, held), (_counted(tenant, run_id, "done", 1), None)]


def record_outcome(tenant: str, run_id: str, contract_id: str, outcome: dict) -> bool:
    """The contract's outcome in the run, and the run's count of outcomes, once: False when a
    delivery of the same message recorded it already."""
    try:
        dynamo.transact_explained(outcome_steps(tenant, run_id, contract_id, outcome, _Held()))
    except _Held:
        return False
    return True


def outcomes(tenant: str, run_id: str) -> list[dict]:
    return [_out(i) for i in dynamo.query_all(("PK", _run_pk(tenant, run_id)), Key("SK").begins_with(OUTCOME))]


def take_summary(tenant: str, run_id: str, now: int, lease_s: int) -> bool:
    """Hold the run's summary for `lease_s` seconds, if it is not sent: one sender at a time; a
    sender that crashed frees it when the lease ends."""
    free = Attr("summary_sent_at").not_exists() & (Attr("summary_lease").not_exists() | Attr("summary_lease").lt(now))
    try:
        dynamo.update_one(
            _run_pk(tenant, run_id),
            RUN,
            _Held(),
            UpdateExpression="SET summary_lease = :l",
            ConditionExpression=free,
            ExpressionAttributeValues={":l": now + lease_s},
        )
    except _Held:
        return False
    return True


def summary_sent(tenant: str, run_id: str, at: str) -> dynamo.Step:
    return dynamo.update(
        _run_pk(tenant, run_id), RUN, UpdateExpression="SET summary_sent_at = :a", ExpressionAttributeValues={":a": at}
    ), None
