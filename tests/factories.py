"""factory-boy factories for the suite; every user has the password `PASSWORD`."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Role, User, UserRole
from appointments.models import Appointment
from appointments.services import book_appointment
from clinics.models import Clinic, DoctorClinicAssociation
from clinics.permissions import grant_clinic_admin_permission
from doctors.models import Doctor, Specialty
from doctors.tasks import send_doctor_confirmed_email
from patients.models import Patient
from records.models import EntryType, PatientHistoryEntry
from scheduling.models import Slot, VisitType
from taskqueue.worker import run_ready_tasks

PASSWORD = "Correct-Horse-Battery-42"
LOGIN_URL = "/api/v1/auth/login/"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)


class UserRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserRole

    user = factory.SubFactory(UserFactory)
    role = Role.PATIENT


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.Sequence(lambda n: f"specialty-{n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    date_of_birth = date(1990, 1, 1)
    role = factory.RelatedFactory(
        UserRoleFactory,
        factory_related_name=None,
        user=factory.SelfAttribute("..user"),
        role=Role.PATIENT,
    )


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    specialty = factory.SubFactory(SpecialtyFactory)
    license_number = factory.Sequence(lambda n: f"LIC-{n:06d}")
    consultation_fee = Decimal("80.00")
    is_confirmed = True
    confirmed_at = factory.LazyFunction(timezone.now)
    role = factory.RelatedFactory(
        UserRoleFactory,
        factory_related_name=None,
        user=factory.SelfAttribute("..user"),
        role=Role.DOCTOR,
    )


def user_with_role(role: str, **fields) -> User:
    user = UserFactory(**fields)
    UserRole.objects.create(user=user, role=role)
    return user


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    address = "Hauptstrasse 1"
    city = "Berlin"
    country = "DE"
    timezone = "Europe/Berlin"


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoctorClinicAssociation

    doctor = factory.SubFactory(DoctorFactory)
    clinic = factory.SubFactory(ClinicFactory)
    title = "Consultant"
    started_on = date(2024, 1, 1)
    accepted_at = factory.LazyFunction(timezone.now)


def clinic_admin_of(clinic, **fields) -> User:
    user = user_with_role(Role.CLINIC_ADMIN, **fields)
    grant_clinic_admin_permission(user=user, clinic=clinic)
    return user


def in_hours(hours: float):
    return timezone.now() + timedelta(hours=hours)


def template_body(clinic, first, last=None, **fields) -> dict:
    """A body for POST /slots/bulk/: weekdays 09:00-10:00 in 30-minute slots at `clinic`, from
    `first` to `last` (dates or ISO text; `last` defaults to `first`); `fields` replace keys."""
    return {
        "clinic": str(clinic.pk),
        "weekdays": [0, 1, 2, 3, 4],
        "start_time": "09:00",
        "end_time": "10:00",
        "slot_minutes": 30,
        "date_from": str(first),
        "date_to": str(first if last is None else last),
    } | fields


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot
        skip_postgeneration_save = True

    doctor = factory.SubFactory(DoctorFactory)
    clinic = factory.SubFactory(ClinicFactory)
    start = factory.LazyFunction(lambda: in_hours(72))
    end = factory.LazyAttribute(lambda slot: slot.start + timedelta(minutes=30))

    @factory.post_generation
    def works_there(slot, create, extracted, **kwargs):
        if (
            create
            and not DoctorClinicAssociation.objects.filter(
                doctor=slot.doctor, clinic=slot.clinic, is_active=True
            ).exists()
        ):
            AssociationFactory(doctor=slot.doctor, clinic=slot.clinic)


class VisitTypeFactory(factory.django.DjangoModelFactory):
    """A doctor's own visit type (pass `doctor=None, clinic=...` for a clinic's)."""

    class Meta:
        model = VisitType

    doctor = factory.SubFactory(DoctorFactory)
    clinic = None
    name = factory.Sequence(lambda n: f"Visit {n}")
    reason_code = factory.Sequence(lambda n: f"visit-{n}")
    duration_minutes = 30
    price = Decimal("60.00")
    modality = "in_person"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment made directly (no booking rules): for lists and reports."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    slot = factory.SubFactory(SlotFactory, status="booked")
    doctor = factory.SelfAttribute("slot.doctor")
    clinic = factory.SelfAttribute("slot.clinic")
    start = factory.SelfAttribute("slot.start")
    end = factory.SelfAttribute("slot.end")
    status = "booked"
    cancellation_cause = factory.LazyAttribute(
        lambda appointment: "requested" if appointment.status == "cancelled" else ""
    )
    consultation_fee = Decimal("80.00")
    transaction_fee = Decimal("2.90")
    total_amount = Decimal("82.90")
    currency = "EUR"


class HistoryEntryFactory(factory.django.DjangoModelFactory):
    """A medical history entry stored directly (no access rules, no access-log row)."""

    class Meta:
        model = PatientHistoryEntry

    patient = factory.SubFactory(PatientFactory)
    author = factory.SubFactory(DoctorFactory)
    entry_type = EntryType.NOTE
    title = factory.Sequence(lambda n: f"Entry {n}")
    details = "Details of the entry."

    class Params:
        prescription = factory.Trait(
            entry_type=EntryType.PRESCRIPTION,
            medication="Amoxicillin",
            dosage="500 mg",
            frequency="Three times a day",
            duration="7 days",
            instructions="Take with food.",
        )


def failed_task() -> DBTaskResult:
    """A task that really failed: run by the worker, it found no such doctor (a permanent
    error, so no retry)."""
    result = send_doctor_confirmed_email.enqueue(doctor_id=str(uuid.uuid4()))
    run_ready_tasks()
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "FAILED", task.status
    return task


def doctor_at_a_clinic() -> Doctor:
    """A doctor working at a clinic of their own, reachable as `doctor.clinic`."""
    doctor = DoctorFactory()
    doctor.clinic = AssociationFactory(doctor=doctor).clinic
    return doctor


def booked_appointment(**slot) -> Appointment:
    """A new patient's appointment, booked through the booking service, in a slot made with
    `slot` (72 hours ahead unless `start` says otherwise)."""
    return book_appointment(patient=PatientFactory(), slot_id=SlotFactory(**slot).pk).appointment
