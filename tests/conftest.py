"""Shared fixtures: AWS under moto's mock_aws, with tables, buckets and schedule groups created
from template.yaml, and every function's environment resolved from it."""

from __future__ import annotations

import os

import boto3
import pytest

from infra import template
from infra.s3_post_policy import enforce_presigned_post_policies

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": template.REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def function_env() -> dict[str, str]:
    refs = template.local_refs({"CursorSigningKey": "test-cursor-signing-key-0123456789abcdef"})
    env: dict[str, str] = {}
    for logical_id in template.functions():
        env.update(template.function_environment(logical_id, refs))
    return env


def _clear_caches() -> None:
    from crm.platform import aws, idempotency, settings

    for fn in (aws.client, aws.table, idempotency._store, idempotency._config):
        fn.cache_clear()
    for name in dir(settings):
        fn = getattr(settings, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


def _create_customer_pool(refs: dict[str, str], monkeypatch) -> None:
    """The booking site's customer pool: the people function revokes logins in it."""
    from infra.moto_stack import create_other_user_pools

    for logical_id, pool in create_other_user_pools(boto3.client("cognito-idp"), refs).items():
        refs[logical_id] = pool["id"]
        refs[f"{logical_id}.client_id"] = pool["client_id"]
    monkeypatch.setenv("CUSTOMER_USER_POOL_ID", refs["CustomerUserPool"])


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with the template's resources."""
    from moto import mock_aws

    for k, v in {**AWS_ENV, **function_env()}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        # S3 checks a presigned POST's policy, moto does not: the functions sign with mock_aws's keys
        enforce_presigned_post_policies({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
        _clear_caches()
        refs = template.local_refs()
        template.create_backing_resources(boto3.client, refs)
        _create_customer_pool(refs, monkeypatch)
        yield refs
        _clear_caches()


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
