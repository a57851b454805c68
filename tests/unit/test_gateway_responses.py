"""API Gateway's own answers, as the template's GatewayResponses shape them (the local gateway
answers from them exactly as API Gateway would)."""

from __future__ import annotations

import json

from infra import template
from infra.gateway import GatewayResponses


def _api(responses: dict) -> dict:
    return {"Resources": {"Api": {"Type": "AWS::Serverless::Api", "Properties": {"GatewayResponses": responses}}}}


def test_the_templates_answers_are_problems():
    responses = GatewayResponses(template.load())
    for response_type, status in (("UNAUTHORIZED", 401), ("MISSING_AUTHENTICATION_TOKEN", 404), ("DEFAULT_5XX", 502)):
        answer = responses.respond(response_type, "req-1")
        body = json.loads(answer.body)
        assert answer.status == status, response_type
        assert answer.header("Content-Type") == "application/problem+json"
        assert body["type"] == "about:blank" and body["title"] and body.get("status", status) == status
    assert json.loads(responses.respond("DEFAULT_5XX").body)["detail"] == "Internal server error"


def test_a_type_left_alone_takes_its_familys_shape_with_its_own_status():
    family = {
        "DEFAULT_4XX": {
            "ResponseParameters": {"Headers": {"X-Family": "'4xx'"}},
            "ResponseTemplates": {"application/json": '{"why":$context.error.messageString,"type":"$context.error.responseType"}'},
        }
    }
    answer = GatewayResponses(_api(family)).respond("MISSING_AUTHENTICATION_TOKEN")
    assert answer.status == 403 and answer.header("X-Family") == "4xx"
    assert json.loads(answer.body) == {"why": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}


def test_without_gateway_responses_api_gateways_own_answers():
    answer = GatewayResponses(_api({})).respond("UNAUTHORIZED")
    assert (answer.status, answer.header("Content-Type"), json.loads(answer.body)) == (401, "application/json", {"message": "Unauthorized"})
    assert answer.header("x-amzn-ErrorType") == "UnauthorizedException"
