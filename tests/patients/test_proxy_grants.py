"""Proxy access between accounts (docs/families.md): a patient lets another patient account
act for them, by scope, until it expires or is revoked; both sides are mailed and every use is
in the patient's access log."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from patients.models import PatientUserObjectPermission, ProxyGrant
from records.models import RecordAccessLog
from tests.errors import assert_error
from tests.factories import (
    DoctorFactory,
    HistoryEntryFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
GRANTS = f"{V1}/proxy-grants/"
BOOK = f"{V1}/appointments/"


def grant_body(grantee, scope="booking", days=30) -> dict:
    return {
        "grantee_email": grantee.user.email,
        "scope": scope,
        "expires_at": (timezone.now() + timedelta(days=days)).isoformat(),
    }


def log_actions(patient, user) -> list[str]:
    rows = RecordAccessLog.objects.filter(patient=patient, user=user).order_by("created_at")
    return list(rows.values_list("action", flat=True))


def test_a_caregiver_with_the_booking_scope_books_and_cancels_and_it_is_logged(
    client_for, run_tasks, outbox
):
    patient, caregiver = PatientFactory(), PatientFactory()
    response = client_for(patient.user).post(GRANTS, grant_body(caregiver))
    assert response.status_code == 201, response.content
    grant = response.json()
    assert (grant["patient"], grant["grantee"]["id"], grant["scope"], grant["is_live"]) == (
        str(patient.pk),
        str(caregiver.user.pk),
        "booking",
        True,
    )
    run_tasks()
    assert sorted(message.to[0] for message in outbox) == sorted(
        [patient.user.email, caregiver.user.email]
    )
    # Both sides list it.
    for side in (patient, caregiver):
        listed = client_for(side.user).get(GRANTS).json()["results"]
        assert [row["id"] for row in listed] == [grant["id"]]
    helper = client_for(caregiver.user)
    booked = helper.post(BOOK, {"slot": str(SlotFactory().pk), "patient": str(patient.pk)})
    assert booked.status_code == 201, booked.content
    assert booked.json()["patient"]["id"] == str(patient.pk)
    assert booked.json()["booked_by"]["id"] == str(caregiver.user.pk)
    assert helper.post(f"{BOOK}{booked.json()['id']}/cancel/").status_code == 200
    assert log_actions(patient, caregiver.user) == ["book", "cancel"]
    # The patient sees the uses in their access log.
    log = client_for(patient.user).get(f"{V1}/patients/{patient.pk}/access-log/").json()
    assert {row["action"] for row in log["results"]} >= {"book", "cancel"}
    # The booking scope reads no history.
    assert_error(helper.get(f"{V1}/patients/{patient.pk}/history/"), 404, "not_found")
    assert_error(helper.get(f"{V1}/patients/{patient.pk}/access-log/"), 403, "permission_denied")


def test_the_history_scope_reads_the_history_and_is_logged(client_for):
    patient, caregiver = PatientFactory(), PatientFactory()
    entry = HistoryEntryFactory(patient=patient)
    client_for(patient.user).post(GRANTS, grant_body(caregiver, scope="booking_history"))
    helper = client_for(caregiver.user)
    history = helper.get(f"{V1}/patients/{patient.pk}/history/")
    assert history.status_code == 200, history.content
    assert [row["id"] for row in history.json()["results"]] == [str(entry.pk)]
    assert helper.get(f"{V1}/patients/{patient.pk}/access-log/").status_code == 200
    assert log_actions(patient, caregiver.user) == ["list", "read_access_log"]


def test_a_revoked_grant_stops_at_once_and_both_are_told(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    grant_id = client_for(patient.user).post(GRANTS, grant_body(caregiver)).json()["id"]
    run_tasks()
    outbox.clear()
    revoked = client_for(patient.user).post(f"{GRANTS}{grant_id}/revoke/")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["is_live"] is False
    run_tasks()
    assert len(outbox) == 2
    assert all("can no longer act" in message.body for message in outbox)
    helper = client_for(caregiver.user)
    refused = helper.post(BOOK, {"slot": str(SlotFactory().pk), "patient": str(patient.pk)})
    assert_error(refused, 400, "does_not_exist", "patient")
    assert not PatientUserObjectPermission.objects.filter(user=caregiver.user).exists()
    assert_error(
        client_for(patient.user).post(f"{GRANTS}{grant_id}/revoke/"), 409, "proxy_grant_ended"
    )


def test_the_grantee_may_give_a_grant_up(client_for):
    patient, caregiver = PatientFactory(), PatientFactory()
    grant_id = client_for(patient.user).post(GRANTS, grant_body(caregiver)).json()["id"]
    assert client_for(caregiver.user).post(f"{GRANTS}{grant_id}/revoke/").status_code == 200
    stranger = client_for(PatientFactory().user)
    assert_error(stranger.get(f"{GRANTS}{grant_id}/"), 404, "not_found")
    assert_error(stranger.post(f"{GRANTS}{grant_id}/revoke/"), 404, "not_found")


def test_an_expired_grant_refuses_at_once_and_its_permissions_go_at_expiry(client_for, run_tasks):
    patient, caregiver = PatientFactory(), PatientFactory()
    client_for(patient.user).post(GRANTS, grant_body(caregiver, days=2))
    run_tasks()
    appointment_id = (
        client_for(patient.user).post(BOOK, {"slot": str(SlotFactory().pk)}).json()["id"]
    )
    helper = client_for(caregiver.user)
    assert helper.get(f"{BOOK}{appointment_id}/").status_code == 200
    assert PatientUserObjectPermission.objects.filter(user=caregiver.user).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1), tick=False):
        assert_error(helper.get(f"{BOOK}{appointment_id}/"), 404, "not_found")
        refused = helper.post(
            BOOK, {"slot": str(SlotFactory(start=in_hours(72)).pk), "patient": str(patient.pk)}
        )
        assert_error(refused, 400, "does_not_exist", "patient")
        assert run_tasks() >= 1
    assert not PatientUserObjectPermission.objects.filter(user=caregiver.user).exists()


def test_a_new_grant_replaces_the_open_one(client_for):
    patient, caregiver = PatientFactory(), PatientFactory()
    client = client_for(patient.user)
    first = client.post(GRANTS, grant_body(caregiver)).json()["id"]
    second = client.post(GRANTS, grant_body(caregiver, scope="booking_history"))
    assert second.status_code == 201
    assert ProxyGrant.objects.get(pk=first).revoked_at is not None
    assert PatientUserObjectPermission.objects.filter(user=caregiver.user).count() == 2


def test_bad_grants_are_refused_field_by_field(client_for):
    patient = PatientFactory()
    client = client_for(patient.user)
    doctor = DoctorFactory()
    caregiver = PatientFactory()
    assert_error(client.post(GRANTS, {}), 400, "required", "grantee_email")
    unknown = grant_body(caregiver) | {"grantee_email": "nobody@example.com"}
    assert_error(client.post(GRANTS, unknown), 400, "does_not_exist", "grantee_email")
    not_a_patient = grant_body(caregiver) | {"grantee_email": doctor.user.email}
    assert_error(client.post(GRANTS, not_a_patient), 400, "does_not_exist", "grantee_email")
    assert_error(client.post(GRANTS, grant_body(patient)), 400, "invalid", "grantee_email")
    assert_error(
        client.post(GRANTS, grant_body(caregiver, days=-1)), 400, "date_out_of_range", "expires_at"
    )
    assert_error(
        client.post(GRANTS, grant_body(caregiver, days=400)), 400, "date_out_of_range", "expires_at"
    )
    assert_error(
        client.post(GRANTS, grant_body(caregiver, scope="everything")), 400, "invalid_choice"
    )
    naive_end = (timezone.now() + timedelta(days=3)).replace(tzinfo=None).isoformat()
    naive = grant_body(caregiver) | {"expires_at": naive_end}
    assert client.post(GRANTS, naive).status_code == 400
    assert not ProxyGrant.objects.exists()
    assert_error(
        client_for(doctor.user).post(GRANTS, grant_body(caregiver)), 403, "permission_denied"
    )
