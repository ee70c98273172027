"""The record's access log: the patient sees who read or wrote their history; platform admins
audit it with network details; nobody sees medical content there."""

import pytest

from tests.errors import assert_error
from tests.records.conftest import access_log_url, history_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_twice(client_for, records_world, access_log):
    """world.doctor lists world.patient's history, then reads one entry (two log rows)."""
    w = records_world
    doctor = client_for(w.doctor.user)
    doctor.get(history_url(w.patient), HTTP_USER_AGENT="Clinic-PC/1", REMOTE_ADDR="198.51.100.7")
    listed = access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="list", entries=w.newest_first
    )
    doctor.get(history_url(w.patient, w.entry), HTTP_USER_AGENT="Clinic-PC/1")
    read = access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="read", entries=[w.entry]
    )
    return listed, read


def test_the_patient_sees_who_read_their_record_newest_first(
    client_for, records_world, read_twice, access_log
):
    w = records_world
    listed, read = read_twice
    response = client_for(w.patient.user).get(access_log_url(w.patient))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    results = response.json()["results"]
    assert [r["id"] for r in results] == [str(read.pk), str(listed.pk)]
    assert results[0] == {
        "id": str(read.pk),
        "user": {"id": str(w.doctor.user.pk), "first_name": "Dora", "last_name": "Doctor"},
        "patient": str(w.patient.pk),
        "action": "read",
        "entry_ids": [str(w.entry.pk)],
        "break_glass": None,
        "ip_address": None,
        "user_agent": None,
        "created_at": results[0]["created_at"],
    }
    # Reading the log is logged too, after the page was read: it is not on the page itself.
    access_log.assert_one(
        user=w.patient.user, patient=w.patient, action="read_access_log", entries=[]
    )
    again = client_for(w.patient.user).get(access_log_url(w.patient)).json()["results"]
    assert [r["action"] for r in again] == ["read_access_log", "read", "list"]
    access_log.assert_one(
        user=w.patient.user, patient=w.patient, action="read_access_log", entries=[]
    )


def test_platform_admins_audit_with_network_details_and_no_medical_content(
    client_for, records_world, read_twice, access_log
):
    w = records_world
    listed, _ = read_twice
    response = client_for(w.platform_admin).get(f"{access_log_url(w.patient)}?action=list")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == str(listed.pk)
    assert (row["ip_address"], row["user_agent"]) == ("198.51.100.7", "Clinic-PC/1")
    assert row["entry_ids"] == [str(e.pk) for e in w.newest_first]
    for entry in w.entries:
        assert entry.title not in response.content.decode()
    # An audit is an access too: the patient will see that an admin read their log.
    access_log.assert_one(
        user=w.platform_admin, patient=w.patient, action="read_access_log", entries=[]
    )


def test_a_patients_log_holds_only_their_record(client_for, records_world, read_twice, access_log):
    w = records_world
    other = client_for(w.other_patient.user)
    other.get(history_url(w.other_patient))
    access_log.assert_one(
        user=w.other_patient.user,
        patient=w.other_patient,
        action="list",
        entries=[w.other_patient_entry],
    )
    response = other.get(access_log_url(w.other_patient))
    assert [r["user"]["id"] for r in response.json()["results"]] == [str(w.other_patient.user.pk)]
    access_log.assert_one(
        user=w.other_patient.user, patient=w.other_patient, action="read_access_log", entries=[]
    )


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [("action=peek", "action", "invalid_choice"), ("date=soon", "date", "invalid")],
)
def test_bad_access_log_filters(client_for, records_world, query, attr, code):
    w = records_world
    response = client_for(w.patient.user).get(f"{access_log_url(w.patient)}?{query}")
    assert_error(response, 400, code, attr=attr)
    assert "no-store" in response["Cache-Control"]
