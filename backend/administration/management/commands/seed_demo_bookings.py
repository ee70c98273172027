"""Slots and booked appointments for the demo accounts (run after `seed_demo`). Safe to run again.

`make fuzz` loads these so the fuzzer meets real slots, appointments and doctor-patient
relations: without them every appointment and slot operation only ever answers 404, and the
bodies of those resources are never checked against the schema."""

from datetime import time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import book_appointment
from doctors.models import Doctor
from patients.models import Patient
from scheduling.models import Slot, SlotStatus
from scheduling.services import create_slots_from_template

DOCTORS = ["doctor@careslot.local", "heart@careslot.local", "skin@careslot.local"]
# patient email, doctor email: each patient books the doctor's first free slot
BOOKINGS = [
    ("patient@careslot.local", "doctor@careslot.local"),
    ("patient@careslot.local", "skin@careslot.local"),
    ("patient2@careslot.local", "heart@careslot.local"),
]


class Command(BaseCommand):
    help = "Publish future slots for three demo doctors and book a few of them; idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        doctors = {d.user.email: d for d in Doctor.objects.filter(user__email__in=DOCTORS)}
        if len(doctors) != len(DOCTORS):
            raise CommandError("Run `manage.py seed_demo` first.")
        today = timezone.localdate()
        for doctor in doctors.values():
            association = doctor.associations.filter(is_active=True).first()
            create_slots_from_template(
                doctor=doctor,
                clinic=association.clinic,
                weekdays=list(range(7)),
                start_time=time(9),
                end_time=time(11),
                slot_minutes=30,
                break_minutes=0,
                date_from=today + timedelta(days=2),
                date_to=today + timedelta(days=4),
            )
        booked = 0
        for patient_email, doctor_email in BOOKINGS:
            patient = Patient.objects.get(user__email=patient_email)
            doctor = doctors[doctor_email]
            if Appointment.objects.filter(patient=patient, slot__doctor=doctor).exists():
                continue
            slot = (
                Slot.objects.filter(doctor=doctor, status=SlotStatus.AVAILABLE)
                .order_by("start")
                .first()
            )
            book_appointment(patient=patient, slot_id=slot.pk, notes="Demo booking")
            booked += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo slots: {Slot.objects.filter(doctor__in=doctors.values()).count()}, "
                f"new bookings: {booked}"
            )
        )
