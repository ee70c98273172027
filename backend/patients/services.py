from django.db import transaction

from .models import Patient

PROFILE_FIELDS = (
    "date_of_birth",
    "gender",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)
ACCOUNT_FIELDS = ("first_name", "last_name", "phone")


@transaction.atomic
def update_patient_profile(*, patient: Patient, **fields) -> Patient:
    """Update a patient's profile and the name/phone on their account, together."""
    user = patient.user
    for name in ACCOUNT_FIELDS:
        if name in fields:
            setattr(user, name, fields[name])
    for name in PROFILE_FIELDS:
        if name in fields:
            setattr(patient, name, fields[name])
    user.save()
    patient.save()
    return patient
