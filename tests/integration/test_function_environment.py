"""Each function starts with the environment and runs with the permissions template.yaml gives it,
and nothing more: a variable it needs and is not given fails its cold start, naming the variable;
another function's variables are not there; a call its policy does not allow is refused."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from crm.platform import aws as platform_aws
from crm.platform import settings
from crm.platform.settings import MissingSetting
from infra import template
from tests.support.lambdas import FUNCTIONS, call

FUNCTION_IDS = sorted(template.functions())


def cold_start(logical_id: str):
    """Import the function's module afresh, as a new container would, in its own environment."""
    fn = template.functions()[logical_id]
    spec = importlib.util.spec_from_file_location(f"cold_{logical_id}", template.ROOT / fn.code_uri / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the module's generic models (Page[...]) through sys.modules
    with FUNCTIONS.running(logical_id):
        spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("function", FUNCTION_IDS)
def test_each_function_requires_at_cold_start_exactly_what_the_template_gives_it(function, monkeypatch):
    required: list[str] = []
    real = settings.require
    monkeypatch.setattr(settings, "require", lambda *names: required.extend(names) or real(*names))
    cold_start(function)
    given = {name for name in template.functions()[function].environment if not name.startswith("POWERTOOLS_")}
    assert sorted(required) == sorted(given)


def test_a_variable_missing_from_the_template_fails_the_cold_start_naming_it(aws, monkeypatch):
    for name in ("SCHEDULE_GROUP", "ATTACHMENTS_BUCKET"):
        monkeypatch.delitem(FUNCTIONS.environments["ContactsFunction"], name)
    with pytest.raises(MissingSetting, match=r"ContactsFunction cannot start: .* has no ATTACHMENTS_BUCKET, SCHEDULE_GROUP"):
        cold_start("ContactsFunction")


def test_a_function_sees_its_own_variables_and_no_other_functions(aws, monkeypatch):
    from crm.jobs import catalog

    seen: dict[str, str] = {}
    monkeypatch.setattr(catalog, "members", lambda tenant, kind: seen.update(os.environ) or [])
    assert call("GET", "/job-types").status == 200
    assert seen["EVENT_BUS_NAME"] and seen["TABLE_NAME"] and seen["AWS_LAMBDA_FUNCTION_NAME"] == "JobsFunction"
    assert not {"ATTACHMENTS_BUCKET", "MAIL_FROM", "CUSTOMER_USER_POOL_ID", "SCHEDULE_GROUP"} & set(seen)


def test_a_call_the_functions_policy_does_not_allow_is_refused_as_aws_would(aws, monkeypatch):
    from crm.jobs import catalog

    def list_the_attachments(tenant, kind):  # the jobs function has no S3 permission at all
        return platform_aws.client("s3").list_objects_v2(Bucket=aws["AttachmentsBucket"], Prefix="t/")

    monkeypatch.setattr(catalog, "members", list_the_attachments)
    assert call("GET", "/job-types").status == 500
    assert FUNCTIONS.enforcer.take_denied() == [
        f"JobsFunction may not s3:ListBucket on arn:aws:s3:::{aws['AttachmentsBucket']} (template.yaml: its Policies)"
    ]
