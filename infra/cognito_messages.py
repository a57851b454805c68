"""What Cognito does with a customer's forgot-password code in AWS, done locally (moto only hands
the code back in a header): invoke the pool's CustomMessage trigger as Cognito invokes it, put the
code where it left `{####}`, and send the email through SES from the pool's sender, so it lands in
/_local/outbox as it would land in the customer's mailbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from infra import template as tpl

log = logging.getLogger(__name__)

CODE = "{####}"
# Cognito's own message when the pool has no trigger (or the trigger leaves it unset).
DEFAULT_SUBJECT = "Your verification code"
DEFAULT_MESSAGE = f"Your password reset code is {CODE}. "


class CognitoMail:
    def __init__(
        self, make_client: Callable[[str], Any], pool: dict[str, str], trigger: Callable[[dict], dict] | None, default_sender: str
    ):
        """`trigger(event)`: the pool's CustomMessage function, invoked as Lambda would;
        `default_sender`: the address when the pool names none (Cognito's own, in AWS)."""
        self._cognito = make_client("cognito-idp")
        self._ses = make_client("ses")
        self.pool_id, self.client_id = pool["id"], pool["client_id"]
        self._trigger = trigger
        self._default_sender = default_sender

    def event(self, username: str, client_metadata: dict) -> tuple[dict, str]:
        """(the CustomMessage_ForgotPassword event Cognito sends the trigger, the user's email)."""
        user = self._cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        event = {
            "version": "1",
            "region": tpl.REGION,
            "userPoolId": self.pool_id,
            "userName": user["Username"],
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": self.client_id},
            "triggerSource": "CustomMessage_ForgotPassword",
            "request": {
                "userAttributes": {**attributes, "cognito:user_status": user["UserStatus"]},
                "codeParameter": CODE,
                "linkParameter": "{##Click Here##}",
                "usernameParameter": None,
                "clientMetadata": {str(k): str(v) for k, v in client_metadata.items()},
            },
            "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
        }
        return event, attributes.get("email", username)

    def send_code(self, username: str, code: str, client_metadata: dict) -> None:
        event, address = self.event(username, client_metadata)
        response = (self._trigger(event) if self._trigger else event).get("response") or {}
        message = response.get("emailMessage") or DEFAULT_MESSAGE
        if CODE not in message:  # Cognito refuses such a message (InvalidLambdaResponseException)
            log.error("the CustomMessage trigger's email has no %s: Cognito would refuse it", CODE)
            return
        configured = self._cognito.describe_user_pool(UserPoolId=self.pool_id)["UserPool"].get("EmailConfiguration", {})
        sender = configured.get("From") or self._default_sender
        self._ses.send_email(
            Source=sender,
            Destination={"ToAddresses": [address]},
            Message={
                "Subject": {"Data": response.get("emailSubject") or DEFAULT_SUBJECT, "Charset": "UTF-8"},
                "Body": {"Html": {"Data": message.replace(CODE, code), "Charset": "UTF-8"}},
            },
        )
