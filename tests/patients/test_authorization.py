"""Families (docs/families.md) x roles -> status: the dependents endpoints, and what a guardian
may do for their dependent through the appointments, waitlist and records endpoints; the proxy
grants endpoints, and what a proxy with each scope (and a revoked one) may do for the patient;
next to the patient's own roles, doctors, admins and strangers."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import book_appointment
from patients.models import Patient, ProxyGrant
from patients.services import (
    add_dependent,
    grant_proxy_access,
    invite_proxy,
    revoke_proxy_access,
)
from patients.tokens import make_proxy_invitation_token
from tests.authz import Endpoint, cases, check, expect
from tests.factories import HistoryEntryFactory, PatientFactory, SlotFactory, in_hours
from tests.world import ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
# The shared actors plus a patient who is the guardian of a child without an account.
FAMILY_ROLES = [*ROLES, "guardian"]


def with_family(w):
    """`w` with a guardian (an actor of these tables), their six-year-old dependent, the
    dependent's appointment with the doctor and a history entry: made on first use, so any
    world (the log-scanning test's too) can run these rows."""
    if not hasattr(w, "dependent"):
        w.guardian = PatientFactory(user__first_name="Gina", user__last_name="Guardian")
        today = timezone.localdate()
        w.dependent = add_dependent(
            guardian=w.guardian,
            first_name="Mia",
            last_name="Guardian",
            date_of_birth=date(today.year - 6, 1, 15),
            relationship="child",
        ).dependent
        slot = SlotFactory(doctor=w.doctor, clinic=w.clinic, start=in_hours(120))
        w.dependent_appointment = book_appointment(
            patient=w.dependent, slot_id=slot.pk, booked_by=w.guardian.user
        ).appointment
        HistoryEntryFactory(patient=w.dependent, author=w.doctor)
    return w


def dependent(w) -> Patient:
    return with_family(w).dependent


def dependent_appointment(w) -> Appointment:
    return with_family(w).dependent_appointment


@pytest.fixture
def family_world(world):
    return with_family(world)


def family(default: int, **by_role: int) -> dict[str, int]:
    return expect(default, roles=FAMILY_ROLES, **by_role)


def child(w) -> dict:
    return {
        "first_name": "Leo",
        "last_name": "Guardian",
        "date_of_birth": "2020-03-04",
        "relationship": "child",
    }


PATIENTS = {"patient": 200, "other_patient": 200, "guardian": 200}
# What only the guardian does for their dependent: other patients name a profile they do not
# act for (a 400 on `patient`, as a slot that does not exist), other roles are no patients.
FOR_DEPENDENT = family(403, patient=400, other_patient=400, guardian=201)
# Someone who cannot see the dependent's appointment at all gets a 404.
APPOINTMENT_READERS = {"guardian": 200, "doctor": 200, "clinic_admin": 200, "platform_admin": 200}

ENDPOINTS = [
    Endpoint(
        "dependents-list",
        "GET",
        lambda w: with_family(w) and f"{V1}/dependents/",
        family(403, **PATIENTS),
    ),
    Endpoint(
        "dependents-add",
        "POST",
        lambda w: with_family(w) and f"{V1}/dependents/",
        family(403, patient=201, other_patient=201, guardian=201),
        body=child,
    ),
    Endpoint(
        "dependents-detail",
        "GET",
        lambda w: f"{V1}/dependents/{dependent(w).pk}/",
        family(403, patient=404, other_patient=404, guardian=200),
    ),
    Endpoint(
        "dependents-update",
        "PATCH",
        lambda w: f"{V1}/dependents/{dependent(w).pk}/",
        family(403, patient=404, other_patient=404, guardian=200),
        body=lambda w: {"first_name": "Mila"},
    ),
    Endpoint(
        # The world's dependent is six: the guardian is told to wait (409); others see nothing.
        "dependents-claim-invitation",
        "POST",
        lambda w: f"{V1}/dependents/{dependent(w).pk}/claim-invitation/",
        family(403, patient=404, other_patient=404, guardian=409),
        body=lambda w: {"email": "mia@example.com"},
    ),
    Endpoint(
        # Anyone holding the link may claim; a token that is no invitation is a 400 for all.
        "dependents-claim",
        "POST",
        lambda w: with_family(w) and f"{V1}/dependents/claim/",
        family(400, anonymous=400),
        body=lambda w: {"token": "not-a-token", "password": "a long enough passphrase 7"},
    ),
    Endpoint(
        "family-dependent-profile",
        "GET",
        lambda w: f"{V1}/patients/{dependent(w).pk}/",
        family(404, guardian=200, doctor=200, platform_admin=200),
    ),
    Endpoint(
        "family-book-for-dependent",
        "POST",
        lambda w: f"{V1}/appointments/",
        FOR_DEPENDENT,
        body=lambda w: {"slot": str(w.slot.pk), "patient": str(dependent(w).pk)},
    ),
    Endpoint(
        "family-dependent-appointment",
        "GET",
        lambda w: f"{V1}/appointments/{dependent_appointment(w).pk}/",
        family(404, **APPOINTMENT_READERS),
    ),
    Endpoint(
        "family-dependent-cancel",
        "POST",
        lambda w: f"{V1}/appointments/{dependent_appointment(w).pk}/cancel/",
        family(404, guardian=200, doctor=200, clinic_admin=200, platform_admin=403),
    ),
    Endpoint(
        "family-dependent-reschedule",
        "POST",
        lambda w: f"{V1}/appointments/{dependent_appointment(w).pk}/reschedule/",
        family(404, guardian=200, clinic_admin=200, doctor=403, platform_admin=403),
        body=lambda w: {"slot": str(w.slot.pk)},
    ),
    Endpoint(
        "family-dependent-waitlist",
        "POST",
        lambda w: f"{V1}/waitlist/",
        FOR_DEPENDENT,
        body=lambda w: {"doctor": str(w.doctor.pk), "patient": str(dependent(w).pk)},
    ),
    Endpoint(
        "family-dependent-history",
        "GET",
        lambda w: f"{V1}/patients/{dependent(w).pk}/history/",
        family(404, guardian=200, doctor=200),
    ),
    Endpoint(
        "family-dependent-history-write",
        "POST",
        lambda w: f"{V1}/patients/{dependent(w).pk}/history/",
        family(404, guardian=403, doctor=201),
        body=lambda w: {"entry_type": "note", "title": "Follow-up", "details": "Better."},
    ),
    Endpoint(
        "family-dependent-access-log",
        "GET",
        lambda w: f"{V1}/patients/{dependent(w).pk}/access-log/",
        family(404, guardian=200, platform_admin=200, doctor=403),
    ),
]


FAMILY_ENDPOINTS = ENDPOINTS


@pytest.mark.parametrize(("endpoint", "role"), cases(FAMILY_ENDPOINTS, FAMILY_ROLES))
def test_family_authorization(client_for, family_world, endpoint, role):
    check(client_for, family_world, endpoint, role)


# --- proxy grants: world.patient lets three other patient accounts act for them -------------

PROXY_ROLES = [*ROLES, "proxy_booking", "proxy_history", "revoked_proxy"]


def with_proxies(w):
    """`w` with three patients world.patient granted proxy access (booking, booking and
    history, and one revoked since): made on first use, as `with_family`."""
    if not hasattr(w, "booking_grant"):
        until = timezone.now() + timedelta(days=30)
        grants = {}
        for name in ("proxy_booking", "proxy_history", "revoked_proxy"):
            setattr(w, name, PatientFactory(user__first_name=name.title()))
            grants[name] = grant_proxy_access(
                patient=w.patient,
                grantee=getattr(w, name).user,
                scope="booking_history" if name == "proxy_history" else "booking",
                expires_at=until,
            )
        revoke_proxy_access(grant=grants["revoked_proxy"], by=w.patient.user)
        w.booking_grant = grants["proxy_booking"]
    return w


def invitation_token(w, email: str) -> str:
    grant = invite_proxy(
        patient=w.patient,
        email=email,
        scope="booking",
        expires_at=timezone.now() + timedelta(days=7),
    )
    return make_proxy_invitation_token(grant_id=str(grant.pk), email=grant.invited_email)


def booking_grant(w) -> ProxyGrant:
    return with_proxies(w).booking_grant


@pytest.fixture
def proxy_world(world):
    return with_proxies(world)


def proxy(default: int, **by_role: int) -> dict[str, int]:
    return expect(default, roles=PROXY_ROLES, **by_role)


PROXY_PATIENTS = {"patient", "other_patient", "proxy_booking", "proxy_history", "revoked_proxy"}
BOOKING_PROXIES = {"proxy_booking": 200, "proxy_history": 200}

PROXY_ENDPOINTS = [
    Endpoint(
        "proxy-grants-list",
        "GET",
        lambda w: with_proxies(w) and f"{V1}/proxy-grants/",
        proxy(403, **dict.fromkeys(PROXY_PATIENTS, 200)),
    ),
    Endpoint(
        # Granting to other_patient: other_patient themself is refused on the field (400).
        "proxy-grants-create",
        "POST",
        lambda w: with_proxies(w) and f"{V1}/proxy-grants/",
        proxy(403, **(dict.fromkeys(PROXY_PATIENTS, 201) | {"other_patient": 400})),
        body=lambda w: {
            "grantee_email": w.other_patient.user.email,
            "scope": "booking",
            "expires_at": (timezone.now() + timedelta(days=7)).isoformat(),
        },
    ),
    Endpoint(
        "proxy-grants-detail",
        "GET",
        lambda w: f"{V1}/proxy-grants/{booking_grant(w).pk}/",
        proxy(
            403,
            patient=200,
            proxy_booking=200,
            **dict.fromkeys(PROXY_PATIENTS - {"patient", "proxy_booking"}, 404),
        ),
    ),
    Endpoint(
        "proxy-grants-revoke",
        "POST",
        lambda w: f"{V1}/proxy-grants/{booking_grant(w).pk}/revoke/",
        proxy(
            403,
            patient=200,
            proxy_booking=200,
            **dict.fromkeys(PROXY_PATIENTS - {"patient", "proxy_booking"}, 404),
        ),
    ),
    Endpoint(
        # world.patient invites other_patient: only the account with the invited address
        # accepts; any other patient gets the same 400 as a forged token.
        "proxy-grants-accept",
        "POST",
        lambda w: f"{V1}/proxy-grants/accept/",
        proxy(403, **(dict.fromkeys(PROXY_PATIENTS, 400) | {"other_patient": 200})),
        body=lambda w: {"token": invitation_token(w, w.other_patient.user.email)},
    ),
    Endpoint(
        "proxy-book-for-patient",
        "POST",
        lambda w: with_proxies(w) and f"{V1}/appointments/",
        proxy(
            403,
            patient=201,
            proxy_booking=201,
            proxy_history=201,
            other_patient=400,
            revoked_proxy=400,
        ),
        body=lambda w: {"slot": str(w.slot.pk), "patient": str(w.patient.pk)},
    ),
    Endpoint(
        "proxy-patient-appointment",
        "GET",
        lambda w: with_proxies(w) and f"{V1}/appointments/{w.appointment.pk}/",
        proxy(
            404, patient=200, doctor=200, clinic_admin=200, platform_admin=200, **BOOKING_PROXIES
        ),
    ),
    Endpoint(
        "proxy-patient-cancel",
        "POST",
        lambda w: with_proxies(w) and f"{V1}/appointments/{w.appointment.pk}/cancel/",
        proxy(
            404, patient=200, doctor=200, clinic_admin=200, platform_admin=403, **BOOKING_PROXIES
        ),
    ),
    Endpoint(
        "proxy-patient-history",
        "GET",
        lambda w: with_proxies(w) and f"{V1}/patients/{w.patient.pk}/history/",
        proxy(404, patient=200, doctor=200, proxy_history=200),
    ),
    Endpoint(
        # A booking proxy sees the patient but not their access log (403).
        "proxy-patient-access-log",
        "GET",
        lambda w: with_proxies(w) and f"{V1}/patients/{w.patient.pk}/access-log/",
        proxy(
            404, patient=200, platform_admin=200, proxy_history=200, doctor=403, proxy_booking=403
        ),
    ),
]

ENDPOINTS = ENDPOINTS + PROXY_ENDPOINTS


@pytest.mark.parametrize(("endpoint", "role"), cases(PROXY_ENDPOINTS, PROXY_ROLES))
def test_proxy_authorization(client_for, proxy_world, endpoint, role):
    check(client_for, proxy_world, endpoint, role)
