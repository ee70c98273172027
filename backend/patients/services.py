from django.db import transaction

from accounts.services import update_account
from common.models import assign_fields

from .models import Patient

PROFILE_FIELDS = (
    "date_of_birth",
    "gender",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)


@transaction.atomic
def update_patient_profile(*, patient: Patient, **fields) -> Patient:
    """Update a patient's profile and the name/phone on their account, together."""
    update_account(user=patient.user, **fields)
    changed = assign_fields(patient, fields, PROFILE_FIELDS)
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
    return patient
