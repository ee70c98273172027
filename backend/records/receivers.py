"""The patient's access log also records what others did for them (docs/families.md)."""

from django.dispatch import receiver

from patients.signals import acted_for_patient

from .models import RecordAccessLog


@receiver(acted_for_patient, dispatch_uid="records.log_acting_for_patient")
def log_acting_for_patient(sender, *, patient, actor, action: str, **kwargs) -> None:
    RecordAccessLog.objects.create(user=actor, patient=patient, action=action)
