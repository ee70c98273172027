"""SQL statements per request on the hot paths (issue #17), pinned at the real figure: a new
statement on any of them fails here and has to be argued for. The figures count what the test
client's connection sends inside the test's transaction, so a service's `atomic` block shows up
as SAVEPOINT and RELEASE (two statements a production request sends as BEGIN and COMMIT).

Each request also runs against enough rows that a statement per row would show, and each
counted request follows one like it that warms the per-process caches (content types, ...), as
in tests/test_list_query_counts.py: a pin must not depend on which test ran first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import book_appointment
from loyalty.services import adjust_points
from tests.factories import (
    PASSWORD,
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    UserFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db

# authentication (the user, their roles) + the request's own statements
BOOKING = 2 + 15  # patient lock, limits, slot lock, the doctor still active, hold, insert,
# slot update, grant, 3 tasks, waitlist, webhooks, and the service's savepoint pair
CANCEL = 2 + 12  # read for the permission check, the savepoint pair, the lock, the update,
# the slot freed and read back (for slot_freed), still treating?, the grant deleted, the
# notice task, webhooks, waitlist
SLOT_SEARCH_PAGE = 2 + 2  # the count, the page (the specialty is a join, not a lookup)
APPOINTMENT_LIST_PAGE = 2 + 2  # the count, the page
LOGIN = 13  # django-axes (3), the user, last_login, the login event, the refresh token and
# its family (3), the account with its roles for the answer, and whether a second factor is due:
# a confirmed TOTP device, a clinic of theirs that requires one (2)


@pytest.fixture
def patient():
    return PatientFactory()


def _slots(count: int, **kwargs):
    doctor = kwargs.pop("doctor", None) or DoctorFactory()
    clinic = kwargs.pop("clinic", None) or ClinicFactory()
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    return [
        SlotFactory(
            doctor=doctor,
            clinic=clinic,
            start=first + timedelta(minutes=30 * i),
            end=first + timedelta(minutes=30 * (i + 1)),
            **kwargs,
        )
        for i in range(count)
    ]


def test_booking(client_for, patient, django_assert_max_num_queries):
    slot = SlotFactory()
    client = client_for(patient.user)
    # Warm the per-process caches (content types for guardian, ...) with a booking of another
    # patient, as the list pins do: the count must not depend on which test ran first.
    warm = client_for(PatientFactory().user).post(
        "/api/v1/appointments/", {"slot": str(SlotFactory(start=in_hours(200)).pk)}
    )
    assert warm.status_code == 201, warm.content
    with django_assert_max_num_queries(BOOKING) as captured:
        response = client.post("/api/v1/appointments/", {"slot": str(slot.pk)})
    assert response.status_code == 201, response.content
    assert len(captured) == BOOKING, "fewer statements: lower the pin"


def test_a_booking_answers_what_a_read_of_it_answers(client_for, patient):
    """The 201 body is built from the rows the booking wrote, not read back: it must equal
    the appointment as any later read shows it, paid with points or not."""
    client = client_for(patient.user)
    for use_points in (False, True):
        if use_points:
            adjust_points(patient=patient, amount=1000, reason="test", actor=UserFactory())
        slot = SlotFactory(start=in_hours(100 + use_points), end=in_hours(100.5 + use_points))
        created = client.post(
            "/api/v1/appointments/", {"slot": str(slot.pk), "use_points": use_points}
        )
        assert created.status_code == 201, created.content
        read = client.get(f"/api/v1/appointments/{created.json()['id']}/")
        assert created.json() == read.json()
        assert created.json()["payment_status"] == ("waived" if use_points else "pending")


def test_cancel(client_for, patient, django_assert_max_num_queries):
    slot = SlotFactory()
    booked = book_appointment(patient=patient, slot_id=slot.pk).appointment
    client = client_for(patient.user)
    other = book_appointment(patient=PatientFactory(), slot_id=SlotFactory(start=in_hours(200)).pk)
    warm = client_for(other.appointment.patient.user).post(
        f"/api/v1/appointments/{other.appointment.pk}/cancel/", {}
    )
    assert warm.status_code == 200, warm.content  # warms the caches, as above
    with django_assert_max_num_queries(CANCEL) as captured:
        response = client.post(f"/api/v1/appointments/{booked.pk}/cancel/", {})
    assert response.status_code == 200, response.content
    assert len(captured) == CANCEL, "fewer statements: lower the pin"


def test_a_cancellation_answers_what_a_read_of_it_answers(client_for, patient):
    """Built from the locked row too, after a refund as well (a paid appointment the doctor
    calls off)."""
    paid = book_appointment(patient=patient, slot_id=SlotFactory().pk).appointment
    Appointment.objects.filter(pk=paid.pk).update(payment_status="paid")
    own = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(90), end=in_hours(90.5)).pk
    ).appointment
    for appointment, user in ((own, patient.user), (paid, paid.doctor.user)):
        client = client_for(user)
        cancelled = client.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {})
        assert cancelled.status_code == 200, cancelled.content
        assert cancelled.json() == client.get(f"/api/v1/appointments/{appointment.pk}/").json()
    assert cancelled.json()["payment_status"] == "refunded"


def test_slot_search_page(client_for, patient, django_assert_max_num_queries):
    doctor = DoctorFactory()
    clinic = ClinicFactory(city="Berlin")
    slots = _slots(30, doctor=doctor, clinic=clinic)
    _slots(5, doctor=DoctorFactory(specialty=doctor.specialty), clinic=clinic)
    day = slots[0].start.date()
    path = (
        f"/api/v1/slots/available/?specialty={doctor.specialty.slug}&city=Berlin"
        f"&date_from={day}&date_to={day + timedelta(days=1)}&page_size=20"
    )
    client = client_for(patient.user)
    assert client.get(path).status_code == 200  # warms the caches
    with django_assert_max_num_queries(SLOT_SEARCH_PAGE) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 20
    assert len(captured) == SLOT_SEARCH_PAGE, "fewer statements: lower the pin"


def test_appointment_list_page(client_for, patient, django_assert_max_num_queries):
    for slot in _slots(25, status="booked"):
        AppointmentFactory(patient=patient, slot=slot)
    client = client_for(patient.user)
    assert client.get("/api/v1/appointments/?when=upcoming&page_size=20").status_code == 200
    with django_assert_max_num_queries(APPOINTMENT_LIST_PAGE) as captured:
        response = client.get("/api/v1/appointments/?when=upcoming&page_size=20")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 20
    assert len(captured) == APPOINTMENT_LIST_PAGE, "fewer statements: lower the pin"


def test_login(api_client, django_assert_max_num_queries):
    user = PatientFactory().user
    warm = api_client.post(
        "/api/v1/auth/login/",
        {"email": PatientFactory().user.email, "password": PASSWORD},
        format="json",
    )
    assert warm.status_code == 200, warm.content  # another user's login warms the caches
    with django_assert_max_num_queries(LOGIN) as captured:
        response = api_client.post(
            "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}, format="json"
        )
    assert response.status_code == 200, response.content
    assert len(captured) == LOGIN, "fewer statements: lower the pin"
