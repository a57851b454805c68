"""Shared fixtures: AWS under moto's mock_aws, with tables, buckets, queues, parameters and schedule
groups created from template.yaml. Each function invoked through tests/support/lambdas.py runs with
only the environment and permissions template.yaml gives it; the test's own code sees the union."""

from __future__ import annotations

import os

import boto3
import pytest

from infra import template
from infra.dynamodb_rollback import roll_back_item_by_item
from infra.dynamodb_tokens import honour_client_request_tokens
from infra.s3_post_policy import enforce_presigned_post_policies
from tests.support import iam
from tests.support.lambdas import FUNCTIONS, forget_layer_state

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": template.REGION,
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
# The local values of the template's secure parameters (Metadata: SecureParameters).
SECRETS = {"CursorSigningKey": "test-cursor-signing-key-0123456789abcdef"}


def local_refs() -> dict[str, str]:
    return template.local_refs(SECRETS)


def _create_customer_pool(refs: dict[str, str]) -> None:
    """The booking site's customer pool: the people function revokes logins in it."""
    from infra.moto_stack import create_other_user_pools

    for logical_id, pool in create_other_user_pools(boto3.client("cognito-idp"), refs).items():
        refs[logical_id] = pool["id"]
        refs[f"{logical_id}.client_id"] = pool["client_id"]


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with the template's resources."""
    from moto import mock_aws

    for k, v in AWS_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        # S3 checks a presigned POST's policy, moto does not. The functions sign with AWS_ENV's keys
        # (their environment, tests/support/lambdas.py), the test's own code with mock_aws's.
        signers = (AWS_ENV, os.environ)
        enforce_presigned_post_policies({env["AWS_ACCESS_KEY_ID"]: env["AWS_SECRET_ACCESS_KEY"] for env in signers})
        honour_client_request_tokens()  # as DynamoDB does: a retried transaction commits once
        roll_back_item_by_item()  # a transaction costs its items, not its table's size
        forget_layer_state()
        refs = local_refs()
        template.create_backing_resources(boto3.client, refs)
        _create_customer_pool(refs)
        for k, v in FUNCTIONS.configure(refs, AWS_ENV).items():
            monkeypatch.setenv(k, v)
        FUNCTIONS.enforcer.take_denied()
        yield refs
        denied = FUNCTIONS.enforcer.take_denied()
        forget_layer_state()
    assert not denied, f"calls IAM would refuse, given the functions' policies in template.yaml:\n{iam.describe(denied)}"


@pytest.fixture
def atomic_dynamodb(monkeypatch):
    """DynamoDB applies each request atomically; moto does not (a transaction runs item by item and
    a failed one restores a table snapshot, with no lock). Threads racing on moto would see states
    DynamoDB never shows, so serialise moto's DynamoDB requests: the threads still race, request by
    request, exactly as on DynamoDB. Returns the names of the requests, in order."""
    import threading

    from moto.dynamodb.responses import DynamoHandler

    lock, actions, real = threading.Lock(), [], DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            actions.append(self._get_action())
            return real(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)
    return actions
