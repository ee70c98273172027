"""Clinic writes: profiles, activation, clinic admins and doctor associations."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Role, User
from accounts.services import grant_role, revoke_role
from audit.models import AdminAction
from audit.services import record_admin_action
from common.errors import ConflictError, field_error
from doctors.models import Doctor

from . import signals, tasks
from .models import Clinic, DoctorClinicAssociation
from .permissions import (
    clinics_administered_by,
    grant_clinic_admin_permission,
    revoke_clinic_admin_permission,
)

CLINIC_FIELDS = (
    "name",
    "slug",
    "address",
    "city",
    "country",
    "phone",
    "email",
    "timezone",
    "require_staff_mfa",
)


def _save_clinic(clinic: Clinic) -> Clinic:
    clinic.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            clinic.save()
    except IntegrityError as exc:
        raise field_error("slug", "Another clinic uses this slug.", code="slug_taken") from exc
    return clinic


def create_clinic(*, name: str, slug: str = "", **fields) -> Clinic:
    clinic = Clinic(name=name, slug=slug or slugify(name)[:200], **fields)
    return _save_clinic(clinic)


def update_clinic(*, clinic: Clinic, **fields) -> Clinic:
    for name, value in fields.items():
        if name in CLINIC_FIELDS:
            setattr(clinic, name, value)
    return _save_clinic(clinic)


def set_clinic_active(*, clinic: Clinic, is_active: bool) -> Clinic:
    """Clinics are deactivated, never deleted: appointments and history keep pointing at them."""
    clinic.is_active = is_active
    clinic.save(update_fields=["is_active", "updated_at"])
    return clinic


@transaction.atomic
def assign_clinic_admin(*, clinic: Clinic, user: User, granted_by: User) -> User:
    """Make `user` an admin of `clinic`: the role and the object permission together."""
    grant_role(user=user, role=Role.CLINIC_ADMIN, granted_by=granted_by)
    grant_clinic_admin_permission(user=user, clinic=clinic)
    record_admin_action(
        actor=granted_by, action=AdminAction.CLINIC_ADMIN_ASSIGNED, target=user, clinic=clinic.pk
    )
    return user


@transaction.atomic
def remove_clinic_admin(*, clinic: Clinic, user: User, removed_by: User) -> None:
    """Take `clinic` away from `user`; the role goes when they administer no clinic at all."""
    revoke_clinic_admin_permission(user=user, clinic=clinic)
    signals.clinic_admin_removed.send(sender=Clinic, clinic=clinic, user=user)
    record_admin_action(
        actor=removed_by, action=AdminAction.CLINIC_ADMIN_REMOVED, target=user, clinic=clinic.pk
    )
    if not clinics_administered_by(user).exists():
        revoke_role(user=user, role=Role.CLINIC_ADMIN)


def create_association(
    *,
    doctor: Doctor,
    clinic: Clinic,
    created_by: User,
    title: str = "",
    started_on: date | None = None,
) -> DoctorClinicAssociation:
    """Invite the doctor to the clinic: the association stays pending (the doctor is not listed
    there, cannot publish slots there, and the clinic's admins cannot act on their patients)
    until the doctor accepts it. The doctor is emailed."""
    if not clinic.is_active:
        raise field_error("clinic", "This clinic is deactivated.", code="clinic_inactive")
    association = DoctorClinicAssociation(
        doctor=doctor,
        clinic=clinic,
        title=title,
        is_active=False,
        started_on=started_on or timezone.localdate(),
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            association.save()
    except IntegrityError as exc:
        raise field_error(
            "doctor",
            "This doctor already has an open association with this clinic (pending or active).",
            code="association_exists",
        ) from exc
    tasks.send_association_invitation.enqueue(association_id=str(association.pk))
    return association


class AssociationNotPending(ConflictError):
    default_code = "association_not_pending"
    default_detail = "This association is not waiting for the doctor's answer."


@transaction.atomic
def accept_association(*, association: DoctorClinicAssociation) -> DoctorClinicAssociation:
    """The doctor accepts the clinic's invitation: from now on they work there."""
    association = DoctorClinicAssociation.objects.select_for_update().get(pk=association.pk)
    if association.is_active or association.ended_on is not None:
        raise AssociationNotPending()
    association.is_active = True
    association.accepted_at = timezone.now()
    association.save(update_fields=["is_active", "accepted_at", "updated_at"])
    return association


@transaction.atomic
def decline_association(
    *, association: DoctorClinicAssociation, declined_by: User
) -> DoctorClinicAssociation:
    """The doctor declines the invitation: it ends without ever having been active."""
    association = DoctorClinicAssociation.objects.select_for_update().get(pk=association.pk)
    if association.is_active or association.ended_on is not None:
        raise AssociationNotPending()
    association.ended_on = max(timezone.localdate(), association.started_on)
    association.ended_by = declined_by
    association.save(update_fields=["ended_on", "ended_by", "updated_at"])
    return association


class AssociationAlreadyEnded(ConflictError):
    default_code = "association_ended"
    default_detail = "This association has already ended."


@transaction.atomic
def end_association(
    *, association: DoctorClinicAssociation, ended_by: User, ended_on: date | None = None
) -> DoctorClinicAssociation:
    """End the association; the row stays, with its end date, for history."""
    association = DoctorClinicAssociation.objects.select_for_update().get(pk=association.pk)
    if association.ended_on is not None:
        raise AssociationAlreadyEnded()
    ended_on = ended_on or timezone.localdate()
    if ended_on < association.started_on:
        raise field_error("ended_on", "The end date is before the start date.", code="invalid")
    association.is_active = False
    association.ended_on = ended_on
    association.ended_by = ended_by
    association.save(update_fields=["is_active", "ended_on", "ended_by", "updated_at"])
    return association
