from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import User
from accounts.services import update_account
from audit.models import AdminAction
from audit.services import record_admin_action
from common.errors import ConflictError
from common.models import assign_fields

from . import tasks
from .models import Doctor, DoctorLanguage, Specialty

PROFILE_FIELDS = ("specialty", "bio", "consultation_fee")
# What a platform admin vouched for when confirming the doctor.
REVIEWED_FIELDS = ("first_name", "last_name", "specialty")


@transaction.atomic
def update_doctor_profile(*, doctor: Doctor, changed_by: User, **fields) -> Doctor:
    """Update the profile fields a doctor controls; rating and confirmation are not among them.
    A confirmed doctor who changes what the confirmation vouched for (name, specialty) goes
    back to review: out of the directory, no new slots, until a platform admin confirms again.
    A platform admin's own edit needs no review."""
    reviewed_before = {name: _reviewed_value(doctor, name) for name in REVIEWED_FIELDS}
    update_account(user=doctor.user, **fields)
    changed = assign_fields(doctor, fields, PROFILE_FIELDS)
    if (
        doctor.is_confirmed
        and changed_by.pk == doctor.user_id
        and any(_reviewed_value(doctor, name) != value for name, value in reviewed_before.items())
    ):
        doctor.is_confirmed = False
        doctor.confirmed_at = None
        doctor.confirmed_by = None
        changed += ["is_confirmed", "confirmed_at", "confirmed_by"]
    if changed:
        doctor.save(update_fields=[*changed, "updated_at"])
    if "languages" in fields:
        doctor.languages.all().delete()
        DoctorLanguage.objects.bulk_create(
            DoctorLanguage(doctor=doctor, language=code)
            for code in sorted(set(fields["languages"]))
        )
    return doctor


def _reviewed_value(doctor: Doctor, name: str):
    return doctor.specialty_id if name == "specialty" else getattr(doctor.user, name)


class DoctorAlreadyConfirmed(ConflictError):
    default_code = "doctor_already_confirmed"
    default_detail = "This doctor is already confirmed."


@transaction.atomic
def confirm_doctor(*, doctor: Doctor, confirmed_by: User, reason: str = "") -> Doctor:
    """A platform admin vouches for the doctor: they join the directory and may publish slots.
    The decision goes to the admin action log."""
    doctor = Doctor.objects.select_for_update().select_related("user").get(pk=doctor.pk)
    if doctor.is_confirmed:
        raise DoctorAlreadyConfirmed()
    doctor.is_confirmed = True
    doctor.confirmed_at = timezone.now()
    doctor.confirmed_by = confirmed_by
    doctor.rejected_at = None
    doctor.rejection_reason = ""
    doctor.save(
        update_fields=[
            "is_confirmed",
            "confirmed_at",
            "confirmed_by",
            "rejected_at",
            "rejection_reason",
            "updated_at",
        ]
    )
    tasks.send_doctor_confirmed_email.enqueue(doctor_id=str(doctor.pk))
    record_admin_action(
        actor=confirmed_by, action=AdminAction.DOCTOR_CONFIRMED, target=doctor, reason=reason
    )
    return doctor


class DoctorAlreadyRejected(ConflictError):
    default_code = "doctor_already_rejected"
    default_detail = "This doctor is already rejected."


@transaction.atomic
def reject_doctor(*, doctor: Doctor, rejected_by: User, reason: str) -> Doctor:
    """Refuse (or withdraw) a doctor's confirmation: they stay out of the directory and cannot
    publish slots; the doctor is told why by email."""
    doctor = Doctor.objects.select_for_update().select_related("user").get(pk=doctor.pk)
    if doctor.rejected_at is not None and not doctor.is_confirmed:
        raise DoctorAlreadyRejected()
    doctor.is_confirmed = False
    doctor.confirmed_at = None
    doctor.confirmed_by = None
    doctor.rejected_at = timezone.now()
    doctor.rejection_reason = reason
    doctor.save(
        update_fields=[
            "is_confirmed",
            "confirmed_at",
            "confirmed_by",
            "rejected_at",
            "rejection_reason",
            "updated_at",
        ]
    )
    tasks.send_doctor_rejected_email.enqueue(doctor_id=str(doctor.pk), reason=reason)
    record_admin_action(
        actor=rejected_by, action=AdminAction.DOCTOR_REJECTED, target=doctor, reason=reason
    )
    return doctor


class SpecialtyInUse(ConflictError):
    default_code = "specialty_in_use"
    default_detail = "Doctors are listed under this specialty; it cannot be deleted."


def create_specialty(*, name: str, slug: str) -> Specialty:
    specialty = Specialty(name=name, slug=slug)
    specialty.full_clean()
    specialty.save()
    return specialty


def update_specialty(*, specialty: Specialty, **fields) -> Specialty:
    for name in ("name", "slug"):
        if name in fields:
            setattr(specialty, name, fields[name])
    specialty.full_clean()
    specialty.save()
    return specialty


def delete_specialty(*, specialty: Specialty) -> None:
    try:
        with transaction.atomic():
            specialty.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise SpecialtyInUse() from exc
