"""Reads for the FHIR API: the REST API's scoped selectors, plus what FHIR shapes need (the
Schedule each slot hangs on). Nothing here widens what a caller may see."""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from accounts.models import Role
from accounts.permissions import has_role, is_platform_admin
from appointments.models import Appointment
from clinics.models import DoctorClinicAssociation
from integrations.principal import is_integration_client
from patients.models import Patient
from scheduling.models import Slot
from scheduling.selectors import (
    bookable,
    bookable_slots,
    managed_by,
    published_slots,
    slots_managed_by,
)

MANAGING_ROLES = (Role.DOCTOR, Role.CLINIC_ADMIN)


def with_schedule_id(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    """Annotate `schedule_id`: the doctor's association with the slot's clinic (the active one,
    else the latest), which is the slot's Schedule. One index seek per row of the page."""
    association = DoctorClinicAssociation.objects.filter(
        doctor=OuterRef("doctor_id"), clinic=OuterRef("clinic_id")
    ).order_by("-is_active", "-started_on", "id")
    return slots.annotate(schedule_id=Subquery(association.values("pk")[:1]))


def slots_readable_by(user) -> QuerySet[Slot]:
    """What the REST API lets `user` read: bookable slots for everyone signed in (the search:
    free and not held by someone else), and, for doctors and admins, the slots they manage in
    any status; an integration client its clinic's slots, in any status."""
    if not user.is_authenticated:
        return Slot.objects.none()
    if is_platform_admin(user):
        slots = slots_managed_by(user)  # every slot
    elif is_integration_client(user):
        slots = slots_managed_by(user)  # its clinic's, in any status
    elif any(has_role(user, role) for role in MANAGING_ROLES):
        slots = Slot.objects.filter(bookable(holder=user) | managed_by(user))
    else:
        slots = bookable_slots(holder=user)  # a patient's own holds stay visible to them
    return with_schedule_id(slots.select_related("doctor__specialty"))


def public_slots() -> QuerySet[Slot]:
    """The free/busy view published to slot finders (no patient data)."""
    return with_schedule_id(published_slots())


def patient_known_to_clinic(*, patient_id, clinic_id) -> Patient | None:
    """The patient, if they have ever had an appointment at the clinic (any status): who a
    clinic's integration may book for until explicit consent exists (docs/integrations.md)."""
    if patient_id is None:
        return None
    history = Appointment.objects.filter(patient=OuterRef("pk"), clinic_id=clinic_id)
    return (
        Patient.objects.select_related("user")
        .filter(Exists(history), pk=patient_id, user__is_active=True)
        .first()
    )
