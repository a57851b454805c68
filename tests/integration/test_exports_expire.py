"""GDPR export files do not outlive their purpose: each is tagged when written, and the attachments
bucket's lifecycle (template.yaml) deletes what carries that tag, every version, within days."""

from __future__ import annotations

import boto3

from infra import template
from tests.support.lambdas import call


def test_an_export_file_carries_the_tag_the_buckets_lifecycle_expires_within_days(aws):
    group = call("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
    contact = call("POST", "/contacts", body={"name": "ABC SA", "group_id": group}).json
    person = call("POST", f"/contacts/{contact['id']}/persons", body={"name": "Jane Doe", "email": "jane@acme.test"}).json
    assert call("POST", f"/persons/{person['id']}/export", role="admin", body={}).status == 200

    s3 = boto3.client("s3")
    (written,) = s3.list_objects_v2(Bucket=aws["AttachmentsBucket"], Prefix=f"t/t1/exports/persons/{person['id']}/")["Contents"]
    tags = s3.get_object_tagging(Bucket=aws["AttachmentsBucket"], Key=written["Key"])["TagSet"]

    rules = template.load()["Resources"]["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [r for r in rules if r["Status"] == "Enabled" and r.get("TagFilters") and all(t in tags for t in r["TagFilters"])]
    assert len(expiring) == 1 and expiring[0]["ExpirationInDays"] <= 7 and expiring[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7
