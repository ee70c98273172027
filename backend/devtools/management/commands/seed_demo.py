"""Demo data for `make run`: one account per role and a small directory. Safe to run again."""

import base64
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import grant_role
from appointments.fees import fees_for
from appointments.models import Appointment, AppointmentStatus
from appointments.services import book_appointment
from clinics.models import Clinic, DoctorClinicAssociation
from clinics.permissions import grant_clinic_admin_permission
from doctors.models import Doctor, DoctorLanguage, Specialty
from loyalty.services import adjust_points
from patients.models import Patient
from patients.permissions import grant_doctor_access_to_patient
from reviews.models import Review
from reviews.services import create_review
from scheduling.models import VisitType
from scheduling.selectors import bookable_slots, offers_a_fitting_type
from scheduling.services import create_slots_from_template

DEMO_PASSWORD = "CareSlot-demo-2026"
# The demo platform admin's authenticator key when platform admins must sign in with a second
# factor (CARESLOT_MFA_REQUIRED_ROLES): public, like the password. Base32, for any TOTP app.
DEMO_TOTP_SECRET = "CARESLOTDEMOTOTPKEYFORTHEADMIN22"
SPECIALTIES = {
    "general-practice": "General practice",
    "cardiology": "Cardiology",
    "dermatology": "Dermatology",
    "pediatrics": "Pediatrics",
}
CLINICS = [
    ("mitte-health", "Mitte Health", "Invalidenstr. 10", "Berlin", "DE", "Europe/Berlin"),
    ("hudson-care", "Hudson Care", "250 Hudson St", "New York", "US", "America/New_York"),
]
# email, first, last, specialty, license, fee, languages, clinic slug, title
DOCTORS = [
    (
        "doctor@careslot.local",
        "Dora",
        "Weber",
        "general-practice",
        "DEMO-GP-0001",
        "60.00",
        ["en", "de"],
        "mitte-health",
        "General practitioner",
    ),
    (
        "heart@careslot.local",
        "Hans",
        "Kaiser",
        "cardiology",
        "DEMO-CA-0002",
        "120.00",
        ["de"],
        "mitte-health",
        "Cardiologist",
    ),
    (
        "skin@careslot.local",
        "Sara",
        "Miller",
        "dermatology",
        "DEMO-DE-0003",
        "95.00",
        ["en", "es"],
        "hudson-care",
        "Dermatologist",
    ),
    (
        "kids@careslot.local",
        "Kim",
        "Lee",
        "pediatrics",
        "DEMO-PE-0004",
        "80.00",
        ["en", "ko"],
        "hudson-care",
        "Pediatrician",
    ),
]
PATIENTS = [
    ("patient@careslot.local", "Pia", "Schulz", date(1990, 5, 17)),
    ("patient2@careslot.local", "Paul", "Garcia", date(1984, 11, 2)),
]
# Past completed visits, reviewed: patient email, doctor email, start (UTC), rating, comment
REVIEWED_VISITS = [
    (
        "patient@careslot.local",
        "doctor@careslot.local",
        datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
        5,
        "Listened carefully and explained everything.",
    ),
    (
        "patient2@careslot.local",
        "doctor@careslot.local",
        datetime(2025, 3, 11, 9, 0, tzinfo=UTC),
        4,
        "Short wait, friendly staff.",
    ),
    (
        "patient@careslot.local",
        "heart@careslot.local",
        datetime(2025, 4, 2, 14, 0, tzinfo=UTC),
        4,
        "",
    ),
]


# Every demo doctor's two visit types: name, reason code, minutes, share of the fee, modality,
# buffer after, open to new patients (docs/scheduling.md, "Visit types").
VISIT_TYPES = [
    ("First visit", "first-visit", 30, Decimal("1.00"), "in_person", 5, True),
    ("Follow-up", "follow-up", 15, Decimal("0.60"), "video", 0, False),
]


