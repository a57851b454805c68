"""What SES (moto) was asked to send, read as the local stack's outbox reads it."""

from __future__ import annotations

from moto.ses.models import ses_backends

from infra import template
from infra.moto_stack import _message_record


def sent() -> list[dict]:
    """Every message sent so far, oldest first: to, subject, body, attachments, list-* headers."""
    return [_message_record(m, 0) for m in ses_backends[template.ACCOUNT][template.REGION].sent_messages]
