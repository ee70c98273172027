"""SMART Scheduling Links: a public $bulk-publish manifest and its Location, Schedule and Slot
NDJSON files, free/busy only, without patient data and without authentication."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
)
from tests.fhir_checks import assert_outcome, validate_ndjson

pytestmark = pytest.mark.django_db

R4 = "/fhir/r4"


def next_midnight_utc() -> datetime:
    """The start of a UTC day a few days ahead: the clock these tests stand on (frozen), so the
    day a test computes and the day the server computes are the same, or differ on purpose."""
    return datetime.combine(timezone.now().date() + timedelta(days=3), time(), tzinfo=UTC)


@pytest.fixture
def just_before_midnight():
    """The clock frozen a moment before midnight UTC, where a day computed twice may differ."""
    with time_machine.travel(next_midnight_utc() - timedelta(milliseconds=1), tick=False) as clock:
        yield clock


def fetch(client, url: str, resource_type: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/fhir+ndjson"
    return validate_ndjson(b"".join(response.streaming_content), resource_type)


def test_the_manifest_links_every_file_and_they_hold_free_busy_only(
    client_for, just_before_midnight
):
    clinic = ClinicFactory(phone="+49 30 1")
    ClinicFactory(is_active=False)
    doctor = DoctorFactory()
    association = AssociationFactory(doctor=doctor, clinic=clinic)
    unconfirmed = DoctorFactory(is_confirmed=False)
    AssociationFactory(doctor=unconfirmed, clinic=clinic)
    free = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(30))
    booked = AppointmentFactory(
        patient=PatientFactory(user__last_name="Secretname"),
        notes="private note",
        slot__doctor=doctor,
        slot__clinic=clinic,
        slot__start=in_hours(31),
    ).slot
    SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(32), status="blocked")
    SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(-3))  # past
    SlotFactory(doctor=unconfirmed, clinic=clinic, start=in_hours(33))  # not listed
    far = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24 * 7 * 5))  # past 4 weeks
    client = client_for(None)

    response = client.get(f"{R4}/$bulk-publish")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["request"] == f"http://testserver{R4}/$bulk-publish"
    assert manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    types = [output["type"] for output in manifest["output"]]
    assert types == ["Location", "Schedule", "Slot", "Slot", "Slot", "Slot"]

    files = {"Location": [], "Schedule": [], "Slot": []}
    for output in manifest["output"]:
        files[output["type"]] += fetch(client, output["url"], output["type"])

    assert [location["id"] for location in files["Location"]] == [str(clinic.pk)]
    assert files["Location"][0]["telecom"][0] == {
        "system": "phone",
        "value": "+49 30 1",
        "use": "work",
    }
    assert [schedule["id"] for schedule in files["Schedule"]] == [str(association.pk)]
    assert files["Schedule"][0]["actor"][0]["reference"] == f"Location/{clinic.pk}"
    assert files["Schedule"][0]["serviceType"]
    slots = {slot["id"]: slot for slot in files["Slot"]}
    assert set(slots) == {str(free.pk), str(booked.pk)}
    assert slots[str(free.pk)]["status"] == "free"
    assert slots[str(booked.pk)]["status"] == "busy"
    assert slots[str(free.pk)]["schedule"]["reference"] == f"Schedule/{association.pk}"
    assert str(far.pk) not in slots
    everything = b"".join(
        b"".join(client.get(output["url"]).streaming_content) for output in manifest["output"]
    )
    assert b"Secretname" not in everything
    assert b"private note" not in everything
    assert b"Patient" not in everything


@pytest.mark.parametrize("offset", [timedelta(milliseconds=-1), timedelta(), timedelta(hours=12)])
def test_slot_files_outside_the_published_weeks_are_404(client_for, offset):
    client = client_for(None)
    with time_machine.travel(next_midnight_utc() + offset, tick=False):
        today = timezone.now().date()
        assert client.get(f"{R4}/$bulk-publish/Slot-{today}.ndjson").status_code == 200
        last = today + timedelta(weeks=4, days=-1)
        assert client.get(f"{R4}/$bulk-publish/Slot-{last}.ndjson").status_code == 200
        for day in (
            today - timedelta(days=2),
            today + timedelta(weeks=4),
            "2026-02-30",
            "9999-12-31",
            "x",
        ):
            assert_outcome(client.get(f"{R4}/$bulk-publish/Slot-{day}.ndjson"), 404)


def test_a_manifest_read_before_midnight_still_serves_its_files_after(client_for):
    client = client_for(None)
    with time_machine.travel(next_midnight_utc() - timedelta(seconds=1), tick=False) as clock:
        manifest = client.get(f"{R4}/$bulk-publish").json()
        first_week = next(o["url"] for o in manifest["output"] if o["type"] == "Slot")
        clock.shift(timedelta(seconds=2))  # now past midnight: that file starts yesterday
        assert client.get(first_week).status_code == 200


def test_the_public_files_ignore_tokens(client_for):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer broken")
    assert client.get(f"{R4}/$bulk-publish").status_code == 200
    assert client.get(f"{R4}/$bulk-publish/Location.ndjson").status_code == 200


def test_a_held_slot_is_published_busy(client_for, just_before_midnight):
    from scheduling.services import hold_slot

    slot = SlotFactory(start=in_hours(30))
    hold_slot(patient=PatientFactory(), slot_id=slot.pk)
    day = timezone.now().date()
    slots = fetch(client_for(None), f"{R4}/$bulk-publish/Slot-{day}.ndjson", "Slot")
    assert [(s["id"], s["status"]) for s in slots] == [(str(slot.pk), "busy")]
