"""Idempotency for POSTs (the Idempotency-Key header) and for scheduled handlers.

Two layers, because a replayed answer alone does not stop duplicates:

- Powertools' idempotency utility and its DynamoDB store replay an answer: the same key gives the
  first answer again, another body a 422, a request still in progress a 409. Its record is deleted
  when a request fails and expires when a Lambda times out, so a retry runs the route again.
- A claim item, keyed by the request's idempotency scope, is written in the SAME transaction as
  what a create writes (`claim(new_id)` gives the step to its repository). A retry after any
  failure finds the claim, up front or when its own transaction fails on it, and answers with the
  resource the first attempt created (`AlreadyCreated`; the HTTP edge reads it and answers 201).

The Powertools store is created on first use, not at import, so a cold start that never needs it
does not pay for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from boto3.dynamodb.conditions import Attr

from crm.platform import clock, dynamo, settings
from crm.platform.errors import Conflict, FieldError, Invalid, Unavailable
from crm.platform.i18n import tr
from crm.platform.keys import tenant_key

# Replays of a POST are honoured for a day; a scheduled delivery is guarded for Scheduler's whole
# retry window (24 h) with a margin.
REQUEST_TTL, DELIVERY_TTL = 24 * 3600, 48 * 3600
CLAIM = "CLAIM"
# The id of the idempotency record the running request's answer is stored under (None outside
# run_once): the person-data index lists it with the data the request wrote, so a GDPR erasure
# purges the stored answer too.
current_record: ContextVar[str | None] = ContextVar("current_record", default=None)


@cache
def _store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name())


@cache
def _config(ttl: int) -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="payload", expires_after_seconds=ttl)


def bind(context: Any) -> None:
    """Let in-progress records expire with the invocation (Powertools reads its remaining time)."""
    for ttl in (REQUEST_TTL, DELIVERY_TTL):
        _config(ttl).register_lambda_context(context)


def run_once(key: str, payload: Any, produce: Callable[[], Any], ttl: int = REQUEST_TTL) -> Any:
    """Run `produce` once per `key`; later calls with the same key get the first result back.

    The same key with a different `payload` is refused (422, as the IETF Idempotency-Key draft
    says); a call while the first is still running gets 409; a store that is throttled or down
    gives 503 (retry). A `produce` that raises stores nothing, so the client may retry.
    """

    @idempotent_function(data_keyword_argument="request", persistence_store=_store(), config=_config(ttl))
    def _run(request: dict) -> Any:
        token = current_record.set(_store()._get_hashed_idempotency_key(request))
        try:
            return produce()
        finally:
            current_record.reset(token)

    try:
        return _run(request={"key": key, "payload": payload})
    except IdempotencyValidationError:
        raise reused_key() from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(tr("a request with this Idempotency-Key is still in progress; retry shortly")) from None
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError):
        raise Unavailable(tr("the idempotency store is busy; nothing was written, retry shortly"), headers={"Retry-After": "1"}) from None


def digest(body: str | None) -> str:
    return hashlib.sha256((body or "").encode()).hexdigest()


def reused_key() -> Invalid:
    return Invalid(
        tr("this Idempotency-Key was already used with a different request"),
        [FieldError("Idempotency-Key", tr("already used with a different body"))],
    )


# ---------------------------------------------------------------- claims


@dataclass(frozen=True)
class Request:
    """A POST with an Idempotency-Key, while its route runs."""

    tenant: str
    scope: str  # tenant, user, route and key: a key is one user's, on one resource
    digest: str  # of the body


class AlreadyCreated(Conflict):
    """This request's scope has a claim: what the first attempt created is the answer."""

    def __init__(self, resource_id: str):
        super().__init__(tr("this Idempotency-Key already created a resource"))
        self.resource_id = resource_id


_current: ContextVar[Request | None] = ContextVar("idempotent_request", default=None)


@contextmanager
def running(request: Request):
    """Within: `claim` and `check_claim` are about `request`."""
    token = _current.set(request)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def on_the_way():
    """Within: creates write no claim. For a record a create makes on the way to the request's own
    resource (a contact created with an opportunity): the request's claim names that resource."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def _claim_key(request: Request) -> tuple[str, str]:
    return tenant_key(request.tenant, "IDEMPOTENCY", hashlib.sha256(request.scope.encode()).hexdigest()), CLAIM


def claim(resource_id: str) -> list[dynamo.Step]:
    """The step recording, in the create's own transaction, that this request created
    `resource_id` (nothing when the request has no Idempotency-Key). Put it first: when the
    transaction fails on it, its error is the answer."""
    request = _current.get()
    if request is None:
        return []
    now = int(clock.now().timestamp())
    pk, sk = _claim_key(request)
    item = {"PK": pk, "SK": sk, "resource_id": resource_id, "digest": request.digest, "expires_at": now + REQUEST_TTL}
    # DynamoDB's TTL deletes expired items late: an expired claim no longer counts.
    free = Attr("PK").not_exists() | Attr("expires_at").lt(now)
    return [(dynamo.put(item, ConditionExpression=free), ClaimTaken(tr("this Idempotency-Key already created a resource")))]


class ClaimTaken(Conflict):
    """A create's transaction failed on its claim: `settle_claim_conflict` says what to answer."""


def check_claim() -> None:
    """Raise AlreadyCreated when the current request's scope was claimed by an earlier attempt
    (422 when that attempt had another body); nothing without a claim or outside a request."""
    request = _current.get()
    if request is None:
        return
    item = dynamo.get(*_claim_key(request))
    if item is None or int(item["expires_at"]) < clock.now().timestamp():
        return
    if item["digest"] != request.digest:
        raise reused_key()
    raise AlreadyCreated(item["resource_id"])


def settle_claim_conflict() -> NoReturn:
    """After a create's transaction failed on the claim: raise what the claim says."""
    check_claim()
    raise Conflict(tr("a request with this Idempotency-Key is still in progress; retry shortly"))
