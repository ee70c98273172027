"""The fair waitlist (issue 18 part 3): the earliest waiting patient gets a freed matching slot
as a hold; when it lapses the next patient gets it; booking takes a patient off the list."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from appointments.services import book_appointment, cancel_appointment
from scheduling.models import SlotHold
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
)
from waitlist.models import EntryStatus, OfferStatus, WaitlistOffer
from waitlist.services import join_waitlist

pytestmark = pytest.mark.django_db

URL = "/api/v1/waitlist/"


def booked_slot(doctor, hours=72):
    """A booked slot of the doctor, and its appointment (someone else's)."""
    appointment = AppointmentFactory(
        slot__doctor=doctor, slot__clinic=doctor.clinic, slot__start=in_hours(hours)
    )
    return appointment.slot, appointment


def waiting(doctor, count=3, **filters):
    return [join_waitlist(patient=PatientFactory(), doctor=doctor, **filters) for _ in range(count)]


def open_offers():
    return list(
        WaitlistOffer.objects.filter(status=OfferStatus.OPEN).values_list("entry__patient", "slot")
    )


def test_patient_joins_lists_and_leaves(client_for, doctor):
    patient = PatientFactory()
    client = client_for(patient.user)
    body = {
        "doctor": str(doctor.pk),
        "clinic": str(doctor.clinic.pk),
        "date_from": str(in_hours(24).date()),
        "date_to": str(in_hours(24 * 30).date()),
        "time_from": "08:00",
        "time_to": "12:00",
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["position"], created["offer"]) == ("waiting", 1, None)
    assert created["doctor_name"] == doctor.user.full_name
    assert_error(client.post(URL, body, format="json"), 409, "already_waiting")

    listed = client.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    assert client.delete(f"{URL}{created['id']}/").status_code == 204
    assert client.get(f"{URL}{created['id']}/").json()["status"] == "left"
    assert_error(client.delete(f"{URL}{created['id']}/"), 409, "not_waiting")
    # Joining again after leaving starts at the back of the line.
    assert client.post(URL, body, format="json").status_code == 201


def test_position_is_the_place_in_the_queue(client_for, doctor):
    first, second = waiting(doctor, 2)
    rows = client_for(second.patient.user).get(URL).json()["results"]
    assert rows[0]["position"] == 2
    first.status = EntryStatus.LEFT
    first.save()
    rows = client_for(second.patient.user).get(URL).json()["results"]
    assert rows[0]["position"] == 1


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"doctor": "00000000-0000-4000-8000-000000000000"}, "doctor", "does_not_exist"),
        ({"doctor": 5}, "doctor", "does_not_exist"),
        ({"clinic": "other"}, "clinic", "not_associated"),
        ({"date_from": "2020-01-01"}, "date_from", "date_out_of_range"),
        ({"date_to": "9999-12-31"}, "date_to", "date_out_of_range"),
        ({"date_from": "tomorrow"}, "date_from", "invalid"),
        ({"time_from": "12:00", "time_to": "09:00"}, "time_to", "invalid_range"),
        ({"time_from": "25:00"}, "time_from", "invalid"),
    ],
)
def test_bad_input_is_a_field_error(client_for, doctor, change, attr, code):
    if change.get("clinic") == "other":
        change = {"clinic": str(ClinicFactory().pk)}
    body = {"doctor": str(doctor.pk), **change}
    response = client_for(PatientFactory().user).post(URL, body, format="json")
    assert_error(response, 400, code, attr=attr)


def test_dates_out_of_order_and_unconfirmed_doctors_are_refused(client_for, doctor):
    client = client_for(PatientFactory().user)
    later, sooner = str(in_hours(24 * 10).date()), str(in_hours(24 * 5).date())
    body = {"doctor": str(doctor.pk), "date_from": later, "date_to": sooner}
    assert_error(client.post(URL, body, format="json"), 400, "invalid_range", attr="date_to")
    hidden = DoctorFactory(is_confirmed=False)
    response = client.post(URL, {"doctor": str(hidden.pk)}, format="json")
    assert_error(response, 400, "does_not_exist", attr="doctor")


def test_waitlists_per_patient_are_limited(settings, client_for):
    settings.MAX_WAITLIST_ENTRIES_PER_PATIENT = 2
    client = client_for(PatientFactory().user)
    for _ in range(2):
        assert client.post(URL, {"doctor": str(DoctorFactory().pk)}).status_code == 201
    response = client.post(URL, {"doctor": str(DoctorFactory().pk)})
    assert_error(response, 409, "too_many_waitlist_entries")


