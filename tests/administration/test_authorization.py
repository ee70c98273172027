"""Admin and report endpoints x roles -> status (docs/rules.md, "Who may do what").

A clinic admin asking for another clinic's report gets 404 (the clinic is not among theirs)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.authz import Endpoint, cases, check, expect
from tests.factories import UserFactory, failed_task

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
CLINIC_STAFF = {"clinic_admin": 200, "other_clinic_admin": 200, "platform_admin": 200}


def enrolled_user():
    user = UserFactory()
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


ENDPOINTS = [
    Endpoint("users-list", "GET", lambda w: f"{V1}/users/", expect(403, platform_admin=200)),
    Endpoint(
        "users-detail",
        "GET",
        lambda w: f"{V1}/users/{w.patient.user_id}/",
        expect(403, platform_admin=200),
    ),
    Endpoint(
        "users-deactivate",
        "POST",
        lambda w: f"{V1}/users/{UserFactory().pk}/deactivate/",
        expect(403, platform_admin=200),
        body=lambda w: {"reason": "spam"},
    ),
    Endpoint(
        "users-mfa-reset",
        "POST",
        lambda w: f"{V1}/users/{enrolled_user().pk}/mfa/reset/",
        expect(403, platform_admin=200),
        body=lambda w: {"reason": "lost phone"},
    ),
    Endpoint(
        "users-activate",
        "POST",
        lambda w: f"{V1}/users/{UserFactory(is_active=False).pk}/activate/",
        expect(403, platform_admin=200),
        body=lambda w: {"reason": "appeal"},
    ),
    Endpoint(
        "doctors-reject",
        "POST",
        lambda w: f"{V1}/doctors/{w.unconfirmed_doctor.pk}/reject/",
        expect(403, platform_admin=200),
        body=lambda w: {"reason": "unverifiable license"},
    ),
    Endpoint(
        "admin-actions", "GET", lambda w: f"{V1}/admin-actions/", expect(403, platform_admin=200)
    ),
    Endpoint(
        "failed-tasks", "GET", lambda w: f"{V1}/failed-tasks/", expect(403, platform_admin=200)
    ),
    Endpoint(
        "failed-tasks-requeue",
        "POST",
        lambda w: f"{V1}/failed-tasks/{failed_task().pk}/requeue/",
        expect(403, platform_admin=200),
    ),
    Endpoint(
        "report-bookings", "GET", lambda w: f"{V1}/reports/bookings/", expect(403, **CLINIC_STAFF)
    ),
    Endpoint(
        "report-revenue", "GET", lambda w: f"{V1}/reports/revenue/", expect(403, **CLINIC_STAFF)
    ),
    Endpoint(
        "report-doctors", "GET", lambda w: f"{V1}/reports/doctors/", expect(403, **CLINIC_STAFF)
    ),
    Endpoint(
        "report-bookings-of-a-clinic",
        "GET",
        lambda w: f"{V1}/reports/bookings/?clinic={w.clinic.pk}",
        expect(403, clinic_admin=200, other_clinic_admin=404, platform_admin=200),
    ),
    Endpoint(
        "report-user-activity",
        "GET",
        lambda w: f"{V1}/reports/user-activity/",
        expect(403, platform_admin=200),
    ),
    Endpoint(
        "report-me",
        "GET",
        lambda w: f"{V1}/reports/me/",
        expect(403, doctor=200, other_doctor=200, unconfirmed_doctor=200),
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_admin_and_report_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)
