"""When a request's database connection dies, the view runs again only where that is safe.

A trigger makes PostgreSQL terminate the request's own connection at a chosen point: at the
INSERT statement itself, or at COMMIT (a deferred constraint trigger). A sequence counts the
trigger's runs, so a test can tell whether the view ran once or twice.
"""

import pytest
from django.db import connection

from accounts.models import LoginEvent
from accounts.services import issue_tokens
from appointments.models import Appointment
from tests.conftest import CheckedAPIClient
from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, PatientFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOK_URL = "/api/v1/appointments/"


class Fault:
    """Terminates the connection that inserts into `table`, on the first `shots` inserts."""

    def arm(self, table: str, *, at_commit: bool, shots: int = 1) -> None:
        timing = "DEFERRABLE INITIALLY DEFERRED" if at_commit else "NOT DEFERRABLE"
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE fault_runs")
            cursor.execute(
                "CREATE FUNCTION fault_kill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF nextval('fault_runs') <= {int(shots)} THEN "
                "PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER fault AFTER INSERT ON {table} {timing} "
                "FOR EACH ROW EXECUTE FUNCTION fault_kill()"
            )
        self.table = table

    def runs(self) -> int:
        # A server closes a broken connection when the request ends; the test client does not.
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fault_runs")
            return cursor.fetchone()[0]

    def disarm(self) -> None:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS fault ON {self.table}")
            cursor.execute("DROP FUNCTION IF EXISTS fault_kill()")
            cursor.execute("DROP SEQUENCE IF EXISTS fault_runs")


@pytest.fixture
def fault():
    armed = Fault()
    yield armed
    if hasattr(armed, "table"):
        armed.disarm()


@pytest.fixture
def client():
    # The first run's error is reported (got_request_exception) even when the second one
    # answers; the test client would raise it instead of returning the response.
    return CheckedAPIClient(raise_request_exception=False)


@pytest.fixture
def booking(client):
    patient = PatientFactory()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=patient.user)['access']}")
    return client, patient, SlotFactory()


def book(client, slot, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(BOOK_URL, {"slot": str(slot.pk)}, **headers)


def test_a_keyed_booking_whose_commit_is_cut_runs_again_and_books_once(booking, fault):
    client, _, slot = booking
    fault.arm("appointments_appointment", at_commit=True)
    response = book(client, slot, key="cut-at-commit")
    assert response.status_code == 201, response.content
    assert fault.runs() == 2
    assert [str(pk) for pk in Appointment.objects.values_list("pk", flat=True)] == [
        response.json()["id"]
    ]


def test_a_booking_whose_statement_is_cut_runs_again_without_a_key(booking, fault):
    client, _, slot = booking
    fault.arm("appointments_appointment", at_commit=False)
    response = book(client, slot)
    assert response.status_code == 201, response.content
    assert fault.runs() == 2
    assert Appointment.objects.get().slot_id == slot.pk


def test_an_unkeyed_write_whose_commit_is_cut_is_not_repeated(booking, fault):
    client, _, slot = booking
    fault.arm("appointments_appointment", at_commit=True)
    assert_error(book(client, slot), 503, "database_unavailable")
    assert fault.runs() == 1  # its outcome was unknown: the client decides
    assert not Appointment.objects.exists()


def test_a_request_that_may_have_committed_a_write_is_not_repeated(client, fault):
    # Login saves last_login in autocommit mode, then dies inserting its LoginEvent.
    user = UserFactory(email="pat@example.com")
    fault.arm("accounts_loginevent", at_commit=False)
    response = client.post(LOGIN_URL, {"email": "pat@example.com", "password": PASSWORD})
    assert_error(response, 503, "database_unavailable")
    assert fault.runs() == 1
    user.refresh_from_db()
    assert user.last_login is not None
    assert not LoginEvent.objects.exists()


def test_it_runs_again_once_only(booking, fault):
    client, _, slot = booking
    fault.arm("appointments_appointment", at_commit=False, shots=2)
    assert_error(book(client, slot, key="twice"), 503, "database_unavailable")
    assert fault.runs() == 2
    assert not Appointment.objects.exists()


def test_the_retry_is_logged_by_route_not_by_path(booking, fault, caplog):
    """A path holds ids (and a calendar feed's token): the retry's log line names the route."""
    client, _, slot = booking
    appointment = book(client, slot).json()
    fault.arm("django_tasks_database_dbtaskresult", at_commit=False)
    with caplog.at_level("WARNING"):
        response = client.post(f"{BOOK_URL}{appointment['id']}/cancel/", {"reason": "x"})
    assert response.status_code == 200, response.content
    assert fault.runs() == 2
    retried = [r.getMessage() for r in caplog.records if "running" in r.getMessage()]
    assert retried == [
        "Database connection lost; running POST /api/v1/appointments/{pk}/cancel/ again"
    ]
    assert appointment["id"] not in caplog.text
