"""`make deploy`'s last step (infra/publish_site.py): web/booking/ and its config.json into the
stack's BookingSiteBucket under booking/, as `aws s3 sync --delete` would, from the stack's outputs."""

from __future__ import annotations

import json

import boto3

from infra import publish_site, template

OUTPUTS = {
    "CustomerSignInEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
    "CustomerUserPoolClientId": "client123",
    "BookingSiteBucketName": "site-bucket",
    "BookingSiteUrl": "https://d111.cloudfront.net/booking",
}


def test_the_site_and_a_config_from_the_stacks_outputs_land_under_booking(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="site-bucket", CreateBucketConfiguration={"LocationConstraint": template.REGION})
    s3.put_object(Bucket="site-bucket", Key="booking/old.js", Body=b"stale")
    s3.put_object(Bucket="site-bucket", Key="elsewhere/keep.txt", Body=b"not ours")

    stale = publish_site.publish(s3, "site-bucket", publish_site.site_files(OUTPUTS))

    assert stale == ["booking/old.js"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="site-bucket")["Contents"]}
    site = {"index.html", "app.js", "cognito.js", "i18n.js", "style.css", "locale/fr.json", "config.json"}
    assert keys == {f"booking/{name}" for name in site} | {"elsewhere/keep.txt"}
    config = s3.get_object(Bucket="site-bucket", Key="booking/config.json")
    assert json.loads(config["Body"].read()) == {
        "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        "client_id": "client123",
    }
    page = s3.get_object(Bucket="site-bucket", Key="booking/index.html")
    assert page["ContentType"] == "text/html" and page["CacheControl"] == "no-cache"
    assert s3.get_object(Bucket="site-bucket", Key="booking/app.js")["ContentType"] in ("text/javascript", "application/javascript")
    assert s3.get_object(Bucket="site-bucket", Key="booking/locale/fr.json")["ContentType"] == "application/json"  # the French texts


def test_the_outputs_it_reads_are_the_templates():
    outputs = template.load()["Outputs"]
    assert {"CustomerSignInEndpoint", "CustomerUserPoolClientId", "BookingSiteBucketName", "BookingSiteUrl"} <= set(outputs)
