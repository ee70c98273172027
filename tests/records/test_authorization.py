"""Medical records endpoints x roles -> status (docs/rules.md), and the access-log rows each call
leaves: one row for every successful read or write of history, none for anything refused."""

import pytest
from django.utils.cache import get_max_age

from records.models import PatientHistoryEntry
from tests.authz import Endpoint, cases, check, expect
from tests.records.conftest import (
    MY_HISTORY_URL,
    RECORD_ROLES,
    access_log_url,
    history_url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]


def records_expect(default: int, **by_role: int) -> dict[str, int]:
    return expect(default, roles=RECORD_ROLES, **by_role)


# Medical content: the patient and their treating doctor; everyone else, admins included, 404.
READ = records_expect(404, patient=200, doctor=200)
# Writing: only the treating doctor; the patient sees the record but may not write (403).
WRITE = records_expect(404, doctor=201, patient=403)
# No path changes or removes an entry, whoever asks.
NOT_ALLOWED = records_expect(405)
NOTE = {"entry_type": "note", "title": "Follow-up call", "details": "Feeling better."}

ENDPOINTS = [
    Endpoint("history-list", "GET", lambda w: history_url(w.patient), READ),
    Endpoint("history-detail", "GET", lambda w: history_url(w.patient, w.entry), READ),
    Endpoint("history-create", "POST", lambda w: history_url(w.patient), WRITE, lambda w: NOTE),
    Endpoint(
        "history-amend",
        "POST",
        lambda w: history_url(w.patient, w.entry, amend=True),
        WRITE,
        lambda w: {"entry_type": "diagnosis", "title": "Asthma, moderate", "icd10_code": "j45.40"},
    ),
    Endpoint(
        "history-mine",
        "GET",
        lambda w: MY_HISTORY_URL,
        records_expect(403, patient=200, other_patient=200),
    ),
    Endpoint(
        "access-log",
        "GET",
        lambda w: access_log_url(w.patient),
        records_expect(404, patient=200, platform_admin=200, doctor=403),
    ),
    Endpoint(
        "history-put", "PUT", lambda w: history_url(w.patient, w.entry), NOT_ALLOWED, lambda w: NOTE
    ),
    Endpoint(
        "history-patch",
        "PATCH",
        lambda w: history_url(w.patient, w.entry),
        NOT_ALLOWED,
        lambda w: {"title": "Changed"},
    ),
    Endpoint("history-delete", "DELETE", lambda w: history_url(w.patient, w.entry), NOT_ALLOWED),
    Endpoint(
        "history-list-put", "PUT", lambda w: history_url(w.patient), NOT_ALLOWED, lambda w: NOTE
    ),
    Endpoint("history-list-delete", "DELETE", lambda w: history_url(w.patient), NOT_ALLOWED),
    Endpoint("access-log-delete", "DELETE", lambda w: access_log_url(w.patient), NOT_ALLOWED),
    Endpoint(
        "break-glass",
        "POST",
        lambda w: f"/api/v1/patients/{w.patient.pk}/break-glass/",
        # Confirmed doctors outside a care relationship; a treating doctor needs none (409).
        records_expect(403, other_doctor=201, cancelled_doctor=201, doctor=409),
        lambda w: {"reason": "Unconscious in the emergency room; checking allergies."},
    ),
]


def _ids(response) -> list[str]:
    return [entry["id"] for entry in response.json()["results"]]


def expected_log(w, endpoint: Endpoint, role: str, response):
    """(patient, action, entries) of the one row a successful call must leave, or None."""
    newest_first = [str(e.pk) for e in w.newest_first]
    if endpoint.name == "history-list":
        assert _ids(response) == newest_first
        return w.patient, "list", newest_first
    if endpoint.name == "history-detail":
        assert response.json()["id"] == str(w.entry.pk)
        return w.patient, "read", [w.entry.pk]
    if endpoint.name == "history-mine":
        if role == "patient":
            assert _ids(response) == newest_first
            return w.patient, "list", newest_first
        assert _ids(response) == [str(w.other_patient_entry.pk)]
        return w.other_patient, "list", [w.other_patient_entry.pk]
    if endpoint.name in ("history-create", "history-amend"):
        created = PatientHistoryEntry.objects.get(pk=response.json()["id"])
        assert created.patient == w.patient
        assert created.author == w.doctor
        expected_amends = w.entry if endpoint.name == "history-amend" else None
        assert created.amends == expected_amends
        return w.patient, endpoint.name.removeprefix("history-"), [created.pk]
    if endpoint.name == "access-log":
        return w.patient, "read_access_log", []
    if endpoint.name == "break-glass":
        return w.patient, "break_glass", []
    return None


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS, RECORD_ROLES))
def test_records_authorization(client_for, records_world, access_log, endpoint, role):
    entries_before = PatientHistoryEntry.objects.count()
    response = check(client_for, records_world, endpoint, role)
    # Medical data is never cached, refusals included.
    assert "no-store" in response["Cache-Control"]
    assert get_max_age(response) == 0
    wrote = 1 if response.status_code == 201 and endpoint.name.startswith("history-") else 0
    assert PatientHistoryEntry.objects.count() == entries_before + wrote
    ok = response.status_code < 300
    expected = expected_log(records_world, endpoint, role, response) if ok else None
    if expected is not None:
        patient, action, entries = expected
        access_log.assert_one(
            user=records_world.actor(role), patient=patient, action=action, entries=entries
        )
    else:
        access_log.assert_none()
