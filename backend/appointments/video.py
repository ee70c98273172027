"""Video visits' join links (docs/scheduling.md, "Visit types")."""

from django.conf import settings

from scheduling.models import Modality

from .models import Appointment


def video_join_url(appointment: Appointment) -> str | None:
    """The link from `VIDEO_JOIN_URL_TEMPLATE` with the appointment's secret room: only the API
    shows it, to the patient and the doctor; logs, mails and webhooks never carry it."""
    if appointment.modality != Modality.VIDEO or not appointment.video_room:
        return None
    return settings.VIDEO_JOIN_URL_TEMPLATE.format(
        room=appointment.video_room, appointment=appointment.pk
    )
