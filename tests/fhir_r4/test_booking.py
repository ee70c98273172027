"""Booking and cancelling through FHIR: the REST API's services, its rules and its errors, as
OperationOutcomes. Every response is validated against the R4B models (tests/conftest.py)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from fhir.resources.R4B.appointment import Appointment as FHIRAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from accounts.services import issue_tokens
from appointments.models import Appointment, AppointmentStatus
from scheduling.models import Slot, SlotStatus
from tests.concurrency.race import run_together
from tests.conftest import CheckedAPIClient
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    SpecialtyFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)
from tests.fhir_checks import FHIR_JSON, assert_outcome

pytestmark = pytest.mark.django_db

R4 = "/fhir/r4"


def booking(slot_id, **extra) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        **extra,
    }


def post_fhir(client, url: str, body, content_type: str = FHIR_JSON, **headers):
    import json

    return client.generic(
        "POST", url, json.dumps(body), content_type=content_type, HTTP_ACCEPT=FHIR_JSON, **headers
    )


def put_fhir(client, url: str, body, content_type: str = FHIR_JSON):
    import json

    return client.generic("PUT", url, json.dumps(body), content_type=content_type)


def patch_fhir(client, url: str, operations, content_type: str = "application/json-patch+json"):
    import json

    return client.generic("PATCH", url, json.dumps(operations), content_type=content_type)


def test_from_metadata_to_a_booked_and_cancelled_appointment_using_only_fhir(client_for):
    specialty = SpecialtyFactory(name="Cardiology", slug="cardiology")
    doctor = DoctorFactory(specialty=specialty, user__last_name="Heart")
    clinic = ClinicFactory(name="Herz Klinik", timezone="Europe/Berlin")
    start = (in_hours(24 * 5)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot = SlotFactory(doctor=doctor, clinic=clinic, start=start)
    SlotFactory(doctor=DoctorFactory(), clinic=clinic, start=start)  # another specialty
    patient = PatientFactory()
    client = client_for(patient.user)

    # 1. What does the server support? Appointment create and Slot search by specialty/start.
    response = client.get(f"{R4}/metadata", HTTP_ACCEPT=FHIR_JSON)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    capability = CapabilityStatement.model_validate(response.json())
    by_type = {resource.type: resource for resource in capability.rest[0].resource}
    assert "create" in [i.code for i in by_type["Appointment"].interaction]
    assert {"specialty", "start", "status", "schedule"} <= {
        p.name for p in by_type["Slot"].searchParam
    }

    # 2. Discover a free cardiology slot on that day.
    day, next_day = start.date(), start.date() + timedelta(days=1)
    response = client.get(
        f"{R4}/Slot?specialty=cardiology&status=free&start=ge{day}&start=lt{next_day}"
    )
    bundle = Bundle.model_validate(response.json())
    assert bundle.total == 1
    found = bundle.entry[0].resource
    assert found.id == str(slot.pk)
    assert found.status == "free"

    # 3. Its schedule names the doctor and the clinic.
    schedule = client.get(f"{R4}/{found.schedule.reference}").json()
    actors = {actor["reference"] for actor in schedule["actor"]}
    assert {f"Practitioner/{doctor.pk}", f"Location/{clinic.pk}"} <= actors

    # 4. Book it.
    response = post_fhir(
        client,
        f"{R4}/Appointment",
        booking(
            found.id,
            comment="First visit",
            participant=[{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}],
        ),
    )
    assert response.status_code == 201, response.content
    created = FHIRAppointment.model_validate(response.json())
    assert created.status == "booked"
    assert response["Location"] == f"http://testserver{R4}/Appointment/{created.id}"
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.BOOKED

    # 5. Read it back; the slot is busy now, so the search no longer offers it.
    read = FHIRAppointment.model_validate(client.get(response["Location"]).json())
    assert read.id == created.id
    assert read.slot[0].reference == f"Slot/{slot.pk}"
    assert read.comment == "First visit"
    assert {p.actor.reference for p in read.participant} == {
        f"Patient/{patient.pk}",
        f"Practitioner/{doctor.pk}",
        f"Location/{clinic.pk}",
    }
    assert client.get(f"{R4}/Slot?specialty=cardiology").json()["total"] == 0

    # 6. Cancel it by setting the status: the slot is free again.
    cancelled = {**response.json(), "status": "cancelled", "cancelationReason": {"text": "Ill"}}
    response = put_fhir(client, f"{R4}/Appointment/{created.id}", cancelled)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelationReason"]["text"] == "Ill"
    assert Appointment.objects.get(pk=created.id).cancelled_by == patient.user
    assert client.get(f"{R4}/Slot?specialty=cardiology").json()["total"] == 1


@pytest.fixture
def slot():
    return SlotFactory(start=in_hours(72))


def test_a_taken_slot_is_a_409_conflict(client_for, slot):
    first = post_fhir(client_for(PatientFactory().user), f"{R4}/Appointment", booking(slot.pk))
    assert first.status_code == 201, first.content
    response = post_fhir(client_for(PatientFactory().user), f"{R4}/Appointment", booking(slot.pk))
    body = assert_outcome(response, 409, "slot_unavailable")
    assert body["issue"][0]["code"] == "conflict"


def test_a_past_slot_and_an_unknown_slot(client_for):
    client = client_for(PatientFactory().user)
    past = SlotFactory(start=in_hours(-2))
    assert_outcome(post_fhir(client, f"{R4}/Appointment", booking(past.pk)), 409, "slot_in_past")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_outcome(
        post_fhir(client, f"{R4}/Appointment", booking(unknown)), 409, "slot_unavailable"
    )


def test_an_overlapping_appointment_is_refused(client_for):
    patient = PatientFactory()
    first = SlotFactory(start=in_hours(72))
    second = SlotFactory(start=first.start + timedelta(minutes=10))
    client = client_for(patient.user)
    assert post_fhir(client, f"{R4}/Appointment", booking(first.pk)).status_code == 201
    assert_outcome(
        post_fhir(client, f"{R4}/Appointment", booking(second.pk)), 409, "patient_overlap"
    )


def test_the_idempotency_key_replays_the_first_booking(client_for, slot):
    client = client_for(PatientFactory().user)
    first = post_fhir(client, f"{R4}/Appointment", booking(slot.pk), HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_fhir(client, f"{R4}/Appointment", booking(slot.pk), HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = post_fhir(
        client, f"{R4}/Appointment", booking(slot.pk, comment="x"), HTTP_IDEMPOTENCY_KEY="k-1"
    )
    body = assert_outcome(other, 422, "idempotency_key_reused")
    assert body["issue"][0]["code"] == "business-rule"


def test_plain_application_json_is_accepted_too(client_for, slot):
    client = client_for(PatientFactory().user)
    response = post_fhir(client, f"{R4}/Appointment", booking(slot.pk), "application/json")
    assert response.status_code == 201
    response = client.get(
        f"{R4}/Appointment/{response.json()['id']}", HTTP_ACCEPT="application/json"
    )
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ([], "resourceType"),
        ({"resourceType": "Patient"}, "resourceType"),
        ({"resourceType": "Appointment", "status": "proposed", "slot": []}, "status"),
        ({"resourceType": "Appointment", "status": "booked"}, "slot"),
        ({"resourceType": "Appointment", "status": "booked", "slot": "Slot/x"}, "slot"),
        ({"resourceType": "Appointment", "status": "booked", "slot": [{}]}, "slot"),
        (
            {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": "Slot/1"}]},
            "slot",
        ),
        (
            {
                "resourceType": "Appointment",
                "status": "booked",
                "slot": [{"reference": "Schedule/00000000-0000-4000-8000-000000000000"}],
            },
            "slot",
        ),
        ("BOOKING", "comment"),
    ],
)
def test_bad_bookings_are_400_outcomes_naming_the_element(client_for, slot, body, attr):
    if body == "BOOKING":
        body = booking(slot.pk, comment=["not", "text"])
    response = post_fhir(client_for(PatientFactory().user), f"{R4}/Appointment", body)
    outcome = assert_outcome(response, 400)
    assert outcome["issue"][0]["expression"] == [attr], outcome
    assert not Appointment.objects.exists()


def test_a_body_that_is_not_json_is_a_400_outcome(client_for):
    client = client_for(PatientFactory().user)
    response = client.generic("POST", f"{R4}/Appointment", b"{nope", content_type=FHIR_JSON)
    assert_outcome(response, 400, "parse_error")


def test_booking_for_someone_else_is_refused(client_for, slot):
    other = PatientFactory()
    body = booking(slot.pk, participant=[{"actor": {"reference": f"Patient/{other.pk}"}}])
    response = post_fhir(client_for(PatientFactory().user), f"{R4}/Appointment", body)
    assert_outcome(response, 403, "permission_denied")
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("role", ["doctor", "clinic_admin", "platform_admin"])
def test_only_patients_book(client_for, slot, role):
    user = user_with_role(role)
    assert_outcome(post_fhir(client_for(user), f"{R4}/Appointment", booking(slot.pk)), 403)


def test_anonymous_callers_get_a_401_outcome_with_the_challenge(client_for, slot):
    response = post_fhir(client_for(None), f"{R4}/Appointment", booking(slot.pk))
    assert_outcome(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


# Cancelling ---------------------------------------------------------------------------------


@pytest.fixture
def appointment():
    return AppointmentFactory(slot__start=in_hours(72))


def test_patch_cancels_with_a_json_patch(client_for, appointment):
    response = patch_fhir(
        client_for(appointment.doctor.user),
        f"{R4}/Appointment/{appointment.pk}",
        [
            {"op": "replace", "path": "/status", "value": "cancelled"},
            {"op": "add", "path": "/cancelationReason", "value": {"text": "Doctor ill"}},
        ],
    )
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "Doctor ill"
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.AVAILABLE


def test_the_clinic_admin_cancels_and_a_platform_admin_may_not(client_for, appointment):
    url = f"{R4}/Appointment/{appointment.pk}"
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    admin = user_with_role("platform_admin")
    assert_outcome(patch_fhir(client_for(admin), url, cancel), 403, "permission_denied")
    response = patch_fhir(client_for(clinic_admin_of(appointment.clinic)), url, cancel)
    assert response.status_code == 200


def test_someone_elses_appointment_is_404_for_reads_and_writes(client_for, appointment):
    url = f"{R4}/Appointment/{appointment.pk}"
    client = client_for(PatientFactory().user)
    assert_outcome(client.get(url), 404, "not_found")
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    assert_outcome(patch_fhir(client, url, cancel), 404)
    other_admin = clinic_admin_of(ClinicFactory())
    assert_outcome(patch_fhir(client_for(other_admin), url, cancel), 404)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_the_cancellation_cutoff_applies(client_for):
    appointment = AppointmentFactory(slot__start=in_hours(2))
    response = patch_fhir(
        client_for(appointment.patient.user),
        f"{R4}/Appointment/{appointment.pk}",
        [{"op": "replace", "path": "/status", "value": "cancelled"}],
    )
    assert_outcome(response, 409, "cancellation_window_closed")


def test_a_second_cancel_is_a_no_op_and_other_changes_are_422(client_for, appointment):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    current = client.get(url).json()
    assert put_fhir(client, url, current).status_code == 200  # nothing changes
    assert_outcome(
        put_fhir(client, url, {**current, "status": "fulfilled"}), 422, "unsupported_change"
    )
    assert_outcome(
        patch_fhir(client, url, [{"op": "replace", "path": "/start", "value": "x"}]),
        422,
        "unsupported_change",
    )
    assert_outcome(put_fhir(client, url, {**current, "id": "other"}), 400)
    cancelled = {**current, "status": "cancelled"}
    assert put_fhir(client, url, cancelled).status_code == 200
    assert put_fhir(client, url, cancelled).status_code == 200  # already cancelled
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_patch_refuses_what_is_not_a_patch(client_for, appointment):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    assert_outcome(patch_fhir(client, url, {"status": "cancelled"}), 400)
    assert_outcome(patch_fhir(client, url, [{"op": "remove", "path": "/status"}]), 422)


@pytest.mark.django_db(transaction=True)
def test_patients_racing_for_one_slot_through_fhir_exactly_one_wins():
    cache.clear()
    tokens = [issue_tokens(user=PatientFactory().user)["access"] for _ in range(8)]
    slot = SlotFactory(start=in_hours(48))

    def call(token):
        def book():
            client = CheckedAPIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return post_fhir(client, f"{R4}/Appointment", booking(slot.pk)).status_code

        return book

    statuses = run_together([call(token) for token in tokens])
    assert Counter(statuses) == {201: 1, 409: 7}, statuses
    assert Appointment.objects.filter(slot=slot).count() == 1


def test_a_slot_held_by_another_patient_is_hidden_and_refused(client_for):
    from scheduling.services import hold_slot

    slot = SlotFactory(start=in_hours(72))
    holder, other = PatientFactory(), PatientFactory()
    hold_slot(patient=holder, slot_id=slot.pk)
    as_other, as_holder = client_for(other.user), client_for(holder.user)
    assert as_other.get(f"{R4}/Slot").json()["total"] == 0
    assert as_holder.get(f"{R4}/Slot").json()["total"] == 1
    assert_outcome(post_fhir(as_other, f"{R4}/Appointment", booking(slot.pk)), 409, "slot_held")
    assert post_fhir(as_holder, f"{R4}/Appointment", booking(slot.pk)).status_code == 201


@pytest.mark.parametrize("first_api", ["rest", "fhir"])
def test_one_idempotency_key_works_across_rest_and_fhir(client_for, slot, first_api):
    client = client_for(PatientFactory().user)

    def rest(notes="Knee"):
        return client.post(
            "/api/v1/appointments/",
            {"slot": str(slot.pk), "notes": notes},
            format="json",
            HTTP_IDEMPOTENCY_KEY="shared-1",
        )

    def fhir(notes="Knee"):
        return post_fhir(
            client,
            f"{R4}/Appointment",
            booking(slot.pk, comment=notes),
            HTTP_IDEMPOTENCY_KEY="shared-1",
        )

    first, retry = (rest, fhir) if first_api == "rest" else (fhir, rest)
    created = first()
    assert created.status_code == 201, created.content
    replayed = retry()  # the same booking retried through the other API
    assert replayed.status_code == 200, replayed.content
    assert replayed.json()["id"] == created.json()["id"]
    assert Appointment.objects.count() == 1
    other = retry(notes="Elbow")  # the same key with another request, through the other API
    assert other.status_code == 422
    assert Appointment.objects.count() == 1


def test_an_appointment_of_a_visit_type_carries_it_as_its_appointment_type(client_for):
    from appointments.services import book_appointment
    from tests.factories import VisitTypeFactory

    slot = SlotFactory()
    visit_type = VisitTypeFactory(doctor=slot.doctor, name="Follow-up", reason_code="follow-up")
    patient = PatientFactory()
    booked = book_appointment(patient=patient, slot_id=slot.pk, visit_type_id=visit_type.pk)
    response = client_for(patient.user).get(
        f"{R4}/Appointment/{booked.appointment.pk}", HTTP_ACCEPT=FHIR_JSON
    )
    assert response.status_code == 200, response.content
    resource = FHIRAppointment.model_validate(response.json())
    assert resource.appointmentType.text == "Follow-up"
    (coding,) = resource.appointmentType.coding
    assert (coding.code, coding.display) == ("follow-up", "Follow-up")
    assert resource.minutesDuration == 30
