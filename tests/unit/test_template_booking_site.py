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


def test_the_people_function_may_only_read_disable_and_delete_customer_logins():
    people = _resource("PeopleFunction")["Properties"]
    assert people["Environment"]["Variables"]["CUSTOMER_USER_POOL_ID"] == {"Ref": "CustomerUserPool"}
    cognito = [
        s
        for p in people["Policies"]
        if "Statement" in p
        for s in p["Statement"]
        if any(a.startswith("cognito-idp:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    ]
    assert len(cognito) == 1 and cognito[0]["Effect"] == "Allow"
    assert sorted(cognito[0]["Action"]) == ["cognito-idp:AdminDeleteUser", "cognito-idp:AdminDisableUser", "cognito-idp:AdminGetUser"]
    assert cognito[0]["Resource"] == {"Fn::GetAtt": ["CustomerUserPool", "Arn"]}


def test_customers_sign_in_with_the_password_flow_which_the_pages_csp_lets_it_reach():
    client = _resource("CustomerUserPoolClient")["Properties"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["GenerateSecret"] is False  # a public client: the page's calls are unsigned
    policy = _resource("BookingSiteHeaders")["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    directives = dict(d.strip().split(" ", 1) for d in policy["ContentSecurityPolicy"]["Fn::Sub"].split(";"))
    assert directives["connect-src"] == "'self' https://cognito-idp.${AWS::Region}.amazonaws.com"
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    endpoint = template.load()["Outputs"]["CustomerSignInEndpoint"]["Value"]
    assert endpoint == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/"}
