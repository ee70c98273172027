import pytest

from accounts.services import issue_tokens
from appointments.models import Appointment, PaymentEvent
from appointments.services import book_appointment
from audit.models import AdminActionLog
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    UserFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/"


@pytest.fixture
def admin():
    return user_with_role("platform_admin", email="boss@example.com")


def test_platform_admin_lists_and_filters_users(client_for, admin):
    for index in range(48):
        PatientFactory(user__email=f"p{index}@example.com")
    UserFactory(email="late@example.com", email_confirmed_at=None, is_active=False)
    client = client_for(admin)
    response = client.get(f"{URL}?page_size=50")
    assert response.json()["count"] == 50
    assert client.get(f"{URL}?role=patient").json()["count"] == 48
    assert (
        client.get(f"{URL}?role=platform_admin").json()["results"][0]["email"] == "boss@example.com"
    )
    assert client.get(f"{URL}?is_active=false").json()["count"] == 1
    assert (
        client.get(f"{URL}?email_confirmed=false").json()["results"][0]["email"]
        == "late@example.com"
    )
    assert client.get(f"{URL}?search=p4").json()["count"] == 9  # p4, p40..p47
    assert_error(client.get(f"{URL}?role=king"), 400, "invalid_choice", attr="role")


def test_deactivation_end_to_end(client_for, api_client, admin, outbox, run_tasks):
    doctor = DoctorFactory()
    patient = PatientFactory()
    as_doctor = [
        book_appointment(
            patient=PatientFactory(), slot_id=SlotFactory(doctor=doctor, start=in_hours(30 + i)).pk
        ).appointment
        for i in range(2)
    ]
    as_patient = book_appointment(
        patient=patient, slot_id=SlotFactory(doctor=doctor, start=in_hours(40)).pk
    ).appointment
    unrelated = book_appointment(
        patient=patient, slot_id=SlotFactory(start=in_hours(50)).pk
    ).appointment
    run_tasks()  # the booking confirmations
    outbox.clear()
    tokens = issue_tokens(user=doctor.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 200

    response = client_for(admin).post(
        f"{URL}{doctor.user_id}/deactivate/", {"reason": "License revoked"}
    )
    assert response.status_code == 200, response.content
    assert run_tasks() == 6
    assert response.json()["is_active"] is False

    assert_error(api_client.get("/api/v1/auth/me/"), 401, "user_inactive")
    api_client.credentials()
    assert_error(
        api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}),
        401,
        "token_not_valid",
    )

    for appointment in [*as_doctor, as_patient]:
        appointment.refresh_from_db()
        assert appointment.status == "cancelled"
        assert (appointment.cancellation_reason, appointment.cancellation_cause) == (
            "License revoked",
            "account_deactivated",
        )
        assert Slot.objects.get(pk=appointment.slot_id).status == "available"
    unrelated.refresh_from_db()
    assert unrelated.status == "booked"
    recipients = sorted(message.to[0] for message in outbox)
    expected = sorted(
        [a.patient.user.email for a in [*as_doctor, as_patient]] + [doctor.user.email] * 3
    )
    assert recipients == expected
    log = AdminActionLog.objects.get(action="user_deactivated")
    assert (log.actor, log.reason, log.details["cancelled_appointments"]) == (
        admin,
        "License revoked",
        "3",
    )


def test_deactivation_refunds_paid_appointments(client_for, admin):
    appointment = book_appointment(patient=PatientFactory(), slot_id=SlotFactory().pk).appointment
    client = client_for(admin)
    paid = client.post(
        f"/api/v1/appointments/{appointment.pk}/payment/",
        {"payment_status": "paid", "reference": "r"},
    )
    assert paid.status_code == 200, paid.content
    response = client.post(f"{URL}{appointment.doctor.user_id}/deactivate/", {"reason": "Gone"})
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert (appointment.status, appointment.payment_status) == ("cancelled", "refunded")
    assert list(
        PaymentEvent.objects.filter(appointment=appointment)
        .order_by("created_at")
        .values_list("from_status", "to_status")
    ) == [("pending", "paid"), ("paid", "refunded")]


def test_activation_and_state_conflicts(client_for, admin):
    user = UserFactory()
    client = client_for(admin)
    assert_error(client.post(f"{URL}{user.pk}/activate/", {"reason": "x"}), 409, "already_in_state")
    assert client.post(f"{URL}{user.pk}/deactivate/", {"reason": "spam"}).status_code == 200
    assert_error(
        client.post(f"{URL}{user.pk}/deactivate/", {"reason": "x"}), 409, "already_in_state"
    )
    response = client.post(f"{URL}{user.pk}/activate/", {"reason": "appeal accepted"})
    assert response.json()["is_active"] is True
    assert_error(
        client.post(f"{URL}{admin.pk}/deactivate/", {"reason": "x"}), 409, "cannot_deactivate_self"
    )
    assert_error(client.post(f"{URL}{user.pk}/deactivate/", {}), 400, "required", attr="reason")
    assert list(AdminActionLog.objects.order_by("created_at").values_list("action", flat=True)) == [
        "user_deactivated",
        "user_activated",
    ]


def test_past_appointments_are_left_alone_on_deactivation(client_for, admin):
    patient = PatientFactory()
    past = book_appointment(patient=patient, slot_id=SlotFactory(start=in_hours(30)).pk).appointment
    Appointment.objects.filter(pk=past.pk).update(start=in_hours(-5), end=in_hours(-4))
    response = client_for(admin).post(f"{URL}{patient.user_id}/deactivate/", {"reason": "x"})
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    past.refresh_from_db()
    assert (past.status, past.cancelled_at, past.cancellation_reason) == ("booked", None, "")
    assert Slot.objects.get(pk=past.slot_id).status == "booked"
    log = AdminActionLog.objects.get(action="user_deactivated")
    assert log.details["cancelled_appointments"] == "0"