def test_a_cancellation_offers_the_slot_to_the_earliest_waiting_patient(
    client_for, doctor, run_tasks, outbox
):
    first, second, _ = waiting(doctor)
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()

    assert open_offers() == [(first.patient_id, slot.pk)]
    offer = WaitlistOffer.objects.get()
    assert offer.hold.patient_id == first.patient_id
    assert offer.hold.source == "waitlist"
    assert offer.expires_at - offer.hold.held_at == timedelta(minutes=30)
    [message] = [m for m in outbox if m.to == [first.patient.user.email]]
    assert str(slot.pk) in message.body
    assert "held for you" in message.subject

    # Others find it taken; the offered patient sees it in their entry and books it.
    other = client_for(second.patient.user)
    assert_error(other.post("/api/v1/appointments/", {"slot": str(slot.pk)}), 409, "slot_held")
    mine = client_for(first.patient.user)
    entry = mine.get(f"{URL}{first.pk}/").json()
    assert entry["offer"]["slot"]["id"] == str(slot.pk)
    response = mine.post("/api/v1/appointments/", {"slot": str(slot.pk)})
    assert response.status_code == 201, response.content
    offer.refresh_from_db()
    first.refresh_from_db()
    assert (offer.status, first.status) == (OfferStatus.BOOKED, EntryStatus.BOOKED)
    assert SlotHold.objects.get(pk=offer.hold_id).outcome == "booked"


def test_an_expired_offer_passes_to_the_next_patient(doctor, run_tasks):
    first, second, third = waiting(doctor)
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()
    assert open_offers() == [(first.patient_id, slot.pk)]

    # Before the expiry nothing moves, however often the worker looks.
    with time_machine.travel(timezone.now() + timedelta(minutes=29), tick=False):
        run_tasks()
        assert open_offers() == [(first.patient_id, slot.pk)]
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        run_tasks()
        assert open_offers() == [(second.patient_id, slot.pk)]
    with time_machine.travel(timezone.now() + timedelta(minutes=62), tick=False):
        run_tasks()
        assert open_offers() == [(third.patient_id, slot.pk)]
    with time_machine.travel(timezone.now() + timedelta(minutes=93), tick=False):
        run_tasks()
        assert open_offers() == []  # everyone had their turn; the slot is simply free
    statuses = list(WaitlistOffer.objects.order_by("created_at").values_list("status", flat=True))
    assert statuses == ["lapsed", "lapsed", "lapsed"]
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING  # still waiting for another slot


def test_an_expired_hold_frees_the_slot_even_without_a_worker(client_for, doctor, run_tasks):
    waiting(doctor, 2)
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()
    stranger = client_for(PatientFactory().user)
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        # No run_tasks(): the pass-on task has not run, yet the slot is bookable.
        response = stranger.post("/api/v1/appointments/", {"slot": str(slot.pk)})
        assert response.status_code == 201, response.content
        run_tasks()  # the late pass-on task finds the slot booked and offers nothing
    assert open_offers() == []
    assert WaitlistOffer.objects.get().status == OfferStatus.LAPSED


def test_declining_passes_the_offer_on_at_once(client_for, doctor, run_tasks):
    first, second, _ = waiting(doctor)
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()
    assert (
        client_for(first.patient.user).delete(f"/api/v1/slots/{slot.pk}/hold/").status_code == 204
    )
    run_tasks()
    assert open_offers() == [(second.patient_id, slot.pk)]


def test_leaving_with_an_open_offer_passes_it_on(client_for, doctor, run_tasks):
    first, second, _ = waiting(doctor)
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()
    assert client_for(first.patient.user).delete(f"{URL}{first.pk}/").status_code == 204
    run_tasks()
    assert open_offers() == [(second.patient_id, slot.pk)]
    assert WaitlistOffer.objects.get(entry=first).status == OfferStatus.WITHDRAWN


def test_a_patient_who_books_with_the_doctor_is_dropped(doctor, run_tasks):
    # A slot made directly (no service, no signal): nobody is offered it.
    elsewhere = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(120))
    first, second, _ = waiting(doctor)
    other_doctor_entry = join_waitlist(patient=first.patient, doctor=DoctorFactory())
    offered = _local_slot(doctor, in_hours(100).date(), time(10))
    run_tasks()  # the new slot is offered to the first patient...
    assert open_offers() == [(first.patient_id, offered.pk)]
    # ...who books another slot of the doctor instead.
    book_appointment(patient=first.patient, slot_id=elsewhere.pk)
    first.refresh_from_db()
    other_doctor_entry.refresh_from_db()
    assert first.status == EntryStatus.BOOKED
    assert other_doctor_entry.status == EntryStatus.WAITING  # another doctor's list: kept
    assert WaitlistOffer.objects.get(entry=first).status == OfferStatus.WITHDRAWN
    run_tasks()  # the withdrawn offer's slot goes to the next in line
    assert open_offers() == [(second.patient_id, offered.pk)]


def test_a_new_slot_is_offered_and_filters_match_in_the_clinic_zone(doctor, run_tasks):
    # The clinic is in Europe/Berlin, one or two hours ahead of UTC all year: 08:30 local is
    # before 08:00 UTC and 12:15-12:45 local ends before 12:00 UTC, so a filter read in UTC
    # would refuse the first and offer the second, in winter as in summer.
    day = timezone.now().date() + timedelta(days=10)
    mornings = join_waitlist(
        patient=PatientFactory(), doctor=doctor, time_from=time(8), time_to=time(12)
    )
    later_days = join_waitlist(
        patient=PatientFactory(), doctor=doctor, date_from=day + timedelta(days=5)
    )
    elsewhere = join_waitlist(
        patient=PatientFactory(),
        doctor=doctor,
        clinic=AssociationFactory(doctor=doctor).clinic,
    )
    evening = _local_slot(doctor, day, time(18))
    morning = _local_slot(doctor, day + timedelta(days=1), time(8, 30))
    noon = _local_slot(doctor, day + timedelta(days=2), time(12, 15))
    late = _local_slot(doctor, day + timedelta(days=6), time(18))
    run_tasks()
    offers = dict(open_offers())
    assert offers == {mornings.patient_id: morning.pk, later_days.patient_id: late.pk}
    assert elsewhere.patient_id not in offers
    assert evening.pk not in offers.values()
    assert noon.pk not in offers.values()


