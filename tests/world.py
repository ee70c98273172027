"""A small platform with one actor per role, shared by the authorization tables."""

import copy
from dataclasses import dataclass

import pytest
from django.db import transaction

from accounts.models import Role, User
from appointments.models import Appointment
from clinics.models import Clinic, DoctorClinicAssociation
from doctors.models import Doctor
from patients.models import Patient
from patients.permissions import grant_doctor_access_to_patient
from reviews.models import Review
from reviews.services import create_review, hide_review
from scheduling.models import Slot
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)

ROLES = [
    "anonymous",
    "patient",
    "other_patient",
    "doctor",
    "other_doctor",
    "unconfirmed_doctor",
    "clinic_admin",
    "other_clinic_admin",
    "platform_admin",
]


@dataclass
class World:
    clinic: Clinic
    other_clinic: Clinic
    doctor: Doctor
    other_doctor: Doctor
    unconfirmed_doctor: Doctor
    patient: Patient
    other_patient: Patient
    clinic_admin: User
    other_clinic_admin: User
    platform_admin: User
    association: DoctorClinicAssociation
    slot: Slot
    appointment: Appointment
    started_appointment: Appointment
    completed_appointment: Appointment  # not reviewed yet
    review: Review  # the patient's visible review of the doctor
    hidden_review: Review  # ...and one a platform admin hid

    def actor(self, role: str) -> User | None:
        """The user playing `role` (None for anonymous)."""
        if role == "anonymous":
            return None
        value = getattr(self, role)
        return value if isinstance(value, User) else value.user


def build_world() -> World:
    clinic = ClinicFactory(name="Mitte Health", city="Berlin", timezone="Europe/Berlin")
    other_clinic = ClinicFactory(
        name="Hudson Care", city="New York", country="US", timezone="America/New_York"
    )
    doctor = DoctorFactory(user__first_name="Dora", user__last_name="Doctor")
    other_doctor = DoctorFactory(user__first_name="Otto", user__last_name="Other")
    association = AssociationFactory(doctor=doctor, clinic=clinic)
    AssociationFactory(doctor=other_doctor, clinic=other_clinic)
    patient = PatientFactory(user__first_name="Pia", user__last_name="Patient")
    # What the booking service does once the patient books with the doctor.
    grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
    slot = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(72))
    appointment = AppointmentFactory(
        patient=patient, slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(96)
    )
    started = AppointmentFactory(
        patient=patient, slot__doctor=doctor, slot__clinic=clinic, slot__start=in_hours(-0.25)
    )
    platform_admin = user_with_role(Role.PLATFORM_ADMIN)
    completed, reviewed, hidden = (
        AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=in_hours(-24 * days_ago),
            status="completed",
        )
        for days_ago in (1, 2, 3)
    )
    review = create_review(appointment=reviewed, rating=4, comment="Kind and thorough.")
    hidden_review = hide_review(
        review=create_review(appointment=hidden, rating=1, comment="Spam"),
        moderator=platform_admin,
        reason="Advertising",
    )
    return World(
        clinic=clinic,
        other_clinic=other_clinic,
        doctor=doctor,
        other_doctor=other_doctor,
        unconfirmed_doctor=DoctorFactory(is_confirmed=False, confirmed_at=None),
        patient=patient,
        other_patient=PatientFactory(),
        clinic_admin=clinic_admin_of(clinic),
        other_clinic_admin=clinic_admin_of(other_clinic),
        platform_admin=platform_admin,
        association=association,
        slot=slot,
        appointment=appointment,
        started_appointment=started,
        completed_appointment=completed,
        review=review,
        hidden_review=hidden_review,
    )


def shares_world(module) -> bool:
    marks = getattr(module, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    return any(mark.name == "shared_world" for mark in marks)


@pytest.fixture(scope="module")
def _module_world(request, django_db_setup, django_db_blocker):
    """For a module marked `shared_world`: one world, built in a transaction that stays open for
    the whole module and is rolled back after it. Each test's own transaction is a savepoint
    inside it, so whatever a test writes is gone before the next one; the module pays for the
    world once instead of once per case (the authorization tables have ~1000 cases)."""
    if not shares_world(request.module):
        yield None
        return
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(request, _module_world, db) -> World:
    """The world: the module's shared one (a fresh copy of the Python objects, so a test that
    changes an attribute changes only its own) or, without `shared_world`, one of its own."""
    if _module_world is None:
        return build_world()
    marker = request.node.get_closest_marker("django_db")
    assert not (marker and marker.kwargs.get("transaction")), (
        "a shared world lives in a transaction: transactional tests build their own"
    )
    return copy.deepcopy(_module_world)
