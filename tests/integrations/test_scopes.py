"""One test per scope: what it allows, what it refuses. Whatever the scope, a client never
reaches another clinic (404: it cannot see it), platform-admin endpoints, patients or
medical history (403 `insufficient_scope`)."""

import json

import pytest

from appointments.models import Appointment, AppointmentStatus
from audit.models import AdminAction, AdminActionLog
from scheduling.models import SlotStatus
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
)
from tests.fhir_checks import FHIR_JSON, assert_outcome
from tests.integrations.helpers import ClientCredentialsAPIClient, make_client
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
V1, R4 = "/api/v1", "/fhir/r4"
PUBLIC_URL = "https://93.184.215.14/careslot"


@pytest.fixture
def site():
    """A clinic with a doctor, a free slot and a patient's upcoming appointment; another
    clinic with the same."""

    class Site:
        clinic, other_clinic = ClinicFactory(), ClinicFactory()
        doctor = DoctorFactory()
        other_doctor = DoctorFactory()
        slot = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48))
        other_slot = SlotFactory(doctor=other_doctor, clinic=other_clinic, start=in_hours(48))
        patient = PatientFactory()
        appointment = AppointmentFactory(
            patient=patient, slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(96)
        )
        other_appointment = AppointmentFactory(
            slot__doctor=other_doctor, slot__clinic=other_clinic, slot__start=in_hours(96)
        )
        admin = clinic_admin_of(clinic)

    return Site


def api_for(site, *scopes) -> ClientCredentialsAPIClient:
    client, _ = make_client(site.clinic, list(scopes), created_by=site.admin)
    return ClientCredentialsAPIClient(client)


def refused(response, code="insufficient_scope"):
    return assert_error(response, 403, code)


def assert_never_beyond_its_clinic(api, site):
    """What no scope reaches."""
    for path in (
        f"{V1}/users/",  # platform admins
        f"{V1}/admin-actions/",
        f"{V1}/auth/me/",  # a person's account
        f"{V1}/patients/",
        f"{V1}/patients/{site.patient.pk}/history/",  # medical history
        f"{V1}/reports/bookings/",
        f"{V1}/integration-clients/",  # no client manages clients
    ):
        refused(api.get(path))


def test_schedule_read(site):
    api = api_for(site, "schedule:read")
    listed = api.get(f"{V1}/slots/")
    assert listed.status_code == 200, listed.content
    ids = {row["id"] for row in listed.json()["results"]}
    assert str(site.slot.pk) in ids
    assert str(site.appointment.slot_id) in ids  # booked ones too: the clinic's schedule
    assert str(site.other_slot.pk) not in ids
    assert api.get(f"{V1}/slots/{site.slot.pk}/").status_code == 200
    assert_error(api.get(f"{V1}/slots/{site.other_slot.pk}/"), 404, "not_found")
    refused(api.post(f"{V1}/slots/{site.slot.pk}/block/"))
    refused(api.get(f"{V1}/appointments/"))
    # FHIR has scopes of its own
    assert_outcome(api.get(f"{R4}/Slot", HTTP_ACCEPT=FHIR_JSON), 403, "insufficient_scope")
    assert_never_beyond_its_clinic(api, site)


