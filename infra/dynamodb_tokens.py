"""TransactWriteItems' ClientRequestToken, honoured as DynamoDB does; moto ignores it.

botocore gives every TransactWriteItems call a token (an idempotency member of the API model,
filled once per call, before its retries) and sends it again on each retry. When a response is lost
after the transaction committed (a read timeout, a 500), DynamoDB answers the retry with the same
token as a success without writing again; moto runs the retry as a new transaction, whose own
conditions (attribute_not_exists, version) then fail: a spurious 409 that AWS never gives.

`honour_client_request_tokens()` puts DynamoDB's rules in front of moto's TransactWriteItems, in
every moto of this process (its server and mock_aws):
* the same token with the same request within 10 minutes of a committed transaction: success,
  nothing written again;
* the same token with a different request within those 10 minutes:
  IdempotentParameterMismatchException (400), nothing written;
* a token whose transaction was cancelled is not remembered: its retry runs again.
Tokens are kept per moto backend (account and region), so a moto reset forgets them.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

TOKEN_WINDOW_S = 600


def _fingerprint(body: dict) -> str:
    """The request without its token: what must match for a retry to be the same request."""
    request = {k: v for k, v in body.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def honour_client_request_tokens() -> None:
    """Idempotent: installing it again changes nothing."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    current = DynamoHandler.transact_write_items
    if getattr(current, "honours_client_request_tokens", False):
        return

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self) -> None:
            message = "The request uses the same client token as a previous, but non-identical request."
            super().__init__(ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException", message=message)

    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return current(self)
        committed: dict[str, tuple[str, float]] = self.dynamodb_backend.__dict__.setdefault("_client_request_tokens", {})
        now = time.monotonic()
        while committed and now - next(iter(committed.values()))[1] > TOKEN_WINDOW_S:  # oldest first: kept in commit order
            del committed[next(iter(committed))]
        fingerprint = _fingerprint(self.body)
        if token in committed:
            if committed[token][0] != fingerprint:
                raise IdempotentParameterMismatch()
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = current(self)  # raises when the transaction is cancelled: the token is not kept
        committed[token] = (fingerprint, time.monotonic())
        return result

    transact_write_items.honours_client_request_tokens = True  # type: ignore[attr-defined]
    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]