# patient, doctor, visit type (reason code, or None): each books the doctor's first free slot
# (for that type). Pia saw Dora before: she may book the follow-up closed to new patients.
UPCOMING_BOOKINGS = [
    ("patient@careslot.local", "doctor@careslot.local", "follow-up"),
    ("patient@careslot.local", "skin@careslot.local", None),
    ("patient2@careslot.local", "heart@careslot.local", None),
]


class Command(BaseCommand):
    help = "Load demo accounts (one per role at least) and a small directory; idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        specialties = {
            slug: Specialty.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in SPECIALTIES.items()
        }
        clinics = {row[0]: self._clinic(*row) for row in CLINICS}
        printed = []
        for email, first, last, born in PATIENTS:
            user = self._account(email, first, last, Role.PATIENT)
            Patient.objects.get_or_create(user=user, defaults={"date_of_birth": born})
            printed.append((Role.PATIENT, email))
        for row in DOCTORS:
            self._doctor(specialties, clinics, *row)
            printed.append((Role.DOCTOR, row[0]))
        for row in REVIEWED_VISITS:
            self._reviewed_visit(*row)
        clinic_admin = self._account(
            "clinic.admin@careslot.local", "Clara", "Berg", Role.CLINIC_ADMIN
        )
        grant_clinic_admin_permission(user=clinic_admin, clinic=clinics["mitte-health"])
        printed.append((Role.CLINIC_ADMIN, f"{clinic_admin.email} (Mitte Health)"))
        platform_admin = self._account(
            "platform.admin@careslot.local", "Paul", "Admin", Role.PLATFORM_ADMIN
        )
        printed.append((Role.PLATFORM_ADMIN, "platform.admin@careslot.local"))
        if self._demo_second_factor(platform_admin):
            printed.append(
                ("", f"  second factor: TOTP secret {DEMO_TOTP_SECRET} (any authenticator app)")
            )
        self._welcome_points(platform_admin)
        self._slots()
        self._visit_types()
        self._bookings()

        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        for role, label in printed:
            self.stdout.write(f"  {role:<15} {label}")

    def _demo_second_factor(self, admin: User) -> bool:
        """Enrol the demo platform admin with the demo key when their role must sign in with a
        second factor; otherwise remove it, so they sign in with the password alone."""
        if Role.PLATFORM_ADMIN not in settings.MFA_REQUIRED_ROLES:
            TOTPDevice.objects.filter(user=admin).delete()
            return False
        key = base64.b32decode(DEMO_TOTP_SECRET).hex()
        TOTPDevice.objects.filter(user=admin).exclude(key=key).delete()
        TOTPDevice.objects.get_or_create(
            user=admin, key=key, defaults={"name": "demo authenticator", "confirmed": True}
        )
        return True

    def _welcome_points(self, admin: User) -> None:
        patient = Patient.objects.get(user__email=PATIENTS[0][0])
        if not patient.points_transactions.exists():
            adjust_points(patient=patient, amount=150, reason="Demo welcome bonus", actor=admin)

    def _slots(self) -> None:
        """Two weeks of weekday mornings for every demo doctor who has no future slot."""
        today = timezone.localdate()
        for association in DoctorClinicAssociation.objects.filter(
            doctor__user__email__in=[row[0] for row in DOCTORS], is_active=True
        ).select_related("doctor", "clinic"):
            if association.doctor.slots.filter(start__gt=timezone.now()).exists():
                continue
            create_slots_from_template(
                doctor=association.doctor,
                clinic=association.clinic,
                weekdays=[0, 1, 2, 3, 4],
                start_time=time(9),
                end_time=time(12),
                slot_minutes=30,
                break_minutes=0,
                date_from=today + timedelta(days=1),
                date_to=today + timedelta(days=14),
            )

    def _visit_types(self) -> None:
        for doctor in Doctor.objects.filter(user__email__in=[row[0] for row in DOCTORS]):
            for name, code, minutes, share, modality, after, new_patients in VISIT_TYPES:
                VisitType.objects.get_or_create(
                    doctor=doctor,
                    reason_code=code,
                    defaults={
                        "name": name,
                        "duration_minutes": minutes,
                        "price": (doctor.consultation_fee * share).quantize(Decimal("0.01")),
                        "modality": modality,
                        "buffer_after_minutes": after,
                        "new_patients_allowed": new_patients,
                    },
                )

    def _bookings(self) -> None:
        """A few upcoming booked appointments, so every role meets real objects."""
        for patient_email, doctor_email, visit_code in UPCOMING_BOOKINGS:
            patient = Patient.objects.get(user__email=patient_email)
            doctor = Doctor.objects.get(user__email=doctor_email)
            upcoming = Appointment.objects.filter(
                patient=patient, doctor=doctor, start__gt=timezone.now()
            )
            if upcoming.exists():
                continue
            slots = bookable_slots().filter(doctor=doctor)
            visit_type = doctor.visit_types.filter(reason_code=visit_code).first()
            if visit_type is not None:
                slots = slots.filter(offers_a_fitting_type(visit_type=visit_type))
            slot = slots.order_by("start").first()
            book_appointment(
                patient=patient,
                slot_id=slot.pk,
                notes="Demo booking",
                visit_type_id=visit_type.pk if visit_type else None,
            )

    def _clinic(self, slug, name, address, city, country, zone) -> Clinic:
        clinic, _ = Clinic.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "address": address,
                "city": city,
                "country": country,
                "timezone": zone,
            },
        )
        return clinic

    def _account(self, email: str, first: str, last: str, role: str) -> User:
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
        return user

    def _doctor(
        self,
        specialties,
        clinics,
        email,
        first,
        last,
        specialty,
        license_number,
        fee,
        languages,
        clinic_slug,
        title,
    ) -> None:
        user = self._account(email, first, last, Role.DOCTOR)
        doctor, created = Doctor.objects.get_or_create(
            user=user,
            defaults={
                "specialty": specialties[specialty],
                "license_number": license_number,
                "consultation_fee": Decimal(fee),
                "is_confirmed": True,
                "confirmed_at": timezone.now(),
                "bio": f"{SPECIALTIES[specialty]} at {clinics[clinic_slug].name}.",
            },
        )
        if created:
            DoctorLanguage.objects.bulk_create(
                DoctorLanguage(doctor=doctor, language=code) for code in languages
            )
            DoctorClinicAssociation.objects.create(
                doctor=doctor,
                clinic=clinics[clinic_slug],
                title=title,
                started_on=date(2024, 1, 1),
                accepted_at=timezone.now(),
            )

    def _reviewed_visit(self, patient_email, doctor_email, start, rating, comment) -> None:
        """A completed appointment (no slot: it is history) and its review, made once."""
        patient = Patient.objects.get(user__email=patient_email)
        doctor = Doctor.objects.select_related("user").get(user__email=doctor_email)
        appointment = Appointment.objects.filter(
            patient=patient, doctor=doctor, start=start
        ).first()
        if appointment is None:
            fees = fees_for(doctor.consultation_fee)
            appointment = Appointment.objects.create(
                patient=patient,
                doctor=doctor,
                clinic=doctor.associations.filter(is_active=True).first().clinic,
                start=start,
                end=start + timedelta(minutes=30),
                status=AppointmentStatus.COMPLETED,
                status_changed_at=start + timedelta(minutes=30),
                consultation_fee=fees.consultation_fee,
                transaction_fee=fees.transaction_fee,
                total_amount=fees.total_amount,
                currency=fees.currency,
            )
            grant_doctor_access_to_patient(doctor_user=doctor.user, patient=patient)
        if not Review.objects.filter(appointment=appointment).exists():
            create_review(appointment=appointment, rating=rating, comment=comment)
