"""Issue #18 part 4: private iCalendar feeds. Parsed with icalendar: only the owner's
appointments, no medical data, a doctor sees first names and last initials, stable UIDs with
SEQUENCE, cancelled events marked; rotation and revocation kill the old URL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from icalendar import Calendar

from accounts.models import UserRole
from appointments.models import Appointment
from appointments.services import book_appointment, cancel_appointment, reschedule_appointment
from calendars.models import CalendarFeed
from calendars.services import create_feed, hash_token
from patients.models import Patient
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    PASSWORD,
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
FEEDS = f"{V1}/calendar-feeds/"


def feed_path(url: str) -> str:
    return url.split("testserver", 1)[1]


def events(response) -> list:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    return Calendar.from_ical(response.content).walk("VEVENT")


def whole_seconds(moment):
    return moment.replace(microsecond=0)


@pytest.fixture
def patient():
    return PatientFactory(user__first_name="Pia", user__last_name="Patientsky")


def new_feed(client_for, user, role: str) -> str:
    response = client_for(user).post(FEEDS, {"role": role})
    assert response.status_code == 201, response.content
    return feed_path(response.json()["url"])


def test_patient_feed_shows_own_appointments_in_utc_with_stable_uids(client_for, patient):
    doctor = DoctorFactory(user__first_name="Dora", user__last_name="Doctor")
    slot = SlotFactory(doctor=doctor, start=in_hours(72))
    mine = book_appointment(patient=patient, slot_id=slot.pk, notes="Chest pain").appointment
    AppointmentFactory(slot__doctor=doctor, slot__start=in_hours(90))  # someone else's
    path = new_feed(client_for, patient.user, "patient")

    [event] = events(client_for(None).get(path))
    assert str(event["UID"]) == f"{mine.pk}@careslot"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == whole_seconds(slot.start)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert "DTSTART:" in event.to_ical().decode()  # UTC ("...Z"), no TZID needed
    assert event.decoded("DTEND") == whole_seconds(slot.end)
    assert str(event["SUMMARY"]) == "Appointment with Dr. Dora Doctor"
    assert slot.clinic.name in str(event["LOCATION"])
    text = client_for(None).get(path).content.decode()
    assert "Chest pain" not in text
    assert doctor.specialty.name not in text


def test_a_visit_types_modality_and_id_are_in_the_feed_never_its_join_link(client_for, patient):
    from tests.factories import VisitTypeFactory

    doctor = DoctorFactory(user__first_name="Dora", user__last_name="Doctor")
    visit_type = VisitTypeFactory(doctor=doctor, modality="video", name="Psychotherapy")
    slot = SlotFactory(doctor=doctor, start=in_hours(72))
    mine = book_appointment(
        patient=patient, slot_id=slot.pk, visit_type_id=visit_type.pk
    ).appointment
    for user, role, summary in (
        (patient.user, "patient", "Video appointment with Dr. Dora Doctor"),
        (doctor.user, "doctor", "Video appointment: Pia P."),
    ):
        response = client_for(None).get(new_feed(client_for, user, role))
        [event] = events(response)
        assert str(event["SUMMARY"]) == summary
        assert event["CATEGORIES"].cats == ["VIDEO"]
        assert str(event["X-CARESLOT-VISIT-TYPE"]) == str(visit_type.pk)
        text = response.content.decode()
        assert mine.video_room not in text
        assert "Psychotherapy" not in text  # a type's name may say what the visit is for


def test_moves_and_cancellations_keep_the_uid_and_bump_the_sequence(client_for, patient):
    slot = SlotFactory(start=in_hours(72))
    appointment = book_appointment(patient=patient, slot_id=slot.pk).appointment
    path = new_feed(client_for, patient.user, "patient")
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(100))
    reschedule_appointment(appointment=appointment, slot_id=target.pk, actor=patient.user)

    [event] = events(client_for(None).get(path))
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"{appointment.pk}@careslot", 1)
    assert event.decoded("DTSTART") == whole_seconds(target.start)

    cancel_appointment(appointment=appointment, cancelled_by=patient.user)
    [event] = events(client_for(None).get(path))
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"{appointment.pk}@careslot", 2)
    assert str(event["STATUS"]) == "CANCELLED"


def test_doctor_feed_names_patients_by_first_name_and_initial_only(client_for, patient):
    doctor = DoctorFactory()
    appointment = book_appointment(
        patient=patient,
        slot_id=SlotFactory(doctor=doctor, start=in_hours(50)).pk,
        notes="Recurring migraine",
    ).appointment
    AppointmentFactory()  # another doctor's
    path = new_feed(client_for, doctor.user, "doctor")

    response = client_for(None).get(path)
    [event] = events(response)
    assert str(event["UID"]) == f"{appointment.pk}@careslot"
    assert str(event["SUMMARY"]) == "Appointment: Pia P."
    text = response.content.decode()
    assert "Patientsky" not in text
    assert "migraine" not in text
    assert patient.user.email not in text


def test_old_and_far_past_appointments_are_left_out(client_for, patient):
    AppointmentFactory(patient=patient, slot__start=in_hours(-24 * 100))
    recent = AppointmentFactory(patient=patient, slot__start=in_hours(-24 * 10))
    path = new_feed(client_for, patient.user, "patient")
    assert [str(e["UID"]) for e in events(client_for(None).get(path))] == [f"{recent.pk}@careslot"]


def test_rotation_kills_the_old_url_and_revocation_the_feed(client_for, patient):
    client = client_for(patient.user)
    created = client.post(FEEDS, {"role": "patient"}).json()
    old_path = feed_path(created["url"])
    assert client_for(None).get(old_path).status_code == 200

    rotated = client.post(f"{FEEDS}{created['id']}/rotate/")
    assert rotated.status_code == 200
    new_path = feed_path(rotated.json()["url"])
    assert new_path != old_path
    assert_error(client_for(None).get(old_path), 404, "not_found")
    assert client_for(None).get(new_path).status_code == 200

    assert client.delete(f"{FEEDS}{created['id']}/").status_code == 204
    assert_error(client_for(None).get(new_path), 404, "not_found")
    assert client.get(FEEDS).json() == []


def test_only_the_token_hash_is_stored_and_the_url_is_shown_once(client_for, patient):
    client = client_for(patient.user)
    created = client.post(FEEDS, {"role": "patient"}).json()
    token = created["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 256 random bits
    feed = CalendarFeed.objects.get()
    assert feed.token_hash == hash_token(token)
    assert token not in str(CalendarFeed.objects.values().get())
    [listed] = client.get(FEEDS).json()
    assert "url" not in listed
    assert listed["id"] == created["id"]


def test_one_feed_per_role_and_only_for_a_role_you_hold(client_for, patient):
    client = client_for(patient.user)
    assert client.post(FEEDS, {"role": "patient"}).status_code == 201
    assert_error(client.post(FEEDS, {"role": "patient"}), 409, "feed_exists")
    assert_error(client.post(FEEDS, {"role": "doctor"}), 403, "role_required")


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "required"), ({"role": "admin"}, "invalid_choice"), ({"role": 1}, "invalid_choice")],
)
def test_bad_create_input(client_for, patient, body, code):
    response = client_for(patient.user).post(FEEDS, body, format="json")
    assert_error(response, 400, code, attr="role")


def test_a_deactivated_owner_or_a_lost_role_ends_the_feed(client_for, patient):
    _, token = create_feed(user=patient.user, role="patient")
    path = f"{V1}/calendar/{token}.ics"
    UserRole.objects.filter(user=patient.user).delete()
    assert_error(client_for(None).get(path), 404, "not_found")
    doctor = DoctorFactory()
    _, token = create_feed(user=doctor.user, role="doctor")
    doctor.user.is_active = False
    doctor.user.save()
    assert_error(client_for(None).get(f"{V1}/calendar/{token}.ics"), 404, "not_found")


def test_unknown_tokens_and_stray_auth_headers(client_for, patient):
    assert_error(client_for(None).get(f"{V1}/calendar/{'x' * 43}.ics"), 404, "not_found")
    _, token = create_feed(user=patient.user, role="patient")
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt", HTTP_ACCEPT="application/json")
    assert client.get(f"{V1}/calendar/{token}.ics").status_code == 200


def test_the_feed_costs_the_same_queries_for_one_event_or_many(
    client_for, patient, django_assert_max_num_queries, settings
):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 100
    doctor = DoctorFactory()
    _, token = create_feed(user=doctor.user, role="doctor")
    path = f"{V1}/calendar/{token}.ics"
    AppointmentFactory(slot__doctor=doctor, slot__start=in_hours(30))
    client = client_for(None)
    client.get(path)  # warm caches
    with django_assert_max_num_queries(2):
        assert len(events(client.get(path))) == 1
    for hours in range(40):
        AppointmentFactory(slot__doctor=doctor, slot__start=in_hours(40 + hours))
    with django_assert_max_num_queries(2):
        assert len(events(client.get(path))) == 41


def test_my_feeds_list_costs_the_same_for_one_or_two(client_for, django_assert_max_num_queries):
    doctor = DoctorFactory()
    UserRole.objects.create(user=doctor.user, role="patient")
    create_feed(user=doctor.user, role="doctor")
    client = client_for(doctor.user)
    client.get(FEEDS)
    with CaptureQueriesContext(connection) as one:
        client.get(FEEDS)
    create_feed(user=doctor.user, role="patient")
    with django_assert_max_num_queries(len(one)):
        assert len(client.get(FEEDS).json()) == 2


def test_appointments_the_feed_owner_does_not_have_stay_out(client_for, patient):
    """A user who is a doctor and a patient: each feed shows only its own side."""
    doctor = DoctorFactory()
    UserRole.objects.create(user=doctor.user, role="patient")
    as_patient = Patient.objects.create(user=doctor.user, date_of_birth="1980-01-01")
    AppointmentFactory(patient=as_patient, slot__start=in_hours(30))
    treated = AppointmentFactory(patient=patient, slot__doctor=doctor, slot__start=in_hours(60))
    _, token = create_feed(user=doctor.user, role="doctor")
    [event] = events(client_for(None).get(f"{V1}/calendar/{token}.ics"))
    assert str(event["UID"]) == f"{treated.pk}@careslot"
    assert Appointment.objects.count() == 2
    assert event.decoded("DTSTART") - event.decoded("DTEND") == -timedelta(minutes=30)


def _reset_confirm(user) -> dict:
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "new_password": "A-whole-new-password-2026",
    }


@pytest.mark.parametrize("ending", ["password reset", "password change", "deactivation"])
def test_what_ends_every_session_ends_the_feeds_for_good(client_for, patient, ending):
    """A feed URL is a credential: a reset, a change of password or a deactivation ends it,
    and it does not come back with the account."""
    _, token = create_feed(user=patient.user, role="patient")
    path = f"{V1}/calendar/{token}.ics"
    assert client_for(None).get(path).status_code == 200
    user = patient.user
    if ending == "password reset":
        response = client_for(None).post(f"{V1}/auth/password/reset/confirm/", _reset_confirm(user))
    elif ending == "password change":
        response = client_for(user).post(
            f"{V1}/auth/password/change/",
            {"current_password": PASSWORD, "new_password": "A-whole-new-password-2026"},
        )
    else:
        admin = user_with_role("platform_admin")
        response = client_for(admin).post(f"{V1}/users/{user.pk}/deactivate/", {"reason": "x"})
        client_for(admin).post(f"{V1}/users/{user.pk}/activate/", {"reason": "appeal"})
    assert response.status_code == 200, response.content
    assert not CalendarFeed.objects.filter(user=user).exists()
    assert_error(client_for(None).get(path), 404, "not_found")


def test_a_feed_carries_at_most_500_events_the_earliest_first(client_for, patient):
    doctor = DoctorFactory()
    clinic = AppointmentFactory(patient=patient, slot__doctor=doctor).clinic
    first = in_hours(24 * 20)
    slots = Slot.objects.bulk_create(
        Slot(
            doctor=doctor,
            clinic=clinic,
            start=first + timedelta(minutes=30 * i),
            end=first + timedelta(minutes=30 * (i + 1)),
            status="booked",
        )
        for i in range(500)
    )
    Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            slot=slot,
            doctor=doctor,
            clinic=clinic,
            start=slot.start,
            end=slot.end,
            consultation_fee=Decimal("80.00"),
            transaction_fee=Decimal("2.90"),
            total_amount=Decimal("82.90"),
            currency="EUR",
        )
        for slot in slots
    )
    assert Appointment.objects.filter(patient=patient).count() == 501
    path = new_feed(client_for, patient.user, "patient")
    uids = [str(e["UID"]) for e in events(client_for(None).get(path))]
    assert len(uids) == 500
    latest = Appointment.objects.filter(patient=patient).order_by("-start").first()
    assert f"{latest.pk}@careslot" not in uids  # the cap drops the latest, not the next ones
