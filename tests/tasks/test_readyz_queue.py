"""Issue #16 (moved to /readyz by issue #23): /readyz reports the task queue's depth and the age
of its oldest ready task, and answers 503 (in the error shape) once that age passes
TASK_HEALTH_MAX_LAG_SECONDS."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.services import request_password_reset, resend_confirmation
from accounts.tasks import send_password_reset_email
from tests.errors import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def operators(settings):
    """The test client calls from 127.0.0.1: the metrics audience, who read /readyz's details."""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def test_readyz_reports_depth_and_lag_and_turns_unhealthy_past_the_limit(
    api_client, settings, run_tasks
):
    settings.TASK_HEALTH_MAX_LAG_SECONDS = 60
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        body = api_client.get("/readyz").json()
        assert body["tasks"] == {
            "ready": 0,
            "oldest_ready_age_seconds": None,
            "max_lag_seconds": 60,
        }
        request_password_reset(email="a@example.com")
        clock.shift(timedelta(seconds=20))
        resend_confirmation(email="b@example.com")
        # Deferred: not ready (not counted) until its time, then as old as the time since.
        send_password_reset_email.using(run_after=now + timedelta(seconds=50)).enqueue(
            email="c@example.com"
        )
        clock.shift(timedelta(seconds=10))
        tasks = api_client.get("/readyz").json()["tasks"]
        assert (tasks["ready"], tasks["oldest_ready_age_seconds"]) == (2, 30.0)

        clock.shift(timedelta(seconds=31))
        response = api_client.get("/readyz")
        body = assert_error(response, 503, "tasks_lagging")
        assert "61 s" in body["errors"][0]["detail"]
        assert "3 task(s)" in body["errors"][0]["detail"]

        assert run_tasks() == 3
        assert api_client.get("/readyz").json()["tasks"]["ready"] == 0


def test_a_deferred_task_counts_from_its_run_after(api_client, settings):
    settings.TASK_HEALTH_MAX_LAG_SECONDS = 60
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        send_password_reset_email.using(run_after=now + timedelta(hours=1)).enqueue(
            email="later@example.com"
        )
        clock.shift(timedelta(hours=1, seconds=45))
        tasks = api_client.get("/readyz").json()["tasks"]
        assert (tasks["ready"], tasks["oldest_ready_age_seconds"]) == (1, 45.0)
