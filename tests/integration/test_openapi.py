"""The OpenAPI document tells the truth about the API: every route of the template, its security,
short stable operation ids, one tag per context, and every status each route can answer with the
schema and media type of its body (the fuzzer, tests/e2e/test_api_fuzz.py, checks the answers)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from infra import template
from infra.gateway import api_routes
from infra.openapi import merged_openapi, operation_id
from tests.support.lambdas import module

FUNCTIONS = sorted({r.function for r in template.routes()})


@pytest.fixture(scope="module")
def spec() -> dict:
    return merged_openapi({logical_id: module(logical_id) for logical_id in FUNCTIONS})


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _contract(method: str, path: str):
    route = next(r for r in template.routes() if (r.method, r.path) == (method, path))
    return module(route.function).api.contracts[(method, path)]


def test_it_is_a_valid_openapi_31_document_of_every_route(spec):
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert {(m, p) for m, p, _ in _operations(spec)} == {(r.method, r.path) for r in template.routes()}


def test_a_client_finds_the_api_relative_to_the_document_under_its_own_title(spec):
    assert spec["servers"] == [{"url": "/"}]
    assert spec["info"]["title"] == "CRM API"


def test_operation_ids_are_the_template_events_names(spec):
    events = {(r.method, r.path): r.event for r in template.routes()}
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids))
    for method, path, operation in _operations(spec):
        assert operation["operationId"] == operation_id(events[(method, path)])
    assert operation_id("CreateContact") == "createContact"


def test_each_operation_requires_the_scheme_api_gateway_puts_in_front_of_it(spec):
    authorizers = {(r.method, r.path): r.authorizer for r in api_routes()}
    for method, path, operation in _operations(spec):
        expected = [{authorizers[(method, path)]: []}] if authorizers[(method, path)] else []
        assert operation["security"] == expected, f"{method} {path}"
    assert spec["paths"]["/booking/sites/{slug}"]["get"]["security"] == []
    assert spec["paths"]["/booking/sites/{slug}/jobs"]["get"]["security"] == [{"CustomerAuth": []}]
    assert spec["paths"]["/contacts"]["post"]["security"] == [{"CognitoAuth": []}]
    assert set(spec["components"]["securitySchemes"]) == {"CognitoAuth", "CustomerAuth"}


def test_one_tag_per_context(spec):
    tags = [t["name"] for t in spec["tags"]]
    assert sorted(tags) == sorted(module(f).api.service for f in FUNCTIONS)
    for method, path, operation in _operations(spec):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, f"{method} {path}"


def test_errors_are_rfc_9457_problems_and_successes_have_their_real_schema(spec):
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(spec["components"]["schemas"])
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            code = int(status)
            if code == 204:
                assert "content" not in response, f"{method} {path} {status}"
            elif code >= 400:
                assert response["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            else:
                assert response["content"], f"{method} {path} {status} has no content"
                for media_type, content in response["content"].items():
                    assert content["schema"], f"{method} {path} {status} {media_type} has an empty schema"


def test_the_unsubscribe_link_opens_a_page_and_its_post_answers_json_or_a_page(spec):
    """A GET changes nothing (mail scanners follow links): it is a page whose form POSTs (RFC 8058)."""
    paths = spec["paths"]["/reports/unsubscribe"]
    assert set(paths["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert set(paths["post"]["responses"]["200"]["content"]) == {"application/json", "text/html"}


def test_every_status_a_route_can_answer_is_listed(spec):
    for method, path, operation in _operations(spec):
        statuses = {int(s) for s in operation["responses"]}
        contract = _contract(method, path)
        assert {429, 503} <= statuses
        if operation["security"]:
            assert {401, 403} <= statuses, f"{method} {path}"
        if "{" in path:
            assert 404 in statuses, f"{method} {path}"
        if contract.body is not None:
            assert {413, 415, 422} <= statuses, f"{method} {path}"
        if method == "POST":
            assert {409, 422} <= statuses, f"{method} {path}"
            assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"]), f"{method} {path}"
        if contract.location:
            assert 201 in statuses and "Location" in operation["responses"]["201"]["headers"]
        if contract.if_match:
            header = next(p for p in operation["parameters"] if p["name"] == "If-Match")
            assert header["required"] == (contract.if_match == "required")
            assert 412 in statuses and (428 in statuses) == header["required"], f"{method} {path}"


def test_creates_answer_201_and_deletes_204(spec):
    for method, path, operation in _operations(spec):
        statuses = {int(s) for s in operation["responses"] if int(s) < 300}
        if method == "DELETE":
            assert statuses == {204}, f"{method} {path}"
        if re.search(r"^Create|^Invite|Request$", operation["operationId"], re.IGNORECASE):
            assert 201 in statuses, f"{method} {path}"
