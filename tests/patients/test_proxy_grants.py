"""Proxy access between accounts (docs/families.md): a patient invites another patient account
to act for them, by scope; the invited account accepts with the mailed link; then until it
expires or is revoked; both sides are mailed and every use is in the patient's access log. The
invitation answers alike whether the address has an account (no account enumeration)."""

import re
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
ACCEPT = f"{GRANTS}accept/"
BOOK = f"{V1}/appointments/"


def grant_body(grantee, scope="booking", days=30) -> dict:
    return {
        "grantee_email": grantee if isinstance(grantee, str) else grantee.user.email,
        "scope": scope,
        "expires_at": (timezone.now() + timedelta(days=days)).isoformat(),
    }


def token_mailed_to(outbox, email: str) -> str:
    [token] = [
        found.group(1)
        for message in outbox
        if message.to == [email] and (found := re.search(r"token=([\w:\-]+)", message.body))
    ]
    return token


def invite(client_for, run_tasks, outbox, patient, grantee, **body) -> tuple[str, str]:
    """The patient invites `grantee` (a patient or an address): the grant's id and the token
    of the link the worker mailed."""
    created = client_for(patient.user).post(GRANTS, grant_body(grantee, **body))
    assert created.status_code == 201, created.content
    run_tasks()
    email = grantee if isinstance(grantee, str) else grantee.user.email
    token = token_mailed_to(outbox, email)
    outbox.clear()
    return created.json()["id"], token


def make_grant(client_for, run_tasks, outbox, patient, caregiver, **body) -> dict:
    """Invited and accepted through the API, with the token of the real mail."""
    _, token = invite(client_for, run_tasks, outbox, patient, caregiver, **body)
    accepted = client_for(caregiver.user).post(ACCEPT, {"token": token})
    assert accepted.status_code == 200, accepted.content
    return accepted.json()


def log_actions(patient, user) -> list[str]:
    rows = RecordAccessLog.objects.filter(patient=patient, user=user).order_by("created_at")
    return list(rows.values_list("action", flat=True))


def test_a_caregiver_with_the_booking_scope_books_and_cancels_and_it_is_logged(
    client_for, run_tasks, outbox
):
    patient, caregiver = PatientFactory(), PatientFactory()
    grant = make_grant(client_for, run_tasks, outbox, patient, caregiver)
    assert (grant["patient"], grant["grantee"]["id"], grant["scope"], grant["status"]) == (
        str(patient.pk),
        str(caregiver.user.pk),
        "booking",
        "active",
    )
    assert grant["is_live"] is True
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


