"""The FHIR booking path's refusals one by one (fhir_r4/booking.py): each bad Appointment, PUT or
JSON Patch answers its status, its stable code, the element it names and the words a client
shows, and books or changes nothing. The edges `make mutate` found no test pinning."""

import pytest

from appointments.models import Appointment, AppointmentStatus
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)
from tests.fhir_checks import assert_outcome, outcome_codes
from tests.fhir_r4.test_booking import R4, booking, patch_fhir, post_fhir, put_fhir
from tests.integrations.helpers import ClientCredentialsAPIClient, make_client

pytestmark = pytest.mark.django_db

SLOT_REFERENCE = 'Reference exactly one Slot: [{"reference": "Slot/<id>"}].'
SOMEONE = "00000000-0000-4000-8000-000000000000"


def assert_refusal(response, status: int, code: str, attr: str | None, detail: str) -> None:
    outcome = assert_outcome(response, status, code)
    [issue] = outcome["issue"]
    assert outcome_codes(response) == [code]
    assert issue.get("expression") == ([attr] if attr else None), issue
    assert issue["diagnostics"] == detail, issue


@pytest.fixture
def slot():
    return SlotFactory(start=in_hours(72))


@pytest.fixture
def patient_client(client_for):
    patient = PatientFactory()
    return patient, client_for(patient.user)


def with_slot(slot_id, **fields) -> dict:
    return booking(slot_id) | fields


BAD_BOOKINGS = {
    "not an object": (
        lambda s: ["Appointment"],
        "invalid_resource",
        "resourceType",
        "Send an Appointment resource.",
    ),
    "another resource": (
        lambda s: {"resourceType": "Slot"},
        "invalid_resource",
        "resourceType",
        "Send an Appointment resource.",
    ),
    "no status": (
        lambda s: with_slot(s, status=None),
        "invalid",
        "status",
        "Create an Appointment with status booked.",
    ),
    "no slot list": (
        lambda s: with_slot(s, slot={"reference": f"Slot/{s}"}),
        "invalid",
        "slot",
        SLOT_REFERENCE,
    ),
    "two slots": (
        lambda s: with_slot(s, slot=[{"reference": f"Slot/{s}"}] * 2),
        "invalid",
        "slot",
        SLOT_REFERENCE,
    ),
    "a slot that is no object": (
        lambda s: with_slot(s, slot=[f"Slot/{s}"]),
        "invalid",
        "slot",
        SLOT_REFERENCE,
    ),
    "a reference without a type": (
        lambda s: with_slot(s, slot=[{"reference": str(s)}]),
        "invalid",
        "slot",
        "Reference the Slot as Slot/<id>.",
    ),
    "a reference that is no string": (
        lambda s: with_slot(s, slot=[{"reference": 7}]),
        "invalid",
        "slot",
        "Reference the Slot as Slot/<id>.",
    ),
    "a slot id that is no uuid": (
        lambda s: with_slot(s, slot=[{"reference": "Slot/7"}]),
        "does_not_exist",
        "slot",
        "Not a CareSlot Slot id.",
    ),
    "a comment that is no string": (
        lambda s: with_slot(s, comment=7),
        "invalid",
        "comment",
        "A string is required.",
    ),
    "a comment too long": (
        lambda s: with_slot(s, comment="x" * 2001),
        "max_length",
        "comment",
        "At most 2000 characters.",
    ),
    "participants that are no list": (
        lambda s: with_slot(s, participant={"actor": {}}),
        "invalid",
        "participant",
        "A list of participants is required.",
    ),
    "a participant without an actor": (
        lambda s: with_slot(s, participant=[{"status": "x"}]),
        "invalid",
        "participant",
        "Each participant needs an actor reference.",
    ),
    "an actor reference that is no string": (
        lambda s: with_slot(s, participant=[{"actor": {"reference": 7}}]),
        "invalid",
        "participant",
        "Each participant needs an actor reference.",
    ),
}


@pytest.mark.parametrize("case", BAD_BOOKINGS, ids=list(BAD_BOOKINGS))
def test_each_bad_booking_names_its_element_and_books_nothing(patient_client, slot, case):
    make, code, attr, detail = BAD_BOOKINGS[case]
    _, client = patient_client
    response = post_fhir(client, f"{R4}/Appointment", make(slot.pk))
    assert_refusal(response, 400, code, attr, detail)
    assert not Appointment.objects.exists()


def test_a_comment_of_exactly_2000_characters_is_kept(patient_client, slot):
    _, client = patient_client
    response = post_fhir(client, f"{R4}/Appointment", with_slot(slot.pk, comment="x" * 2000))
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().notes == "x" * 2000


