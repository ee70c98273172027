"""What appointment emails show: the clinic's local time, and a calendar file on booking.
The worker uses these (appointments.tasks); requests never render an email."""

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vText

from .models import Appointment


def local_time_text(appointment: Appointment) -> str:
    """E.g. "Wednesday 25 November 2026, 09:00-09:30 (Europe/Berlin, UTC+01:00)".

    Formatted here because templates would convert aware datetimes back to the server's zone."""
    return local_text(appointment.start, appointment.end, appointment.clinic.timezone)


def local_text(start: datetime, end: datetime, tzid: str) -> str:
    """A time range as local_time_text() shows it, in the zone `tzid`."""
    zone = ZoneInfo(tzid)
    start = start.astimezone(zone)
    end = end.astimezone(zone)
    offset = start.strftime("%z")
    return f"{start:%A %d %B %Y, %H:%M}-{end:%H:%M} ({tzid}, UTC{offset[:3]}:{offset[3:]})"


def email_context(appointment: Appointment, **extra) -> dict:
    return {
        "appointment": appointment,
        "doctor": appointment.doctor,
        "patient": appointment.patient,
        "clinic": appointment.clinic,
        "when": local_time_text(appointment),
        **extra,
    }


def event_uid(appointment: Appointment) -> str:
    """The iCalendar UID of an appointment, the same in emails and calendar feeds, so a
    calendar that has both shows one event, updated in place when it moves."""
    return f"{appointment.pk}@careslot"


@cache
def _vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE of a zone, built once per process: deriving its transitions from the tz
    database took 7 ms of every booking (icalendar's docs ask callers to cache it)."""
    return Timezone.from_tzid(tzid)


def appointment_ics(appointment: Appointment) -> bytes:
    """An iCalendar event in the clinic's zone (TZID), so calendars show the local time."""
    zone = ZoneInfo(appointment.clinic.timezone)
    clinic = appointment.clinic
    calendar = Calendar()
    calendar.add("prodid", "-//CareSlot//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", f"Appointment with Dr. {appointment.doctor.user.full_name}")
    event["location"] = vText(f"{clinic.name}, {clinic.address}, {clinic.city}, {clinic.country}")
    calendar.add_component(event)
    # What add_missing_timezones() does, with the zone's component cached: it goes first.
    calendar.subcomponents.insert(0, _vtimezone(clinic.timezone))
    return calendar.to_ical()