def test_slots_write(site):
    api = api_for(site, "slots:write")
    blocked = api.post(f"{V1}/slots/{site.slot.pk}/block/")
    assert blocked.status_code == 200, blocked.content
    assert blocked.json()["status"] == SlotStatus.BLOCKED
    assert api.post(f"{V1}/slots/{site.slot.pk}/unblock/").status_code == 200
    moved = api.patch(
        f"{V1}/slots/{site.slot.pk}/",
        {"start": in_hours(50).isoformat(), "end": in_hours(50.5).isoformat()},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert_error(api.post(f"{V1}/slots/{site.appointment.slot_id}/block/"), 409, "slot_booked")
    assert_error(api.post(f"{V1}/slots/{site.other_slot.pk}/block/"), 404, "not_found")
    assert_error(
        api.patch(f"{V1}/slots/{site.slot.pk}/", {"start": 5}, format="json"),
        400,
        "invalid",
        "start",
    )
    assert api.delete(f"{V1}/slots/{site.slot.pk}/").status_code == 204
    refused(api.get(f"{V1}/slots/"))  # reading needs schedule:read
    refused(api.post(f"{V1}/slots/", {}, format="json"))  # publishing stays the doctor's
    assert_never_beyond_its_clinic(api, site)
    # Each write is in the audit log as the client, not a person.
    writes = AdminActionLog.objects.filter(action=AdminAction.INTEGRATION_WRITE)
    assert writes.count() == 4
    assert {entry.actor_id for entry in writes} == {None}
    assert {entry.actor_client_id for entry in writes} == {api.integration.pk}
    assert {entry.target_id for entry in writes} == {site.slot.pk}
    assert {entry.target_type for entry in writes} == {"slot"}


def test_appointments_read(site):
    api = api_for(site, "appointments:read")
    listed = api.get(f"{V1}/appointments/")
    assert listed.status_code == 200, listed.content
    assert [row["id"] for row in listed.json()["results"]] == [str(site.appointment.pk)]
    assert api.get(f"{V1}/appointments/{site.appointment.pk}/").status_code == 200
    assert_error(api.get(f"{V1}/appointments/{site.other_appointment.pk}/"), 404, "not_found")
    refused(api.post(f"{V1}/appointments/{site.appointment.pk}/cancel/", {}, format="json"))
    refused(api.get(f"{V1}/slots/"))
    assert_never_beyond_its_clinic(api, site)


def test_appointments_write_cancels_at_its_clinic_only(site):
    api = api_for(site, "appointments:write")
    assert_error(
        api.post(f"{V1}/appointments/{site.other_appointment.pk}/cancel/", {}, format="json"),
        404,
        "not_found",
    )
    assert_error(
        api.post(f"{V1}/appointments/{site.appointment.pk}/cancel/", {"reason": 5}, format="json"),
        400,
        "invalid",
        "reason",
    )
    response = api.post(
        f"{V1}/appointments/{site.appointment.pk}/cancel/", {"reason": "Doctor ill"}, format="json"
    )
    assert response.status_code == 200, response.content
    site.appointment.refresh_from_db()
    assert site.appointment.status == AppointmentStatus.CANCELLED
    assert site.appointment.cancelled_by is None  # no person did it: the audit log says who
    entry = AdminActionLog.objects.get(action=AdminAction.INTEGRATION_WRITE)
    assert (entry.actor_client_id, entry.target_id) == (api.integration.pk, site.appointment.pk)
    refused(api.get(f"{V1}/appointments/"))
    assert_never_beyond_its_clinic(api, site)


def post_fhir(api, path, body):
    return api.generic(
        "POST", path, json.dumps(body), content_type=FHIR_JSON, HTTP_ACCEPT=FHIR_JSON
    )


def fhir_booking(slot, patient) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot.pk}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}],
    }


def test_appointments_write_books_through_fhir_for_patients_the_clinic_knows(site):
    api = api_for(site, "appointments:write")
    stranger = PatientFactory()  # never had an appointment at this clinic
    assert_outcome(
        post_fhir(api, f"{R4}/Appointment", fhir_booking(site.slot, stranger)),
        403,
        "patient_not_known_to_clinic",
    )
    assert_outcome(
        post_fhir(api, f"{R4}/Appointment", fhir_booking(site.other_slot, site.patient)),
        400,
        "does_not_exist",
    )
    no_patient = fhir_booking(site.slot, site.patient) | {"participant": []}
    assert_outcome(post_fhir(api, f"{R4}/Appointment", no_patient), 400, "required")
    booked = post_fhir(api, f"{R4}/Appointment", fhir_booking(site.slot, site.patient))
    assert booked.status_code == 201, booked.content
    appointment = Appointment.objects.get(pk=booked.json()["id"])
    assert (appointment.patient, appointment.slot) == (site.patient, site.slot)
    entry = AdminActionLog.objects.get(action=AdminAction.INTEGRATION_WRITE)
    assert (entry.actor_client_id, entry.target_id, entry.target_type) == (
        api.integration.pk,
        appointment.pk,
        "appointment",
    )
    # Cancelling through FHIR too.
    cancelled = api.generic(
        "PATCH",
        f"{R4}/Appointment/{appointment.pk}",
        json.dumps([{"op": "replace", "path": "/status", "value": "cancelled"}]),
        content_type="application/json-patch+json",
    )
    assert cancelled.status_code == 200, cancelled.content
    assert_outcome(api.get(f"{R4}/Appointment", HTTP_ACCEPT=FHIR_JSON), 403, "insufficient_scope")