def _local_slot(doctor, day: date, wall: time):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from scheduling.services import create_slot

    start = datetime.combine(day, wall, tzinfo=ZoneInfo(doctor.clinic.timezone))
    return create_slot(
        doctor=doctor, clinic=doctor.clinic, start=start, end=start + timedelta(minutes=30)
    )


def test_no_task_is_queued_for_a_doctor_nobody_waits_for(doctor):
    from django_tasks_db.models import DBTaskResult

    _, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    names = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert not any("waitlist" in name for name in names), names


def test_date_to_and_time_to_are_respected(doctor, run_tasks):
    day = timezone.now().date() + timedelta(days=10)
    until_day = join_waitlist(patient=PatientFactory(), doctor=doctor, date_to=day)
    until_noon = join_waitlist(patient=PatientFactory(), doctor=doctor, time_to=time(12))
    anyone = join_waitlist(patient=PatientFactory(), doctor=doctor)
    # The day after date_to, 11:45-12:15 local: ends after time_to. Only `anyone` matches.
    after = _local_slot(doctor, day + timedelta(days=1), time(11, 45))
    run_tasks()
    assert open_offers() == [(anyone.patient_id, after.pk)]
    # On date_to itself, ending exactly at time_to: both bounds are inclusive.
    on_the_day = _local_slot(doctor, day, time(11, 30))
    run_tasks()
    assert sorted(open_offers()) == sorted(
        [(anyone.patient_id, after.pk), (until_day.patient_id, on_the_day.pk)]
    )
    too_late = _local_slot(doctor, day + timedelta(days=2), time(12, 30))
    just_right = _local_slot(doctor, day + timedelta(days=2), time(11, 30))
    run_tasks()
    assert (until_noon.patient_id, just_right.pk) in open_offers()
    assert too_late.pk not in dict(open_offers()).values()


def test_a_patient_with_an_overlapping_booking_is_skipped(doctor, run_tasks):
    day = timezone.now().date() + timedelta(days=10)
    busy, free = waiting(doctor, 2)
    start = datetime.combine(day, time(10), tzinfo=ZoneInfo(doctor.clinic.timezone))
    # The first in line has another doctor's appointment that overlaps the freed slot by 10 min.
    AppointmentFactory(patient=busy.patient, slot__start=start + timedelta(minutes=20))
    slot = _local_slot(doctor, day, time(10))
    run_tasks()
    assert open_offers() == [(free.patient_id, slot.pk)]
    busy.refresh_from_db()
    assert busy.status == EntryStatus.WAITING  # skipped for this slot only


def test_an_offer_is_outside_the_patients_hold_limit(settings, client_for, doctor, run_tasks):
    settings.MAX_ACTIVE_HOLDS_PER_PATIENT = 1
    [entry] = waiting(doctor, 1)
    client = client_for(entry.patient.user)
    own = SlotFactory(start=in_hours(200))
    assert client.post(f"/api/v1/slots/{own.pk}/hold/").status_code == 201  # at the limit now
    slot, appointment = booked_slot(doctor)
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    run_tasks()
    # The patient at their hold limit is still offered the slot...
    assert open_offers() == [(entry.patient_id, slot.pk)]
    # ...and the offer's hold does not count towards the limit either.
    assert client.delete(f"/api/v1/slots/{own.pk}/hold/").status_code == 204
    another = SlotFactory(start=in_hours(300))
    response = client.post(f"/api/v1/slots/{another.pk}/hold/")
    assert response.status_code == 201, response.content


def test_a_rescheduled_patient_leaves_the_waitlist(client_for, doctor, run_tasks):
    patient = PatientFactory()
    appointment = AppointmentFactory(
        patient=patient, slot__doctor=DoctorFactory(), slot__start=in_hours(96)
    )
    entry = join_waitlist(patient=patient, doctor=doctor)
    other_entry = join_waitlist(patient=patient, doctor=DoctorFactory())
    target = SlotFactory(doctor=doctor, clinic=doctor.clinic, start=in_hours(120))
    # The patient moves their appointment (another doctor's) to this doctor's slot, through
    # the API: the reschedule service sends appointment_rescheduled.
    response = client_for(patient.user).post(
        f"/api/v1/appointments/{appointment.pk}/reschedule/", {"slot": str(target.pk)}
    )
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    other_entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    assert entry.ended_at is not None
    assert other_entry.status == EntryStatus.WAITING