def test_the_history_scope_reads_the_history_and_is_logged(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    entry = HistoryEntryFactory(patient=patient)
    make_grant(client_for, run_tasks, outbox, patient, caregiver, scope="booking_history")
    helper = client_for(caregiver.user)
    history = helper.get(f"{V1}/patients/{patient.pk}/history/")
    assert history.status_code == 200, history.content
    assert [row["id"] for row in history.json()["results"]] == [str(entry.pk)]
    assert helper.get(f"{V1}/patients/{patient.pk}/access-log/").status_code == 200
    assert log_actions(patient, caregiver.user) == ["list", "read_access_log"]


def test_a_revoked_grant_stops_at_once_and_both_are_told(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    grant_id = make_grant(client_for, run_tasks, outbox, patient, caregiver)["id"]
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


def test_the_grantee_may_give_a_grant_up(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    grant_id = make_grant(client_for, run_tasks, outbox, patient, caregiver)["id"]
    assert client_for(caregiver.user).post(f"{GRANTS}{grant_id}/revoke/").status_code == 200
    stranger = client_for(PatientFactory().user)
    assert_error(stranger.get(f"{GRANTS}{grant_id}/"), 404, "not_found")
    assert_error(stranger.post(f"{GRANTS}{grant_id}/revoke/"), 404, "not_found")


def test_an_expired_grant_refuses_at_once_and_its_permissions_go_at_expiry(
    client_for, run_tasks, outbox
):
    patient, caregiver = PatientFactory(), PatientFactory()
    make_grant(client_for, run_tasks, outbox, patient, caregiver, days=2)
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


def test_a_new_grant_replaces_the_open_one_when_accepted(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    first = make_grant(client_for, run_tasks, outbox, patient, caregiver)["id"]
    pending, _ = invite(client_for, run_tasks, outbox, patient, caregiver)
    # A new invitation replaces the pending one; the live grant stays until one is accepted.
    second = make_grant(client_for, run_tasks, outbox, patient, caregiver, scope="booking_history")
    assert ProxyGrant.objects.get(pk=pending).revoked_at is not None
    assert ProxyGrant.objects.get(pk=first).revoked_at is not None
    assert second["status"] == "active"
    assert PatientUserObjectPermission.objects.filter(user=caregiver.user).count() == 2


def test_bad_grants_are_refused_field_by_field(client_for):
    patient = PatientFactory()
    client = client_for(patient.user)
    doctor = DoctorFactory()
    caregiver = PatientFactory()
    assert_error(client.post(GRANTS, {}), 400, "required", "grantee_email")
    assert_error(client.post(GRANTS, grant_body("not-an-address")), 400, "invalid", "grantee_email")
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
    assert_error(client.post(ACCEPT, {}), 400, "required", "token")
    assert_error(client_for(doctor.user).post(ACCEPT, {"token": "x"}), 403, "permission_denied")


# --- the invitation: no account enumeration, nothing before acceptance ----------------------


def test_inviting_answers_alike_whether_the_address_has_an_account(client_for, run_tasks, outbox):
    """The old answer was 400 `does_not_exist` for an address without a patient account."""
    patient, caregiver, doctor = PatientFactory(), PatientFactory(), DoctorFactory()
    client = client_for(patient.user)
    until = (timezone.now() + timedelta(days=30)).isoformat()
    answers = [
        client.post(GRANTS, {"grantee_email": email, "scope": "booking", "expires_at": until})
        for email in (caregiver.user.email, "nobody@example.com", doctor.user.email)
    ]
    assert {answer.status_code for answer in answers} == {201}
    varying = {"id", "invited_email", "created_at", "invitation_expires_at"}
    bodies = [{k: v for k, v in a.json().items() if k not in varying} for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["grantee"] is None
    assert bodies[0]["status"] == "invited"
    assert len({frozenset(a.json()) for a in answers}) == 1
    assert len({frozenset(name.lower() for name in a.headers) for a in answers}) == 1
    assert len({a.headers["Content-Type"] for a in answers}) == 1
    # The grantor's list names the address, never an account, until acceptance.
    listed = client.get(GRANTS).json()["results"]
    assert {row["grantee"] for row in listed} == {None}
    assert sorted(row["invited_email"] for row in listed) == sorted(
        [caregiver.user.email, "nobody@example.com", doctor.user.email]
    )
    # One mail to each address either way; the one without a patient account says to sign up.
    run_tasks()
    assert sorted(message.to[0] for message in outbox) == sorted(
        [caregiver.user.email, "nobody@example.com", doctor.user.email]
    )
    by_address = {message.to[0]: message.body for message in outbox}
    assert "create a CareSlot patient account" in by_address["nobody@example.com"]
    assert "create a CareSlot patient account" not in by_address[caregiver.user.email]


def test_a_pending_invitation_gives_no_access(client_for, run_tasks, outbox):
    patient, caregiver = PatientFactory(), PatientFactory()
    HistoryEntryFactory(patient=patient)
    invite(client_for, run_tasks, outbox, patient, caregiver, scope="booking_history")
    helper = client_for(caregiver.user)
    refused = helper.post(BOOK, {"slot": str(SlotFactory().pk), "patient": str(patient.pk)})
    assert_error(refused, 400, "does_not_exist", "patient")
    assert_error(helper.get(f"{V1}/patients/{patient.pk}/history/"), 404, "not_found")
    assert_error(helper.get(f"{V1}/patients/{patient.pk}/"), 404, "not_found")
    assert helper.get(GRANTS).json()["results"] == []
    assert not PatientUserObjectPermission.objects.filter(user=caregiver.user).exists()


def test_only_the_invited_account_accepts_and_others_learn_nothing(client_for, run_tasks, outbox):
    patient, caregiver, stranger = PatientFactory(), PatientFactory(), PatientFactory()
    grant_id, token = invite(client_for, run_tasks, outbox, patient, caregiver)
    wrong = client_for(stranger.user).post(ACCEPT, {"token": token})
    forged = client_for(stranger.user).post(ACCEPT, {"token": token[:-2] + "xx"})
    by_patient = client_for(patient.user).post(ACCEPT, {"token": token})
    for refused in (wrong, forged, by_patient):
        assert_error(refused, 400, "invalid_token")
    assert wrong.json() == forged.json() == by_patient.json()
    assert ProxyGrant.objects.get(pk=grant_id).accepted_at is None
    assert not PatientUserObjectPermission.objects.exists()


def test_an_address_without_an_account_signs_up_then_accepts_once(client_for, run_tasks, outbox):
    patient = PatientFactory()
    grant_id, token = invite(client_for, run_tasks, outbox, patient, "later@example.com")
    newcomer = PatientFactory(user__email="Later@Example.com")
    accepted = client_for(newcomer.user).post(ACCEPT, {"token": token})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["grantee"]["id"] == str(newcomer.user.pk)
    run_tasks()
    assert sorted(message.to[0] for message in outbox) == sorted(
        [patient.user.email, newcomer.user.email]
    )
    # The grantor sees it live now, with the grantee's name.
    [row] = client_for(patient.user).get(GRANTS).json()["results"]
    assert (row["id"], row["status"], row["grantee"]["id"]) == (
        grant_id,
        "active",
        str(newcomer.user.pk),
    )
    booked = client_for(newcomer.user).post(
        BOOK, {"slot": str(SlotFactory().pk), "patient": str(patient.pk)}
    )
    assert booked.status_code == 201, booked.content
    assert log_actions(patient, newcomer.user) == ["book"]
    # Within scope only: the booking scope reads no history.
    helper = client_for(newcomer.user)
    assert_error(helper.get(f"{V1}/patients/{patient.pk}/history/"), 404, "not_found")
    assert_error(helper.post(ACCEPT, {"token": token}), 400, "invalid_token")


def test_an_expired_or_withdrawn_invitation_cannot_be_accepted(client_for, run_tasks, outbox):
    patient, caregiver, other = PatientFactory(), PatientFactory(), PatientFactory()
    lapsing, token = invite(client_for, run_tasks, outbox, patient, caregiver)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        assert_error(
            client_for(caregiver.user).post(ACCEPT, {"token": token}), 400, "invalid_token"
        )
        row = client_for(patient.user).get(f"{GRANTS}{lapsing}/").json()
        assert row["status"] == "expired"
    withdrawn, token = invite(client_for, run_tasks, outbox, patient, other)
    revoked = client_for(patient.user).post(f"{GRANTS}{withdrawn}/revoke/")
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["status"] == "revoked"
    assert_error(client_for(other.user).post(ACCEPT, {"token": token}), 400, "invalid_token")
    assert not PatientUserObjectPermission.objects.exists()
