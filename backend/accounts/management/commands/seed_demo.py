"""Demo data for `make run`: one confirmed account per role. Safe to run again."""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import grant_role
from doctors.models import Doctor, DoctorLanguage, Specialty
from patients.models import Patient

DEMO_PASSWORD = "CareSlot-demo-2026"
SPECIALTIES = [
    ("General practice", "general-practice"),
    ("Cardiology", "cardiology"),
    ("Dermatology", "dermatology"),
    ("Pediatrics", "pediatrics"),
]


class Command(BaseCommand):
    help = "Load demo accounts (one per role) and reference data; idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for name, slug in SPECIALTIES:
            Specialty.objects.get_or_create(slug=slug, defaults={"name": name})
        accounts = [
            self._patient(),
            self._doctor(),
            self._account("clinic.admin@careslot.local", "Clara", "Admin", Role.CLINIC_ADMIN),
            self._account("platform.admin@careslot.local", "Paul", "Admin", Role.PLATFORM_ADMIN),
        ]
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        for user, role in accounts:
            self.stdout.write(f"  {role:<15} {user.email}")

    def _account(self, email: str, first: str, last: str, role: str) -> tuple[User, str]:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email_confirmed_at=timezone.now(),
            )
        grant_role(user=user, role=role)
        return user, role

    def _patient(self) -> tuple[User, str]:
        user, role = self._account("patient@careslot.local", "Pia", "Patient", Role.PATIENT)
        Patient.objects.get_or_create(user=user, defaults={"date_of_birth": date(1990, 5, 17)})
        return user, role

    def _doctor(self) -> tuple[User, str]:
        user, role = self._account("doctor@careslot.local", "Dora", "Doctor", Role.DOCTOR)
        doctor, created = Doctor.objects.get_or_create(
            user=user,
            defaults={
                "specialty": Specialty.objects.get(slug="general-practice"),
                "license_number": "DEMO-GP-0001",
                "consultation_fee": "60.00",
                "is_confirmed": True,
                "confirmed_at": timezone.now(),
                "bio": "General practitioner.",
            },
        )
        if created:
            DoctorLanguage.objects.bulk_create(
                [DoctorLanguage(doctor=doctor, language=code) for code in ("en", "de")]
            )
        return user, role
