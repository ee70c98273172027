"""A feed as an RFC 5545 calendar, built with the icalendar library."""

from datetime import timedelta

from icalendar import Calendar, Event, vText

from appointments.models import Appointment, AppointmentStatus
from appointments.notifications import event_uid

from .models import CalendarFeed, FeedRole


def feed_calendar(feed: CalendarFeed, appointments: list[Appointment]) -> bytes:
    """One VEVENT per appointment: the UID of the booking email's event (so a calendar that
    has both shows one), SEQUENCE bumped by each move or cancellation, times in UTC,
    STATUS:CANCELLED for cancelled ones. No medical data: no notes, no specialty; a doctor
    sees the patient's first name and last initial only."""
    calendar = Calendar()
    calendar.add("prodid", "-//CareSlot//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "CareSlot appointments")
    # Calendar apps poll a subscription; these ask for an hourly refresh (RFC 7986 5.7).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar["x-published-ttl"] = vText("PT1H")
    for appointment in appointments:
        calendar.add_component(_event(appointment, feed.role))
    return calendar.to_ical()


def _event(appointment: Appointment, role: str) -> Event:
    clinic = appointment.clinic
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.updated_at)
    event.add("created", appointment.created_at)
    event.add("last-modified", appointment.updated_at)
    event.add("dtstart", appointment.start)  # aware UTC: written as ...Z
    event.add("dtend", appointment.end)
    event.add("summary", _summary(appointment, role))
    event["location"] = vText(f"{clinic.name}, {clinic.address}, {clinic.city}, {clinic.country}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    # The modality, and the type booked by id: a type's name may say what the visit is for,
    # and a feed URL is a bearer secret (the same holds for a video visit's join link).
    event.add("categories", [_MODALITY_CATEGORY[appointment.modality]])
    if appointment.visit_type_id is not None:
        event["x-careslot-visit-type"] = vText(str(appointment.visit_type_id))
    return event


_MODALITY_CATEGORY = {"in_person": "IN-PERSON", "video": "VIDEO", "phone": "PHONE"}
_KIND = {"in_person": "Appointment", "video": "Video appointment", "phone": "Phone appointment"}


def _summary(appointment: Appointment, role: str) -> str:
    kind = _KIND[appointment.modality]
    if role == FeedRole.PATIENT:
        return f"{kind} with Dr. {appointment.doctor.user.full_name}"
    patient = appointment.patient.user
    initial = f" {patient.last_name[:1]}." if patient.last_name else ""
    return f"{kind}: {patient.first_name}{initial}"
