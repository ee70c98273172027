"""Emergency ("break-glass") access: a doctor outside any care relationship reads a patient's
history for a limited time, with a reason the patient reads in their access log."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from records.models import BreakGlassAccess, PatientHistoryEntry
from tests.errors import assert_error
from tests.factories import DoctorFactory, HistoryEntryFactory, PatientFactory
from tests.records.conftest import V1, access_log_url, history_url

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
REASON = "Unconscious in the emergency room; checking allergies and medication."


def break_glass_url(patient) -> str:
    return f"{V1}/patients/{patient.pk}/break-glass/"


@pytest.fixture
def stranger(records_world):
    """A confirmed doctor who never had an appointment with world.patient."""
    return records_world.other_doctor


def open_access(client_for, doctor, patient, access_log) -> BreakGlassAccess:
    response = client_for(doctor.user).post(break_glass_url(patient), {"reason": REASON})
    assert response.status_code == 201, response.content
    grant = BreakGlassAccess.objects.get(pk=response.json()["id"])
    row = access_log.assert_one(user=doctor.user, patient=patient, action="break_glass", entries=[])
    assert row.break_glass_id == grant.pk
    return grant


def test_opening_grants_a_timed_read_with_the_reason_logged(
    client_for, records_world, stranger, access_log, settings
):
    settings.BREAK_GLASS_MINUTES = 30
    w = records_world
    assert_error(client_for(stranger.user).get(history_url(w.patient)), 404, "not_found")

    with time_machine.travel(NOW, tick=False):
        response = client_for(stranger.user).post(break_glass_url(w.patient), {"reason": REASON})
    assert response.status_code == 201, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert (body["patient"], body["doctor"], body["reason"]) == (
        str(w.patient.pk),
        str(stranger.pk),
        REASON,
    )
    assert parse_datetime(body["created_at"]) == NOW
    assert parse_datetime(body["expires_at"]) == NOW + timedelta(minutes=30)
    grant = BreakGlassAccess.objects.get(pk=body["id"])
    access_log.assert_one(user=stranger.user, patient=w.patient, action="break_glass", entries=[])

    listed = client_for(stranger.user).get(history_url(w.patient))
    assert listed.status_code == 200, listed.content
    assert [e["id"] for e in listed.json()["results"]] == [str(e.pk) for e in w.newest_first]
    row = access_log.assert_one(
        user=stranger.user, patient=w.patient, action="list", entries=w.newest_first
    )
    assert row.break_glass_id == grant.pk
    read = client_for(stranger.user).get(history_url(w.patient, w.entry))
    assert read.status_code == 200
    row = access_log.assert_one(
        user=stranger.user, patient=w.patient, action="read", entries=[w.entry]
    )
    assert row.break_glass_id == grant.pk


def test_the_patient_sees_the_opening_and_its_reads_with_the_reason(
    client_for, records_world, stranger, access_log
):
    w = records_world
    grant = open_access(client_for, stranger, w.patient, access_log)
    client_for(stranger.user).get(history_url(w.patient, w.entry))
    access_log.assert_one(user=stranger.user, patient=w.patient, action="read", entries=[w.entry])

    results = client_for(w.patient.user).get(access_log_url(w.patient)).json()["results"]
    access_log.assert_one(
        user=w.patient.user, patient=w.patient, action="read_access_log", entries=[]
    )
    assert [(r["action"], r["user"]["id"]) for r in results] == [
        ("read", str(stranger.user_id)),
        ("break_glass", str(stranger.user_id)),
    ]
    summary = {
        "id": str(grant.pk),
        "reason": REASON,
        "expires_at": results[0]["break_glass"]["expires_at"],
    }
    assert [r["break_glass"] for r in results] == [summary, summary]
    assert parse_datetime(summary["expires_at"]) == grant.expires_at


def test_access_ends_at_the_time_limit(client_for, records_world, stranger, access_log, settings):
    settings.BREAK_GLASS_MINUTES = 15
    w = records_world
    grant = open_access(client_for, stranger, w.patient, access_log)
    doctor = client_for(stranger.user)

    with time_machine.travel(grant.expires_at - timedelta(seconds=5), tick=False):
        assert doctor.get(history_url(w.patient, w.entry)).status_code == 200
        access_log.assert_one(
            user=stranger.user, patient=w.patient, action="read", entries=[w.entry]
        )
    with time_machine.travel(grant.expires_at, tick=False):
        assert_error(doctor.get(history_url(w.patient)), 404, "not_found")
        assert_error(doctor.get(history_url(w.patient, w.entry)), 404, "not_found")
    access_log.assert_none()


def test_emergency_access_reads_but_does_not_write(client_for, records_world, stranger, access_log):
    w = records_world
    open_access(client_for, stranger, w.patient, access_log)
    note = {"entry_type": "note", "title": "Seen", "details": "Stable."}
    response = client_for(stranger.user).post(history_url(w.patient), note)
    assert_error(response, 403, "permission_denied")
    response = client_for(stranger.user).post(history_url(w.patient, w.entry, amend=True), note)
    assert_error(response, 403, "permission_denied")
    assert not PatientHistoryEntry.objects.filter(author=stranger).exists()
    access_log.assert_none()


def test_it_opens_only_that_patients_record(client_for, records_world, stranger, access_log):
    w = records_world
    open_access(client_for, stranger, w.patient, access_log)
    assert_error(client_for(stranger.user).get(history_url(w.other_patient)), 404, "not_found")
    access_log.assert_none()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "required"),
        ({"reason": ""}, "blank"),
        ({"reason": "   "}, "blank"),
        ({"reason": "urgent"}, "min_length"),
        ({"reason": "x" * 1001}, "max_length"),
        ({"reason": ["Unconscious patient"]}, "invalid"),
    ],
)
def test_a_reason_is_required(client_for, records_world, stranger, access_log, body, code):
    response = client_for(stranger.user).post(break_glass_url(records_world.patient), body)
    assert_error(response, 400, code, attr="reason")
    assert not BreakGlassAccess.objects.exists()
    access_log.assert_none()


def test_unknown_or_inactive_patients_are_404s(client_for, records_world, stranger, access_log):
    inactive = PatientFactory(user__is_active=False)
    client = client_for(stranger.user)
    for url in (
        f"{V1}/patients/00000000-0000-4000-8000-000000000000/break-glass/",
        break_glass_url(inactive),
    ):
        assert_error(client.post(url, {"reason": REASON}), 404, "not_found")
    assert_error(
        client.post(f"{V1}/patients/nope/break-glass/", {"reason": REASON}), 404, "not_found"
    )
    assert not BreakGlassAccess.objects.exists()
    access_log.assert_none()


def test_a_treating_doctor_needs_no_emergency_access(client_for, records_world, access_log):
    w = records_world
    response = client_for(w.doctor.user).post(break_glass_url(w.patient), {"reason": REASON})
    assert_error(response, 409, "already_has_access")
    assert not BreakGlassAccess.objects.exists()
    access_log.assert_none()


def test_opening_costs_a_fixed_number_of_queries(
    client_for, records_world, stranger, access_log, django_assert_max_num_queries
):
    w = records_world
    client = client_for(stranger.user)
    # user, roles, doctor, patient, guardian's permission + the treating check, the grant, the
    # log row (savepoints aside)
    with django_assert_max_num_queries(9):
        response = client.post(break_glass_url(w.patient), {"reason": REASON})
    assert response.status_code == 201
    access_log.assert_one(user=stranger.user, patient=w.patient, action="break_glass", entries=[])


@pytest.mark.parametrize("page_size", [50, 1])
def test_emergency_history_list_query_count(
    client_for, access_log, django_assert_max_num_queries, page_size
):
    patient, stranger = PatientFactory(), DoctorFactory()
    for _ in range(50):
        HistoryEntryFactory(patient=patient)
    open_access(client_for, stranger, patient, access_log)
    # user, roles, guardian's permission, patient (with its open access), count, page,
    # amendments, the log row
    with django_assert_max_num_queries(8):
        response = client_for(stranger.user).get(f"{history_url(patient)}?page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    access_log.assert_one(
        user=stranger.user,
        patient=patient,
        action="list",
        entries=[e["id"] for e in response.json()["results"]],
    )
