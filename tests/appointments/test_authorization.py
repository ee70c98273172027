"""Scheduling and appointment endpoints x roles -> status (docs/rules.md, "Who may do what")."""

from datetime import timedelta

import pytest

from appointments.models import Appointment
from tests.authz import Endpoint, cases, check, expect
from tests.factories import SlotFactory, in_hours, template_body

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
PATIENTS_REFUSED = {"patient": 403, "other_patient": 403}


def new_slot(w):
    start = in_hours(200)
    return {
        "clinic": str(w.clinic.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
    }


def template(w):
    return template_body(w.clinic, in_hours(24 * 20).date(), in_hours(24 * 27).date())


# Outcomes are a doctor's action: other roles are refused (403) whatever the appointment;
# doctors who cannot see the appointment get 404.
OUTCOME = expect(
    404,
    doctor=200,
    patient=403,
    other_patient=403,
    clinic_admin=403,
    other_clinic_admin=403,
    platform_admin=403,
)

# Writes on someone else's slot: 404 if they cannot see it, 403 if they can (clinic/platform).
SLOT_OWNER_WRITE = expect(404, doctor=200, clinic_admin=403, platform_admin=403, **PATIENTS_REFUSED)


def with_proposal(w) -> str:
    """The appointment, with the doctor's pending proposal of the free slot."""
    Appointment.objects.filter(pk=w.appointment.pk).update(proposed_slot=w.slot)
    return f"{V1}/appointments/{w.appointment.pk}/reschedule-proposal"


def held_slot(w):
    """A slot of the doctor the patient holds (made on first use)."""
    if not hasattr(w, "held_slot"):
        from scheduling.services import hold_slot

        w.held_slot = SlotFactory(doctor=w.doctor, clinic=w.clinic, start=in_hours(150))
        hold_slot(patient=w.patient, slot_id=w.held_slot.pk)
    return w.held_slot


PATIENTS_ONLY = {"patient": 200, "other_patient": 200}

ENDPOINTS = [
    Endpoint("slots-search", "GET", lambda w: f"{V1}/slots/available/", expect(200)),
    Endpoint("slots-list", "GET", lambda w: f"{V1}/slots/", expect(200, **PATIENTS_REFUSED)),
    Endpoint(
        "slots-detail",
        "GET",
        lambda w: f"{V1}/slots/{w.slot.pk}/",
        expect(404, doctor=200, clinic_admin=200, platform_admin=200, **PATIENTS_REFUSED),
    ),
    Endpoint(
        "slots-create",
        "POST",
        lambda w: f"{V1}/slots/",
        # other_doctor does not work at this clinic: a field error on `clinic`.
        expect(403, doctor=201, other_doctor=400),
        body=new_slot,
    ),
    Endpoint(
        "slots-bulk",
        "POST",
        lambda w: f"{V1}/slots/bulk/",
        expect(403, doctor=201, other_doctor=400),
        body=template,
    ),
    Endpoint(
        "slots-update",
        "PATCH",
        lambda w: f"{V1}/slots/{w.slot.pk}/",
        SLOT_OWNER_WRITE,
        body=lambda w: {"end": (w.slot.end + timedelta(minutes=5)).isoformat()},
    ),
    Endpoint("slots-block", "POST", lambda w: f"{V1}/slots/{w.slot.pk}/block/", SLOT_OWNER_WRITE),
    Endpoint(
        "slots-unblock", "POST", lambda w: f"{V1}/slots/{w.slot.pk}/unblock/", SLOT_OWNER_WRITE
    ),
    Endpoint(
        "slots-delete",
        "DELETE",
        lambda w: f"{V1}/slots/{w.slot.pk}/",
        expect(404, doctor=204, clinic_admin=403, platform_admin=403, **PATIENTS_REFUSED),
    ),
    Endpoint(
        "slots-hold",
        "POST",
        lambda w: f"{V1}/slots/{w.slot.pk}/hold/",
        expect(403, patient=201, other_patient=201),
    ),
    Endpoint(
        # Nobody holds w.slot: a patient has no hold to release (404), others may not ask.
        "slots-hold-release",
        "DELETE",
        lambda w: f"{V1}/slots/{w.slot.pk}/hold/",
        expect(403, patient=404, other_patient=404),
    ),
    Endpoint(
        # The patient's own hold; the other patient cannot release it (404: not theirs).
        "slots-hold-release-mine",
        "DELETE",
        lambda w: f"{V1}/slots/{held_slot(w).pk}/hold/",
        expect(403, patient=204, other_patient=404),
    ),
    Endpoint(
        "slots-holds-mine", "GET", lambda w: f"{V1}/slots/holds/", expect(403, **PATIENTS_ONLY)
    ),
    Endpoint("appointments-list", "GET", lambda w: f"{V1}/appointments/", expect(200)),
    Endpoint(
        "appointments-detail",
        "GET",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/",
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "appointments-book",
        "POST",
        lambda w: f"{V1}/appointments/",
        expect(403, patient=201, other_patient=201),
        body=lambda w: {"slot": str(w.slot.pk)},
    ),
    Endpoint(
        "appointments-cancel",
        "POST",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/cancel/",
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=403),
    ),
    Endpoint(
        "appointments-reschedule",
        "POST",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/reschedule/",
        expect(404, patient=200, clinic_admin=200, doctor=403, platform_admin=403),
        body=lambda w: {"slot": str(w.slot.pk)},
    ),
    Endpoint(
        "appointments-reschedule-propose",
        "POST",
        lambda w: f"{V1}/appointments/{w.appointment.pk}/reschedule-proposal/",
        # The doctor, or an admin of the clinic; those who cannot see it get a 404.
        expect(404, doctor=200, clinic_admin=200, patient=403, platform_admin=403),
        body=lambda w: {"slot": str(w.slot.pk)},
    ),
    Endpoint(
        "appointments-reschedule-accept",
        "POST",
        lambda w: f"{with_proposal(w)}/accept/",
        expect(404, patient=200, doctor=403, clinic_admin=403, platform_admin=403),
    ),
    Endpoint(
        "appointments-reschedule-decline",
        "POST",
        lambda w: f"{with_proposal(w)}/decline/",
        expect(404, patient=200, doctor=200, clinic_admin=200, platform_admin=403),
    ),
    Endpoint(
        "appointments-complete",
        "POST",
        lambda w: f"{V1}/appointments/{w.started_appointment.pk}/complete/",
        OUTCOME,
    ),
    Endpoint(
        "appointments-no-show",
        "POST",
        lambda w: f"{V1}/appointments/{w.started_appointment.pk}/no-show/",
        OUTCOME,
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_scheduling_and_appointment_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)
