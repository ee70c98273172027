"""Reading history: newest first, filters, pages, the patient's own view; each read leaves one
access-log row naming exactly the entries returned."""

import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import Role
from patients.permissions import grant_doctor_access_to_patient
from tests.errors import assert_error
from tests.factories import DoctorFactory, HistoryEntryFactory, PatientFactory, user_with_role
from tests.records.conftest import MY_HISTORY_URL, history_url

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entry["id"] for entry in response.json()["results"]]


@pytest.fixture
def treated():
    """A patient, the doctor treating them, and their history written on three days."""
    patient = PatientFactory()
    doctor = DoctorFactory()
    grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
    entries = {}
    for name, entry_type, when in [
        ("diagnosis", "diagnosis", datetime(2021, 3, 1, 9, 0, tzinfo=UTC)),
        # 23:30 UTC on the 1st is already the 2nd in Berlin.
        ("late_note", "note", datetime(2021, 3, 1, 23, 30, tzinfo=UTC)),
        ("prescription", "prescription", datetime(2021, 3, 5, 10, 0, tzinfo=UTC)),
    ]:
        with time_machine.travel(when, tick=False):
            entries[name] = HistoryEntryFactory(
                patient=patient,
                author=doctor,
                entry_type=entry_type,
                prescription=entry_type == "prescription",
            )
    return patient, doctor, entries


def test_history_is_newest_first_and_each_page_is_logged_with_its_entries(
    client_for, treated, access_log
):
    patient, doctor, e = treated
    client = client_for(doctor.user)
    newest_first = [e["prescription"], e["late_note"], e["diagnosis"]]
    assert ids(client.get(history_url(patient))) == [str(x.pk) for x in newest_first]
    access_log.assert_one(user=doctor.user, patient=patient, action="list", entries=newest_first)

    first = client.get(f"{history_url(patient)}?page_size=2")
    assert ids(first) == [str(e["prescription"].pk), str(e["late_note"].pk)]
    assert first.json()["count"] == 3
    access_log.assert_one(
        user=doctor.user,
        patient=patient,
        action="list",
        entries=[e["prescription"], e["late_note"]],
    )
    second = client.get(f"{history_url(patient)}?page_size=2&page=2")
    assert ids(second) == [str(e["diagnosis"].pk)]
    access_log.assert_one(
        user=doctor.user, patient=patient, action="list", entries=[e["diagnosis"]]
    )

    oldest_first = client.get(f"{history_url(patient)}?ordering=created_at")
    assert ids(oldest_first) == [str(x.pk) for x in reversed(newest_first)]
    access_log.assert_one(
        user=doctor.user, patient=patient, action="list", entries=list(reversed(newest_first))
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("entry_type=note", ["late_note"]),
        ("entry_type=note&entry_type=diagnosis", ["late_note", "diagnosis"]),
        ("date=2021-03-01", ["late_note", "diagnosis"]),
        ("date=2021-03-01&tz=Europe/Berlin", ["diagnosis"]),
        ("date_from=2021-03-02", ["prescription"]),
        ("date_from=2021-03-02&tz=Europe/Berlin", ["prescription", "late_note"]),
        ("date_to=2021-03-04", ["late_note", "diagnosis"]),
        ("entry_type=diagnosis&date_from=2021-03-02", []),
    ],
)
def test_history_filters(client_for, treated, access_log, query, expected):
    patient, doctor, e = treated
    response = client_for(doctor.user).get(f"{history_url(patient)}?{query}")
    assert ids(response) == [str(e[name].pk) for name in expected]
    access_log.assert_one(
        user=doctor.user, patient=patient, action="list", entries=[e[name] for name in expected]
    )


def test_history_filters_by_appointment(client_for, records_world, access_log):
    w = records_world
    url = f"{history_url(w.patient)}?appointment={w.started_appointment.pk}"
    linked = [e for e in w.entries if e.appointment_id == w.started_appointment.pk]
    assert ids(client_for(w.patient.user).get(url)) == [str(x.pk) for x in linked]
    access_log.assert_one(user=w.patient.user, patient=w.patient, action="list", entries=linked)


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("entry_type=gossip", "entry_type", "invalid_choice"),
        ("date=yesterday", "date", "invalid"),
        ("tz=Nowhere", "tz", "invalid_timezone"),
        ("date_from=2021-03-05&date_to=2021-03-01", "date_to", "invalid_range"),
        ("appointment=x", "appointment", "invalid"),
    ],
)
def test_bad_filters_are_400s_and_read_nothing(client_for, treated, query, attr, code):
    patient, doctor, _ = treated
    response = client_for(doctor.user).get(f"{history_url(patient)}?{query}")
    assert_error(response, 400, code, attr=attr)
    assert "no-store" in response["Cache-Control"]


def test_an_entry_is_read_only_through_its_own_patients_history(client_for, records_world):
    """world.doctor treats world.patient only: another patient's entry is not in that history."""
    w = records_world
    client = client_for(w.doctor.user)
    assert_error(client.get(history_url(w.patient, w.other_patient_entry)), 404, "not_found")
    assert_error(client.get(history_url(w.other_patient, w.other_patient_entry)), 404, "not_found")
    missing = f"{history_url(w.patient)}{uuid.uuid4()}/"
    assert_error(client.get(missing), 404, "not_found")


