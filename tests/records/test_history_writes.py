"""Adding and amending history entries: validation, links, and one log row per write in the
same transaction."""

import uuid

import pytest

from appointments.models import AppointmentStatus
from appointments.services import book_appointment, cancel_appointment
from records import services
from records.models import PatientHistoryEntry
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    HistoryEntryFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
)
from tests.records.conftest import history_url

pytestmark = pytest.mark.django_db

PRESCRIPTION = {
    "entry_type": "prescription",
    "title": "Antibiotic course",
    "medication": "Amoxicillin",
    "dosage": "500 mg",
    "frequency": "Three times a day",
    "duration": "7 days",
    "instructions": "Take with food.",
}


@pytest.fixture
def doctor_client(client_for, records_world):
    return client_for(records_world.doctor.user)


def test_doctor_adds_a_note(doctor_client, records_world, access_log):
    w = records_world
    response = doctor_client.post(
        history_url(w.patient),
        {"entry_type": "note", "title": "  Phone call  ", "details": "Feels better."},
        HTTP_USER_AGENT="CareSlot-Web/2.1",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Phone call"
    assert body["patient"] == str(w.patient.pk)
    assert body["author"] == {
        "id": str(w.doctor.pk),
        "first_name": "Dora",
        "last_name": "Doctor",
        "specialty": w.doctor.specialty.name,
    }
    assert (body["appointment"], body["amends"], body["amended_by"]) == (None, None, [])
    assert body["medication"] == body["icd10_code"] == ""
    assert "no-store" in response["Cache-Control"]
    row = access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="create", entries=[body["id"]]
    )
    assert (row.ip_address, row.user_agent) == ("203.0.113.9", "CareSlot-Web/2.1")


def test_doctor_prescribes_with_every_prescription_field(doctor_client, records_world, access_log):
    w = records_world
    response = doctor_client.post(
        history_url(w.patient), {**PRESCRIPTION, "appointment": str(w.started_appointment.pk)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {name: body[name] for name in PRESCRIPTION} == PRESCRIPTION
    assert body["appointment"] == str(w.started_appointment.pk)
    access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="create", entries=[body["id"]]
    )


def test_prescription_without_medication_is_a_field_error(doctor_client, records_world):
    count = PatientHistoryEntry.objects.count()
    body = {**PRESCRIPTION, "medication": ""}
    response = doctor_client.post(history_url(records_world.patient), body)
    assert_error(response, 400, "required", attr="medication")
    assert "no-store" in response["Cache-Control"]
    assert PatientHistoryEntry.objects.count() == count


def test_prescription_lists_every_missing_field(doctor_client, records_world):
    body = {"entry_type": "prescription", "title": "Antibiotic course", "medication": "X"}
    response = doctor_client.post(history_url(records_world.patient), body)
    errors = assert_error(response, 400, "required", attr="dosage")["errors"]
    assert {e["attr"] for e in errors} == {"dosage", "frequency", "duration", "instructions"}


def test_only_prescriptions_carry_prescription_fields(doctor_client, records_world):
    body = {"entry_type": "treatment", "title": "Physiotherapy", "dosage": "twice"}
    response = doctor_client.post(history_url(records_world.patient), body)
    assert_error(response, 400, "prescription_only", attr="dosage")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("J45", "J45"),
        ("j45.909", "J45.909"),
        (" e11.65 ", "E11.65"),
        ("S52.521A", "S52.521A"),
        ("C4A.0", "C4A.0"),
        ("U07.1", "U07.1"),
        ("", ""),
    ],
)
def test_icd10_codes_are_normalised(doctor_client, records_world, access_log, sent, stored):
    body = {"entry_type": "diagnosis", "title": "Diagnosis", "icd10_code": sent}
    response = doctor_client.post(history_url(records_world.patient), body)
    assert response.status_code == 201, response.content
    assert response.json()["icd10_code"] == stored
    access_log.assert_one(
        user=records_world.doctor.user,
        patient=records_world.patient,
        action="create",
        entries=[response.json()["id"]],
    )


