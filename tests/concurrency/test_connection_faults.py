"""The database drops every server connection twice under a booking load: no request answers
5xx, nothing acknowledged is lost, nothing is booked twice.

One gunicorn with 3 workers and persistent connections (as docker-compose runs it) serves 10
client threads that book (each booking with its own Idempotency-Key) and list their bookings.
Once the load runs, every connection the server holds is terminated with pg_terminate_backend,
at least twice and again until a request was caught in flight and run again; after each kill
the test waits until the clients have had answers again. Every wait is on a condition with a
deadline, never a fixed sleep (a busy machine only makes the test slower).
Connections killed between requests are replaced by the health check; requests whose connection
dies while connecting, mid-transaction, at COMMIT or after it are run again by
common.middleware.RetryOnLostConnectionMiddleware (a booking replayed after its COMMIT landed
answers 200 with the same appointment). Cancellations are left out: one whose COMMIT is cut
has an unknown outcome and carries no key, so it answers 503 `database_unavailable` by design
(docs/security.md).
"""

import json
import random
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.db.models import Count, Q

from accounts.services import issue_tokens
from appointments.models import Appointment
from scheduling.models import Slot
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    in_hours,
)
from tests.servers import call, gunicorns, served_database_url

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 10
KILLS, MAX_KILLS = 2, 10
ANSWERS_BETWEEN_KILLS = 30  # answers the clients get after a kill before the next one
DEADLINE = 120  # seconds for the whole load; a wait that outlasts it fails the test
APP_NAME = "careslot-fault-test"
SERVER_ENV = {
    "PGAPPNAME": APP_NAME,  # libpq names the server's connections, so only they are killed
    "CONN_MAX_AGE": "60",
    "MAX_ACTIVE_BOOKINGS_PER_PATIENT": "1000",
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "json",  # the retry lines carry the request id, matched to the answers
}
RETRY_MESSAGE = "Database connection lost; running"
URL = "/api/v1/appointments/"


def terminate_server_connections() -> int:
    with psycopg.connect(served_database_url(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        ).fetchall()
    return sum(1 for (done,) in rows if done)


class Client(threading.Thread):
    """Books random slots, each with its own Idempotency-Key, and lists its appointments."""

    def __init__(self, port: int, token: str, slots: list[str], stop: threading.Event):
        super().__init__()
        self.port, self.slots, self.stop = port, slots, stop
        self.auth = {"Authorization": f"Bearer {token}"}
        # (action, status, appointment, request id)
        self.results: list[tuple[str, int, str | None, str]] = []
        self.errors: list[Exception] = []
        self.rng = random.Random()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except Exception as exc:  # a broken HTTP exchange is a failure too
                self.errors.append(exc)

    def step(self) -> None:
        if self.rng.random() < 0.3:
            response = call(self.port, "GET", f"{URL}?page_size=5", headers=self.auth)
            self.results.append(("list", response.status, None, response["X-Request-ID"]))
        else:
            headers = {**self.auth, "Idempotency-Key": uuid.uuid4().hex}
            slot = self.rng.choice(self.slots)
            response = call(self.port, "POST", URL, {"slot": slot}, headers)
            # 200: the first run of this booking committed, and the retry replayed it.
            booked = response.json()["id"] if response.status in (200, 201) else None
            self.results.append(("book", response.status, booked, response["X-Request-ID"]))


def world() -> tuple[list[str], list[str]]:
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(CLIENTS)]
    clinic = ClinicFactory()
    slots = []
    for _ in range(3):
        doctor = DoctorFactory()
        AssociationFactory(doctor=doctor, clinic=clinic)
        slots += Slot.objects.bulk_create(
            Slot(doctor=doctor, clinic=clinic, start=start, end=start + timedelta(minutes=30))
            for start in (in_hours(48 + hour) for hour in range(100))
        )
    return tokens, [str(slot.pk) for slot in slots]


def wait_until(condition, deadline: float, what: str) -> None:
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.05)


def retried_requests(log: str) -> dict[str, str]:
    """Request id -> "METHOD route" of each request the server ran again."""
    retried = {}
    for line in log.splitlines():
        if RETRY_MESSAGE in line:
            record = json.loads(line)
            retried[record["request_id"]] = record["event"].removeprefix(RETRY_MESSAGE)
    return retried


def test_killing_database_connections_mid_load_loses_nothing_and_answers_no_5xx():
    tokens, slots = world()
    with gunicorns(1, env=SERVER_ENV, workers=3) as [server]:
        stop = threading.Event()
        clients = [Client(server.port, token, slots, stop) for token in tokens]
        deadline = time.monotonic() + DEADLINE

        def answered() -> int:
            return sum(len(client.results) + len(client.errors) for client in clients)

        for client in clients:
            client.start()
        wait_until(lambda: answered() >= ANSWERS_BETWEEN_KILLS, deadline, "the load runs")
        killed = []
        # A kill between two requests only makes the health check replace the connection; go
        # on until one request was caught on its connection and run again.
        while len(killed) < KILLS or (
            not retried_requests(server.output()) and len(killed) < MAX_KILLS
        ):
            killed.append(terminate_server_connections())
            after_kill = answered()
            wait_until(
                lambda after_kill=after_kill: answered() >= after_kill + ANSWERS_BETWEEN_KILLS,
                deadline,
                f"the clients get answers after kill {len(killed)}",
            )
        stop.set()
        for client in clients:
            client.join(timeout=60)
        assert not any(client.is_alive() for client in clients)
        retried = retried_requests(server.output())

    results = [result for client in clients for result in client.results]
    statuses = Counter(status for _, status, _, _ in results)
    summary = f"{len(results)} requests {dict(statuses)}, killed {killed}, retried {retried}"
    assert all(count >= 1 for count in killed), summary
    assert [error for client in clients for error in client.errors] == [], summary
    assert set(statuses) <= {200, 201, 409}, summary
    assert sum(1 for action, status, _, _ in results if (action, status) == ("book", 201)) >= 20

    # The retry happened, and each request run again answered as a first run would have: a
    # list 200, a booking 201 (or 200, the replay of a committed first run) with its appointment.
    assert retried, summary
    answers = {
        request_id: (action, status, booked) for action, status, booked, request_id in results
    }
    stored = dict(Appointment.objects.values_list("pk", "status"))
    for request_id, request in retried.items():
        action, status, booked = answers[request_id]
        if action == "list":
            assert (request, status) == (" GET /api/v1/appointments/ again", 200), summary
        else:
            assert request == " POST /api/v1/appointments/ again", summary
            assert status in (200, 201, 409), summary
            if status != 409:
                assert stored[uuid.UUID(booked)] == "booked", summary

    booked = {
        appointment for action, _, appointment, _ in results if action == "book" and appointment
    }
    # Every acknowledged booking is stored, and nothing unacknowledged is.
    assert {str(pk) for pk in stored} == booked
    assert set(stored.values()) == {"booked"}
    # One active appointment per booked slot, and none on a free one.
    per_slot = Slot.objects.annotate(
        active=Count("appointments", filter=Q(appointments__status="booked"))
    )
    assert not per_slot.filter(active__gt=1).exists()
    assert not per_slot.filter(status="booked").exclude(active=1).exists()
    assert not per_slot.filter(status="available", active__gt=0).exists()
