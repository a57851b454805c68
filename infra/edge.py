"""The booking site's CloudFront distribution, as a browser sees it: the response headers it adds.

In AWS the site and its API paths (`/booking/sites/*`) are served through a CloudFront
distribution whose cache behaviours each name a response headers policy (HSTS, the CSP, nosniff,
framing, referrer...). Locally the stack serves the same paths itself; `Distribution` reads the
behaviours and their policies from the template and applies them to those responses, so the
booking site runs under the very headers it gets in AWS, and follows any change to the policy.

A policy's SecurityHeadersConfig, CustomHeadersConfig and RemoveHeadersConfig are applied, with
CloudFront's Override rule (override: replace what the origin sent; otherwise add the header only
when the origin did not send it). CORS and Server-Timing settings are not emulated (a warning says
so if the template ever uses them).
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass

from infra import template as tpl
from infra.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeaderRule:
    name: str
    value: str
    override: bool


@dataclass(frozen=True)
class Behaviour:
    path_pattern: str  # "*" for the default behaviour
    add: tuple[HeaderRule, ...] = ()
    remove: tuple[str, ...] = ()

    def apply(self, response: HttpResponse) -> HttpResponse:
        headers = [(k, v) for k, v in response.headers if k.lower() not in {r.lower() for r in self.remove}]
        for rule in self.add:
            present = any(k.lower() == rule.name.lower() for k, _ in headers)
            if rule.override:
                headers = [(k, v) for k, v in headers if k.lower() != rule.name.lower()] + [(rule.name, rule.value)]
            elif not present:
                headers.append((rule.name, rule.value))
        return HttpResponse(response.status, headers, response.body)


def security_headers(config: dict) -> list[HeaderRule]:
    """The headers a policy's SecurityHeadersConfig adds."""
    rules = []
    if "StrictTransportSecurity" in config:
        hsts = config["StrictTransportSecurity"]
        value = (
            f"max-age={hsts['AccessControlMaxAgeSec']}"
            + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
            + ("; preload" if hsts.get("Preload") else "")
        )
        rules.append(HeaderRule("Strict-Transport-Security", value, bool(hsts.get("Override"))))
    if "ContentTypeOptions" in config:
        rules.append(HeaderRule("X-Content-Type-Options", "nosniff", bool(config["ContentTypeOptions"].get("Override"))))
    if "FrameOptions" in config:
        frame = config["FrameOptions"]
        rules.append(HeaderRule("X-Frame-Options", frame["FrameOption"], bool(frame.get("Override"))))
    if "ReferrerPolicy" in config:
        referrer = config["ReferrerPolicy"]
        rules.append(HeaderRule("Referrer-Policy", referrer["ReferrerPolicy"], bool(referrer.get("Override"))))
    if "ContentSecurityPolicy" in config:
        csp = config["ContentSecurityPolicy"]
        rules.append(HeaderRule("Content-Security-Policy", csp["ContentSecurityPolicy"], bool(csp.get("Override"))))
    if "XSSProtection" in config:
        xss = config["XSSProtection"]
        value = "0"
        if xss.get("Protection"):
            value = (
                "1" + ("; mode=block" if xss.get("ModeBlock") else "") + (f"; report={xss['ReportUri']}" if xss.get("ReportUri") else "")
            )
        rules.append(HeaderRule("X-XSS-Protection", value, bool(xss.get("Override"))))
    return rules


def _policy(logical_id: str, config: dict) -> tuple[tuple[HeaderRule, ...], tuple[str, ...]]:
    for unsupported in ("CorsConfig", "ServerTimingHeadersConfig"):
        if unsupported in config:
            log.warning("response headers policy %s: %s is not emulated locally", logical_id, unsupported)
    add = security_headers(config.get("SecurityHeadersConfig") or {})
    add += [
        HeaderRule(item["Header"], str(item["Value"]), bool(item.get("Override")))
        for item in (config.get("CustomHeadersConfig") or {}).get("Items", [])
    ]
    remove = tuple(item["Header"] for item in (config.get("RemoveHeadersConfig") or {}).get("Items", []))
    return tuple(add), remove


class Distribution:
    """The paths a distribution serves locally (under `prefix`), each with its behaviour's policy."""

    def __init__(self, prefix: str, behaviours: list[Behaviour]):
        self.prefix = prefix.rstrip("/")
        self.behaviours = behaviours  # the cache behaviours in order, the default one last

    @classmethod
    def from_template(cls, prefix: str, refs: dict[str, str], template: dict) -> Distribution | None:
        """The template's first CloudFront distribution (None if it has none)."""
        distributions = tpl.resources("AWS::CloudFront::Distribution", template)
        if not distributions:
            return None
        config = next(iter(distributions.values()))["Properties"]["DistributionConfig"]
        policies = {
            logical_id: _policy(logical_id, tpl.resolve(res["Properties"]["ResponseHeadersPolicyConfig"], refs, template))
            for logical_id, res in tpl.resources("AWS::CloudFront::ResponseHeadersPolicy", template).items()
        }

        def behaviour(pattern: str, spec: dict) -> Behaviour:
            ref = spec.get("ResponseHeadersPolicyId")
            add, remove = policies.get(ref.get("Ref", "") if isinstance(ref, dict) else "", ((), ()))
            return Behaviour(pattern, add, remove)

        ordered = [behaviour(b["PathPattern"], b) for b in config.get("CacheBehaviors", [])]
        return cls(prefix, [*ordered, behaviour("*", config["DefaultCacheBehavior"])])

    def serves(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def behaviour_for(self, path: str) -> Behaviour:
        """CloudFront's choice: the first behaviour whose pattern matches, else the default."""
        return next(b for b in self.behaviours if b.path_pattern == "*" or fnmatch.fnmatchcase(path, b.path_pattern))

    def apply(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not self.serves(request.path):
            return response
        return self.behaviour_for(request.path).apply(response)
