"""Gapless numbers: a counter item written in the same transaction as the thing it numbers.

The counter is read, then written as n+1 on condition it still holds n: of two creates at once one
wins, the other reads again and takes the next number; a failed transaction writes nothing, so no
number is lost or given twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from crm.platform import dynamo
from crm.platform.errors import Unavailable
from crm.platform.i18n import tr

ATTEMPTS = 25
COUNTER = "COUNTER"


def current(counter_pk: str) -> int:
    item = dynamo.get(counter_pk, COUNTER)
    return int(item["n"]) if item else 0


def create_numbered(counter_pk: str, steps_for: Callable[[int], Sequence[dynamo.Step]]) -> int:
    """Run, in one transaction with the counter moved to n, the steps `steps_for(n)` gives for the
    next number n; retried with the following number when another create took it. Returns n."""
    for attempt in range(ATTEMPTS):
        last = current(counter_pk)
        held = Attr("PK").not_exists() if last == 0 else Attr("n").eq(last)
        counter = (dynamo.put({"PK": counter_pk, "SK": COUNTER, "n": last + 1}, ConditionExpression=held), None)
        try:
            dynamo.transact_explained([counter, *steps_for(last + 1)])
            return last + 1
        except ClientError as e:
            if dynamo.error_code(e) != "TransactionCanceledException" or dynamo.cancellation_codes(e)[:1] != ["ConditionalCheckFailed"]:
                raise
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not a secret  # lost the race: next number
    raise Unavailable(tr("too many records are being numbered at once; nothing was saved, retry shortly"), headers={"Retry-After": "1"})
