"""Idempotency for POSTs (the Idempotency-Key header) and for scheduled handlers.

Built on Powertools' idempotency utility and its DynamoDB store. The store is created on first
use, not at import, so a cold start that never needs it does not pay for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from crm.platform import settings
from crm.platform.errors import Conflict, FieldError, Invalid
from crm.platform.i18n import tr

# Replays of a POST are honoured for a day; a scheduled delivery is guarded for Scheduler's whole
# retry window (24 h) with a margin.
REQUEST_TTL, DELIVERY_TTL = 24 * 3600, 48 * 3600


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
    says); a call while the first is still running gets 409. A `produce` that raises stores nothing,
    so the client may retry.
    """

    @idempotent_function(data_keyword_argument="request", persistence_store=_store(), config=_config(ttl))
    def _run(request: dict) -> Any:
        return produce()

    try:
        return _run(request={"key": key, "payload": payload})
    except IdempotencyValidationError:
        raise Invalid(
            tr("this Idempotency-Key was already used with a different request"),
            [FieldError("Idempotency-Key", tr("already used with a different body"))],
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(tr("a request with this Idempotency-Key is still in progress; retry shortly")) from None


def digest(body: str | None) -> str:
    return hashlib.sha256((body or "").encode()).hexdigest()
