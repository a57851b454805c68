"""Publish the booking site to a deployed stack: what `aws s3 sync web/booking/ s3://<bucket>/booking/
--delete` would do, plus the page's config.json, written from the stack's outputs.

    python -m infra.publish_site --stack crm-prod [--region eu-west-1]

`make deploy` runs it after `sam deploy`. config.json tells the page where customers sign in:
{"cognito_endpoint": <the region's Cognito endpoint>, "client_id": <the customer pool's app client>}.
Every file is uploaded with Cache-Control: no-cache, so CloudFront revalidates it after a deploy.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path

import boto3

SITE = Path(__file__).resolve().parent.parent / "web" / "booking"
PREFIX = "booking/"
CONFIG = "config.json"


def stack_outputs(cloudformation, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def site_files(outputs: dict[str, str], site: Path = SITE) -> dict[str, tuple[bytes, str]]:
    """Object key -> (body, content type): the site's files and its config.json."""
    files = {
        PREFIX + path.relative_to(site).as_posix(): (path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        for path in sorted(site.rglob("*"))
        if path.is_file() and path.name != CONFIG
    }
    config = {"cognito_endpoint": outputs["CustomerSignInEndpoint"], "client_id": outputs["CustomerUserPoolClientId"]}
    files[PREFIX + CONFIG] = (json.dumps(config).encode(), "application/json")
    return files


def publish(s3, bucket: str, files: dict[str, tuple[bytes, str]]) -> list[str]:
    """Upload `files`, then delete what else is under booking/. Returns the keys deleted."""
    for key, (body, content_type) in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl="no-cache")
    stale = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
        for o in page.get("Contents", [])
        if o["Key"] not in files
    ]
    for i in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[i : i + 1000]], "Quiet": True})
    return stale


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the CloudFormation stack `sam deploy` made")
    parser.add_argument("--region", help="the stack's region (default: the AWS configuration's)")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack)
    files = site_files(outputs)
    stale = publish(session.client("s3"), outputs["BookingSiteBucketName"], files)
    print(
        f"published {len(files)} files to s3://{outputs['BookingSiteBucketName']}/{PREFIX} (removed {len(stale)}); site: {outputs['BookingSiteUrl']}"
    )


if __name__ == "__main__":
    main()