def test_webhooks_manage(site):
    api = api_for(site, "webhooks:manage")
    body = {"clinic": str(site.clinic.pk), "url": PUBLIC_URL, "event_types": ["appointment.booked"]}
    created = api.post(f"{V1}/webhook-endpoints/", body, format="json")
    assert created.status_code == 201, created.content
    endpoint = WebhookEndpoint.objects.get(pk=created.json()["id"])
    assert endpoint.created_by is None
    assert_error(
        api.post(
            f"{V1}/webhook-endpoints/", body | {"clinic": str(site.other_clinic.pk)}, format="json"
        ),
        403,
        "permission_denied",
    )
    assert_error(
        api.post(f"{V1}/webhook-endpoints/", body | {"url": "ftp://x"}, format="json"),
        400,
        "invalid",
        "url",
    )
    theirs = WebhookEndpoint.objects.create(
        clinic=site.other_clinic, url=PUBLIC_URL, event_types=["slot.created"], secret="whsec_x"
    )
    listed = api.get(f"{V1}/webhook-endpoints/").json()["results"]
    assert [row["id"] for row in listed] == [str(endpoint.pk)]
    assert_error(api.get(f"{V1}/webhook-endpoints/{theirs.pk}/"), 404, "not_found")
    assert (
        api.patch(
            f"{V1}/webhook-endpoints/{endpoint.pk}/", {"enabled": False}, format="json"
        ).status_code
        == 200
    )
    assert api.post(f"{V1}/webhook-endpoints/{endpoint.pk}/rotate-secret/").status_code == 200
    assert api.delete(f"{V1}/webhook-endpoints/{endpoint.pk}/").status_code == 204
    actions = AdminActionLog.objects.filter(
        action=AdminAction.INTEGRATION_WRITE, actor_client_id=api.integration.pk
    )
    assert actions.count() == 4
    refused(api.get(f"{V1}/slots/"))
    assert_never_beyond_its_clinic(api, site)


@pytest.mark.parametrize(
    ("scope", "reads", "refuses"),
    [
        ("system/Slot.read", ["Slot"], ["Appointment", "Schedule", "Practitioner"]),
        ("system/Schedule.read", ["Schedule"], ["Slot", "Appointment"]),
        ("system/Appointment.read", ["Appointment"], ["Slot", "Location"]),
        (
            "system/*.read",
            [
                "Slot",
                "Schedule",
                "Appointment",
                "Practitioner",
                "PractitionerRole",
                "Location",
                "Organization",
            ],
            [],
        ),
    ],
)
def test_fhir_read_scopes(site, scope, reads, refuses):
    api = api_for(site, scope)
    for kind in reads:
        response = api.get(f"{R4}/{kind}", HTTP_ACCEPT=FHIR_JSON)
        assert response.status_code == 200, (kind, response.content)
    for kind in [*refuses, "Patient"]:  # no scope reads patients
        assert_outcome(api.get(f"{R4}/{kind}", HTTP_ACCEPT=FHIR_JSON), 403, "insufficient_scope")
    assert_outcome(
        api.get(f"{R4}/Patient/{site.patient.pk}", HTTP_ACCEPT=FHIR_JSON), 403, "insufficient_scope"
    )
    assert_outcome(
        post_fhir(api, f"{R4}/Appointment", fhir_booking(site.slot, site.patient)),
        403,
        "insufficient_scope",
    )
    if "Slot" in reads:
        slots = api.get(f"{R4}/Slot", HTTP_ACCEPT=FHIR_JSON).json()
        ids = {entry["resource"]["id"] for entry in slots.get("entry", [])}
        assert str(site.slot.pk) in ids
        assert str(site.other_slot.pk) not in ids  # the other clinic's free slot
        assert_outcome(api.get(f"{R4}/Slot/{site.other_slot.pk}", HTTP_ACCEPT=FHIR_JSON), 404)
    if "Appointment" in reads:
        found = api.get(f"{R4}/Appointment", HTTP_ACCEPT=FHIR_JSON).json()
        assert [entry["resource"]["id"] for entry in found.get("entry", [])] == [
            str(site.appointment.pk)
        ]
    assert_never_beyond_its_clinic(api, site)


def test_a_token_narrower_than_its_client_holds_only_what_it_asked_for(site):
    client, _ = make_client(
        site.clinic, ["schedule:read", "appointments:read"], created_by=site.admin
    )
    api = ClientCredentialsAPIClient(client, scopes=["schedule:read"])
    assert api.get(f"{V1}/slots/").status_code == 200
    refused(api.get(f"{V1}/appointments/"))


def test_a_scope_taken_from_the_client_is_gone_from_its_live_tokens(site):
    client, _ = make_client(
        site.clinic, ["schedule:read", "appointments:read"], created_by=site.admin
    )
    api = ClientCredentialsAPIClient(client, scopes=["schedule:read", "appointments:read"])
    assert api.get(f"{V1}/appointments/").status_code == 200
    client.scopes = ["schedule:read"]
    client.save()
    refused(api.get(f"{V1}/appointments/"))


def test_a_users_token_is_not_a_clients_and_a_clients_not_a_users(site, client_for):
    # A person's token on a client-only path still goes through the person's rules.
    assert client_for(site.admin).get(f"{V1}/slots/").status_code == 200
    # simplejwt refuses the client's token type outright where no client scope applies.
    api = api_for(site, "schedule:read")
    refused(api.get(f"{V1}/auth/me/"))