def test_participants_may_name_the_caller_or_others_who_are_no_patients(patient_client, slot):
    patient, client = patient_client
    participant = [
        {"actor": {"reference": f"Patient/{patient.pk}"}},
        {"actor": {"reference": f"Practitioner/{SOMEONE}"}},
        {"actor": {"reference": f"Location/{SOMEONE}"}},
    ]
    response = post_fhir(client, f"{R4}/Appointment", with_slot(slot.pk, participant=participant))
    assert response.status_code == 201, response.content
    stored = Appointment.objects.get()
    assert (stored.patient, stored.notes) == (patient, "")  # no comment, no notes


def test_another_patient_among_the_participants_is_refused(patient_client, slot):
    patient, client = patient_client
    participant = [
        {"actor": {"reference": f"Patient/{patient.pk}"}},
        {"actor": {"reference": f"Patient/{PatientFactory().pk}"}},
    ]
    response = post_fhir(client, f"{R4}/Appointment", with_slot(slot.pk, participant=participant))
    assert_refusal(response, 403, "permission_denied", None, "You may book only for yourself.")
    assert not Appointment.objects.exists()


def test_a_user_without_a_patient_profile_is_refused(client_for, slot):
    user = user_with_role("patient")  # the role, but no profile
    response = post_fhir(client_for(user), f"{R4}/Appointment", booking(slot.pk))
    assert_refusal(response, 403, "permission_denied", None, "You have no patient profile.")


@pytest.mark.parametrize(
    ("key", "status"),
    [("k" * 255, 201), ("k" * 256, 400), ("   ", 201)],
    ids=["255", "256", "blank"],
)
def test_the_idempotency_key_is_at_most_255_characters_and_a_blank_one_is_none(
    patient_client, slot, key, status
):
    _, client = patient_client
    response = post_fhir(client, f"{R4}/Appointment", booking(slot.pk), HTTP_IDEMPOTENCY_KEY=key)
    if status == 400:
        assert_refusal(response, 400, "max_length", "Idempotency-Key", "At most 255 characters.")
        assert not Appointment.objects.exists()
    else:
        assert response.status_code == 201, response.content
        stored = Appointment.objects.get()
        assert stored.idempotency_key == (key if key.strip() else None)


# Changing an appointment -------------------------------------------------------------------


@pytest.fixture
def appointment():
    return AppointmentFactory(slot__start=in_hours(72))


