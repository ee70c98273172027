"""Emails about a doctor's clinics, sent by the worker."""

from django.conf import settings
from django_tasks import TaskContext, task

from common.emails import deliver_email, task_message_key

from .models import DoctorClinicAssociation


@task(takes_context=True)
def send_association_invitation(context: TaskContext, association_id: str) -> None:
    association = DoctorClinicAssociation.objects.select_related("doctor__user", "clinic").get(
        pk=association_id
    )
    deliver_email(
        key=task_message_key(context),
        to=association.doctor.user.email,
        subject=f"{association.clinic.name} invites you to work there on CareSlot",
        template="clinics/email/association_invitation",
        context={
            "association": association,
            "doctor": association.doctor,
            "clinic": association.clinic,
            "answer_url": f"{settings.FRONTEND_URL}/clinics/invitations/{association.pk}",
        },
    )
