"""No N+1 anywhere: every paginated list endpoint sends as many queries for a page of 50 rows
as for a page of 1 (issue #9), and no more than its pinned budget. This is the one place list
query counts are pinned; a module's own tests pin only what this cannot see (a search over
10,000 slots, a break-glass opening, a feed). Each case seeds ~55 rows the caller can see,
warms the caches once, then counts the queries at page_size=1 and at page_size=50."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User, UserRole
from appointments.models import AppointmentStatus
from audit.models import AdminAction, AdminActionLog
from doctors.models import DoctorLanguage
from integrations.models import IntegrationClient
from loyalty.models import PointsKind, PointsTransaction
from patients.permissions import grant_doctor_access_to_patient
from records.models import AccessAction, RecordAccessLog
from reviews.models import Review
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    HistoryEntryFactory,
    PatientFactory,
    SlotFactory,
    SpecialtyFactory,
    UserFactory,
    clinic_admin_of,
    failed_task,
    in_hours,
    user_with_role,
)
from tests.integrations.helpers import ClientCredentialsAPIClient, make_client
from tests.webhooks.conftest import make_endpoint
from webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db

ROWS = 55
V1 = "/api/v1"


@dataclass
class Case:
    caller: User | None
    url: str


def _doctors() -> Case:
    clinic = ClinicFactory()
    for i in range(ROWS):
        doctor = DoctorFactory()
        DoctorLanguage.objects.create(doctor=doctor, language="en")
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24 + i))
    return Case(user_with_role(Role.PATIENT), f"{V1}/doctors/")


def _clinics() -> Case:
    for _ in range(ROWS):
        ClinicFactory()
    return Case(user_with_role(Role.PATIENT), f"{V1}/clinics/")


def _specialties() -> Case:
    for _ in range(ROWS):
        SpecialtyFactory()
    return Case(None, f"{V1}/specialties/")


def _associations() -> Case:
    for _ in range(ROWS):
        AssociationFactory()
    return Case(user_with_role(Role.PATIENT), f"{V1}/doctor-clinic-associations/")


def _associations_of_my_clinic() -> Case:
    clinic = ClinicFactory()
    for _ in range(ROWS):
        AssociationFactory(clinic=clinic)
    return Case(clinic_admin_of(clinic), f"{V1}/doctor-clinic-associations/")


def _treated_patients() -> Case:
    doctor = DoctorFactory()
    for _ in range(ROWS):
        grant_doctor_access_to_patient(doctor_user=doctor.user, patient=PatientFactory())
    return Case(doctor.user, f"{V1}/patients/")


def _all_patients() -> Case:
    for _ in range(ROWS):
        PatientFactory()
    return Case(user_with_role(Role.PLATFORM_ADMIN), f"{V1}/patients/")


def _doctor_with_slots():
    doctor = DoctorFactory()
    clinic = ClinicFactory()
    for i in range(ROWS):
        SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(24 + i))
    return doctor


def _available_slots() -> Case:
    _doctor_with_slots()
    return Case(user_with_role(Role.PATIENT), f"{V1}/slots/available/")


def _managed_slots() -> Case:
    return Case(_doctor_with_slots().user, f"{V1}/slots/")


def _appointments_of(patient, *, hours: Callable[[int], float], **fields) -> None:
    doctor = DoctorFactory()
    clinic = ClinicFactory()
    for i in range(ROWS):
        AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=in_hours(hours(i)),
            **fields,
        )


def _my_appointments() -> Case:
    patient = PatientFactory()
    _appointments_of(patient, hours=lambda i: 24 + i)
    return Case(patient.user, f"{V1}/appointments/?when=upcoming")


def _doctor_appointments() -> Case:
    doctor = DoctorFactory()
    clinic = ClinicFactory()
    for i in range(ROWS):
        AppointmentFactory(slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(24 + i))
    return Case(doctor.user, f"{V1}/appointments/")


def _reviewed_doctor():
    patient = PatientFactory()
    doctor = DoctorFactory()
    clinic = ClinicFactory()
    for i in range(ROWS):
        appointment = AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=in_hours(-24 - i),
            status=AppointmentStatus.COMPLETED,
        )
        Review.objects.create(appointment=appointment, patient=patient, doctor=doctor, rating=4)
    return patient, doctor


def _doctor_reviews() -> Case:
    _, doctor = _reviewed_doctor()
    return Case(user_with_role(Role.PATIENT), f"{V1}/reviews/?doctor={doctor.pk}")


def _my_reviews() -> Case:
    patient, _ = _reviewed_doctor()
    return Case(patient.user, f"{V1}/reviews/mine/")


def _points_ledger() -> Case:
    patient = PatientFactory()
    for _ in range(ROWS):
        PointsTransaction.objects.create(
            patient=patient, kind=PointsKind.ADJUSTED, amount=5, reason="Goodwill"
        )
    return Case(patient.user, f"{V1}/points/")


def _patient_with_history():
    patient = PatientFactory()
    doctor = DoctorFactory()
    grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
    entries = [HistoryEntryFactory(patient=patient, author=doctor) for _ in range(ROWS)]
    HistoryEntryFactory(patient=patient, author=doctor, amends=entries[0])
    return patient, doctor


def _history_for_doctor() -> Case:
    patient, doctor = _patient_with_history()
    return Case(doctor.user, f"{V1}/patients/{patient.pk}/history/")


def _my_history() -> Case:
    patient, _ = _patient_with_history()
    return Case(patient.user, f"{V1}/history/mine/")


def _access_log() -> Case:
    patient = PatientFactory()
    reader = DoctorFactory().user
    for _ in range(ROWS):
        RecordAccessLog.objects.create(
            user=reader, patient=patient, action=AccessAction.LIST, entry_ids=[]
        )
    return Case(patient.user, f"{V1}/patients/{patient.pk}/access-log/")


def _users() -> Case:
    for _ in range(ROWS):
        user_with_role(Role.PATIENT)
    return Case(user_with_role(Role.PLATFORM_ADMIN), f"{V1}/users/")


def _admin_actions() -> Case:
    admin = user_with_role(Role.PLATFORM_ADMIN)
    for _ in range(ROWS):
        AdminActionLog.objects.create(
            actor=admin,
            action=AdminAction.USER_DEACTIVATED,
            target_type="user",
            target_id=UserFactory().pk,
            reason="Spam",
        )
    return Case(admin, f"{V1}/admin-actions/")


def _failed_tasks() -> Case:
    for _ in range(ROWS):
        failed_task()
    return Case(user_with_role(Role.PLATFORM_ADMIN), f"{V1}/failed-tasks/")


def _clinic_admins() -> Case:
    clinic = ClinicFactory()
    for _ in range(ROWS):
        clinic_admin_of(clinic)
    return Case(user_with_role(Role.PLATFORM_ADMIN), f"{V1}/clinics/{clinic.pk}/admins/")


def _webhook_endpoints() -> Case:
    clinic = ClinicFactory()
    for i in range(ROWS):
        make_endpoint(clinic, f"https://93.184.215.14/hook/{i}")
    return Case(clinic_admin_of(clinic), f"{V1}/webhook-endpoints/")


def _integration_clients() -> Case:
    clinic = ClinicFactory()
    admin = clinic_admin_of(clinic)
    for _ in range(ROWS):
        make_client(clinic, ["schedule:read"], created_by=admin)
    return Case(admin, f"{V1}/integration-clients/")


def _integration(clinic, scope: str) -> IntegrationClient:
    client, _ = make_client(clinic, [scope], created_by=clinic_admin_of(clinic))
    return client


def _slots_of_a_clinic_for_its_integration() -> Case:
    clinic = ClinicFactory()
    for i in range(ROWS):
        SlotFactory(clinic=clinic, start=in_hours(24 + i))
    return Case(_integration(clinic, "schedule:read"), f"{V1}/slots/")


def _appointments_of_a_clinic_for_its_integration() -> Case:
    clinic = ClinicFactory()
    doctor = DoctorFactory()
    for i in range(ROWS):
        AppointmentFactory(slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(24 + i))
    return Case(_integration(clinic, "appointments:read"), f"{V1}/appointments/")


def _webhook_endpoints_for_an_integration() -> Case:
    clinic = ClinicFactory()
    for i in range(ROWS):
        make_endpoint(clinic, f"https://93.184.215.14/hook/{i}")
    return Case(_integration(clinic, "webhooks:manage"), f"{V1}/webhook-endpoints/")


def _webhook_deliveries() -> Case:
    clinic = ClinicFactory()
    endpoint = make_endpoint(clinic, "https://93.184.215.14/hook")
    for _ in range(ROWS):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type="slot.created", payload={"type": "slot.created"}
        )
        for number in (1, 2):
            WebhookAttempt.objects.create(
                delivery=delivery,
                attempt=number,
                started_at=timezone.now(),
                succeeded=number == 2,
                status_code=500 if number == 1 else 200,
                latency_ms=12,
            )
    return Case(clinic_admin_of(clinic), f"{V1}/webhook-endpoints/{endpoint.pk}/deliveries/")


def _my_waitlist() -> Case:
    from waitlist.models import WaitlistEntry

    patient = PatientFactory()
    for _ in range(ROWS):
        WaitlistEntry.objects.create(patient=patient, doctor=DoctorFactory())
    return Case(patient.user, f"{V1}/waitlist/")


def _my_dependents() -> Case:
    from patients.models import Guardianship

    guardian = PatientFactory()
    for _ in range(ROWS):
        dependent = PatientFactory(is_dependent=True, role=None)
        Guardianship.objects.create(guardian=guardian, dependent=dependent, relationship="child")
    return Case(guardian.user, f"{V1}/dependents/")


def _my_proxy_grants() -> Case:
    from patients.models import ProxyGrant

    patient = PatientFactory()
    until = timezone.now() + timedelta(days=30)
    for _ in range(ROWS):
        grantee = UserFactory()
        ProxyGrant.objects.create(
            patient=patient,
            invited_email=grantee.email,
            invitation_expires_at=timezone.now() + timedelta(days=7),
            grantee=grantee,
            accepted_at=timezone.now(),
            scope="booking",
            expires_at=until,
        )
    return Case(patient.user, f"{V1}/proxy-grants/")


def _waitlist_lengths() -> Case:
    from waitlist.models import WaitlistEntry

    for _ in range(ROWS):
        WaitlistEntry.objects.create(patient=PatientFactory(), doctor=DoctorFactory())
    return Case(user_with_role(Role.PLATFORM_ADMIN), f"{V1}/waitlist/lengths/")


def _visit_types() -> Case:
    from tests.factories import VisitTypeFactory

    clinic = ClinicFactory()
    for i in range(ROWS):
        if i % 2:
            VisitTypeFactory(doctor=None, clinic=clinic)
        else:
            VisitTypeFactory()
    return Case(clinic_admin_of(clinic), f"{V1}/visit-types/")


# Each list's statements for a page, whatever its size: the real figure, so one more fails.
CASES = {
    "doctors": (_doctors, 6),
    "clinics": (_clinics, 4),
    "specialties": (_specialties, 2),
    "associations": (_associations, 4),
    "associations (clinic admin)": (_associations_of_my_clinic, 4),
    "patients (treating doctor)": (_treated_patients, 4),
    "patients (platform admin)": (_all_patients, 4),
    "slots available": (_available_slots, 3),
    "slots managed": (_managed_slots, 4),
    "appointments (patient, upcoming)": (_my_appointments, 4),
    "appointments (doctor)": (_doctor_appointments, 4),
    "reviews of a doctor": (_doctor_reviews, 4),
    "my reviews": (_my_reviews, 4),
    "points ledger": (_points_ledger, 4),
    "history (treating doctor)": (_history_for_doctor, 7),
    "history (mine)": (_my_history, 7),
    "access log": (_access_log, 6),
    "users": (_users, 5),
    "admin actions": (_admin_actions, 4),
    "failed tasks": (_failed_tasks, 4),
    "clinic admins": (_clinic_admins, 5),
    "webhook endpoints": (_webhook_endpoints, 4),
    "webhook deliveries": (_webhook_deliveries, 6),
    "integration clients": (_integration_clients, 4),
    # With a client's token: the client read with its clinic is one query more than a user.
    "slots (integration client)": (_slots_of_a_clinic_for_its_integration, 3),
    "appointments (integration client)": (_appointments_of_a_clinic_for_its_integration, 3),
    "webhook endpoints (integration client)": (_webhook_endpoints_for_an_integration, 3),
    "waitlist (mine)": (_my_waitlist, 5),
    "waitlist lengths": (_waitlist_lengths, 4),
    "visit types (clinic admin)": (_visit_types, 4),
    "dependents (mine)": (_my_dependents, 4),
    "proxy grants (mine)": (_my_proxy_grants, 4),
}


def _page(client, url: str, size: int):
    separator = "&" if "?" in url else "?"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}{separator}page_size={size}")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


@pytest.mark.parametrize("name", CASES)
def test_list_query_count_is_pinned_and_does_not_grow_with_the_page(
    name, client_for, django_assert_max_num_queries
):
    seed, budget = CASES[name]
    case = seed()
    if isinstance(case.caller, IntegrationClient):
        client = ClientCredentialsAPIClient(case.caller)
    else:
        client = client_for(case.caller)
    _page(client, case.url, 1)  # warm per-process caches (content types, ...)

    with django_assert_max_num_queries(budget):
        small, small_count = _page(client, case.url, 1)
    with django_assert_max_num_queries(budget):
        large, large_count = _page(client, case.url, 50)

    assert len(small["results"]) == 1
    assert len(large["results"]) == 50, f"{name}: seed at least 50 visible rows"
    assert large_count == small_count, (
        f"{name}: {small_count} queries for 1 row, {large_count} for 50"
    )


def test_a_users_roles_cost_as_many_queries_for_one_as_for_all(client_for):
    """A user holds at most four roles, too few for the 50-row case above."""
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    user = UserFactory()
    for role in Role.values:
        UserRole.objects.create(user=user, role=role)
    url = f"{V1}/users/{user.pk}/roles/"
    _page(admin, url, 1)

    small, small_count = _page(admin, url, 1)
    large, large_count = _page(admin, url, 4)

    assert (len(small["results"]), small["count"], len(large["results"])) == (1, 4, 4)
    assert large_count == small_count <= 5


def test_the_cases_cover_every_paginated_list_endpoint():
    """A new list endpoint must join this module: the router's list routes are all here."""
    from django.urls import get_resolver

    covered = {
        "doctor-list",
        "clinic-list",
        "specialty-list",
        "association-list",
        "patient-list",
        "available-slot-list",
        "slot-list",
        "visit-type-list",
        "appointment-list",
        "review-list",
        "review-mine",
        "points-list",
        "patient-history-list",
        "my-history",
        "patient-access-log",
        "admin-user-list",
        "admin-action-list",
        "failed-task-list",
        "clinic-admins",
        "calendar-feed-list",  # at most two rows, unpaginated: tests/calendars/test_feeds.py
        "webhook-endpoint-list",
        "webhook-endpoint-deliveries",
        "integration-client-list",
        "waitlist-entry-list",
        "dependent-list",
        "proxy-grant-list",
    }
    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    lists = {name for name in names if name.endswith("-list")}
    assert lists <= covered, f"list endpoints without a query-count case: {lists - covered}"
