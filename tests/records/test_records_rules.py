"""The rules of records' services that `make mutate` showed no test pinned: writing an entry
validates its own fields only (its author, patient, appointment and amended entry were checked
by the service, so validating them again would cost a query each), pinned as the statements a
write costs."""

import pytest

from tests.records.conftest import history_url

pytestmark = pytest.mark.django_db

# Authentication (the user, their roles), the patient and guardian's permission for it, the
# author; in the service's savepoint: the linked appointment (or the amended entry), the
# model's validation (its primary key's uniqueness, and each of its three check constraints in
# a savepoint: 10 statements), the INSERT and the access-log row; then the entry and its
# amendments read back for the answer. Counted: any other field validated adds a query.
ADD_ENTRY = 22
AMEND_ENTRY = 22


def test_adding_an_entry_costs_a_fixed_number_of_statements(
    client_for, records_world, access_log, django_assert_max_num_queries
):
    w = records_world
    client = client_for(w.doctor.user)
    body = {
        "entry_type": "note",
        "title": "Phone call",
        "details": "Better.",
        "appointment": str(w.started_appointment.pk),
    }
    client.get("/api/v1/auth/me/")  # warm per-process caches (content types, ...)
    with django_assert_max_num_queries(ADD_ENTRY):
        response = client.post(history_url(w.patient), body)
    assert response.status_code == 201, response.content
    access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="create", entries=[response.json()["id"]]
    )


def test_amending_an_entry_costs_a_fixed_number_of_statements(
    client_for, records_world, access_log, django_assert_max_num_queries
):
    w = records_world
    client = client_for(w.doctor.user)
    original = w.entries[0]
    client.get("/api/v1/auth/me/")
    with django_assert_max_num_queries(AMEND_ENTRY):
        response = client.post(
            history_url(w.patient, original, amend=True),
            {"entry_type": "diagnosis", "title": "Asthma, mild", "icd10_code": "J45.20"},
        )
    assert response.status_code == 201, response.content
    access_log.assert_one(
        user=w.doctor.user, patient=w.patient, action="amend", entries=[response.json()["id"]]
    )
