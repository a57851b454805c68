"""Export files do not outlive their purpose: each is tagged when written, and the attachments
bucket's lifecycle (template.yaml) deletes what carries that tag, every version, within days: GDPR
exports, and the files every other export publishes (crm.platform.files: documents lists,
opportunity selections, reports)."""

from __future__ import annotations

import boto3

from infra import template
from tests.support.lambdas import call


def _expires_within_days(bucket: str, key: str, days: int) -> bool:
    tags = boto3.client("s3").get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    rules = template.load()["Resources"]["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [r for r in rules if r["Status"] == "Enabled" and r.get("TagFilters") and all(t in tags for t in r["TagFilters"])]
    return (
        len(expiring) == 1
        and expiring[0]["ExpirationInDays"] <= days
        and expiring[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= days
    )


def test_an_export_file_carries_the_tag_the_buckets_lifecycle_expires_within_days(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe", "email": "jane@acme.test"}).json
    assert call("POST", f"/persons/{person['id']}/export", role="admin", body={}).status == 200

    s3 = boto3.client("s3")
    (written,) = s3.list_objects_v2(Bucket=aws["AttachmentsBucket"], Prefix=f"t/t1/exports/persons/{person['id']}/")["Contents"]
    assert _expires_within_days(aws["AttachmentsBucket"], written["Key"], 7)


def test_a_published_export_file_expires_the_day_after_its_link(aws):
    period = {"from_month": "2027-01", "to_month": "2027-03", "format": "csv"}
    assert call("GET", "/reports/opportunity-projection", query=period).status == 200
    (written,) = boto3.client("s3").list_objects_v2(Bucket=aws["AttachmentsBucket"], Prefix="t/t1/exports/reports/")["Contents"]
    assert _expires_within_days(aws["AttachmentsBucket"], written["Key"], 1)