@pytest.mark.parametrize(
    "code", ["J4", "45.9", "J45.", "J45.12345", "JJ5", "J45-909", "J4C", "J45.9 1"]
)
def test_malformed_icd10_codes_are_refused(doctor_client, records_world, code):
    body = {"entry_type": "diagnosis", "title": "Diagnosis", "icd10_code": code}
    response = doctor_client.post(history_url(records_world.patient), body)
    assert_error(response, 400, "invalid_icd10", attr="icd10_code")


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"entry_type": "note"}, "title", "required"),
        ({"entry_type": "note", "title": "   "}, "title", "blank"),
        ({"entry_type": "gossip", "title": "x"}, "entry_type", "invalid_choice"),
        ({"title": "x"}, "entry_type", "required"),
        ({"entry_type": "note", "title": "x", "appointment": "nope"}, "appointment", "invalid"),
    ],
)
def test_bad_entries_are_field_errors(doctor_client, records_world, body, attr, code):
    assert_error(doctor_client.post(history_url(records_world.patient), body), 400, code, attr)


NOT_THEIRS = {
    "another-doctors-appointment-with-the-patient": lambda w: (
        AppointmentFactory(patient=w.patient, slot__start=in_hours(300)).pk
    ),
    "the-doctors-appointment-with-another-patient": lambda w: (
        AppointmentFactory(
            patient=PatientFactory(),
            slot__doctor=w.doctor,
            slot__clinic=w.clinic,
            slot__start=in_hours(500),
        ).pk
    ),
    "no-such-appointment": lambda w: uuid.uuid4(),
}


@pytest.mark.parametrize("appointment", NOT_THEIRS.values(), ids=NOT_THEIRS.keys())
def test_a_linked_appointment_must_be_between_the_doctor_and_the_patient(
    doctor_client, records_world, appointment
):
    """One answer whether the appointment is someone else's or does not exist."""
    body = {"entry_type": "note", "title": "x", "appointment": str(appointment(records_world))}
    response = doctor_client.post(history_url(records_world.patient), body)
    body = assert_error(response, 400, "appointment_mismatch", attr="appointment")
    assert [e["detail"] for e in body["errors"]] == [
        "This is not an appointment between you and this patient."
    ]


def test_a_linked_appointment_must_not_be_cancelled(doctor_client, records_world):
    w = records_world
    cancelled = AppointmentFactory(
        patient=w.patient,
        slot__doctor=w.doctor,
        slot__clinic=w.clinic,
        slot__start=in_hours(400),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=in_hours(0),
    )
    body = {"entry_type": "note", "title": "x", "appointment": str(cancelled.pk)}
    response = doctor_client.post(history_url(w.patient), body)
    body = assert_error(response, 400, "appointment_cancelled", attr="appointment")
    assert [e["detail"] for e in body["errors"]] == ["The appointment was cancelled."]


def test_amending_adds_a_correction_and_leaves_the_original(
    doctor_client, records_world, access_log
):
    w = records_world
    original = w.entry
    response = doctor_client.post(
        history_url(w.patient, original, amend=True),
        {"entry_type": "diagnosis", "title": "Asthma, moderate persistent", "icd10_code": "J45.40"},
    )
    assert response.status_code == 201, response.content
    amendment = response.json()
    assert amendment["amends"] == str(original.pk)
    assert amendment["id"] != str(original.pk)
    access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="amend", entries=[amendment["id"]]
    )

    stored = PatientHistoryEntry.objects.get(pk=original.pk)
    assert (stored.title, stored.icd10_code) == ("Asthma", "J45.909")
    detail = doctor_client.get(history_url(w.patient, original)).json()
    assert detail["title"] == "Asthma"
    assert detail["amended_by"] == [amendment["id"]]
    access_log.assert_one(user=w.doctor.user, patient=w.patient, action="read", entries=[original])


def test_amending_another_patients_entry_is_refused(client_for, records_world):
    """The doctor treats both patients and can read both entries, but an amendment belongs to
    the history of the entry it corrects."""
    w = records_world
    both = DoctorFactory()
    for days, patient in [(12, w.patient), (13, w.other_patient)]:
        slot = SlotFactory(doctor=both, start=in_hours(24 * days))
        book_appointment(patient=patient, slot_id=slot.pk)
    count = PatientHistoryEntry.objects.count()
    response = client_for(both.user).post(
        history_url(w.patient, w.other_patient_entry, amend=True),
        {"entry_type": "note", "title": "Correction"},
    )
    assert_error(response, 400, "amends_other_patient", attr="amends")
    assert PatientHistoryEntry.objects.count() == count


