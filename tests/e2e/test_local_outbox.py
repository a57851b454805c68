"""The outbox's re-drive on the local stack: the template's schedule is listed at
/_local/schedules, every 5 minutes, and running it by hand with nothing pending does nothing."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_the_outbox_redrive_is_scheduled_every_five_minutes(stack):
    listed = requests.get(f"{stack.base_url}/_local/schedules", timeout=10).json()["schedules"]
    (redrive,) = [s for s in listed if s["target"] == "OutboxFunction"]
    assert redrive["key"] == "template:OutboxFunction/RedriveEvents" and redrive["source"] == "template"
    assert redrive["expression"] == "rate(5 minutes)" and redrive["state"] == "ENABLED" and redrive["next_run"]

    ran = requests.post(f"{stack.base_url}/_local/schedules/RedriveEvents/run", timeout=30)
    assert ran.status_code == 200, ran.text
    after = {s["key"]: s for s in requests.get(f"{stack.base_url}/_local/schedules", timeout=10).json()["schedules"]}
    assert after[redrive["key"]]["last_run"] and after[redrive["key"]]["failures"] == 0
