"""What template.yaml promises the booking site in AWS, read from the template itself: the headers
CloudFront adds, how customers sign in, and who may revoke their logins."""
from __future__ import annotations

from infra import template


def _resource(logical_id: str) -> dict:
    return template.load()["Resources"][logical_id]


def _behaviours() -> list[dict]:
    config = _resource("BookingSiteDistribution")["Properties"]["DistributionConfig"]
    return [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]


def test_every_booking_site_response_carries_the_security_headers():
    headers = _resource("BookingSiteHeaders")["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert all(b.get("ResponseHeadersPolicyId") == {"Ref": "BookingSiteHeaders"} for b in _behaviours())
