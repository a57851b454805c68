"""What the local stack keeps in its state directory, and what comes back after a restart."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import requests

from infra import template as tpl
from infra.local import LocalStack
from infra.moto_stack import create_template_resources
from infra.state import StateDir

TEMPLATE = """
Parameters:
  MailFrom: {Type: String, Default: sender@example.com}
Metadata:
  SecureParameters:
    CursorSigningKey: {Name: /crm/test/cursor-signing-keys}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: state-pool
      UsernameAttributes: [email]
      Schema:
        - {Name: email, AttributeDataType: String, Required: true, Mutable: true}
        - {Name: tenant, AttributeDataType: String, Mutable: false}
  PoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool, ClientName: web}
  OfficeGroup:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref Pool, GroupName: office}
  NopFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/nop/, Handler: app.handler}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}, {AttributeName: SK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}, {AttributeName: SK, KeyType: RANGE}]
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {}
  Reminders:
    Type: AWS::Scheduler::ScheduleGroup
    Properties: {}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("state-project")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "functions" / "nop").mkdir(parents=True)
    (root / "functions" / "nop" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return root


@pytest.fixture(scope="module")
def stack(project):
    with LocalStack(port=0, state_dir=project / "state", template_path=project / "template.yaml", snapshot_interval=0.1) as s:
        yield s


def snapshot_rows(stack, name: str) -> list[dict]:
    path = stack.state.snapshot_dir / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_change_is_snapshotted_without_stopping(stack):
    stack.client("dynamodb").put_item(TableName=stack.refs["Table"], Item={"PK": {"S": "periodic"}, "SK": {"S": "1"}})
    deadline = time.monotonic() + 10
    while not any(r["item"]["PK"] == {"S": "periodic"} for r in snapshot_rows(stack, "dynamodb.jsonl")):
        assert time.monotonic() < deadline, "no periodic snapshot"
        time.sleep(0.05)


def test_nothing_changed_means_no_new_snapshot(stack):
    stack.snapshot()
    written = (stack.state.snapshot_dir / "manifest.json").read_text()
    assert stack.snapshotter.maybe_snapshot() is None  # reads (health, listing schedules) do not count
    requests.get(stack.base_url + "/_local/health", timeout=10)
    requests.get(stack.base_url + "/_local/schedules", timeout=10)
    assert stack.snapshotter.maybe_snapshot() is None
    assert (stack.state.snapshot_dir / "manifest.json").read_text() == written


def test_everything_comes_back_after_a_restart(stack):
    ddb, s3, scheduler = stack.client("dynamodb"), stack.client("s3"), stack.client("scheduler")
    item = {
        "PK": {"S": "T#1"},
        "SK": {"S": "CONTACT#1"},
        "n": {"N": "3.5"},
        "b": {"B": b"\x00\x01\xff"},
        "ok": {"BOOL": True},
        "none": {"NULL": True},
        "m": {"M": {"inner": {"B": b"\xfe"}, "l": {"L": [{"S": "x"}, {"N": "1"}]}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
    }
    ddb.put_item(TableName=stack.refs["Table"], Item=item)
    s3.put_object(
        Bucket=stack.refs["Bucket"], Key="t/1/photo.jpg", Body=bytes(range(256)), ContentType="image/jpeg", Metadata={"name": "photo.jpg"}
    )
    when = datetime.now(UTC) + timedelta(days=2)
    scheduler.create_schedule(
        Name="reminder-1",
        GroupName=stack.refs["Reminders"],
        ScheduleExpression=f"at({when:%Y-%m-%dT%H:%M:%S})",
        ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": f"arn:aws:lambda:eu-west-1:123456789012:function:{stack.refs['NopFunction']}",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": '{"id": 1}',
        },
    )
    stack.token("t1", "office", "eve@example.com")
    sub = next(u.sub for u in stack.users.all() if u.email == "eve@example.com")
    stack.client("ses").send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["x@example.com"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
    )
    key, pool = stack.cursor_signing_key, stack.resources.user_pool_id

    stack.restart()

    assert ddb.get_item(TableName=stack.refs["Table"], Key={"PK": item["PK"], "SK": item["SK"]})["Item"] == item
    obj = s3.get_object(Bucket=stack.refs["Bucket"], Key="t/1/photo.jpg")
    assert obj["Body"].read() == bytes(range(256)) and obj["ContentType"] == "image/jpeg" and obj["Metadata"] == {"name": "photo.jpg"}
    schedule = scheduler.get_schedule(Name="reminder-1", GroupName=stack.refs["Reminders"])
    assert schedule["ScheduleExpression"] == f"at({when:%Y-%m-%dT%H:%M:%S})" and schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert schedule["Target"]["Input"] == '{"id": 1}' and schedule["ActionAfterCompletion"] == "DELETE"
    users = {u.email: u for u in stack.users.all()}
    assert users["eve@example.com"].tenant == "t1" and users["eve@example.com"].role == "office" and users["eve@example.com"].sub == sub
    assert [(m["to"], m["subject"], m["body"]) for m in stack.outbox()] == [(["x@example.com"], "Hi", "Hello")]
    assert stack.cursor_signing_key == key and "CURSOR_SIGNING_KEY" not in stack.environment  # in SSM, as in AWS
    assert stack.client("ssm").get_parameter(Name="/crm/test/cursor-signing-keys", WithDecryption=True)["Parameter"]["Value"] == key
    assert stack.resources.user_pool_id == pool


def test_the_snapshot_is_plain_json_lines(stack):
    stack.snapshot()
    snap = stack.state.snapshot_dir
    assert json.loads((snap / "manifest.json").read_text())["format"] == 1
    for name in ("dynamodb.jsonl", "s3.jsonl", "schedules.jsonl", "cognito_users.jsonl", "ses_outbox.jsonl"):
        for line in (snap / name).read_text().splitlines():
            json.loads(line)


def test_each_state_dir_has_its_own_stable_cursor_signing_key(tmp_path):
    a, b = StateDir(tmp_path / "a"), StateDir(tmp_path / "b")
    assert a.cursor_signing_key() == StateDir(tmp_path / "a").cursor_signing_key()
    assert a.cursor_signing_key() != b.cursor_signing_key() and len(a.cursor_signing_key()) >= 32


def test_one_stack_per_process(stack, project, tmp_path):
    with pytest.raises(RuntimeError):
        LocalStack(port=0, state_dir=tmp_path, template_path=project / "template.yaml").start()


def test_the_template_resources_can_be_created_under_mock_aws(monkeypatch, stack):
    stack.stop()  # mock_aws and the stack's moto share moto's process-wide state
    try:
        from moto import mock_aws

        for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": tpl.REGION}.items():
            monkeypatch.setenv(k, v)
        with mock_aws():
            refs = tpl.local_refs({"CursorSigningKey": "x" * 32})
            created = create_template_resources(boto3.client, refs)
            assert refs["Table"] in boto3.client("dynamodb").list_tables()["TableNames"]
            assert created.user_pool_id and created.groups == ["admin", "office", "resource"]  # customers: a pool of their own
            assert boto3.client("ses").list_identities()["Identities"] == [refs["MailFrom"]]
    finally:
        stack.start()
