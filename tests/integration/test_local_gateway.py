"""The local API Gateway: Cognito token checks, the proxy event a function gets, its response.

Runs the whole local stack on a tiny project of its own (a template and an echo function that
records every event it receives), so it does not depend on the real functions.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
import requests

from infra.local import LocalStack

TEMPLATE = """
Parameters:
  MailFrom: {Type: String, Default: local@example.com}
  CursorSigningKey: {Type: String}
Globals:
  Function:
    MemorySize: 256
    Timeout: 7
    Environment:
      Variables:
        CALLS_DIR: %(calls)s
        TABLE_NAME: !Ref Table
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: test-pool
      UsernameAttributes: [email]
      Schema:
        - {Name: email, AttributeDataType: String, Required: true, Mutable: true}
        - {Name: tenant, AttributeDataType: String, Mutable: false}
  PoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool, ClientName: web, ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH]}
  AdminGroup:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref Pool, GroupName: admin, Precedence: 1}
  OfficeGroup:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref Pool, GroupName: office, Precedence: 2}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: CognitoAuth
        Authorizers: {CognitoAuth: {UserPoolArn: !GetAtt Pool.Arn}}
      GatewayResponses:
        UNAUTHORIZED:
          ResponseParameters: {Headers: {Content-Type: "'application/problem+json'"}}
          ResponseTemplates: {application/json: '{"type":"about:blank","title":"Unauthorized","status":401}'}
        DEFAULT_4XX:
          ResponseParameters: {Headers: {Access-Control-Allow-Origin: "'*'", X-Echo-Origin: method.request.header.Origin}}
        DEFAULT_5XX:
          ResponseParameters: {Headers: {Content-Type: "'application/problem+json'"}}
          ResponseTemplates:
            application/json: '{"title":$context.error.messageString,"request":"$context.requestId","type":"$context.error.responseType"}'
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Handler: app.handler
      Events:
        List:    {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /things}}
        Get:     {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: "/things/{thing_id}"}}
        Literal: {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /things/literal}}
        Parts:   {Type: Api, Properties: {RestApiId: !Ref Api, Method: POST, Path: "/things/{thing_id}/parts"}}
        Binary:  {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /binary}}
        Boom:    {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /boom}}
        Slow:    {Type: Api, Properties: {RestApiId: !Ref Api, Method: POST, Path: /slow}}
        Now:     {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /now, Auth: {Authorizer: NONE}}}
        Public:  {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /public, Auth: {Authorizer: NONE}}}
        Site:    {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: "/booking/sites/{slug}", Auth: {Authorizer: NONE}}}
  SleepyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/sleepy/
      Handler: app.handler
      Timeout: 1
      Layers: [!Ref ZonesLayer]
      Environment:
        Variables:
          SLEEPY_ONLY: "its own"
      Events:
        Sleep:   {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /sleep, Auth: {Authorizer: NONE}}}
  ThrottledFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Handler: app.handler
      ReservedConcurrentExecutions: 0
      Events:
        Throttled: {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /throttled, Auth: {Authorizer: NONE}}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/broken/
      Handler: app.handler
      Events:
        Broken:  {Type: Api, Properties: {RestApiId: !Ref Api, Method: GET, Path: /broken, Auth: {Authorizer: NONE}}}
  ZonesLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/zones/}
    Metadata: {BuildMethod: makefile}
  SiteHeaders:
    Type: AWS::CloudFront::ResponseHeadersPolicy
    Properties:
      ResponseHeadersPolicyConfig:
        Name: site
        SecurityHeadersConfig:
          ContentSecurityPolicy: {ContentSecurityPolicy: !Sub "default-src 'self'; connect-src 'self' https://cognito-idp.${AWS::Region}.amazonaws.com", Override: true}
          FrameOptions: {FrameOption: DENY, Override: true}
          ReferrerPolicy: {ReferrerPolicy: no-referrer, Override: false}
        CustomHeadersConfig:
          Items: [{Header: Permissions-Policy, Value: "camera=()", Override: true}]
        RemoveHeadersConfig:
          Items: [{Header: X-Single}]
  SiteDistribution:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        DefaultCacheBehavior: {TargetOriginId: site, ResponseHeadersPolicyId: !Ref SiteHeaders}
        CacheBehaviors:
          - {PathPattern: /booking/sites/*, TargetOriginId: api, ResponseHeadersPolicyId: !Ref SiteHeaders}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
"""

ECHO = """
import base64, json, os, pathlib, time, uuid

PNG = bytes(range(256))
BUSY = False  # this instance is handling an invocation


def slow():
    global BUSY
    overlapped = BUSY
    BUSY = True
    time.sleep(0.3)
    BUSY = False
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "overlapped": overlapped})}


def imports():
    found = {}
    for name in ("shapely", "yaml"):
        try:
            __import__(name)
            found[name] = True
        except ModuleNotFoundError:
            found[name] = False
    return found


def handler(event, context):
    calls = pathlib.Path(os.environ["CALLS_DIR"])
    calls.mkdir(exist_ok=True)
    (calls / f"{uuid.uuid4().hex}.json").write_text(json.dumps(event))
    if event["resource"] == "/boom":
        raise RuntimeError("boom")
    if event["resource"] == "/slow":
        return slow()
    if event["resource"] == "/now":
        from crm.platform import clock  # the layer's clock, as a function reads it
        return {"statusCode": 200, "body": json.dumps({"now": clock.now().isoformat()})}
    if event["resource"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": base64.b64encode(PNG).decode(), "isBase64Encoded": True}
    ctx = {"function_name": context.function_name, "memory_limit_in_mb": context.memory_limit_in_mb,
           "invoked_function_arn": context.invoked_function_arn, "aws_request_id": context.aws_request_id,
           "remaining_ms": context.get_remaining_time_in_millis(), "table": os.environ.get("TABLE_NAME"),
           "environment": dict(os.environ), "pid": os.getpid(), "cwd": os.getcwd(), "imports": imports()}
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Single": "one"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"event": event, "context": ctx})}
"""

SLEEPY = """
import time


def handler(event, context):
    time.sleep(5)  # past the function's 1 s timeout
    return {"statusCode": 200, "body": "woke up"}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gateway-project")
    (root / "template.yaml").write_text(TEMPLATE % {"calls": root / "calls"})
    (root / "functions" / "echo").mkdir(parents=True)
    (root / "functions" / "echo" / "app.py").write_text(textwrap.dedent(ECHO))
    (root / "layers" / "zones").mkdir(parents=True)
    (root / "layers" / "zones" / "requirements.lock").write_text("shapely==2.2.0\n")  # the venv has it, EchoFunction not the layer
    (root / "functions" / "broken").mkdir(parents=True)
    (root / "functions" / "broken" / "app.py").write_text("raise ImportError('a dependency is missing')\n")
    (root / "functions" / "sleepy").mkdir(parents=True)
    (root / "functions" / "sleepy" / "app.py").write_text(textwrap.dedent(SLEEPY))
    (root / "web" / "booking" / "assets").mkdir(parents=True)
    (root / "web" / "booking" / "index.html").write_text("<!doctype html><title>Booking</title>")
    (root / "web" / "booking" / "assets" / "app.js").write_text("console.log('booking')")
    (root / "secret.txt").write_text("not for the web")
    return root


@pytest.fixture(scope="module")
def stack(project):
    with LocalStack(port=0, state_dir=project / "state", template_path=project / "template.yaml") as s:
        yield s


@pytest.fixture(scope="module")
def token(stack) -> str:
    return stack.token("t1", "admin", "ann@example.com")


def calls(project: Path) -> int:
    return len(list((project / "calls").glob("*.json"))) if (project / "calls").exists() else 0


def get(stack, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(stack.base_url + path, headers=headers, timeout=10, **kw)


def forged(stack, **overrides) -> str:
    """A token signed with moto's own private key (so only the claim under test is wrong)."""
    from moto.utilities.utils import load_resource

    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.eu-west-1.amazonaws.com/{stack.resources.user_pool_id}",
        "aud": stack.resources.user_pool_client_id,
        "sub": "forged-sub",
        "token_use": "id",
        "custom:tenant": "t1",
        "cognito:groups": ["admin"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


# ---------------------------------------------------------------- authorizer


def test_a_valid_token_reaches_the_function_with_its_claims_as_strings(stack, token):
    r = get(stack, "/things", token)
    assert r.status_code == 201
    claims = r.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["custom:tenant"] == "t1"
    assert claims["cognito:groups"] == "admin"
    assert claims["email"] == "ann@example.com"
    assert claims["token_use"] == "id"
    assert claims["sub"] and all(isinstance(v, str) for v in claims.values())
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime()))  # "Fri Nov 27 16:07:00 UTC 2026"


def test_the_raw_token_without_bearer_is_accepted(stack, token):
    assert get(stack, "/things", headers={"Authorization": token}).status_code == 201


def test_a_role_change_shows_in_the_next_token(stack):
    office = stack.token("t1", "office", "bob@example.com")
    assert get(stack, "/things", office).json()["event"]["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "office"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda s, t: None, id="missing"),
        pytest.param(lambda s, t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), id="bad-signature"),
        pytest.param(
            lambda s, t: ".".join(
                [
                    t.split(".")[0],
                    base64.urlsafe_b64encode(
                        json.dumps({**jwt.decode(t, options={"verify_signature": False}), "custom:tenant": "t2"}).encode()
                    )
                    .decode()
                    .rstrip("="),
                    t.split(".")[2],
                ]
            ),
            id="tampered-tenant",
        ),
        pytest.param(lambda s, t: forged(s, exp=int(time.time()) - 60, iat=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda s, t: forged(s, iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"), id="other-pool"),
        pytest.param(lambda s, t: forged(s, aud="not-a-client"), id="other-client"),
        pytest.param(lambda s, t: forged(s, token_use="access"), id="access-token"),
        pytest.param(lambda s, t: "not-a-jwt", id="garbage"),
    ],
)
def test_a_bad_token_gets_401_and_the_function_is_not_called(stack, project, token, bad):
    before = calls(project)
    r = get(stack, "/things/x", bad(stack, token))
    assert r.status_code == 401
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json() == {"type": "about:blank", "title": "Unauthorized", "status": 401}
    assert calls(project) == before


def test_a_forged_token_with_every_claim_right_passes(stack):
    # proves the 401s above come from the one wrong claim, not from forging itself
    assert get(stack, "/things", forged(stack)).status_code == 201


def test_a_public_route_needs_no_token(stack):
    r = get(stack, "/public")
    assert r.status_code == 201
    assert "authorizer" not in r.json()["event"]["requestContext"]


# ---------------------------------------------------------------- routing


def test_unknown_routes_get_api_gateways_403(stack, project, token):
    before = calls(project)
    for r in (get(stack, "/nope", token), get(stack, "/things/x/y/z", token), requests.delete(stack.base_url + "/things", timeout=10)):
        assert r.status_code == 403
        assert r.json() == {"message": "Missing Authentication Token"}
        assert r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert r.headers["Access-Control-Allow-Origin"] == "*"  # the template's DEFAULT_4XX headers apply to every 4XX
    assert get(stack, "/nope", headers={"Origin": "https://app.example"}).headers["X-Echo-Origin"] == "https://app.example"
    assert calls(project) == before


def raw_http(stack, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (requests would refuse most of these) and read the answer."""
    with socket.create_connection((stack.host, stack.port), timeout=10) as conn:
        conn.sendall(request)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_methods_api_gateway_does_not_serve_get_its_403_not_an_html_501(stack, project, method):
    before = calls(project)
    target = "localhost:443" if method == "CONNECT" else "/things"
    status, headers, body = raw_http(stack, f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert (status, headers["content-type"], json.loads(body)) == (403, "application/json", {"message": "Missing Authentication Token"})
    assert calls(project) == before


def test_a_malformed_request_is_answered_in_json(stack):
    status, headers, body = raw_http(stack, b"GET /things with spaces HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status >= 400 and headers["content-type"] == "application/json" and json.loads(body)["message"]


def test_a_body_over_api_gateways_10_mb_is_refused_unread(stack, project, token):
    before = calls(project)
    r = requests.post(
        stack.base_url + "/things/t9/parts", data=b"x" * (10 * 1024 * 1024 + 1), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert r.status_code == 413 and r.json() == {"message": "Request Too Long"}
    assert calls(project) == before


def test_cors_preflight_is_answered_without_a_token(stack, project):
    before = calls(project)
    r = requests.options(
        stack.base_url + "/things/abc",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert r.status_code < 300
    assert r.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:5173")
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()
    assert calls(project) == before


def test_literal_segments_win_over_path_parameters(stack, token):
    assert get(stack, "/things/literal", token).json()["event"]["resource"] == "/things/literal"
    assert get(stack, "/things/other", token).json()["event"]["resource"] == "/things/{thing_id}"


def test_the_deployed_stage_prefix_also_works(stack, token):
    assert get(stack, "/v1/things/abc", token).json()["event"]["pathParameters"] == {"thing_id": "abc"}


# ---------------------------------------------------------------- the proxy event


def test_the_event_is_a_rest_api_proxy_event(stack, token):
    r = get(stack, "/things/a%20b?x=1&x=2&y=z&empty=", token, headers={"X-Trace": "t1"})
    event = r.json()["event"]
    assert event["resource"] == "/things/{thing_id}"
    assert event["path"] == "/things/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"thing_id": "a b"}
    assert event["queryStringParameters"] == {"x": "2", "y": "z", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["z"], "empty": [""]}
    assert event["headers"]["X-Trace"] == "t1" and event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["headers"]["Authorization"] == f"Bearer {token}"
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/things/{thing_id}" and ctx["httpMethod"] == "GET" and ctx["stage"] == "v1"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["requestId"]
    assert r.headers["x-amzn-RequestId"] == ctx["requestId"]


def test_no_query_and_no_path_parameters_are_null_like_api_gateway(stack, token):
    event = get(stack, "/things", token).json()["event"]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


def test_a_json_body_is_passed_as_text(stack, token):
    r = requests.post(stack.base_url + "/things/t9/parts", json={"name": "wheel"}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    event = r.json()["event"]
    assert json.loads(event["body"]) == {"name": "wheel"} and event["isBase64Encoded"] is False
    assert event["pathParameters"] == {"thing_id": "t9"} and event["httpMethod"] == "POST"


def test_a_binary_body_is_base64_encoded(stack, token):
    r = requests.post(
        stack.base_url + "/things/t9/parts",
        data=bytes([0xFF, 0x00, 0xFE]),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    event = r.json()["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == bytes([0xFF, 0x00, 0xFE])


def test_the_lambda_context_looks_like_lambdas(stack, token):
    ctx = get(stack, "/things", token).json()["context"]
    assert ctx["function_name"] == stack.refs["EchoFunction"]
    assert ctx["invoked_function_arn"].endswith(f":function:{stack.refs['EchoFunction']}")
    assert ctx["memory_limit_in_mb"] == 256
    assert 0 < ctx["remaining_ms"] <= 7000
    assert ctx["aws_request_id"]
    assert ctx["table"] == stack.refs["Table"]  # the function's environment, resolved from the template


# ---------------------------------------------------------------- the response


def test_status_headers_and_multi_value_headers_are_honoured(stack, token):
    r = get(stack, "/things", token)
    assert r.status_code == 201
    assert r.headers["X-Single"] == "one"
    assert r.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_a_base64_response_is_sent_as_bytes(stack, token):
    r = get(stack, "/binary", token)
    assert r.status_code == 200 and r.content == bytes(range(256))


def test_a_function_that_raises_is_a_502_from_the_templates_default_5xx(stack, token):
    r = get(stack, "/boom", token)
    assert r.status_code == 502 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json() == {"title": "Internal server error", "request": r.headers["x-amzn-RequestId"], "type": "DEFAULT_5XX"}
    # the instance that raised is still there for the next invocation, as on Lambda
    assert get(stack, "/things", token).status_code == 201


# ---------------------------------------------------------------- execution environments


def test_a_function_sees_only_its_own_environment(stack, token, monkeypatch):
    monkeypatch.setenv("DEVELOPER_SECRET", "not for functions")  # in the stack's process, not in a function's
    ctx = get(stack, "/things", token).json()["context"]
    env = ctx["environment"]
    assert env["TABLE_NAME"] == stack.refs["Table"] and env["AWS_LAMBDA_FUNCTION_NAME"] == stack.refs["EchoFunction"]
    assert env["AWS_ENDPOINT_URL"] == stack.moto_url and env["TZ"] == "UTC"
    assert "SLEEPY_ONLY" not in env and "DEVELOPER_SECRET" not in env  # another function's, the developer's
    assert ctx["pid"] != os.getpid() and Path(ctx["cwd"]) == (stack.root / "functions" / "echo").resolve()


def test_a_function_cannot_import_what_only_a_layer_it_lacks_ships(stack, token):
    imports = get(stack, "/things", token).json()["context"]["imports"]
    assert imports == {"shapely": False, "yaml": True}  # ZonesLayer is SleepyFunction's; yaml is in no layer


def test_one_invocation_at_a_time_per_instance_and_more_instances_when_they_overlap(stack, token):
    with ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(lambda _: requests.post(stack.base_url + "/slow", headers={"Authorization": f"Bearer {token}"}, timeout=30), range(6))
        )
    assert [r.status_code for r in replies] == [200] * 6
    answers = [r.json() for r in replies]
    assert not any(a["overlapped"] for a in answers)  # no instance ever ran two at once
    pids = {a["pid"] for a in answers}
    assert 1 < len(pids) <= stack.functions["EchoFunction"].max_instances
    assert stack.functions.instances()["EchoFunction"]["busy"] == 0


def test_a_function_reads_the_stacks_clock(stack):
    stack.clock.set(datetime(2031, 3, 30, 0, 59, tzinfo=UTC))
    try:
        assert get(stack, "/now").json() == {"now": "2031-03-30T00:59:00+00:00"}
    finally:
        stack.clock.reset()
    assert abs(datetime.fromisoformat(get(stack, "/now").json()["now"]) - datetime.now(UTC)) < timedelta(minutes=5)  # real time again


def test_a_function_lambda_may_not_run_is_api_gateways_500(stack, project):
    before = calls(project)
    r = get(stack, "/throttled")
    assert r.status_code == 500 and r.json()["title"] == "Internal server error" and r.json()["type"] == "DEFAULT_5XX"
    assert calls(project) == before


def test_a_function_whose_init_fails_is_a_502_every_time_and_keeps_no_instance(stack):
    for _ in range(2):  # each invocation tries the init again, as Lambda does
        assert get(stack, "/broken").status_code == 502
    assert stack.functions.instances()["BrokenFunction"] == {"instances": 0, "busy": 0}
    assert "a dependency is missing" in requests.get(stack.base_url + "/_local/health", timeout=10).json()["functions"]["BrokenFunction"]


def test_an_invocation_past_the_timeout_is_a_502_and_its_instance_is_replaced(stack):
    r = get(stack, "/sleep")
    assert r.status_code == 502 and r.json()["title"] == "Internal server error"
    assert stack.functions.instances()["SleepyFunction"] == {"instances": 0, "busy": 0}


# ---------------------------------------------------------------- /_local/token


@pytest.mark.parametrize(
    "body",
    [
        {"tenant": "t1", "role": "wizard", "email": "x@example.com"},
        {"role": "admin", "email": "x@example.com"},
        {"tenant": "t1", "role": "admin"},
        {"tenant": "t1", "role": "admin", "email": "not-an-email"},
        ["t1"],
    ],
)
def test_token_requests_are_validated(stack, body):
    r = requests.post(stack.base_url + "/_local/token", json=body, timeout=10)
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["status"] == 422


def test_a_user_keeps_its_tenant(stack):
    stack.token("t1", "admin", "carol@example.com")
    r = requests.post(stack.base_url + "/_local/token", json={"tenant": "t2", "role": "admin", "email": "carol@example.com"}, timeout=10)
    assert r.status_code == 409


def test_a_token_from_the_route_works_on_the_api(stack):
    r = requests.post(stack.base_url + "/_local/token", json={"tenant": "t3", "role": "office", "email": "dan@example.com"}, timeout=10)
    assert r.status_code == 200
    claims = get(stack, "/things", r.json()["token"]).json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["custom:tenant"] == "t3" and claims["cognito:groups"] == "office"


def test_tokens_stay_valid_after_a_restart(stack, token):
    sub = get(stack, "/things", token).json()["event"]["requestContext"]["authorizer"]["claims"]["sub"]
    stack.restart()
    assert get(stack, "/things", token).status_code == 201
    fresh = stack.token("t1", "admin", "ann@example.com")  # the restored user keeps its sub
    assert get(stack, "/things", fresh).json()["event"]["requestContext"]["authorizer"]["claims"]["sub"] == sub


# ---------------------------------------------------------------- the booking site (web/booking/)


def test_a_booking_slug_gets_the_booking_page(stack):
    r = get(stack, "/booking/acme-plumbing")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<title>Booking</title>" in r.text


def test_booking_assets_are_served_with_their_type(stack):
    r = get(stack, "/booking/assets/app.js")
    assert r.status_code == 200 and "javascript" in r.headers["Content-Type"]
    assert r.text == "console.log('booking')"


def test_the_booking_site_gets_the_distributions_headers_and_the_api_does_not(stack, token):
    page, api_answer, api = get(stack, "/booking/acme-plumbing"), get(stack, "/booking/sites/acme"), get(stack, "/things", token)
    for r in (page, api_answer):  # the site and the API paths behind the distribution
        assert r.headers["Content-Security-Policy"] == "default-src 'self'; connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com"
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["Permissions-Policy"] == "camera=()"
    assert "X-Single" not in api_answer.headers and api_answer.status_code == 201  # removed by the policy
    assert "Content-Security-Policy" not in api.headers and api.headers["X-Single"] == "one"  # the API's own URL


def test_a_header_the_policy_does_not_override_is_left_as_the_origin_sent_it(stack):
    from infra.edge import Distribution
    from infra.http import HttpRequest, HttpResponse

    site = Distribution.from_template("/booking", stack.refs, stack.template)
    answer = site.apply(
        HttpRequest("GET", "/booking/sites/x"), HttpResponse(200, [("Referrer-Policy", "origin"), ("X-Frame-Options", "SAMEORIGIN")])
    )
    assert answer.header("Referrer-Policy") == "origin" and answer.header("X-Frame-Options") == "DENY"


def test_missing_booking_files_and_escapes_are_404(stack):
    assert get(stack, "/booking/assets/missing.css").status_code == 404
    assert get(stack, "/booking/..%2F..%2Fsecret.txt").status_code == 404
    assert "not for the web" not in get(stack, "/booking/../secret.txt").text


# ---------------------------------------------------------------- the HTTP server


def test_a_burst_of_connections_waits_in_the_backlog_instead_of_being_refused():
    from infra.http import HttpResponse
    from infra.http_server import GatewayServer

    server = GatewayServer("127.0.0.1", 0)  # bound and listening, not serving yet: every connection queues
    burst = []
    try:
        for _ in range(24):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=1)  # a backlog of 5 lets 6 in
            conn.sendall(b"GET /_local/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            burst.append(conn)
        server.start(lambda request: HttpResponse(200, [("Content-Type", "text/plain")], b"ok"))
        for conn in burst:
            conn.settimeout(10)
            assert conn.recv(1024).startswith(b"HTTP/1.1 200 ")
    finally:
        for conn in burst:
            conn.close()
        server.stop()
