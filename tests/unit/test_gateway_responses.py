"""API Gateway's own answers: its defaults, and the template's customisations (read from it)."""

from __future__ import annotations

import json

from infra.gateway_responses import GatewayResponses, customisations
from infra.http import HttpRequest

REQUEST = HttpRequest("GET", "/contacts", headers=[("Origin", "https://office.example")])


def answer(responses: GatewayResponses, response_type: str) -> tuple[int, dict[str, str], dict]:
    reply = responses.answer(response_type, REQUEST, "req-1")
    return reply.status, dict(reply.headers), json.loads(reply.body)


def test_without_customisation_api_gateway_answers_its_defaults():
    plain = GatewayResponses()
    assert answer(plain, "MISSING_AUTHENTICATION_TOKEN") == (
        403,
        {"Content-Type": "application/json", "x-amzn-ErrorType": "MissingAuthenticationTokenException"},
        {"message": "Missing Authentication Token"},
    )
    assert answer(plain, "UNAUTHORIZED")[::2] == (401, {"message": "Unauthorized"})
    assert answer(plain, "DEFAULT_5XX")[::2] == (502, {"message": "Internal server error"})
    assert answer(plain, "REQUEST_TOO_LARGE")[::2] == (413, {"message": "Request Too Long"})


def test_a_type_without_its_own_customisation_falls_back_to_its_class_default():
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "GatewayResponses": {
                        "DEFAULT_4XX": {
                            "StatusCode": 400,
                            "ResponseParameters": {"Headers": {"Content-Type": "'application/problem+json'", "Vary": "'Origin'"}},
                            "ResponseTemplates": {
                                "application/json": '{"title":$context.error.messageString,"type":"$context.error.responseType"}'
                            },
                        },
                        "UNAUTHORIZED": {
                            "ResponseParameters": {"Headers": {"Access-Control-Allow-Origin": "method.request.header.Origin"}}
                        },
                    }
                },
            }
        }
    }
    custom = GatewayResponses.of(template)
    status, headers, body = answer(custom, "MISSING_AUTHENTICATION_TOKEN")
    assert (status, headers["Content-Type"], headers["Vary"]) == (400, "application/problem+json", "Origin")
    assert body == {"title": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}
    status, headers, body = answer(custom, "UNAUTHORIZED")  # its own header, the class's template and status
    assert (status, headers["Access-Control-Allow-Origin"], body["title"]) == (400, "https://office.example", "Unauthorized")
    assert answer(custom, "DEFAULT_5XX")[::2] == (502, {"message": "Internal server error"})  # 5XX: untouched


def test_gateway_response_resources_are_read_too():
    template = {
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
    assert customisations(template)["MISSING_AUTHENTICATION_TOKEN"].status == 404
    status, headers, _ = answer(GatewayResponses.of(template), "MISSING_AUTHENTICATION_TOKEN")
    assert (status, headers["Cache-Control"]) == (404, "no-store")