def test_amending_an_entry_the_doctor_cannot_read_is_a_404(doctor_client, records_world):
    w = records_world
    note = {"entry_type": "note", "title": "Correction"}
    unseen = history_url(w.patient, w.other_patient_entry, amend=True)
    assert_error(doctor_client.post(unseen, note), 404, "not_found")
    unknown = f"{history_url(w.patient)}{uuid.uuid4()}/amend/"
    assert_error(doctor_client.post(unknown, note), 404, "not_found")


def test_an_amendment_is_validated_like_an_entry(doctor_client, records_world):
    w = records_world
    response = doctor_client.post(
        history_url(w.patient, w.entry, amend=True), {**PRESCRIPTION, "frequency": ""}
    )
    assert_error(response, 400, "required", attr="frequency")


def test_an_entry_is_not_kept_when_its_log_row_cannot_be_written(
    records_world, access_log, monkeypatch
):
    w = records_world

    def broken_log(**kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(services, "log_record_access", broken_log)
    count = PatientHistoryEntry.objects.count()
    with pytest.raises(RuntimeError):
        services.add_history_entry(
            author=w.doctor,
            patient=w.patient,
            access=services.AccessContext(user=w.doctor.user),
            entry_type="note",
            title="Lost",
        )
    with pytest.raises(RuntimeError):
        services.amend_history_entry(
            amends=w.entry,
            author=w.doctor,
            patient=w.patient,
            access=services.AccessContext(user=w.doctor.user),
            entry_type="note",
            title="Lost",
        )
    assert PatientHistoryEntry.objects.count() == count


@pytest.mark.parametrize("outcome", [AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW])
def test_a_doctor_who_had_an_appointment_keeps_access_after_a_later_cancellation(
    client_for, records_world, access_log, outcome
):
    """Access lasts while a booked, completed or no-show appointment remains."""
    w = records_world
    doctor = DoctorFactory()
    first = book_appointment(
        patient=w.patient, slot_id=SlotFactory(doctor=doctor, start=in_hours(24 * 14)).pk
    ).appointment
    type(first).objects.filter(pk=first.pk).update(status=outcome)
    later = book_appointment(
        patient=w.patient, slot_id=SlotFactory(doctor=doctor, start=in_hours(24 * 15)).pk
    ).appointment
    cancel_appointment(appointment=later, cancelled_by=doctor.user)

    client = client_for(doctor.user)
    response = client.post(history_url(w.patient), {"entry_type": "note", "title": "Seen"})
    assert response.status_code == 201, response.content
    access_log.assert_one(
        user=doctor.user, patient=w.patient, action="create", entries=[response.json()["id"]]
    )
    listed = client.get(history_url(w.patient))
    assert listed.status_code == 200
    access_log.assert_one(
        user=doctor.user,
        patient=w.patient,
        action="list",
        entries=[e["id"] for e in listed.json()["results"]],
    )


def test_the_entry_author_is_the_caller_whatever_the_body_says(
    doctor_client, records_world, access_log
):
    w = records_world
    response = doctor_client.post(
        history_url(w.patient),
        {"entry_type": "note", "title": "x", "author": str(w.other_doctor.pk), "amends": None},
    )
    assert response.status_code == 201
    created = PatientHistoryEntry.objects.get(pk=response.json()["id"])
    assert (created.author, created.amends) == (w.doctor, None)
    access_log.assert_one(user=w.doctor.user, patient=w.patient, action="create", entries=[created])


def test_entries_written_in_the_factory_are_visible_through_the_api(
    doctor_client, records_world, access_log
):
    """A sanity check of the fixtures: what the table tests rely on is really there."""
    extra = HistoryEntryFactory(patient=records_world.patient)
    response = doctor_client.get(history_url(records_world.patient, extra))
    assert response.status_code == 200
    access_log.assert_one(
        user=records_world.doctor.user,
        patient=records_world.patient,
        action="read",
        entries=[extra],
    )
