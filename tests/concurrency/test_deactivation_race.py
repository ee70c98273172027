"""A platform admin deactivating a doctor while patients book the doctor's slots: real threads,
real PostgreSQL connections, the HTTP stack. However they interleave, no booked appointment of
the deactivated doctor is left: each booking either came first (and was cancelled with the
rest) or came after (and was refused)."""

from collections import Counter

import pytest

from appointments.models import Appointment
from scheduling.models import Slot
from tests.concurrency.race import error_codes, post_as, run_together
from tests.factories import (
    AssociationFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATIENTS = 6


def test_deactivating_a_doctor_while_patients_book_leaves_nothing_booked_five_times():
    admin = user_with_role("platform_admin")
    patients = [PatientFactory() for _ in range(PATIENTS)]
    outcomes = Counter()
    for round_number in range(5):
        doctor = DoctorFactory()
        clinic = AssociationFactory(doctor=doctor).clinic
        slots = [
            SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(72 + 2 * i + round_number))
            for i in range(PATIENTS)
        ]
        deactivation, *bookings = run_together(
            [post_as(admin, f"/api/v1/users/{doctor.user_id}/deactivate/", {"reason": "Gone"})]
            + [
                post_as(patient, "/api/v1/appointments/", {"slot": str(slot.pk)})
                for patient, slot in zip(patients, slots, strict=True)
            ]
        )
        assert deactivation == 200, deactivation
        assert set(bookings) <= {201, 409}, bookings
        assert error_codes(bookings) <= {"slot_unavailable"}, bookings
        appointments = Appointment.objects.filter(doctor=doctor)
        assert not appointments.filter(status="booked").exists(), "booked with an inactive doctor"
        # Each booking that got in was cancelled by the deactivation, and its slot freed.
        assert appointments.count() == bookings.count(201)
        assert not Slot.objects.filter(doctor=doctor, status="booked").exists()
        outcomes.update(int(status) for status in bookings)
    print(outcomes)
