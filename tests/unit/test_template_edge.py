"""The deployed stack's edge and audit trails, read from template.yaml with its conditions resolved
for the parameters an operator gives: the booking site's domain, TLS and web ACL, the attachments
bucket's CORS and access logs, the API's access logs."""

from __future__ import annotations

import json

from infra import template

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _distribution(**parameters: str) -> dict:
    refs = template.local_refs(parameters)
    return template.resolve(template.load()["Resources"]["BookingSiteDistribution"]["Properties"]["DistributionConfig"], refs)


def test_with_a_custom_domain_the_site_requires_tls_1_2_on_its_certificate():
    config = _distribution(BookingSiteDomain="booking.example.com", BookingSiteCertificateArn=CERTIFICATE)
    assert config["Aliases"] == ["booking.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    refs = template.local_refs({"BookingSiteDomain": "booking.example.com", "BookingSiteCertificateArn": CERTIFICATE})
    url = template.resolve(template.load()["Resources"]["BookingSiteUrlParameter"]["Properties"]["Value"], refs)
    assert url == "https://booking.example.com/booking"  # invitations link to the custom domain


def test_without_one_it_keeps_cloudfronts_own_name_and_certificate():
    config = _distribution()
    assert "Aliases" not in config and config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    rule = template.load()["Rules"]["BookingSiteDomainHasCertificate"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "BookingSiteCertificateArn"}, ""]}]}


def test_the_web_acl_is_optional_and_rate_limits_each_address_on_the_booking_api():
    assert "WebACLId" not in _distribution()
    assert _distribution(BookingSiteWaf="create")["WebACLId"].endswith("BookingSiteWebAcl")
    acl = template.load()["Resources"]["BookingSiteWebAcl"]
    assert acl["Condition"] == "CreateBookingSiteWaf" and acl["Properties"]["Scope"] == "CLOUDFRONT"
    (rule,) = acl["Properties"]["Rules"]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}} and rate["AggregateKeyType"] == "IP" and rate["Limit"] == {"Ref": "BookingSiteRateLimit"}
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["PositionalConstraint"], match["SearchString"], match["FieldToMatch"]) == (
        "STARTS_WITH",
        "/booking/sites/",
        {"UriPath": {}},
    )
    paths = [b["PathPattern"] for b in _distribution()["CacheBehaviors"]]
    assert "/booking/sites/*" in paths  # the paths the rule guards are the ones CloudFront sends to the API


def test_the_attachments_bucket_answers_cors_for_the_web_client_only():
    bucket = template.load()["Resources"]["AttachmentsBucket"]["Properties"]
    refs = template.local_refs({"WebClientOrigin": "https://crm.acme.test"})
    (rule,) = template.resolve(bucket["CorsConfiguration"], refs)["CorsRules"]
    assert rule["AllowedOrigins"] == ["https://crm.acme.test"]
    assert template.load()["Parameters"]["WebClientOrigin"]["AllowedPattern"] == "https://[^/]+"  # never *, never http


def test_both_buckets_log_every_request_to_a_private_log_bucket_kept_a_year():
    resources = template.load()["Resources"]
    for bucket in ("AttachmentsBucket", "BookingSiteBucket"):
        assert resources[bucket]["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    logs = resources["AccessLogsBucket"]["Properties"]
    assert all(logs["PublicAccessBlockConfiguration"].values())
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
    (grant,) = [s for s in resources["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"} and grant["Action"] == "s3:PutObject"


def test_api_access_logs_are_json_lines_naming_who_and_what_but_no_body():
    setting = template.load()["Resources"]["Api"]["Properties"]["AccessLogSetting"]
    fields = json.loads(setting["Format"])
    assert set(fields) >= {"request_id", "tenant", "principal", "route", "status", "latency_ms"}
    assert fields["tenant"] == "$context.authorizer.claims['custom:tenant']" and fields["principal"] == "$context.authorizer.claims.sub"
    assert not any(v for v in fields.values() if "body" in v or "querystring" in v.lower() or "identity.sourceIp" in v)
    group = template.load()["Resources"]["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
