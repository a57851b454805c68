"""The tests' `aws` fixture outside pytest: a moto account with template.yaml's resources, the
functions' environment, and optionally a counter of every AWS API call made while it is open (and
of the DynamoDB items those calls read)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.handlers import BUILTIN_HANDLERS

from infra import template
from infra.dynamodb_rollback import roll_back_item_by_item
from infra.dynamodb_tokens import honour_client_request_tokens
from tests.conftest import AWS_ENV, SECRETS
from tests.support.lambdas import FUNCTIONS, forget_layer_state


class AwsCalls:
    """A botocore 'before-call' handler: one count per API call, keyed (service, operation).

    Installed in botocore's BUILTIN_HANDLERS, so every session created afterwards carries it —
    boto3's default session (crm.platform.aws) and the ones Powertools' idempotency store creates.
    Presigned URLs and POST policies are signed locally and make no call, so they are not counted.
    Its `after_call` (an 'after-call' handler) adds up the DynamoDB items the calls read: a Query's
    or Scan's ScannedCount (what is billed, filter or not), the items a get returned.
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.items_read = 0
        self.tables: dict[str, str] = {}

    def label_table(self, table_name: str, label: str) -> None:
        """Count DynamoDB calls to `table_name` apart, as `Operation[label]`."""
        self.tables[table_name] = label

    def __call__(self, event_name: str, params: dict, **_) -> None:
        _, service, operation = event_name.split(".", 2)
        if service == "dynamodb" and self.tables:
            table = json.loads(params.get("body") or b"{}").get("TableName")
            if table in self.tables:
                operation = f"{operation}[{self.tables[table]}]"
        self.counts[(service, operation)] += 1

    def after_call(self, event_name: str, parsed: dict, **_) -> None:
        if event_name.startswith("after-call.dynamodb."):
            self.items_read += parsed.get("ScannedCount", 0) + ("Item" in parsed)
            if isinstance(parsed.get("Responses"), dict):  # BatchGetItem
                self.items_read += sum(len(found) for found in parsed["Responses"].values())

    def take(self) -> Counter[tuple[str, str]]:
        """The calls counted since the last take (the items they read: `take_items_read()`)."""
        counts, self.counts = self.counts, Counter()
        return counts

    def take_items_read(self) -> int:
        n, self.items_read = self.items_read, 0
        return n


def breakdown(counts: Counter, service: str | None) -> tuple[int, str]:
    """Total and 'Op ×n' list of the calls to `service` (None: every other service)."""
    picked = {(s, op): n for (s, op), n in counts.items() if (s == service if service else s != "dynamodb")}
    if not picked:
        return 0, "—"
    parts = [f"{'' if service else s + ' '}{op}{f' ×{n}' if n > 1 else ''}" for (s, op), n in sorted(picked.items())]
    return sum(picked.values()), ", ".join(parts)


@contextmanager
def stack(calls: AwsCalls | None = None) -> Iterator[dict[str, str]]:
    """What tests/conftest.py's `aws` fixture does; yields the template's local refs."""
    from moto import mock_aws

    saved = dict(os.environ)
    # As the tests do, but with Powertools' INFO lines kept off stdout, where the tables go.
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ.update({**AWS_ENV, **quiet})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    hooks = [("before-call", calls), ("after-call", calls.after_call)] if calls is not None else []
    BUILTIN_HANDLERS.extend(hooks)  # before mock_aws resets boto3's default session
    try:
        with mock_aws(), _queue_calls_cost_their_messages():
            honour_client_request_tokens()  # as the tests' `aws` fixture does
            roll_back_item_by_item()  # a transaction costs its items, not its table's size
            forget_layer_state()
            refs = template.local_refs(SECRETS)
            template.create_backing_resources(boto3.client, refs)
            os.environ.update({**FUNCTIONS.configure(refs, AWS_ENV), **quiet})
            for environment in FUNCTIONS.environments.values():
                environment.update(quiet)
            if calls is not None:
                calls.take(), calls.take_items_read()  # the set-up's own calls
            yield refs
            forget_layer_state()
    finally:
        for hook in hooks:
            BUILTIN_HANDLERS.remove(hook)
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _queue_calls_cost_their_messages() -> Iterator[None]:
    """moto's SQS walks the whole queue for each message: SendMessage reads one queue attribute by
    computing ALL of them, whose message counts walk every message; ReceiveMessage lists every
    visible message before taking its batch of up to 10, and checks each message it hands out
    against the queue's retention by computing every attribute again. Filling or draining n
    messages costs n² (a 10,000-contract billing run spent its time there), where SQS's does not.
    For the bench: a queue's attributes are computed one at a time, when asked (the same values;
    every one when all are read), its visible messages are walked only as far as the reader goes,
    and the retention check reads the retention period alone. Put back on exit."""
    from collections.abc import Mapping

    from moto.core.utils import camelcase_to_underscores, unix_time
    from moto.sqs.models import Queue, SQSBackend

    class Attributes(Mapping):
        def __init__(self, queue: Queue) -> None:
            self.queue = queue

        def _names(self) -> list[str]:
            q = self.queue
            names = [*q.BASE_ATTRIBUTES, *(q.FIFO_ATTRIBUTES if q.fifo_queue else []), *(q.KMS_ATTRIBUTES if q.kms_master_key_id else [])]
            return names + (["Policy"] if q.policy else []) + (["RedrivePolicy"] if q.redrive_policy else [])

        def __getitem__(self, name: str):
            if name not in self._names():
                raise KeyError(name)
            if name == "Policy":
                return self.queue.policy
            if name == "RedrivePolicy":
                return json.dumps(self.queue.redrive_policy)
            value = getattr(self.queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self):
            return iter(self._names())

        def __len__(self) -> int:
            return len(self._names())

    class Visible:
        """`Queue.messages` (a list of the visible messages, in order), walked lazily."""

        def __init__(self, queue: Queue) -> None:
            self.queue = queue

        def __iter__(self):
            return (m for m in self.queue._messages if m.visible and not m.delayed)

        def __len__(self) -> int:
            return sum(1 for _ in self)

        def __bool__(self) -> bool:
            return next(iter(self), None) is not None

    def retained(self, queue_name, message) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    originals = (Queue.attributes, Queue.messages, SQSBackend.is_message_valid_based_on_retention_period)
    Queue.attributes, Queue.messages = property(Attributes), property(Visible)
    SQSBackend.is_message_valid_based_on_retention_period = retained
    try:
        yield
    finally:
        Queue.attributes, Queue.messages, SQSBackend.is_message_valid_based_on_retention_period = originals
