import pytest
from django.core.management import CommandError, call_command

from appointments.models import Appointment, AppointmentStatus
from scheduling.models import Slot, SlotStatus

pytestmark = pytest.mark.django_db


def test_demo_bookings_need_the_demo_accounts():
    with pytest.raises(CommandError):
        call_command("seed_demo_bookings")


def test_demo_bookings_publish_future_slots_and_book_some_once():
    call_command("seed_demo")
    call_command("seed_demo_bookings")
    slots, appointments = Slot.objects.count(), Appointment.objects.count()
    assert slots == 3 * 3 * 4  # three doctors, three days, four half hours a day
    assert appointments == 3
    assert set(Appointment.objects.values_list("status", flat=True)) == {AppointmentStatus.BOOKED}
    assert Slot.objects.filter(status=SlotStatus.BOOKED).count() == 3

    call_command("seed_demo_bookings")
    assert (Slot.objects.count(), Appointment.objects.count()) == (slots, appointments)
