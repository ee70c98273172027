"""Signing up: a new account together with its patient or doctor profile."""

from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from accounts.services import create_user, grant_role, send_confirmation_email
from common.errors import field_error
from doctors.models import Doctor, DoctorLanguage, Specialty
from patients.models import Patient


@transaction.atomic
def register_patient(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    phone: str = "",
    gender: str = "undisclosed",
    address: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
) -> User:
    """Create a patient account and profile, and email the confirmation link."""
    user = create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    Patient.objects.create(
        user=user,
        date_of_birth=date_of_birth,
        gender=gender,
        address=address,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_phone=emergency_contact_phone,
    )
    grant_role(user=user, role=Role.PATIENT)
    send_confirmation_email(user=user)
    return user


@transaction.atomic
def register_doctor(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    license_number: str,
    specialty: Specialty,
    phone: str = "",
    bio: str = "",
    languages: list[str] | None = None,
    consultation_fee=0,
) -> User:
    """Create an unconfirmed doctor account; a platform admin confirms it later."""
    user = create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    try:
        with transaction.atomic():
            doctor = Doctor.objects.create(
                user=user,
                specialty=specialty,
                license_number=license_number,
                bio=bio,
                consultation_fee=consultation_fee,
            )
    except IntegrityError as exc:
        raise field_error(
            "license_number", "A doctor with this license number exists.", code="license_taken"
        ) from exc
    DoctorLanguage.objects.bulk_create(
        DoctorLanguage(doctor=doctor, language=code) for code in set(languages or [])
    )
    grant_role(user=user, role=Role.DOCTOR)
    send_confirmation_email(user=user)
    return user
