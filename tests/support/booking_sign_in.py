"""A booking-site customer signs in over HTTP as the page does (web/booking/app.js): read
/booking/config.json, then Cognito's JSON API at its endpoint (InitiateAuth, USER_PASSWORD_AUTH;
RespondToAuthChallenge for a first sign-in's NEW_PASSWORD_REQUIRED)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urljoin

import requests


@dataclass
class SignIn:
    token: str | None  # the ID token, signed in
    code: str | None = None  # else why: Cognito's error name, or NEW_PASSWORD_REQUIRED
    status: int = 200


def _cognito(endpoint: str, action: str, body: dict) -> tuple[int, dict]:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}"}
    reply = requests.post(endpoint, data=json.dumps(body), headers=headers, timeout=15)
    return reply.status_code, reply.json() if reply.content else {}


def sign_in(base_url: str, email: str, password: str, new_password: str | None = None) -> SignIn:
    config = requests.get(f"{base_url}/booking/config.json", timeout=15).json()
    endpoint, client_id = urljoin(base_url + "/", config["cognito_endpoint"]), config["client_id"]
    status, result = _cognito(
        endpoint,
        "InitiateAuth",
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": {"USERNAME": email, "PASSWORD": password}},
    )
    if status == 200 and result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        if not new_password:
            return SignIn(None, "NEW_PASSWORD_REQUIRED")
        params = result.get("ChallengeParameters") or {}
        status, result = _cognito(
            endpoint,
            "RespondToAuthChallenge",
            {
                "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "ClientId": client_id,
                "Session": result["Session"],
                "ChallengeResponses": {
                    "USERNAME": params.get("USER_ID_FOR_SRP") or params.get("USERNAME") or email,
                    "NEW_PASSWORD": new_password,
                },
            },
        )
    if status != 200:
        return SignIn(None, str(result.get("__type", "")).split("#")[-1], status)
    return SignIn(result["AuthenticationResult"]["IdToken"])
