"""Issue #16: no request opens an SMTP connection or renders an email template; every mail
goes through a task. A real SMTP server counts connections while every kind of request that
causes mail is made; only running the tasks afterwards reaches it. (Every request in the suite
is also checked for rendered email templates and sent mail: tests/conftest.py.)"""

from datetime import timedelta

import pytest
import time_machine

from accounts.models import Role
from tests.factories import (
    PASSWORD,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    SpecialtyFactory,
    UserFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def test_requests_that_cause_mail_open_no_smtp_connection_and_render_no_email(
    client_for, use_smtp, run_tasks
):
    smtp = use_smtp
    smtp.start()
    anonymous = client_for(None)
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    patient = PatientFactory()
    as_patient = client_for(patient.user)
    UserFactory(email="taken@example.com")
    UserFactory(email="unconfirmed@example.com", email_confirmed_at=None)
    SpecialtyFactory(slug="cardiology")
    registration = {
        "password": PASSWORD,
        "first_name": "Nia",
        "last_name": "Okafor",
        "date_of_birth": "1988-03-01",
    }
    responses = [
        anonymous.post(
            f"{V1}/auth/register/patient/", {**registration, "email": "nia@example.com"}
        ),
        anonymous.post(
            f"{V1}/auth/register/patient/", {**registration, "email": "taken@example.com"}
        ),
        anonymous.post(
            f"{V1}/auth/register/doctor/",
            {
                **registration,
                "email": "dr.nia@example.com",
                "license_number": "NG-1",
                "specialty": "cardiology",
            },
        ),
        anonymous.post(f"{V1}/auth/email/resend/", {"email": "unconfirmed@example.com"}),
        anonymous.post(f"{V1}/auth/password/reset/", {"email": patient.user.email}),
        admin.post(f"{V1}/doctors/{DoctorFactory(is_confirmed=False).pk}/confirm/"),
        admin.post(f"{V1}/doctors/{DoctorFactory().pk}/reject/", {"reason": "No license"}),
    ]
    cancelled = as_patient.post(f"{V1}/appointments/", {"slot": str(SlotFactory().pk)})
    responses += [
        cancelled,
        as_patient.post(f"{V1}/appointments/{cancelled.json()['id']}/cancel/", {"reason": "x"}),
    ]
    slot = SlotFactory(start=in_hours(30))
    kept = as_patient.post(f"{V1}/appointments/", {"slot": str(slot.pk)})
    responses.append(kept)
    with time_machine.travel(slot.start + timedelta(minutes=5), tick=False):
        responses.append(
            client_for(slot.doctor.user).post(f"{V1}/appointments/{kept.json()['id']}/complete/")
        )

    statuses = [r.status_code for r in responses]
    assert statuses == [201, 201, 201, 202, 202, 200, 200, 201, 200, 201, 200]
    rendered = [t.name for r in responses for t in r.templates if "/email/" in (t.name or "")]
    assert rendered == []
    assert smtp.mailbox.connections == 0

    # The mail itself: registration x3, resend, reset, confirm, reject, booking x2,
    # cancellation (to the doctor), outcome. Reminders wait for their time.
    assert run_tasks() == 11
    assert len(smtp.mailbox.messages) == 11
    assert smtp.mailbox.connections == 11
