"""A guardian books, cancels, reschedules, waits and reads history for a dependent; to the
doctor the dependent is the patient (docs/families.md)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import book_appointment, cancel_appointment
from loyalty.selectors import balance_of, ledger_sum
from loyalty.services import adjust_points
from patients.services import add_dependent, coming_of_age
from records.models import RecordAccessLog
from tests.errors import assert_error
from tests.factories import (
    HistoryEntryFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
BOOK = f"{V1}/appointments/"


def family(born: date | None = None):
    """A guardian (with a known email) and their six-year-old child."""
    guardian = PatientFactory(user__email="parent@example.com", user__first_name="Pia")
    today = timezone.localdate()
    dependent = add_dependent(
        guardian=guardian,
        first_name="Mia",
        last_name="Patient",
        date_of_birth=born or date(today.year - 6, 1, 15),
        relationship="child",
    ).dependent
    return guardian, dependent


def book_for(client, dependent, slot, **fields):
    return client.post(BOOK, {"slot": str(slot.pk), "patient": str(dependent.pk)} | fields)


def test_a_guardian_books_for_a_dependent_and_the_doctor_sees_the_dependent(
    client_for, run_tasks, outbox
):
    guardian, dependent = family()
    slot = SlotFactory(start=in_hours(72))
    response = book_for(client_for(guardian.user), dependent, slot)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"] == {"id": str(dependent.pk), "first_name": "Mia", "last_name": "Patient"}
    assert body["booked_by"] == {
        "id": str(guardian.user.pk),
        "first_name": "Pia",
        "last_name": guardian.user.last_name,
    }
    # The doctor treats the dependent, and sees who booked.
    doctor = client_for(slot.doctor.user)
    assert doctor.get(f"{V1}/patients/{dependent.pk}/").json()["first_name"] == "Mia"
    assert_error(doctor.get(f"{V1}/patients/{guardian.pk}/"), 404, "not_found")
    listed = doctor.get(BOOK).json()["results"]
    assert [(row["patient"]["id"], row["booked_by"]["id"]) for row in listed] == [
        (str(dependent.pk), str(guardian.user.pk))
    ]
    # Mail about the dependent goes to the guardian.
    run_tasks()
    assert [message.to for message in outbox] == [["parent@example.com"]]


def test_own_bookings_name_the_patient_as_booker(client_for):
    patient = PatientFactory()
    response = client_for(patient.user).post(BOOK, {"slot": str(SlotFactory().pk)})
    assert response.json()["booked_by"]["id"] == str(patient.user.pk)


def test_nobody_else_books_for_a_dependent(client_for):
    guardian, dependent = family()
    slot = SlotFactory()
    for stranger in (PatientFactory().user, slot.doctor.user):
        response = book_for(client_for(stranger), dependent, slot)
        assert response.status_code in (400, 403), response.content
    # A patient naming someone else, or a profile that does not exist: 400 on `patient`.
    stranger = client_for(PatientFactory().user)
    assert_error(book_for(stranger, dependent, slot), 400, "does_not_exist", "patient")
    assert_error(book_for(stranger, guardian, slot), 400, "does_not_exist", "patient")
    bad = stranger.post(BOOK, {"slot": str(slot.pk), "patient": "not-a-uuid"})
    assert_error(bad, 400, "invalid", "patient")
    assert not Appointment.objects.exists()


def test_a_guardian_cancels_and_reschedules_a_dependents_appointment(client_for, run_tasks, outbox):
    guardian, dependent = family()
    client = client_for(guardian.user)
    slot = SlotFactory(start=in_hours(72))
    appointment_id = book_for(client, dependent, slot).json()["id"]
    later = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(96))
    moved = client.post(f"{BOOK}{appointment_id}/reschedule/", {"slot": str(later.pk)})
    assert moved.status_code == 200, moved.content
    stranger = client_for(PatientFactory().user)
    assert_error(stranger.post(f"{BOOK}{appointment_id}/cancel/"), 404, "not_found")
    run_tasks()
    outbox.clear()
    cancelled = client.post(f"{BOOK}{appointment_id}/cancel/", {"reason": "Fever gone"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["cancelled_by"] == str(guardian.user.pk)
    run_tasks()
    # The doctor is told; the guardian did it, so they are not.
    assert [message.to for message in outbox] == [[slot.doctor.user.email]]


def test_the_doctors_cancellation_is_mailed_to_the_guardian(client_for, run_tasks, outbox):
    guardian, dependent = family()
    appointment = book_appointment(
        patient=dependent, slot_id=SlotFactory().pk, booked_by=guardian.user
    ).appointment
    run_tasks()
    outbox.clear()
    cancel_appointment(appointment=appointment, cancelled_by=appointment.doctor.user)
    run_tasks()
    assert [message.to for message in outbox] == [["parent@example.com"]]


def test_active_bookings_count_per_profile(client_for, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 1
    guardian, dependent = family()
    client = client_for(guardian.user)
    assert client.post(BOOK, {"slot": str(SlotFactory(start=in_hours(30)).pk)}).status_code == 201
    assert book_for(client, dependent, SlotFactory(start=in_hours(40))).status_code == 201
    again = book_for(client, dependent, SlotFactory(start=in_hours(50)))
    assert_error(again, 409, "too_many_active_bookings")


def test_cancellations_count_per_account(client_for, settings):
    settings.MAX_PATIENT_CANCELLATIONS_PER_DAY = 1
    guardian, dependent = family()
    client = client_for(guardian.user)
    appointment_id = book_for(client, dependent, SlotFactory(start=in_hours(40))).json()["id"]
    assert client.post(f"{BOOK}{appointment_id}/cancel/").status_code == 200
    # The guardian's churn limits their own bookings too, and the dependent's.
    own = client.post(BOOK, {"slot": str(SlotFactory(start=in_hours(60)).pk)})
    assert_error(own, 409, "booking_churn_limit")
    assert_error(book_for(client, dependent, SlotFactory()), 409, "booking_churn_limit")
    # Another patient's churn is theirs alone.
    other = PatientFactory()
    assert client_for(other.user).post(BOOK, {"slot": str(SlotFactory().pk)}).status_code == 201


def test_the_guardian_earns_and_spends_a_dependents_points(client_for):
    guardian, dependent = family()
    adjust_points(
        patient=guardian, amount=100, reason="welcome", actor=user_with_role("platform_admin")
    )
    client = client_for(guardian.user)
    paid = book_for(client, dependent, SlotFactory(start=in_hours(40)), use_points=True)
    assert paid.status_code == 201, paid.content
    assert (paid.json()["payment_status"], balance_of(guardian)) == ("waived", 0)
    assert client.post(f"{BOOK}{paid.json()['id']}/cancel/").status_code == 200
    assert balance_of(guardian) == ledger_sum(guardian) == 100
    visit = book_appointment(
        patient=dependent, slot_id=SlotFactory(start=in_hours(30)).pk, booked_by=guardian.user
    ).appointment
    doctor = client_for(visit.doctor.user)
    with time_machine.travel(visit.start + timedelta(minutes=40), tick=False):
        assert doctor.post(f"{BOOK}{visit.pk}/complete/").status_code == 200
    assert balance_of(guardian) == ledger_sum(guardian) == 110
    assert balance_of(dependent) == 0


def test_a_guardian_reads_a_dependents_history_and_is_logged(client_for):
    guardian, dependent = family()
    appointment = book_appointment(
        patient=dependent, slot_id=SlotFactory().pk, booked_by=guardian.user
    ).appointment
    entry = HistoryEntryFactory(patient=dependent, author=appointment.doctor)
    client = client_for(guardian.user)
    history = client.get(f"{V1}/patients/{dependent.pk}/history/")
    assert history.status_code == 200, history.content
    assert [row["id"] for row in history.json()["results"]] == [str(entry.pk)]
    log = client.get(f"{V1}/patients/{dependent.pk}/access-log/")
    assert log.status_code == 200
    assert log.json()["results"][0]["user"]["id"] == str(guardian.user.pk)
    actions = RecordAccessLog.objects.filter(patient=dependent, user=guardian.user)
    assert sorted(actions.values_list("action", flat=True)) == ["book", "list", "read_access_log"]
    # The guardian does not write history; strangers do not see it.
    write = client.post(f"{V1}/patients/{dependent.pk}/history/", {"title": "x"})
    assert_error(write, 403, "permission_denied")
    stranger = client_for(PatientFactory().user)
    assert_error(stranger.get(f"{V1}/patients/{dependent.pk}/history/"), 404, "not_found")
    assert_error(stranger.get(f"{V1}/patients/{dependent.pk}/access-log/"), 404, "not_found")


def test_a_guardian_joins_a_waitlist_for_a_dependent(client_for):
    guardian, dependent = family()
    slot = SlotFactory()
    client = client_for(guardian.user)
    body = {"doctor": str(slot.doctor.pk), "patient": str(dependent.pk)}
    response = client.post(f"{V1}/waitlist/", body)
    assert response.status_code == 201, response.content
    assert response.json()["patient"] == str(dependent.pk)
    assert [row["patient"] for row in client.get(f"{V1}/waitlist/").json()["results"]] == [
        str(dependent.pk)
    ]
    stranger = client_for(PatientFactory().user)
    assert_error(stranger.post(f"{V1}/waitlist/", body), 400, "does_not_exist", "patient")
    assert WaitlistEntry.objects.count() == 1


def test_access_ends_when_the_dependent_comes_of_age(client_for, settings):
    settings.AGE_OF_MAJORITY = 18
    today = timezone.localdate()
    born = today - timedelta(days=365 * 18)  # their 18th birthday is within a few days
    guardian, dependent = family(born=born)
    majority = coming_of_age(born)
    assert majority > today
    client = client_for(guardian.user)
    slot = SlotFactory(start=in_hours(24 * 30))
    appointment_id = book_for(client, dependent, slot).json()["id"]
    with time_machine.travel(timezone.now() + timedelta(days=(majority - today).days), tick=True):
        assert client.get(f"{V1}/dependents/").json()["results"] == []
        assert_error(book_for(client, dependent, SlotFactory()), 400, "does_not_exist", "patient")
        assert_error(client.get(f"{BOOK}{appointment_id}/"), 404, "not_found")
        assert_error(client.get(f"{V1}/patients/{dependent.pk}/history/"), 404, "not_found")
    with time_machine.travel(
        timezone.now() + timedelta(days=(majority - today).days - 1), tick=True
    ):
        assert len(client.get(f"{V1}/dependents/").json()["results"]) == 1
