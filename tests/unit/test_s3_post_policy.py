"""S3's checks of a presigned POST, as the local stack makes them in front of moto: forms signed by
botocore itself (offline), then uploaded as a browser would, or edited by the uploader."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from infra.s3_post_policy import PolicyRefusal, check

SIGNERS = {"AKIDLOCAL": "local-secret"}
BUCKET = "crm-local-attachmentsbucket"


def signed_form(conditions: list, fields: dict | None = None, expires_in: int = 900, secret: str | None = None) -> dict:
    s3 = boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIDLOCAL",
        aws_secret_access_key=secret or SIGNERS["AKIDLOCAL"],
        config=Config(signature_version="s3v4"),
    )
    return s3.generate_presigned_post(Bucket=BUCKET, Key="t/t1/a.pdf", Fields=fields, Conditions=conditions, ExpiresIn=expires_in)["fields"]


PDF_OF_73 = [{"Content-Type": "application/pdf"}, ["content-length-range", 73, 73]]


def refusal(form: dict, size: int = 73, bucket: str = BUCKET) -> tuple[int, str, str, dict]:
    with pytest.raises(PolicyRefusal) as refused:
        check(form, bucket, size, SIGNERS)
    return refused.value.status, refused.value.code, refused.value.message, refused.value.details


def test_an_upload_within_its_policy_passes():
    check(signed_form(PDF_OF_73, {"Content-Type": "application/pdf"}), BUCKET, 73, SIGNERS)


def test_a_file_larger_or_smaller_than_the_range_is_refused_with_the_sizes():
    form = signed_form(PDF_OF_73, {"Content-Type": "application/pdf"})
    assert refusal(form, size=50 * 1024)[:2] == (400, "EntityTooLarge")
    assert refusal(form, size=50 * 1024)[3] == {"ProposedSize": 51200, "MaxSizeAllowed": 73}
    assert refusal(form, size=72)[:2] == (400, "EntityTooSmall")
    assert "<MinSizeAllowed>73</MinSizeAllowed>" in PolicyRefusal(400, "EntityTooSmall", "m", MinSizeAllowed=73).xml()


def test_a_field_that_breaks_a_condition_is_refused_naming_the_condition():
    form = signed_form(PDF_OF_73, {"Content-Type": "application/pdf"})
    status, code, message, _ = refusal({**form, "Content-Type": "text/html"})
    assert (status, code) == (403, "AccessDenied") and '["eq", "$content-type", "application/pdf"]' in message
    assert refusal({**form, "key": "t/t2/other.pdf"})[:2] == (403, "AccessDenied")
    assert refusal(form, bucket="another-bucket")[:2] == (403, "AccessDenied")


def test_starts_with_conditions_hold_for_every_content_type_listed():
    form = signed_form([["starts-with", "$Content-Type", "image/"], ["starts-with", "$key", "t/t1/"]], {"Content-Type": "image/png"})
    check(form, BUCKET, 10, SIGNERS)
    check({**form, "Content-Type": "image/png,image/jpeg"}, BUCKET, 10, SIGNERS)
    assert refusal({**form, "Content-Type": "image/png,text/html"})[:2] == (403, "AccessDenied")


def test_a_field_no_condition_covers_is_refused_but_x_ignore_fields_pass():
    form = signed_form(PDF_OF_73, {"Content-Type": "application/pdf"})
    assert refusal({**form, "acl": "public-read"})[2] == "Invalid according to Policy: Extra input fields: acl"
    check({**form, "x-ignore-note": "anything"}, BUCKET, 73, SIGNERS)


def test_an_edited_policy_or_another_key_does_not_match_the_signature():
    form = signed_form(PDF_OF_73, {"Content-Type": "application/pdf"})
    policy = json.loads(base64.b64decode(form["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if c != ["content-length-range", 73, 73]]
    edited = {**form, "policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    assert refusal(edited, size=50 * 1024)[:2] == (403, "SignatureDoesNotMatch")
    assert refusal(signed_form(PDF_OF_73, {"Content-Type": "application/pdf"}, secret="guessed"))[:2] == (403, "SignatureDoesNotMatch")
    stranger = {**form, "x-amz-credential": form["x-amz-credential"].replace("AKIDLOCAL", "AKIDOTHER")}
    assert refusal(stranger)[:2] == (403, "InvalidAccessKeyId")


def test_an_expired_policy_and_a_form_without_one_are_refused():
    form = signed_form(PDF_OF_73, {"Content-Type": "application/pdf"}, expires_in=60)
    with pytest.raises(PolicyRefusal) as refused:
        check(form, BUCKET, 73, SIGNERS, now=datetime.now(UTC) + timedelta(minutes=2))
    assert (refused.value.status, refused.value.message) == (403, "Invalid according to Policy: Policy expired.")
    assert refusal({"key": "t/t1/a.pdf", "Content-Type": "application/pdf"})[:2] == (403, "AccessDenied")
    v2 = {k: v for k, v in form.items() if not k.startswith("x-amz-")} | {"AWSAccessKeyId": "AKIDLOCAL", "signature": "x"}
    assert refusal(v2)[:2] == (400, "InvalidArgument")
