"""Every text the API accepts is stored whole, at its longest, on PostgreSQL.

A service that builds a stored string from input (a prefix, a join, a name copied into a
reason) can overflow a column the serializer's limit was sized for: deactivating a user with a
500-character reason once answered 500 because the cancellation reason gained a prefix. Each
case drives one path that stores a text from input with the longest value its serializer (or
header check) accepts, in characters that take several bytes, and reads the stored row back."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from appointments.models import Appointment, PaymentEvent
from audit.models import AdminActionLog
from clinics.models import DoctorClinicAssociation
from loyalty.models import PointsTransaction
from records.models import BreakGlassAccess, PatientHistoryEntry, RecordAccessLog
from reviews.models import Review
from reviews.services import create_review
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    booked_appointment,
    clinic_admin_of,
    in_hours,
    user_with_role,
)
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def longest(length: int) -> str:
    """`length` characters of one to four UTF-8 bytes each, none of them space at the ends."""
    return ("Ωé漢😀a" * length)[:length]


@dataclass
class Case:
    """`drive(client_for, text)` performs the request and returns the stored text(s)."""

    limit: int
    drive: Callable


def _upcoming(hours: float = 48, **slot) -> Appointment:
    return booked_appointment(start=in_hours(hours), **slot)


def deactivate_patient(client_for, text):
    appointment = _upcoming()
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(
        f"{V1}/users/{appointment.patient.user_id}/deactivate/", {"reason": text}
    )
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.cancellation_cause == "account_deactivated"
    log = AdminActionLog.objects.get(
        action="user_deactivated", target_id=appointment.patient.user_id
    )
    return [appointment.cancellation_reason, log.reason]


def deactivate_doctor(client_for, text):
    doctor = DoctorFactory()
    appointments = [_upcoming(48, doctor=doctor), _upcoming(50, doctor=doctor)]
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(f"{V1}/users/{doctor.user_id}/deactivate/", {"reason": text})
    assert response.status_code == 200, response.content
    return [Appointment.objects.get(pk=a.pk).cancellation_reason for a in appointments]


def activate(client_for, text):
    patient = PatientFactory(user__is_active=False)
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(f"{V1}/users/{patient.user_id}/activate/", {"reason": text})
    assert response.status_code == 200, response.content
    return [AdminActionLog.objects.get(action="user_activated").reason]


def grant_role(client_for, text):
    patient = PatientFactory()
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(
        f"{V1}/users/{patient.user_id}/roles/", {"role": "clinic_admin", "reason": text}
    )
    assert response.status_code == 201, response.content
    return [AdminActionLog.objects.get(action="role_granted").reason]


def reject_doctor(client_for, text):
    doctor = DoctorFactory(is_confirmed=False, confirmed_at=None)
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(f"{V1}/doctors/{doctor.pk}/reject/", {"reason": text})
    assert response.status_code == 200, response.content
    doctor.refresh_from_db()
    return [doctor.rejection_reason, AdminActionLog.objects.get(action="doctor_rejected").reason]


def adjust_points(client_for, text):
    patient = PatientFactory()
    admin = user_with_role("platform_admin")
    response = client_for(admin).post(
        f"{V1}/points/adjustments/", {"patient": str(patient.pk), "amount": 10, "reason": text}
    )
    assert response.status_code == 201, response.content
    return [PointsTransaction.objects.get(patient=patient).reason]


def hide_and_unhide_review(client_for, text):
    appointment = AppointmentFactory(slot__start=in_hours(-48), status="completed")
    review = create_review(appointment=appointment, rating=4)
    client = client_for(user_with_role("platform_admin"))
    hidden = client.post(f"{V1}/reviews/{review.pk}/hide/", {"reason": text})
    assert hidden.status_code == 200, hidden.content
    hidden_reason = Review.objects.get(pk=review.pk).hidden_reason
    shown = client.post(f"{V1}/reviews/{review.pk}/unhide/", {"reason": text})
    assert shown.status_code == 200, shown.content
    moderation = [row.reason for row in review.moderation_events.order_by("created_at")]
    return [hidden_reason, *moderation]


def cancel_by_patient(client_for, text):
    appointment = _upcoming()
    response = client_for(appointment.patient.user).post(
        f"{V1}/appointments/{appointment.pk}/cancel/", {"reason": text}
    )
    assert response.status_code == 200, response.content
    assert response.json()["cancellation_cause"] == "requested"
    return [Appointment.objects.get(pk=appointment.pk).cancellation_reason]


def cancel_through_fhir(client_for, text):
    appointment = _upcoming()
    operations = [
        {"op": "replace", "path": "/status", "value": "cancelled"},
        {"op": "add", "path": "/cancelationReason", "value": {"text": text}},
    ]
    response = client_for(appointment.doctor.user).generic(
        "PATCH",
        f"/fhir/r4/Appointment/{appointment.pk}",
        json.dumps(operations),
        content_type="application/json-patch+json",
    )
    assert response.status_code == 200, response.content
    return [Appointment.objects.get(pk=appointment.pk).cancellation_reason]


def record_payment(client_for, text):
    appointment = _upcoming()
    response = client_for(clinic_admin_of(appointment.clinic)).post(
        f"{V1}/appointments/{appointment.pk}/payment/",
        {"payment_status": "paid", "reference": text},
    )
    assert response.status_code == 200, response.content
    return [PaymentEvent.objects.get(appointment=appointment).reference]


def book_with_idempotency_key(client_for, text):
    slot = SlotFactory()
    patient = PatientFactory()
    response = client_for(patient.user).post(
        f"{V1}/appointments/", {"slot": str(slot.pk)}, HTTP_IDEMPOTENCY_KEY=text
    )
    assert response.status_code == 201, response.content
    return [Appointment.objects.get(patient=patient).idempotency_key]


def break_glass(client_for, text):
    doctor = DoctorFactory()
    patient = PatientFactory()
    response = client_for(doctor.user).post(
        f"{V1}/patients/{patient.pk}/break-glass/", {"reason": text}
    )
    assert response.status_code == 201, response.content
    return [BreakGlassAccess.objects.get(patient=patient).reason]


def write_history(client_for, text):
    appointment = _upcoming()
    response = client_for(appointment.doctor.user).post(
        f"{V1}/patients/{appointment.patient_id}/history/",
        {"entry_type": "note", "title": text, "details": "Seen."},
    )
    assert response.status_code == 201, response.content
    return [PatientHistoryEntry.objects.get(patient=appointment.patient).title]


def attach_doctor(client_for, text):
    clinic = ClinicFactory()
    doctor = DoctorFactory()
    response = client_for(clinic_admin_of(clinic)).post(
        f"{V1}/doctor-clinic-associations/",
        {"doctor": str(doctor.pk), "clinic": str(clinic.pk), "title": text},
    )
    assert response.status_code == 201, response.content
    return [DoctorClinicAssociation.objects.get(doctor=doctor, clinic=clinic).title]


def describe_webhook(client_for, text):
    clinic = ClinicFactory()
    response = client_for(clinic_admin_of(clinic)).post(
        f"{V1}/webhook-endpoints/",
        {
            "clinic": str(clinic.pk),
            "url": "https://93.184.215.14/hooks",
            "event_types": ["appointment.booked"],
            "description": text,
        },
    )
    assert response.status_code == 201, response.content
    return [WebhookEndpoint.objects.get(clinic=clinic).description]


def add_dependent(client_for, text):
    guardian = PatientFactory()
    response = client_for(guardian.user).post(
        f"{V1}/dependents/",
        {
            "first_name": text,
            "last_name": text,
            "date_of_birth": "2019-05-06",
            "relationship": "child",
        },
    )
    assert response.status_code == 201, response.content
    dependent = User.objects.get(patient__pk=response.json()["id"])
    return [dependent.first_name, dependent.last_name]


CASES = {
    "deactivate a patient with an upcoming appointment": Case(500, deactivate_patient),
    "deactivate a doctor with upcoming appointments": Case(500, deactivate_doctor),
    "activate a user": Case(500, activate),
    "grant a role": Case(500, grant_role),
    "reject a doctor": Case(500, reject_doctor),
    "adjust points": Case(500, adjust_points),
    "hide and unhide a review": Case(500, hide_and_unhide_review),
    "cancel as the patient": Case(500, cancel_by_patient),
    "cancel through FHIR": Case(500, cancel_through_fhir),
    "record a payment": Case(255, record_payment),
    "book with an Idempotency-Key": Case(255, book_with_idempotency_key),
    "open break-glass access": Case(1000, break_glass),
    "write a history entry": Case(200, write_history),
    "attach a doctor to a clinic": Case(100, attach_doctor),
    "describe a webhook endpoint": Case(200, describe_webhook),
    "add a dependent": Case(150, add_dependent),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_longest_accepted_text_is_stored_whole(client_for, case):
    text = longest(case.limit)
    stored = case.drive(client_for, text)
    assert stored
    assert stored == [text] * len(stored)


def test_a_long_user_agent_is_logged_as_its_first_512_characters(client_for):
    appointment = _upcoming()
    agent = longest(5000)
    response = client_for(appointment.doctor.user).get(
        f"{V1}/patients/{appointment.patient_id}/history/", HTTP_USER_AGENT=agent
    )
    assert response.status_code == 200, response.content
    assert RecordAccessLog.objects.get(patient=appointment.patient).user_agent == agent[:512]


@given(
    reason=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
        min_size=1,
        max_size=500,
    )
)
def test_deactivation_keeps_any_accepted_reason_whole(client_for, reason):
    assert deactivate_patient(client_for, reason) == [reason, reason]
