"""Signing up: a new account together with its patient or doctor profile."""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import Role, User, normalize_email
from accounts.services import create_user, grant_role
from doctors.models import Doctor, DoctorLanguage, Specialty
from patients.models import Patient

from . import tasks


@dataclass(frozen=True)
class Registration:
    """What a registration answers. The same whether or not the email already had an account:
    the caller must not learn which (the owner of an existing account is emailed instead)."""

    email: str
    roles: list[str]


def _registered(
    *, email: str, user: User | None, role: str, license_taken: bool = False
) -> Registration:
    """Queue the email that follows a registration (the worker decides which one)."""
    tasks.send_registration_email.enqueue(
        email=normalize_email(email),
        user_id=None if user is None else str(user.pk),
        license_taken=license_taken,
    )
    return Registration(email=normalize_email(email), roles=[role])


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
) -> Registration:
    """Create a patient account and profile, and queue the confirmation link. An email that
    has an account already creates nothing and queues a notice to its owner instead."""
    user = create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, phone=phone
    )
    if user is None:
        return _registered(email=email, user=None, role=Role.PATIENT)
    Patient.objects.create(
        user=user,
        date_of_birth=date_of_birth,
        gender=gender,
        address=address,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_phone=emergency_contact_phone,
    )
    grant_role(user=user, role=Role.PATIENT)
    return _registered(email=email, user=user, role=Role.PATIENT)


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
) -> Registration:
    """Create an unconfirmed doctor account; a platform admin confirms it later. An email
    that has an account already is handled as for patients. A license number that is taken
    creates nothing either and answers the same: license numbers are public (the directory,
    FHIR `Practitioner.identifier`), so a refusal would tell whether the email has an account;
    the worker writes to the address instead."""
    try:
        with transaction.atomic():
            user = create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                phone=phone,
            )
            if user is None:
                return _registered(email=email, user=None, role=Role.DOCTOR)
            doctor = Doctor.objects.create(
                user=user,
                specialty=specialty,
                license_number=license_number,
                bio=bio,
                consultation_fee=consultation_fee,
            )
    except IntegrityError:
        return _registered(email=email, user=None, role=Role.DOCTOR, license_taken=True)
    DoctorLanguage.objects.bulk_create(
        DoctorLanguage(doctor=doctor, language=code) for code in set(languages or [])
    )
    grant_role(user=user, role=Role.DOCTOR)
    return _registered(email=email, user=user, role=Role.DOCTOR)
