"""Platform-admin actions that span several apps; every one is written to AdminActionLog."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import mfa
from accounts.models import Role, User, UserRole
from accounts.services import grant_role, revoke_all_tokens, revoke_role
from accounts.signals import user_deactivated
from appointments.models import Appointment, AppointmentStatus, CancellationCause
from appointments.services import cancel_appointment
from audit.models import AdminAction
from audit.services import record_admin_action
from clinics.permissions import clinics_administered_by
from clinics.services import remove_clinic_admin
from common.errors import ConflictError
from taskqueue.services import requeue_task


class ProfileMissing(ConflictError):
    default_code = "profile_missing"
    default_detail = "This role needs a profile the user does not have (register it first)."


PROFILE_FOR_ROLE = {Role.PATIENT: "patient", Role.DOCTOR: "doctor"}


@transaction.atomic
def grant_user_role(*, user: User, role: str, granted_by: User, reason: str = "") -> UserRole:
    """Grant a role. Patient and doctor roles need the matching profile; clinic admins get their
    clinics through the clinic's admins endpoint."""
    profile = PROFILE_FOR_ROLE.get(role)
    if profile and not hasattr(user, profile):
        raise ProfileMissing()
    user_role = grant_role(user=user, role=role, granted_by=granted_by)
    record_admin_action(
        actor=granted_by, action=AdminAction.ROLE_GRANTED, target=user, reason=reason, role=role
    )
    return user_role


@transaction.atomic
def revoke_user_role(*, user: User, role: str, revoked_by: User, reason: str = "") -> None:
    """Revoke a role with the rights that came with it (a clinic admin loses every clinic).
    A platform admin cannot drop their own platform_admin role: the last one would lock
    everybody out."""
    if role == Role.PLATFORM_ADMIN and user.pk == revoked_by.pk:
        raise ConflictError(
            "You cannot revoke your own platform admin role.", code="cannot_revoke_own_admin"
        )
    if role == Role.CLINIC_ADMIN:
        for clinic in clinics_administered_by(user):
            remove_clinic_admin(clinic=clinic, user=user, removed_by=revoked_by)
    revoke_role(user=user, role=role)
    record_admin_action(
        actor=revoked_by, action=AdminAction.ROLE_REVOKED, target=user, reason=reason, role=role
    )


class AlreadyInState(ConflictError):
    default_code = "already_in_state"


@transaction.atomic
def deactivate_user(*, user: User, actor: User, reason: str) -> User:
    """Switch the account off at once: its tokens stop working (access tokens too), and its
    future appointments, as patient or doctor, are cancelled with emails to both parties."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise AlreadyInState("This account is already deactivated.")
    if user.pk == actor.pk:
        raise ConflictError(
            "You cannot deactivate your own account.", code="cannot_deactivate_self"
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_all_tokens(user=user)
    user_deactivated.send(sender=User, user=user)
    upcoming = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, start__gt=timezone.now()
    ).filter(Q(patient__user=user) | Q(doctor__user=user))
    cancelled = 0
    for appointment in upcoming.order_by("start"):
        cancel_appointment(
            appointment=appointment,
            cancelled_by=actor,
            reason=reason,
            cause=CancellationCause.ACCOUNT_DEACTIVATED,
        )
        cancelled += 1
    record_admin_action(
        actor=actor,
        action=AdminAction.USER_DEACTIVATED,
        target=user,
        reason=reason,
        cancelled_appointments=cancelled,
    )
    return user


@transaction.atomic
def reset_user_mfa(*, user: User, actor: User, reason: str) -> User:
    """Take away a user's second factor (a lost device): their TOTP device and recovery codes go,
    every session of theirs ends (a session opened with the lost device too), and the audit log
    says who did it and why."""
    if user.pk == actor.pk:
        # A session alone (a stolen one, say) must not be able to take the second factor away.
        raise ConflictError(
            "Another platform admin resets your second factor.", code="cannot_reset_own_mfa"
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    removed = mfa.reset(user)
    if not removed:
        raise ConflictError("This user has no second factor to reset.", code="mfa_not_enrolled")
    revoke_all_tokens(user=user)
    record_admin_action(
        actor=actor, action=AdminAction.MFA_RESET, target=user, reason=reason, devices=removed
    )
    return user


@transaction.atomic
def activate_user(*, user: User, actor: User, reason: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise AlreadyInState("This account is already active.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_admin_action(actor=actor, action=AdminAction.USER_ACTIVATED, target=user, reason=reason)
    return user


@transaction.atomic
def requeue_failed_task(*, task: DBTaskResult, actor: User) -> DBTaskResult:
    """Run a failed task again (after the cause is fixed: the mail server is back, ...)."""
    requeued = requeue_task(task_id=task.pk)
    record_admin_action(
        actor=actor,
        action=AdminAction.TASK_REQUEUED,
        target=requeued,
        task=task.task_path,
        error=task.exception_class_path,
    )
    return requeued
