"""Issue #23.4: /healthz says the process is alive and touches nothing else; /readyz says
whether it can do its work (database reachable, migrations applied, queue lag under the
limit) and otherwise answers 503 in the one error shape naming each thing that is not ready."""

from datetime import timedelta

import pytest
import time_machine
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.services import resend_confirmation
from common.readiness import migrations_on_disk
from tests.errors import assert_error, assert_error_shape
from tests.servers import call, gunicorns

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def operators(settings):
    """The test client calls from 127.0.0.1: the metrics audience, who read /readyz's details."""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def test_healthz_is_alive_without_a_single_query(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_migrations_and_queue_in_three_queries(
    api_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = api_client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["migrations"] == {"applied": len(migrations_on_disk()), "unapplied": 0}
    assert body["migrations"]["applied"] > 100
    assert body["tasks"]["ready"] == 0


def test_an_unapplied_migration_makes_the_server_not_ready(api_client):
    MigrationRecorder.Migration.objects.filter(app="loyalty", name="0001_initial").delete()
    body = assert_error(api_client.get("/readyz"), 503, "migrations_pending")
    assert body["type"] == "server_error"
    assert "1 migration(s) not applied: loyalty.0001_initial" in body["errors"][0]["detail"]
    assert api_client.get("/healthz").status_code == 200  # alive all the same


def test_every_problem_is_named_in_one_answer(api_client, settings):
    settings.TASK_HEALTH_MAX_LAG_SECONDS = 60
    MigrationRecorder.Migration.objects.filter(app="records").delete()
    resend_confirmation(email="nobody@example.com")  # a task nobody runs
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = api_client.get("/readyz")
    body = assert_error_shape(response)
    assert response.status_code == 503
    codes = [error["code"] for error in body["errors"]]
    assert codes == ["migrations_pending", "tasks_lagging"]
    assert "records.0001_initial" in body["errors"][0]["detail"]


def test_probes_are_never_throttled_or_stored(api_client):
    for _ in range(30):
        for path in ("/healthz", "/readyz"):
            response = api_client.get(path)
            assert response.status_code == 200
            assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_a_server_whose_database_is_down_is_alive_but_not_ready():
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    down = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/careslot"}
    with gunicorns(1, env=down) as (server,):
        assert call(server.port, "GET", "/healthz").json() == {"status": "ok"}
        response = call(server.port, "GET", "/readyz")
        body = assert_error(response, 503, "database_unavailable")
        assert [error["code"] for error in body["errors"]] == ["database_unavailable"]
        assert "no-store" in response["Cache-Control"]


def test_outsiders_learn_whether_the_server_is_ready_but_not_why(api_client, settings):
    """Migration names and queue figures are for operators (METRICS_TOKEN or an allowed
    network); a probe from anywhere else gets the status and the codes only."""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "operators-token"
    assert api_client.get("/readyz").json() == {"status": "ok"}
    api_client.credentials(HTTP_AUTHORIZATION="Bearer operators-token")
    assert api_client.get("/readyz").json()["migrations"]["applied"] > 100
    api_client.credentials()
    MigrationRecorder.Migration.objects.filter(app="loyalty", name="0001_initial").delete()
    body = assert_error(api_client.get("/readyz"), 503, "migrations_pending")
    assert body["errors"][0]["detail"] == "This server is not ready."