def test_the_patient_reads_their_own_entry(client_for, records_world, access_log):
    w = records_world
    prescription = w.entries[1]
    response = client_for(w.patient.user).get(
        history_url(w.patient, prescription), HTTP_USER_AGENT="CareSlot-iOS/5", REMOTE_ADDR="::1"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["entry_type"], body["medication"]) == ("prescription", "Amoxicillin")
    assert body["appointment"] == str(w.started_appointment.pk)
    assert response["Cache-Control"].count("no-store") == 1
    row = access_log.assert_one(
        user=w.patient.user, patient=w.patient, action="read", entries=[prescription]
    )
    assert (row.ip_address, row.user_agent) == ("::1", "CareSlot-iOS/5")


def test_my_history_is_the_patients_own(client_for, treated, access_log):
    patient, _, e = treated
    HistoryEntryFactory()  # someone else's
    response = client_for(patient.user).get(f"{MY_HISTORY_URL}?entry_type=prescription")
    assert ids(response) == [str(e["prescription"].pk)]
    assert "no-store" in response["Cache-Control"]
    access_log.assert_one(
        user=patient.user, patient=patient, action="list", entries=[e["prescription"]]
    )


def test_my_history_needs_a_patient_profile(client_for):
    response = client_for(user_with_role(Role.PATIENT)).get(MY_HISTORY_URL)
    assert_error(response, 404, "not_found")
    assert "no-store" in response["Cache-Control"]


def test_an_empty_history_read_is_logged_too(client_for, access_log):
    patient = PatientFactory()
    assert ids(client_for(patient.user).get(MY_HISTORY_URL)) == []
    access_log.assert_one(user=patient.user, patient=patient, action="list", entries=[])


def test_an_overlong_user_agent_is_cut_and_a_bad_address_is_dropped(
    client_for, treated, access_log
):
    patient, doctor, e = treated
    response = client_for(doctor.user).get(
        history_url(patient, e["diagnosis"]), HTTP_USER_AGENT="x" * 2000, REMOTE_ADDR="unknown"
    )
    assert response.status_code == 200
    row = access_log.assert_one(
        user=doctor.user, patient=patient, action="read", entries=[e["diagnosis"]]
    )
    assert (row.ip_address, row.user_agent) == (None, "x" * 512)


def test_amendments_are_listed_on_the_entry_they_correct(client_for, treated, access_log):
    patient, doctor, e = treated
    first = HistoryEntryFactory(patient=patient, author=doctor, amends=e["diagnosis"])
    second = HistoryEntryFactory(patient=patient, amends=e["diagnosis"])
    response = client_for(doctor.user).get(history_url(patient, e["diagnosis"]))
    assert response.json()["amended_by"] == [str(first.pk), str(second.pk)]
    access_log.assert_one(
        user=doctor.user, patient=patient, action="read", entries=[e["diagnosis"]]
    )


@pytest.mark.parametrize("page_size", [50, 1])
def test_history_list_query_count(client_for, access_log, django_assert_max_num_queries, page_size):
    patient = PatientFactory()
    doctors = [DoctorFactory() for _ in range(3)]
    for doctor in doctors:
        grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
    entries = [
        HistoryEntryFactory(patient=patient, author=doctors[i % 3], prescription=i % 2 == 0)
        for i in range(50)
    ]
    for entry in entries[:10]:
        HistoryEntryFactory(patient=patient, author=doctors[0], amends=entry)
    # user, roles, guardian's permission, patient, count, page, amendments, the log row
    with django_assert_max_num_queries(8):
        response = client_for(doctors[0].user).get(f"{history_url(patient)}?page_size={page_size}")
    assert response.json()["count"] == 60
    assert len(response.json()["results"]) == page_size
    access_log.assert_one(
        user=doctors[0].user, patient=patient, action="list", entries=ids(response)
    )
    # user, roles, patient, count, page, amendments, the log row
    with django_assert_max_num_queries(7):
        response = client_for(patient.user).get(f"{MY_HISTORY_URL}?page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    access_log.assert_one(user=patient.user, patient=patient, action="list", entries=ids(response))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "logged"),
    [
        (0, "198.51.100.9", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "198.51.100.9, 203.0.113.7", "203.0.113.7"),
        (1, None, "10.0.0.2"),  # did not come through the proxy
        (2, "198.51.100.9, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
    ],
)
def test_the_logged_address_is_the_client_the_trusted_proxies_vouch_for(
    client_for, treated, access_log, settings, proxies, forwarded, logged
):
    settings.TRUSTED_PROXY_COUNT = proxies
    patient, doctor, e = treated
    headers = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    response = client_for(doctor.user).get(history_url(patient, e["diagnosis"]), **headers)
    assert response.status_code == 200
    row = access_log.assert_one(
        user=doctor.user, patient=patient, action="read", entries=[e["diagnosis"]]
    )
    assert row.ip_address == logged
