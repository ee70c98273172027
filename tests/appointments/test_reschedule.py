"""Issue #18 part 1: an appointment moves to another slot in one transaction, keeping its id,
payment and points; the old slot is freed, the cutoff applies as for cancelling, both parties
are told, and reminders follow the new time."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role
from appointments.models import Appointment, PaymentEvent
from appointments.services import book_appointment, cancel_appointment, reschedule_appointment
from appointments.signals import appointment_cancelled, appointment_rescheduled
from loyalty.services import adjust_points
from patients.permissions import patients_treated_by
from scheduling.models import Slot
from scheduling.selectors import live_holds
from scheduling.services import hold_slot
from scheduling.signals import slot_freed
from tests.errors import assert_error
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def reschedule_url(appointment) -> str:
    return f"{URL}{appointment.pk}/reschedule/"


@pytest.fixture
def booked():
    """A booked appointment 3 days ahead and a free slot of the same doctor 4 days ahead."""
    slot = SlotFactory(start=in_hours(72))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(96))
    return appointment, target


@pytest.fixture
def signals():
    heard = []

    def receiver(signal_name):
        def receive(sender, **kwargs):
            heard.append((signal_name, kwargs))

        return receive

    receivers = {
        appointment_rescheduled: receiver("appointment_rescheduled"),
        appointment_cancelled: receiver("appointment_cancelled"),
        slot_freed: receiver("slot_freed"),
    }
    for signal, receive in receivers.items():
        signal.connect(receive)
    yield heard
    for signal, receive in receivers.items():
        signal.disconnect(receive)


def test_patient_moves_the_appointment_in_place(client_for, booked, outbox, run_tasks, signals):
    appointment, target = booked
    old_slot = appointment.slot
    run_tasks()
    outbox.clear()
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(appointment.pk)
    assert body["slot"] == str(target.pk)
    assert body["start"] == target.start.isoformat().replace("+00:00", "Z")
    assert body["sequence"] == 1
    assert body["status"] == "booked"
    assert Slot.objects.get(pk=old_slot.pk).status == "available"
    assert Slot.objects.get(pk=target.pk).status == "booked"
    assert Appointment.objects.count() == 1

    assert [name for name, _ in signals] == ["appointment_rescheduled", "slot_freed"]
    assert signals[0][1]["previous_slot_id"] == old_slot.pk
    assert signals[0][1]["appointment"].slot_id == target.pk
    assert signals[1][1]["slot"].pk == old_slot.pk

    run_tasks()
    notices = {m.to[0]: m for m in outbox if m.subject.startswith("Moved")}
    assert set(notices) == {appointment.patient.user.email, appointment.doctor.user.email}
    patient_mail = notices[appointment.patient.user.email]
    filename, ics, mimetype = patient_mail.attachments[0]
    assert (filename, mimetype) == ("appointment.ics", "text/calendar")
    assert f"UID:{appointment.pk}@careslot" in ics
    assert "SEQUENCE:1" in ics
    assert "Was:" in patient_mail.body
    assert "Now:" in patient_mail.body


def test_the_old_slot_can_be_booked_again_and_the_new_one_cannot(client_for, booked):
    appointment, target = booked
    old_slot_id = appointment.slot_id
    client_for(appointment.patient.user).post(reschedule_url(appointment), {"slot": str(target.pk)})
    other = client_for(PatientFactory().user)
    assert_error(other.post(URL, {"slot": str(target.pk)}), 409, "slot_unavailable")
    assert other.post(URL, {"slot": str(old_slot_id)}).status_code == 201


def test_retrying_the_same_move_changes_nothing(client_for, booked, run_tasks):
    appointment, target = booked
    client = client_for(appointment.patient.user)
    first = client.post(reschedule_url(appointment), {"slot": str(target.pk)})
    again = client.post(reschedule_url(appointment), {"slot": str(target.pk)})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["sequence"] == 1


def test_a_taken_target_changes_nothing(client_for, booked, signals):
    appointment, target = booked
    book_appointment(patient=PatientFactory(), slot_id=target.pk)
    before = Appointment.objects.get(pk=appointment.pk)
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    assert_error(response, 409, "slot_unavailable")
    after = Appointment.objects.get(pk=appointment.pk)
    assert (after.slot_id, after.start, after.sequence) == (before.slot_id, before.start, 0)
    assert Slot.objects.get(pk=before.slot_id).status == "booked"
    assert signals == []


@pytest.mark.parametrize("status", ["blocked", "past"])
def test_blocked_or_past_targets_are_refused(client_for, booked, status):
    appointment, _ = booked
    if status == "blocked":
        target, code = SlotFactory(status="blocked", start=in_hours(100)), "slot_unavailable"
    else:
        target, code = SlotFactory(start=in_hours(-2)), "slot_in_past"
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    assert_error(response, 409, code)


def test_a_move_onto_another_own_appointment_is_an_overlap(client_for, booked):
    appointment, target = booked
    other_slot = SlotFactory(start=target.start + timedelta(minutes=10))
    book_appointment(patient=appointment.patient, slot_id=other_slot.pk)
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    assert_error(response, 409, "patient_overlap")


def test_moving_into_an_overlapping_slot_of_its_own_time_is_fine(client_for):
    """The appointment does not overlap itself: a move by 15 minutes works."""
    slot = SlotFactory(start=in_hours(72))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    later = SlotFactory(start=slot.start + timedelta(minutes=15))  # another doctor
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(later.pk)}
    )
    assert response.status_code == 200, response.content


def test_patient_cutoff_applies_as_for_cancelling(client_for, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 24
    slot = SlotFactory(start=in_hours(10))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(72))
    assert_error(
        client_for(appointment.patient.user).post(
            reschedule_url(appointment), {"slot": str(target.pk)}
        ),
        409,
        "cancellation_window_closed",
    )
    # The clinic's admins may move it until the start.
    admin = clinic_admin_of(slot.clinic)
    response = client_for(admin).post(reschedule_url(appointment), {"slot": str(target.pk)})
    assert response.status_code == 200, response.content


def test_started_or_cancelled_appointments_do_not_move(client_for, world):
    target = SlotFactory(doctor=world.doctor, clinic=world.clinic, start=in_hours(200))
    admin = client_for(world.clinic_admin)
    response = admin.post(reschedule_url(world.started_appointment), {"slot": str(target.pk)})
    assert_error(response, 409, "appointment_started")
    response = admin.post(reschedule_url(world.completed_appointment), {"slot": str(target.pk)})
    assert_error(response, 409, "invalid_transition")


def test_clinic_admin_moves_only_to_slots_of_their_clinics(client_for, world):
    elsewhere = SlotFactory(start=in_hours(150))
    response = client_for(world.clinic_admin).post(
        reschedule_url(world.appointment), {"slot": str(elsewhere.pk)}
    )
    assert_error(response, 400, "slot_outside_clinic", attr="slot")


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({}, "slot", "required"),
        ({"slot": "not-a-uuid"}, "slot", "invalid"),
        ({"slot": "6f1f0d56-0000-4000-8000-000000000000"}, "slot", "does_not_exist"),
        ({"slot": None}, "slot", "null"),
    ],
)
def test_bad_reschedule_input(client_for, booked, body, attr, code):
    appointment, _ = booked
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), body, format="json"
    )
    assert_error(response, 400, code, attr=attr)


def test_someone_elses_hold_refuses_the_move_and_an_own_hold_turns_into_it(client_for, booked):
    appointment, target = booked
    hold_slot(patient=PatientFactory(), slot_id=target.pk)
    client = client_for(appointment.patient.user)
    assert_error(
        client.post(reschedule_url(appointment), {"slot": str(target.pk)}), 409, "slot_held"
    )
    mine = SlotFactory(doctor=target.doctor, clinic=target.clinic, start=in_hours(120))
    hold_slot(patient=appointment.patient, slot_id=mine.pk)
    response = client.post(reschedule_url(appointment), {"slot": str(mine.pk)})
    assert response.status_code == 200, response.content
    assert not live_holds().filter(slot=mine).exists()


# --- money ------------------------------------------------------------------------------------


def test_same_doctor_keeps_the_booked_price_even_if_the_fee_changed(client_for, booked):
    appointment, target = booked
    target.doctor.consultation_fee = Decimal("200.00")
    target.doctor.save()
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    assert response.json()["total_amount"] == str(appointment.total_amount)


def test_another_doctor_sets_the_fees_of_a_pending_appointment(client_for, booked):
    appointment, _ = booked
    target = SlotFactory(doctor=DoctorFactory(consultation_fee=Decimal("100.00")))
    response = client_for(appointment.patient.user).post(
        reschedule_url(appointment), {"slot": str(target.pk)}
    )
    body = response.json()
    assert (body["consultation_fee"], body["transaction_fee"], body["total_amount"]) == (
        "100.00",
        "3.50",
        "103.50",
    )
    assert body["payment_status"] == "pending"
    assert body["doctor"]["id"] == str(target.doctor.pk)
    # The new doctor may read the patient's profile; the old one no longer.
    assert appointment.patient in patients_treated_by(target.doctor.user)
    assert appointment.patient not in patients_treated_by(appointment.doctor.user)


def test_a_waived_appointment_stays_waived_with_its_points(client_for, settings):
    patient = PatientFactory()
    adjust_points(
        patient=patient,
        amount=settings.POINTS_FOR_FREE_BOOKING,
        reason="gift",
        actor=user_with_role(Role.PLATFORM_ADMIN),
    )
    slot = SlotFactory(start=in_hours(72))
    appointment = book_appointment(patient=patient, slot_id=slot.pk, use_points=True).appointment
    target = SlotFactory(doctor=DoctorFactory(consultation_fee=Decimal("150.00")))
    response = client_for(patient.user).post(reschedule_url(appointment), {"slot": str(target.pk)})
    body = response.json()
    assert (body["payment_status"], body["points_used"]) == (
        "waived",
        settings.POINTS_FOR_FREE_BOOKING,
    )
    assert body["consultation_fee"] == "150.00"
    assert client_for(patient.user).get("/api/v1/points/balance/").json()["balance"] == 0


def test_a_paid_appointment_moves_only_where_the_total_stays(client_for, booked):
    appointment, _ = booked
    admin = clinic_admin_of(appointment.clinic)
    client_for(admin).post(
        f"{URL}{appointment.pk}/payment/", {"payment_status": "paid", "reference": "r-1"}
    )
    pricier = SlotFactory(
        doctor=DoctorFactory(consultation_fee=Decimal("120.00")), clinic=appointment.clinic
    )
    client = client_for(appointment.patient.user)
    assert_error(
        client.post(reschedule_url(appointment), {"slot": str(pricier.pk)}),
        409,
        "paid_fee_mismatch",
    )
    elsewhere = SlotFactory(
        doctor=DoctorFactory(consultation_fee=appointment.consultation_fee),
        start=in_hours(110),
    )
    # The payment belongs to the clinic it was made to: a move elsewhere is a new booking.
    assert_error(
        client.post(reschedule_url(appointment), {"slot": str(elsewhere.pk)}),
        409,
        "paid_clinic_change",
    )
    same_price = SlotFactory(
        doctor=DoctorFactory(consultation_fee=appointment.consultation_fee),
        clinic=appointment.clinic,
        start=in_hours(120),
    )
    response = client.post(reschedule_url(appointment), {"slot": str(same_price.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["payment_status"] == "paid"
    assert PaymentEvent.objects.filter(appointment=appointment).count() == 1


# --- reminders --------------------------------------------------------------------------------


def test_old_reminders_stay_silent_and_new_ones_come(run_tasks, outbox):
    start = in_hours(24 * 5)
    slot = SlotFactory(clinic=ClinicFactory(timezone="Europe/Berlin"), start=start)
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=start + timedelta(days=2))
    reschedule_appointment(
        appointment=appointment, slot_id=target.pk, actor=appointment.patient.user
    )
    run_tasks()
    outbox.clear()

    with time_machine.travel(start - timedelta(hours=1), tick=False):
        assert run_tasks() == 2  # the old reminders ran and sent nothing
    assert [m for m in outbox if m.subject.startswith("Reminder")] == []
    with time_machine.travel(target.start - timedelta(hours=1), tick=False):
        assert run_tasks() == 2
    assert len([m for m in outbox if m.subject.startswith("Reminder")]) == 2


# --- the doctor proposes ----------------------------------------------------------------------


def test_doctor_proposes_and_the_patient_accepts(client_for, booked, outbox, run_tasks):
    appointment, target = booked
    run_tasks()
    outbox.clear()
    doctor = client_for(appointment.doctor.user)
    response = doctor.post(f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(target.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["proposed_slot"]["id"] == str(target.pk)
    assert response.json()["slot"] == str(appointment.slot_id)  # nothing moved yet
    run_tasks()
    assert [m.to for m in outbox] == [[appointment.patient.user.email]]
    assert outbox[0].subject == "A new time is proposed for your appointment"

    patient = client_for(appointment.patient.user)
    response = patient.post(f"{URL}{appointment.pk}/reschedule-proposal/accept/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["slot"], body["proposed_slot"], body["sequence"]) == (str(target.pk), None, 1)
    assert_error(
        patient.post(f"{URL}{appointment.pk}/reschedule-proposal/accept/"),
        409,
        "no_pending_proposal",
    )


def test_accepting_ignores_the_patient_cutoff_since_the_doctor_asked(client_for, settings):
    settings.CANCELLATION_CUTOFF_HOURS = 24
    slot = SlotFactory(start=in_hours(5))
    appointment = book_appointment(patient=PatientFactory(), slot_id=slot.pk).appointment
    target = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(50))
    client_for(slot.doctor.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(target.pk)}
    )
    response = client_for(appointment.patient.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/accept/"
    )
    assert response.status_code == 200, response.content


def test_patient_declines_and_the_doctor_hears(client_for, booked, outbox, run_tasks):
    appointment, target = booked
    client_for(appointment.doctor.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(target.pk)}
    )
    run_tasks()
    outbox.clear()
    response = client_for(appointment.patient.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/decline/"
    )
    assert response.status_code == 200, response.content
    assert response.json()["proposed_slot"] is None
    run_tasks()
    assert [m.to for m in outbox] == [[appointment.doctor.user.email]]
    assert Slot.objects.get(pk=target.pk).status == "available"


def test_a_doctor_proposes_only_own_free_slots(client_for, booked):
    appointment, _ = booked
    doctor = client_for(appointment.doctor.user)
    foreign = SlotFactory(start=in_hours(100))
    assert_error(
        doctor.post(f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(foreign.pk)}),
        409,
        "slot_unavailable",
    )
    # ...and cannot move the appointment directly.
    own = SlotFactory(doctor=appointment.doctor, clinic=appointment.clinic, start=in_hours(110))
    assert_error(
        doctor.post(reschedule_url(appointment), {"slot": str(own.pk)}), 403, "permission_denied"
    )


def test_a_proposed_slot_taken_meanwhile_is_a_conflict_and_the_proposal_stays(client_for, booked):
    appointment, target = booked
    client_for(appointment.doctor.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(target.pk)}
    )
    book_appointment(patient=PatientFactory(), slot_id=target.pk)
    assert_error(
        client_for(appointment.patient.user).post(
            f"{URL}{appointment.pk}/reschedule-proposal/accept/"
        ),
        409,
        "slot_unavailable",
    )
    assert Appointment.objects.get(pk=appointment.pk).proposed_slot_id == target.pk


def test_cancelling_bumps_the_sequence_drops_a_proposal_and_signals(client_for, booked, signals):
    appointment, target = booked
    client_for(appointment.doctor.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(target.pk)}
    )
    response = client_for(appointment.patient.user).post(f"{URL}{appointment.pk}/cancel/")
    body = response.json()
    assert (body["status"], body["sequence"], body["proposed_slot"]) == ("cancelled", 1, None)
    assert [name for name, _ in signals] == ["appointment_cancelled", "slot_freed"]
    assert signals[1][1]["slot"].pk == appointment.slot_id


def test_cancelling_an_appointment_whose_slot_was_not_booked_sends_no_slot_freed(signals):
    """An appointment made outside booking rules may point at a slot not marked booked."""
    appointment = AppointmentFactory(slot__status="available")
    cancel_appointment(appointment=appointment, cancelled_by=appointment.patient.user)
    assert [name for name, _ in signals] == ["appointment_cancelled"]


def test_a_clinic_admin_moves_a_patient_to_another_doctor_only_with_their_consent(
    client_for, booked, run_tasks, outbox
):
    """An admin who could move any patient onto a doctor's slot could hand that doctor the
    patient's history: a move to another doctor is a proposal the patient accepts (issue 28,
    finding 2); a move to another slot of the same doctor stays direct."""
    appointment, same_doctor = booked
    clinic = appointment.clinic
    admin = client_for(clinic_admin_of(clinic))
    colleague = SlotFactory(clinic=clinic, start=in_hours(100))
    assert_error(
        admin.post(reschedule_url(appointment), {"slot": str(colleague.pk)}),
        409,
        "patient_consent_required",
    )
    assert not patients_treated_by(colleague.doctor.user).filter(pk=appointment.patient_id)
    outbox.clear()
    proposed = admin.post(
        f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(colleague.pk)}
    )
    assert proposed.status_code == 200, proposed.content
    run_tasks()
    [mail] = [m for m in outbox if m.subject == "A new time is proposed for your appointment"]
    assert f"to Dr. {colleague.doctor.user.full_name}" in " ".join(mail.body.split())
    assert not patients_treated_by(colleague.doctor.user).filter(pk=appointment.patient_id)
    accepted = client_for(appointment.patient.user).post(
        f"{URL}{appointment.pk}/reschedule-proposal/accept/"
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["doctor"]["id"] == str(colleague.doctor.pk)
    assert patients_treated_by(colleague.doctor.user).filter(pk=appointment.patient_id).exists()

    moved = admin.post(reschedule_url(appointment), {"slot": str(same_doctor.pk)})
    assert moved.status_code == 409  # the target belongs to the first doctor now: consent again
    back = SlotFactory(doctor=colleague.doctor, clinic=clinic, start=in_hours(130))
    assert admin.post(reschedule_url(appointment), {"slot": str(back.pk)}).status_code == 200


def test_a_clinic_admin_proposes_only_slots_of_clinics_they_run(client_for, booked):
    appointment, _ = booked
    admin = client_for(clinic_admin_of(appointment.clinic))
    elsewhere = SlotFactory(start=in_hours(100))
    assert_error(
        admin.post(f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(elsewhere.pk)}),
        409,
        "slot_unavailable",
    )
    outsider = client_for(clinic_admin_of(elsewhere.clinic))
    assert (
        outsider.post(
            f"{URL}{appointment.pk}/reschedule-proposal/", {"slot": str(elsewhere.pk)}
        ).status_code
        == 404
    )
