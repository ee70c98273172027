"""Appointment emails, sent by the worker: booking confirmation (with a calendar file),
cancellation, outcome, and the reminders before the start."""

from datetime import datetime

from django.utils import timezone
from django_tasks import TaskContext, task

from accounts.models import User
from common.emails import deliver_email, task_message_key
from patients.selectors import mail_address_of

from .models import Appointment, AppointmentStatus
from .notifications import appointment_ics, email_context, local_text


def _appointment(appointment_id: str) -> Appointment:
    return Appointment.objects.select_related(
        "patient__user", "doctor__user", "doctor__specialty", "clinic"
    ).get(pk=appointment_id)


def _address(recipient: User, appointment: Appointment) -> str | None:
    """The recipient's address; for the patient, where their mail goes (a dependent's
    guardian, docs/families.md), None when nobody acts for them."""
    if recipient.pk == appointment.patient.user_id:
        return mail_address_of(appointment.patient)
    return recipient.email


@task(takes_context=True)
def send_booking_confirmation(context: TaskContext, appointment_id: str) -> None:
    appointment = _appointment(appointment_id)
    if not (to := mail_address_of(appointment.patient)):
        return
    deliver_email(
        key=task_message_key(context),
        to=to,
        subject=f"Booked: Dr. {appointment.doctor.user.last_name}",
        template="appointments/email/booked",
        context=email_context(appointment),
        attachments=[("appointment.ics", appointment_ics(appointment), "text/calendar")],
    )


@task(takes_context=True)
def send_cancellation_notice(context: TaskContext, appointment_id: str, recipient_id: str) -> None:
    appointment = _appointment(appointment_id)
    recipient = User.objects.get(pk=recipient_id)
    if not (to := _address(recipient, appointment)):
        return
    deliver_email(
        key=task_message_key(context),
        to=to,
        subject="Cancelled: your CareSlot appointment",
        template="appointments/email/cancelled",
        context=email_context(appointment, recipient=recipient),
    )


@task(takes_context=True)
def send_outcome_notice(context: TaskContext, appointment_id: str) -> None:
    appointment = _appointment(appointment_id)
    if not (to := mail_address_of(appointment.patient)):
        return
    deliver_email(
        key=task_message_key(context),
        to=to,
        subject=f"Your appointment is marked {appointment.get_status_display().lower()}",
        template="appointments/email/outcome",
        context=email_context(appointment),
    )


@task
def send_appointment_reminder(appointment_id: str, start: str, hours_before: int) -> bool:
    """Remind the patient, unless the appointment is no longer booked, has started, or no
    longer starts at `start` (it moved: the move scheduled reminders of its own). Keyed by
    appointment, start and lead, so no reminder goes out twice, however often this runs."""
    appointment = _appointment(appointment_id)
    scheduled_start = datetime.fromisoformat(start)
    if (
        appointment.status != AppointmentStatus.BOOKED
        or appointment.start != scheduled_start
        or timezone.now() >= appointment.start
    ):
        return False
    if not (to := mail_address_of(appointment.patient)):
        return False
    return deliver_email(
        key=f"appointment-reminder:{appointment.pk}:{scheduled_start.isoformat()}:{hours_before}h",
        to=to,
        subject=f"Reminder: your appointment with Dr. {appointment.doctor.user.last_name}",
        template="appointments/email/reminder",
        context=email_context(appointment, hours_before=hours_before),
    )


@task(takes_context=True)
def send_reschedule_notice(
    context: TaskContext, appointment_id: str, recipient_id: str, previous_start: str
) -> None:
    """Tell a party the appointment moved (from `previous_start`); the patient's copy carries
    the updated calendar event (same UID, higher SEQUENCE)."""
    appointment = _appointment(appointment_id)
    recipient = User.objects.get(pk=recipient_id)
    previous = datetime.fromisoformat(previous_start)
    duration = appointment.end - appointment.start
    if not (to := _address(recipient, appointment)):
        return
    attachments = []
    if recipient.pk == appointment.patient.user_id:
        attachments.append(("appointment.ics", appointment_ics(appointment), "text/calendar"))
    deliver_email(
        key=task_message_key(context),
        to=to,
        subject="Moved: your CareSlot appointment",
        template="appointments/email/rescheduled",
        context=email_context(
            appointment,
            recipient=recipient,
            previous_when=local_text(previous, previous + duration, appointment.clinic.timezone),
        ),
        attachments=attachments,
    )


@task(takes_context=True)
def send_reschedule_proposal(context: TaskContext, appointment_id: str) -> None:
    """Ask the patient about the doctor's proposed new time (if it is still pending)."""
    appointment = Appointment.objects.select_related(
        "patient__user",
        "doctor__user",
        "doctor__specialty",
        "clinic",
        "proposed_slot__clinic",
        "proposed_slot__doctor__user",
    ).get(pk=appointment_id)
    proposed = appointment.proposed_slot
    if proposed is None or appointment.status != AppointmentStatus.BOOKED:
        return
    if not (to := mail_address_of(appointment.patient)):
        return
    deliver_email(
        key=task_message_key(context),
        to=to,
        subject="A new time is proposed for your appointment",
        template="appointments/email/reschedule_proposed",
        context=email_context(
            appointment,
            proposed_when=local_text(proposed.start, proposed.end, proposed.clinic.timezone),
            proposed_clinic=proposed.clinic,
            proposed_doctor=proposed.doctor,
        ),
    )


@task(takes_context=True)
def send_reschedule_declined(context: TaskContext, appointment_id: str) -> None:
    appointment = _appointment(appointment_id)
    deliver_email(
        key=task_message_key(context),
        to=appointment.doctor.user.email,
        subject="Your proposed new time was declined",
        template="appointments/email/reschedule_declined",
        context=email_context(appointment),
    )
