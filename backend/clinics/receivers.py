"""The clinics' answers to the accounts app's questions."""

from django.db.models import Q
from django.dispatch import receiver

from accounts.mfa import mfa_requirement

from .models import Clinic, ClinicUserObjectPermission


@receiver(mfa_requirement, dispatch_uid="clinics:mfa_requirement")
def clinic_requires_mfa(sender, user, **kwargs) -> bool:
    """Whether `user` administers, or works as an accepted doctor at, a clinic that requires
    its staff to sign in with a second factor."""
    administered = ClinicUserObjectPermission.objects.filter(
        user=user, permission__codename="change_clinic"
    ).values("content_object_id")
    return Clinic.objects.filter(
        Q(pk__in=administered) | Q(associations__doctor__user=user, associations__is_active=True),
        require_staff_mfa=True,
    ).exists()