def test_put_needs_a_status_and_the_id_of_the_url(client_for, appointment):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    current = client.get(url).json()
    without_status = {key: value for key, value in current.items() if key != "status"}
    assert_refusal(
        put_fhir(client, url, without_status), 400, "invalid", "status", "A status is required."
    )
    assert_refusal(
        put_fhir(client, url, {**current, "id": SOMEONE}),
        400,
        "invalid",
        "id",
        "The id must be the one in the URL.",
    )
    without_id = {key: value for key, value in current.items() if key != "id"}
    assert put_fhir(client, url, without_id | {"status": "cancelled"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize(
    ("reason", "attr", "detail"),
    [
        ("plans", "cancelationReason", "A CodeableConcept with a text is required."),
        ({"text": 7}, "cancelationReason", "A CodeableConcept with a text is required."),
        ({"text": "x" * 501}, "cancelationReason.text", "At most 500 characters."),
    ],
    ids=["a string", "a text that is no string", "too long"],
)
def test_a_bad_cancelation_reason_is_refused(client_for, appointment, reason, attr, detail):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    body = client.get(url).json() | {"status": "cancelled", "cancelationReason": reason}
    code = "max_length" if detail.startswith("At most") else "invalid"
    assert_refusal(put_fhir(client, url, body), 400, code, attr, detail)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize(
    ("operations", "detail"),
    [
        (
            [{"op": "replace", "path": "/cancelationReason/text", "value": "moving"}],
            "Patch /status to cancelled.",
        ),
        (["replace"], "Only replace and add operations are supported."),
        (
            [{"op": "move", "path": "/status", "value": "cancelled"}],
            "Only replace and add operations are supported.",
        ),
        (
            [{"op": "replace", "path": "/status", "value": 7}],
            "Only /status (to cancelled) and /cancelationReason may be patched.",
        ),
        (
            [{"op": "replace", "path": "/status", "value": "arrived"}],
            "Only a change of the status to cancelled is supported.",
        ),
    ],
    ids=["no status", "no object", "move", "a status that is no string", "arrived"],
)
def test_a_patch_that_does_not_cancel_is_422(client_for, appointment, operations, detail):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    response = patch_fhir(client, url, operations)
    assert_refusal(response, 422, "unsupported_change", None, detail)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_an_empty_patch_is_400(client_for, appointment):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    assert_refusal(
        patch_fhir(client, url, []),
        400,
        "invalid",
        "patch",
        "Send a JSON Patch (RFC 6902) array of operations.",
    )


@pytest.mark.parametrize("op", ["replace", "add"])
@pytest.mark.parametrize(
    ("path", "value"),
    [("/cancelationReason", {"text": "moving away"}), ("/cancelationReason/text", "moving away")],
    ids=["reason", "reason text"],
)
def test_a_patch_cancels_with_the_reason_given(client_for, appointment, op, path, value):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    operations = [
        {"op": op, "path": "/status", "value": "cancelled"},
        {"op": op, "path": path, "value": value},
    ]
    response = patch_fhir(client, url, operations)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        "moving away",
    )
    assert appointment.cancelled_by == appointment.patient.user


# An integration client books for a patient its clinic knows ---------------------------------


@pytest.fixture
def site():
    """A clinic with a free slot and a patient it knows (an appointment there); another
    clinic's free slot."""

    class Site:
        clinic = ClinicFactory()
        slot = SlotFactory(clinic=clinic, start=in_hours(48))
        other_slot = SlotFactory(start=in_hours(48))
        patient = AppointmentFactory(slot__clinic=clinic, slot__start=in_hours(96)).patient
        admin = clinic_admin_of(clinic)

    return Site


def api_for(site, *scopes) -> ClientCredentialsAPIClient:
    client, _ = make_client(site.clinic, list(scopes), created_by=site.admin)
    return ClientCredentialsAPIClient(client)


def client_booking(slot, *references, **fields) -> dict:
    participants = [{"actor": {"reference": reference}} for reference in references]
    return booking(slot.pk, participant=participants) | fields


def test_a_client_books_for_the_one_patient_among_its_participants(site):
    api = api_for(site, "appointments:write")
    absolute = f"https://ehr.example/fhir/r4/Patient/{site.patient.pk}"
    body = client_booking(site.slot, f"Practitioner/{SOMEONE}", absolute, f"Location/{SOMEONE}")
    response = post_fhir(api, f"{R4}/Appointment", body)
    assert response.status_code == 201, response.content
    assert Appointment.objects.get(slot=site.slot).patient == site.patient


NAME_THE_PATIENT = "Name the patient: one participant Patient/<id>."


@pytest.mark.parametrize(
    "references",
    [(), (f"Practitioner/{SOMEONE}",), ("PATIENT", "PATIENT")],
    ids=["none", "no patient", "two patients"],
)
def test_a_client_names_exactly_one_patient(site, references):
    api = api_for(site, "appointments:write")
    references = [
        f"Patient/{site.patient.pk}" if reference == "PATIENT" else reference
        for reference in references
    ]
    response = post_fhir(api, f"{R4}/Appointment", client_booking(site.slot, *references))
    assert_refusal(response, 400, "required", "participant", NAME_THE_PATIENT)


def test_a_client_booking_without_participants_names_the_patient_it_lacks(site):
    api = api_for(site, "appointments:write")
    body = booking(site.slot.pk)  # no participant element at all
    assert_refusal(
        post_fhir(api, f"{R4}/Appointment", body), 400, "required", "participant", NAME_THE_PATIENT
    )


def test_a_client_books_only_slots_of_its_clinic(site):
    api = api_for(site, "appointments:write")
    body = client_booking(site.other_slot, f"Patient/{site.patient.pk}")
    response = post_fhir(api, f"{R4}/Appointment", body)
    assert_refusal(response, 400, "does_not_exist", "slot", "Not a Slot of this client's clinic.")
    assert not Appointment.objects.filter(slot=site.other_slot).exists()


def test_a_patch_without_a_reason_cancels_with_none(client_for, appointment):
    client = client_for(appointment.patient.user)
    operations = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    response = patch_fhir(client, f"{R4}/Appointment/{appointment.pk}", operations)
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", "")


@pytest.mark.parametrize(
    ("reason", "stored"),
    [
        ("ABSENT", ""),
        ("", ""),
        (None, ""),
        ({"coding": [{"code": "pat"}]}, ""),
        ({"text": "r" * 500}, "r" * 500),
    ],
    ids=["absent", "empty", "null", "coding only", "500 characters"],
)
def test_a_put_cancels_with_the_reason_it_carries(client_for, appointment, reason, stored):
    client = client_for(appointment.patient.user)
    url = f"{R4}/Appointment/{appointment.pk}"
    body = client.get(url).json() | {"status": "cancelled"}
    if reason != "ABSENT":
        body["cancelationReason"] = reason
    response = put_fhir(client, url, body)
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", stored)


def test_a_participant_that_is_no_object_is_refused(patient_client, slot):
    patient, client = patient_client
    body = with_slot(slot.pk, participant=[f"Patient/{patient.pk}"])
    assert_refusal(
        post_fhir(client, f"{R4}/Appointment", body),
        400,
        "invalid",
        "participant",
        "Each participant needs an actor reference.",
    )


def test_another_patient_named_by_an_absolute_reference_is_refused(patient_client, slot):
    _, client = patient_client
    other = f"https://ehr.example/fhir/r4/Patient/{PatientFactory().pk}"
    body = with_slot(slot.pk, participant=[{"actor": {"reference": other}}])
    response = post_fhir(client, f"{R4}/Appointment", body)
    assert_refusal(response, 403, "permission_denied", None, "You may book only for yourself.")
    assert not Appointment.objects.exists()
