"""Emails about a doctor's vetting, sent by the worker."""

from django_tasks import TaskContext, task

from common.emails import deliver_email, task_message_key

from .models import Doctor


@task(takes_context=True)
def send_doctor_confirmed_email(context: TaskContext, doctor_id: str) -> None:
    doctor = Doctor.objects.select_related("user").get(pk=doctor_id)
    deliver_email(
        key=task_message_key(context),
        to=doctor.user.email,
        subject="Your CareSlot doctor profile is confirmed",
        template="doctors/email/doctor_confirmed",
        context={"doctor": doctor},
    )


@task(takes_context=True)
def send_doctor_rejected_email(context: TaskContext, doctor_id: str, reason: str) -> None:
    """The reason travels with the task: it is the one given at that decision."""
    doctor = Doctor.objects.select_related("user").get(pk=doctor_id)
    deliver_email(
        key=task_message_key(context),
        to=doctor.user.email,
        subject="Your CareSlot doctor profile was not confirmed",
        template="doctors/email/doctor_rejected",
        context={"doctor": doctor, "reason": reason},
    )
