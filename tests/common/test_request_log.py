"""One structured log line per request, and the request id (issue 23.1): taken from a trusted
proxy's X-Request-ID (checked), made up otherwise, returned, and carried into the tasks the
request enqueues, whose worker log lines name it."""

import json

import pytest
from django_tasks_db.models import DBTaskResult

from common.routes import route_template
from tests.common.test_no_patient_data_in_logs import LogCapture
from tests.factories import PASSWORD, SlotFactory, in_hours

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def request_lines(capture: LogCapture) -> list[dict]:
    return [e for e in capture.events() if e["event"] == "request"]


def test_a_request_is_one_json_line_with_its_fields(client_for, world):
    with LogCapture() as capture:
        response = client_for(world.patient.user).get(
            f"/api/v1/appointments/{world.appointment.pk}/"
        )
    assert response.status_code == 200
    [line] = request_lines(capture)
    assert line == {
        "event": "request",
        "logger": "careslot.request",
        "level": "info",
        "timestamp": line["timestamp"],
        "method": "GET",
        "route": "/api/v1/appointments/{pk}/",
        "status": 200,
        "duration_ms": line["duration_ms"],
        "db_queries": line["db_queries"],
        "user_id": str(world.patient.user.pk),
        "roles": ["patient"],
        "client_ip": "127.0.0.1",
        "request_id": response["X-Request-ID"],
    }
    assert line["duration_ms"] > 0
    assert line["db_queries"] > 0
    assert str(world.appointment.pk) not in json.dumps(line)


def test_anonymous_and_unmatched_requests(api_client):
    with LogCapture() as capture:
        api_client.get("/api/v1/auth/me/")
        api_client.get("/no/such/page/with-a-secret-token")
    me, unmatched = request_lines(capture)
    assert (me["status"], me["user_id"], me["roles"]) == (401, None, None)
    assert (unmatched["status"], unmatched["route"]) == (404, "unmatched")
    assert "with-a-secret-token" not in capture.text("json") + capture.text("plain")


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/v1/^appointments/(?P<pk>[^/.]+)/cancel/$", "/api/v1/appointments/{pk}/cancel/"),
        ("api/v1/patients/<uuid:patient_id>/history/", "/api/v1/patients/{patient_id}/history/"),
        ("api/v1/^calendar/(?P<token>[A-Za-z0-9_\\-]{20,})\\.ics$", "/api/v1/calendar/{token}.ics"),
    ],
)
def test_route_templates(route, template):
    from django.urls import ResolverMatch

    class Request:
        resolver_match = ResolverMatch(lambda r: None, (), {}, route=route)

    assert route_template(Request()) == template


def test_the_request_id_is_made_up_when_no_trusted_proxy_sets_it(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    first = api_client.get(ME, HTTP_X_REQUEST_ID="chosen-by-the-client")
    second = api_client.get(ME)
    assert first["X-Request-ID"] != "chosen-by-the-client"
    assert len({first["X-Request-ID"], second["X-Request-ID"]}) == 2
    assert len(first["X-Request-ID"]) == 32


def test_a_trusted_proxys_request_id_is_kept(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    with LogCapture() as capture:
        response = api_client.get(ME, HTTP_X_REQUEST_ID="f3b9c2a0-1d2e-4f50-9a7b-0c1d2e3f4a5b")
    assert response["X-Request-ID"] == "f3b9c2a0-1d2e-4f50-9a7b-0c1d2e3f4a5b"
    assert request_lines(capture)[0]["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 129,
        "a b",
        "id\r\nX-Injected: 1",
        '"}{"level":"critical',
        "ünïcode",
        "<script>alert(1)</script>",
        "-leading-dash",
        "",
    ],
)
def test_a_hostile_request_id_is_replaced(api_client, settings, hostile):
    settings.TRUSTED_PROXY_COUNT = 1
    with LogCapture() as capture:
        response = api_client.get(ME, HTTP_X_REQUEST_ID=hostile)
    assert response.status_code == 401
    assert response["X-Request-ID"] != hostile
    assert len(response["X-Request-ID"]) == 32
    if hostile:
        assert hostile not in capture.text("json") + capture.text("plain")


def test_the_request_id_follows_the_request_into_its_tasks(client_for, world, run_tasks, outbox):
    slot = SlotFactory(doctor=world.doctor, clinic=world.clinic, start=in_hours(80))
    response = client_for(world.other_patient.user).post(
        "/api/v1/appointments/", {"slot": str(slot.pk)}, format="json"
    )
    assert response.status_code == 201
    request_id = response["X-Request-ID"]
    enqueued = DBTaskResult.objects.filter(args_kwargs__context__request_id=request_id)
    tasks = set(enqueued.values_list("task_path", flat=True))
    # the confirmation now, the reminders later: all under the booking's request id
    assert tasks == {
        "appointments.tasks.send_booking_confirmation",
        "appointments.tasks.send_appointment_reminder",
    }
    assert run_tasks() == 1
    assert len(outbox) == 1  # the task still sees its own arguments only


def test_worker_log_lines_carry_the_request_id(
    client_for, world, run_tasks, settings, refusing_smtp
):
    """A task that fails logs the failure under the id of the request that enqueued it."""
    settings.TASK_MAX_ATTEMPTS = 1
    with LogCapture() as capture:
        response = client_for(None).post(
            "/api/v1/auth/password/reset/", {"email": world.patient.user.email}, format="json"
        )
        assert response.status_code == 202
        assert run_tasks() == 1
    assert refusing_smtp.mailbox.connections == 1  # the worker did talk to the server
    assert refusing_smtp.mailbox.messages == []
    [failure] = [e for e in capture.events() if e["logger"] == "careslot.worker"]
    assert failure["request_id"] == response["X-Request-ID"]
    assert failure["task"] == "accounts.tasks.send_password_reset_email"
    assert failure["level"] == "error"
    # The test SMTP server's own log (aiosmtpd's mail.log) names the recipient; ours may not.
    ours = [e for e in capture.events() if e["logger"] != "mail.log"]
    assert world.patient.user.email not in json.dumps(ours)
    task = DBTaskResult.objects.get(task_path="accounts.tasks.send_password_reset_email")
    assert task.status == "FAILED"
    assert task.exception_class_path == "smtplib.SMTPDataError"


def test_login_is_logged_without_its_credentials(api_client, world):
    with LogCapture() as capture:
        api_client.post(
            "/api/v1/auth/login/",
            {"email": world.patient.user.email, "password": PASSWORD},
            format="json",
        )
    assert world.patient.user.email not in capture.text("json")
    assert PASSWORD not in capture.text("json")
