"""A slot at the far end of what is accepted still renders in every response that shows it.

Before the windows, a slot near the year 9999 could be committed and then every list holding it
answered 500 (rendering it in the clinic's zone overflowed). Two slots here: the last one the
API accepts (ending at the slot horizon), and the last one the database accepts (the end of
2199, inserted directly, as the admin or a script could). Both are booked, in clinics at the
extreme offsets, and every list, detail, report and email that can show them must answer."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar

from appointments.models import Appointment
from common.date_windows import STORABLE_UNTIL, slot_horizon
from scheduling.models import Slot
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
)

pytestmark = pytest.mark.django_db

ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "America/St_Johns", "Asia/Kathmandu"]


def _day_query(moment: datetime, zone: str) -> dict:
    return {"date": moment.astimezone(ZoneInfo(zone)).date().isoformat(), "tz": zone}


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    return {row["id"] for row in body.get("results", [body])}


@pytest.fixture
def far(world, client_for, run_tasks, outbox, request):
    """The doctor publishes a slot that ends exactly at the horizon (through the API) and
    another ending at the database's last minute (directly); a patient books both."""
    zone = request.param
    clinic = ClinicFactory(timezone=zone)
    AssociationFactory(doctor=world.doctor, clinic=clinic)
    end = (timezone.now() + slot_horizon()).replace(second=0, microsecond=0)
    response = client_for(world.doctor.user).post(
        "/api/v1/slots/",
        {
            "clinic": str(clinic.pk),
            "start": (end - timedelta(minutes=30)).isoformat(),
            "end": end.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    api_slot = Slot.objects.get(pk=response.json()["id"])
    patient = PatientFactory()
    booking = client_for(patient.user).post("/api/v1/appointments/", {"slot": str(api_slot.pk)})
    assert booking.status_code == 201, booking.content
    assert run_tasks() >= 1  # the confirmation email, with its calendar file in the clinic's zone
    _, calendar, _ = outbox[-1].attachments[0]
    assert f"TZID={zone}" in calendar
    last = STORABLE_UNTIL - timedelta(minutes=1)
    stored = AppointmentFactory(
        patient=patient,
        slot__doctor=world.doctor,
        slot__clinic=clinic,
        slot__start=last - timedelta(minutes=29),
        slot__end=last,
    )
    free = SlotFactory(doctor=world.doctor, clinic=clinic, start=last - timedelta(hours=2))
    return {
        "zone": zone,
        "clinic": clinic,
        "patient": patient,
        "appointments": [Appointment.objects.get(pk=booking.json()["id"]), stored],
        "free_slot": free,
    }


@pytest.mark.parametrize("far", ZONES, indirect=True)
def test_far_slots_and_appointments_render_everywhere(world, client_for, far):
    zone, clinic = far["zone"], far["clinic"]
    slot_viewers = [
        world.doctor.user,
        clinic_admin_of(clinic),
        world.platform_admin,
    ]
    appointment_viewers = [far["patient"].user, *slot_viewers]
    for appointment in far["appointments"]:
        day = _day_query(appointment.start, zone)
        for user in slot_viewers:
            client = client_for(user)
            assert str(appointment.slot_id) in _ids(client.get("/api/v1/slots/", day))
            assert _ids(client.get(f"/api/v1/slots/{appointment.slot_id}/"))
        for user in appointment_viewers:
            client = client_for(user)
            assert str(appointment.pk) in _ids(client.get("/api/v1/appointments/", day))
            assert _ids(client.get(f"/api/v1/appointments/{appointment.pk}/"))
            payment = client.get(f"/api/v1/appointments/{appointment.pk}/payment/")
            assert payment.status_code == 200, payment.content

    free = far["free_slot"]
    searched = client_for(far["patient"].user).get(
        "/api/v1/slots/available/", _day_query(free.start, zone)
    )
    assert str(free.pk) in _ids(searched)
    for row in searched.json()["results"]:
        assert row["start_local"].startswith(
            free.start.astimezone(ZoneInfo(zone)).date().isoformat()
        )


@pytest.mark.parametrize("far", ZONES, indirect=True)
@pytest.mark.parametrize("role", ["patient", "doctor"])
def test_calendar_feeds_hold_far_appointments(world, client_for, far, role):
    owner = far["patient"].user if role == "patient" else world.doctor.user
    created = client_for(owner).post("/api/v1/calendar-feeds/", {"role": role})
    assert created.status_code == 201, created.content
    feed = client_for(None).get(created.json()["url"].split("testserver", 1)[1])
    assert feed.status_code == 200, feed.content
    uids = {str(event["UID"]) for event in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert {str(a.pk) for a in far["appointments"]} <= {uid.split("@")[0] for uid in uids}


@pytest.mark.parametrize("far", ZONES, indirect=True)
def test_the_doctor_directory_and_reports_hold_far_slots(world, client_for, far):
    patient = client_for(far["patient"].user)
    assert patient.get("/api/v1/doctors/").status_code == 200
    profile = patient.get(f"/api/v1/doctors/{world.doctor.pk}/")
    assert profile.status_code == 200, profile.content
    assert client_for(world.doctor.user).get("/api/v1/doctors/me/").status_code == 200

    last_day = far["appointments"][0].start.astimezone(ZoneInfo(far["zone"])).date()
    query = {
        "date_from": (last_day - timedelta(days=30)).isoformat(),
        "date_to": last_day.isoformat(),
        "tz": far["zone"],
    }
    readers = {
        "bookings": world.platform_admin,
        "revenue": world.platform_admin,
        "doctors": world.platform_admin,
        "user-activity": world.platform_admin,
        "me": world.doctor.user,
    }
    for report, user in readers.items():
        for fmt in ("json", "csv"):
            response = client_for(user).get(f"/api/v1/reports/{report}/", {**query, "format": fmt})
            assert response.status_code == 200, (report, fmt, response.content)
    bookings = client_for(world.platform_admin).get("/api/v1/reports/bookings/", query).json()
    assert sum(row["booked"] for row in bookings["results"]) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2199, 12, 31, 23, 45, tzinfo=UTC), datetime(2200, 1, 1, 0, 15, tzinfo=UTC)),
        (datetime(1999, 12, 31, 23, 45, tzinfo=UTC), datetime(2000, 1, 1, 0, 15, tzinfo=UTC)),
    ],
)
def test_the_database_refuses_slot_times_outside_2000_to_2199(world, start, end):
    """The backstop for writes that skip the API: the Django admin validates the constraint
    as a form error (full_clean), a script gets an IntegrityError."""
    slot = Slot(doctor=world.doctor, clinic=world.clinic, start=start, end=end)
    with pytest.raises(ValidationError) as refused:
        slot.full_clean()
    assert refused.value.error_dict["__all__"][0].code == "date_out_of_range"
    with pytest.raises(IntegrityError), transaction.atomic():
        slot.save()
    appointment = AppointmentFactory.build(slot=world.slot, start=start, end=end)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.bulk_create([appointment])
