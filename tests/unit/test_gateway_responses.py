"""API Gateway's own answers, as the template's GatewayResponses shape them (the local gateway
answers from them exactly as API Gateway would): its defaults, a type's own customisation, and the
DEFAULT_4XX / DEFAULT_5XX family's for the types left alone."""

from __future__ import annotations

import json

from infra import template
from infra.gateway_responses import GatewayResponses, customisations
from infra.http import HttpRequest

REQUEST = HttpRequest("GET", "/contacts", headers=[("Origin", "https://office.example")])


def _api(responses: dict) -> dict:
    return {"Resources": {"Api": {"Type": "AWS::Serverless::Api", "Properties": {"GatewayResponses": responses}}}}


def answer(responses: GatewayResponses, response_type: str) -> tuple[int, dict[str, str], dict]:
    reply = responses.answer(response_type, REQUEST, "req-1")
    return reply.status, dict(reply.headers), json.loads(reply.body)


def test_the_templates_answers_are_problems():
    responses = GatewayResponses.of(template.load())
    for response_type, status in (("UNAUTHORIZED", 401), ("MISSING_AUTHENTICATION_TOKEN", 404), ("DEFAULT_5XX", 502)):
        got_status, headers, body = answer(responses, response_type)
        assert got_status == status, response_type
        assert headers["Content-Type"] == "application/problem+json"
        assert body["type"] == "about:blank" and body["title"] and body.get("status", status) == status
    assert answer(responses, "DEFAULT_5XX")[2]["detail"] == "Internal server error"


def test_without_customisation_api_gateway_answers_its_defaults():
    plain = GatewayResponses.of(_api({}))
    assert answer(plain, "MISSING_AUTHENTICATION_TOKEN") == (
        403,
        {"Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException"},
        {"message": "Missing Authentication Token"},
    )
    assert answer(plain, "UNAUTHORIZED")[::2] == (401, {"message": "Unauthorized"})
    assert answer(plain, "DEFAULT_5XX")[::2] == (502, {"message": "Internal server error"})
    assert answer(plain, "REQUEST_TOO_LARGE")[::2] == (413, {"message": "Request Too Long"})


def test_a_type_left_alone_takes_its_familys_shape_and_a_customised_one_its_own():
    responses = GatewayResponses.of(
        _api(
            {
                "DEFAULT_4XX": {
                    "ResponseParameters": {"Headers": {"Content-Type": "'application/problem+json'", "X-Family": "'4xx'"}},
                    "ResponseTemplates": {
                        "application/json": '{"why":$context.error.messageString,"type":"$context.error.responseType","request":"${context.requestId}"}'
                    },
                },
                "UNAUTHORIZED": {"ResponseParameters": {"Headers": {"Access-Control-Allow-Origin": "method.request.header.Origin"}}},
            }
        )
    )
    status, headers, body = answer(responses, "MISSING_AUTHENTICATION_TOKEN")
    assert (status, headers["Content-Type"], headers["X-Family"]) == (403, "application/problem+json", "4xx")
    assert body == {"why": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "request": "req-1"}
    status, headers, body = answer(responses, "UNAUTHORIZED")  # its own settings only, the family's not mixed in
    assert (status, headers["Access-Control-Allow-Origin"], body) == (401, "https://office.example", {"message": "Unauthorized"})
    assert "X-Family" not in headers
    assert answer(responses, "DEFAULT_5XX")[::2] == (502, {"message": "Internal server error"})  # 5XX: untouched


def test_a_familys_status_code_is_every_member_left_alone():
    responses = GatewayResponses.of(_api({"DEFAULT_4XX": {"StatusCode": "400"}, "UNAUTHORIZED": {}}))
    assert answer(responses, "MISSING_AUTHENTICATION_TOKEN")[0] == 400
    assert answer(responses, "UNAUTHORIZED")[0] == 401


def test_gateway_response_resources_are_read_too():
    template_with_resource = {
        "Resources": {
            "Missing": {
                "Type": "AWS::ApiGateway::GatewayResponse",
                "Properties": {
                    "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
                    "StatusCode": "404",
                    "ResponseParameters": {"gatewayresponse.header.Cache-Control": "'no-store'"},
                },
            }
        }
    }
    assert customisations(template_with_resource)["MISSING_AUTHENTICATION_TOKEN"].status == 404
    status, headers, _ = answer(GatewayResponses.of(template_with_resource), "MISSING_AUTHENTICATION_TOKEN")
    assert (status, headers["Cache-Control"]) == (404, "no-store")
