"""The requests `make bench` sends and `make explain` explains, built from a seeded database.

`build_plan()` reads the data set made by `seed_scale` and returns plain JSON: for each measured
endpoint a list of concrete requests (path, bearer token, body), so the load driver needs no
Django and no database. Tokens are minted directly (no login: the login endpoint is throttled
and guarded by django-axes), with the same `ver` claim the login service puts in them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from accounts.tokens import TOKEN_VERSION_CLAIM
from appointments.models import Appointment, AppointmentStatus
from doctors.models import Doctor

REPORT_ZONE = "Europe/Berlin"
CONTENDED_CLIENTS = 50
CONTENDED_SLOTS = 10


def access_token(user: User) -> str:
    token = AccessToken.for_user(user)
    token[TOKEN_VERSION_CLAIM] = user.token_version
    return str(token)


class Tokens:
    """One access token per user, minted once."""

    def __init__(self) -> None:
        self._by_user: dict = {}
        self._users: dict = {}

    def load(self, user_ids) -> None:
        missing = [pk for pk in user_ids if pk not in self._users]
        for user in User.objects.filter(pk__in=missing):
            self._users[user.pk] = user

    def __call__(self, user_id) -> str:
        if user_id not in self._by_user:
            if user_id not in self._users:
                self.load([user_id])
            self._by_user[user_id] = access_token(self._users[user_id])
        return self._by_user[user_id]


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _get(path: str, token: str) -> dict:
    return {"method": "GET", "path": path, "token": token}


def appointment_range() -> tuple[date, date]:
    """The first and last day (UTC) with appointments: the reports cover all of them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(start), MAX(start) FROM appointments_appointment")
        first, last = cursor.fetchone()
    if first is None:
        today = timezone.now().date()
        return today, today
    return first.date() - timedelta(days=1), last.date() + timedelta(days=1)


def build_plan(*, variants: int = 200, bookings: int = 6000, rounds: int = 5, seed: int = 7):
    """The bench plan: {"scenarios": [{name, key, kind, requests}], ...}, which
    `python -m scripts.bench` (scripts/bench/) loads in this order."""
    rng = random.Random(seed)  # noqa: S311 (picks test requests, no secret)
    tokens = Tokens()
    today = timezone.now().date()
    admin = User.objects.filter(roles__role=Role.PLATFORM_ADMIN).order_by("email").first()
    if admin is None:
        raise RuntimeError("No platform admin: seed the database with seed_scale first.")

    patient_users = [
        pk
        for (pk,) in _rows(
            "SELECT p.user_id FROM patients_patient p ORDER BY p.user_id LIMIT %s",
            [max(variants, 1000)],
        )
    ]
    tokens.load(patient_users)
    floor = [_get("/api/v1/auth/me/", tokens(pk)) for pk in patient_users[:variants]]

    # Slot search: (specialty, city) pairs that have bookable slots, on days 1-25 ahead.
    combos = _rows(
        """
        SELECT DISTINCT s.slug, c.city
        FROM doctor_clinic_associations a
        JOIN doctors_doctor d ON d.id = a.doctor_id
        JOIN doctors_specialty s ON s.id = d.specialty_id
        JOIN clinics_clinic c ON c.id = a.clinic_id
        WHERE a.is_active AND c.is_active AND d.is_confirmed
        ORDER BY 1, 2
        """
    )
    slot_search = []
    for i in range(variants):
        slug, city = combos[i % len(combos)]
        day = today + timedelta(days=1 + rng.randrange(25))
        slot_search.append(
            _get(
                f"/api/v1/slots/available/?specialty={slug}&city={city.replace(' ', '+')}"
                f"&date_from={day}&date_to={day}",
                tokens(patient_users[i % len(patient_users)]),
            )
        )

    # The same search through FHIR (docs/fhir.md): specialty and one day, free slots.
    fhir_slot_search = []
    for i in range(variants):
        slug, _ = combos[i % len(combos)]
        day = today + timedelta(days=1 + rng.randrange(25))
        fhir_slot_search.append(
            _get(
                f"/fhir/r4/Slot?specialty={slug}&status=free"
                f"&start=ge{day}&start=lt{day + timedelta(days=1)}",
                tokens(patient_users[i % len(patient_users)]),
            )
        )

    doctor_count = Doctor.objects.count()
    pages = max(1, min(50, doctor_count // 20))
    directory = [
        _get(f"/api/v1/doctors/?page={1 + i % pages}", tokens(patient_users[i]))
        for i in range(variants)
    ]

    upcoming_patients = [
        pk
        for (pk,) in _rows(
            """
            SELECT DISTINCT p.user_id FROM appointments_appointment a
            JOIN patients_patient p ON p.id = a.patient_id
            WHERE a.status = 'booked' AND a.start > now()
            LIMIT %s
            """,
            [variants],
        )
    ]
    tokens.load(upcoming_patients)
    upcoming = [_get("/api/v1/appointments/?when=upcoming", tokens(pk)) for pk in upcoming_patients]

    doctor_users = [pk for (pk,) in _rows("SELECT user_id FROM doctors_doctor ORDER BY id")]
    tokens.load(doctor_users[:variants])
    doctor_day = []
    for i in range(variants):
        day = today + timedelta(days=rng.randrange(-20, 20))
        doctor_day.append(
            _get(
                f"/api/v1/appointments/?date={day}&tz={REPORT_ZONE}",
                tokens(doctor_users[i % len(doctor_users)]),
            )
        )

    # A doctor's own calendar: their slots (every status) of one week, first page.
    doctor_calendar = []
    for i in range(variants):
        monday = today + timedelta(days=7 * rng.randrange(-3, 4) - today.weekday())
        doctor_calendar.append(
            _get(
                f"/api/v1/slots/?date_from={monday}&date_to={monday + timedelta(days=6)}"
                f"&tz={REPORT_ZONE}",
                tokens(doctor_users[i % len(doctor_users)]),
            )
        )

    # A patient's history, read by a doctor who treats them (and has written in it).
    treated = _rows(
        """
        SELECT DISTINCT ON (h.patient_id) d.user_id, h.patient_id
        FROM patient_history_entries h JOIN doctors_doctor d ON d.id = h.author_id
        JOIN patients_patientuserobjectpermission g
          ON g.content_object_id = h.patient_id AND g.user_id = d.user_id
        ORDER BY h.patient_id LIMIT %s
        """,
        [variants],
    )
    tokens.load([user_id for user_id, _ in treated])
    history = [
        _get(f"/api/v1/patients/{patient_id}/history/", tokens(user_id))
        for user_id, patient_id in treated
    ]

    first, last = appointment_range()
    window = f"date_from={first}&date_to={last}&tz={REPORT_ZONE}"
    admin_token = tokens(admin.pk)
    reports = {
        name: [_get(f"/api/v1/reports/{name}/?{window}", admin_token)]
        for name in ("bookings", "revenue", "user-activity", "doctors")
    }
    reports["me"] = [
        _get(f"/api/v1/reports/me/?{window}", tokens(doctor_users[i % len(doctor_users)]))
        for i in range(min(variants, len(doctor_users)))
    ]

    uncontended, contended = _booking_requests(tokens, bookings=bookings, rounds=rounds)
    holds = _hold_requests(tokens, count=max(1, bookings // 6))

    # Every row of `make bench`, in the order it runs ("once": each request sent once, as a
    # booking takes its slot; "load": the requests in a loop). A row's target, if it has one,
    # is in scripts/bench/plan.py.
    scenarios = [
        {"name": "floor: GET /auth/me/", "key": "floor", "kind": "load", "requests": floor},
        {
            "name": "slot search (specialty+city+date)",
            "key": "slot_search",
            "kind": "load",
            "requests": slot_search,
        },
        {
            "name": "FHIR Slot search (specialty+day)",
            "key": "fhir_slot_search",
            "kind": "load",
            "requests": fhir_slot_search,
        },
        {
            "name": "directory page with next_available",
            "key": "directory",
            "kind": "load",
            "requests": directory,
        },
        {
            "name": "booking (uncontended)",
            "key": "booking",
            "kind": "once",
            "requests": uncontended,
        },
        {"name": "slot hold (uncontended)", "key": "hold", "kind": "once", "requests": holds},
        {
            "name": "my upcoming appointments (patient)",
            "key": "upcoming",
            "kind": "load",
            "requests": upcoming,
        },
        {"name": "a doctor's day", "key": "doctor_day", "kind": "load", "requests": doctor_day},
        {
            "name": "a doctor's calendar (own slots, a week)",
            "key": "doctor_calendar",
            "kind": "load",
            "requests": doctor_calendar,
        },
        {
            "name": "a patient's history (treating doctor)",
            "key": "history",
            "kind": "load",
            "requests": history,
        },
        *(
            {
                "name": f"report: {name}",
                "key": f"report_{name}",
                "kind": "load",
                "requests": requests,
            }
            for name, requests in reports.items()
        ),
    ]
    return {
        "generated_at": timezone.now().isoformat(),
        "report_window": {"date_from": str(first), "date_to": str(last)},
        "scenarios": scenarios,
        "contended": contended,
    }


def _hold_requests(tokens: Tokens, *, count: int) -> list[dict]:
    """`POST /slots/{id}/hold/`, each for a distinct free slot and patient, taken from the far
    end of the order the bookings draw from, so no held slot is one the booking run wants."""
    slots = _rows(
        """
        SELECT s.id FROM scheduling_slot s
        WHERE s.status = 'available' AND s.start > now() + interval '2 days'
        ORDER BY md5(s.id::text) DESC LIMIT %s
        """,
        [count],
    )
    patients = _rows(
        "SELECT user_id FROM patients_patient ORDER BY md5(id::text) DESC LIMIT %s", [count]
    )
    tokens.load([user_id for (user_id,) in patients])
    return [
        {"method": "POST", "path": f"/api/v1/slots/{slot_id}/hold/", "token": tokens(user_id)}
        for (slot_id,), (user_id,) in zip(slots, patients, strict=False)
    ]


def _booking_requests(tokens: Tokens, *, bookings: int, rounds: int):
    """Distinct bookable future slots, each for a different patient who is free at that time,
    then `rounds` groups of 10 slots with 50 other patients each (5 per slot)."""
    needed = bookings + rounds * CONTENDED_SLOTS
    slots = _rows(
        """
        SELECT s.id, s.start FROM scheduling_slot s
        JOIN doctors_doctor d ON d.id = s.doctor_id
        JOIN clinics_clinic c ON c.id = s.clinic_id
        WHERE s.status = 'available' AND s.start > now() + interval '2 days'
          AND d.is_confirmed AND c.is_active
          AND NOT EXISTS (
            SELECT 1 FROM appointments_appointment a
            WHERE a.slot_id = s.id AND a.status <> 'cancelled')
        ORDER BY md5(s.id::text) LIMIT %s
        """,
        [needed],
    )
    patients = _rows(
        "SELECT id, user_id FROM patients_patient ORDER BY md5(id::text) LIMIT %s",
        [bookings + rounds * CONTENDED_CLIENTS],
    )
    busy = {
        (patient_id, start)
        for patient_id, start in Appointment.objects.filter(
            status=AppointmentStatus.BOOKED, start__gt=timezone.now()
        ).values_list("patient_id", "start")
    }
    tokens.load([user_id for _, user_id in patients])
    free_patients = list(patients)

    def booking(user_id, slot_id) -> dict:
        return {
            "method": "POST",
            "path": "/api/v1/appointments/",
            "token": tokens(user_id),
            "body": {"slot": str(slot_id)},
        }

    # The contended rounds first (the uncontended run takes what patients are left).
    contended = []
    for r in range(rounds):
        group = slots[r * CONTENDED_SLOTS : (r + 1) * CONTENDED_SLOTS]
        if len(group) < CONTENDED_SLOTS:
            break
        starts = [start for _, start in group]
        clients = [
            (patient_id, user_id)
            for patient_id, user_id in free_patients
            if not any((patient_id, start) in busy for start in starts)
        ][:CONTENDED_CLIENTS]
        if len(clients) < CONTENDED_CLIENTS:
            break
        taken = set(clients)
        free_patients = [p for p in free_patients if p not in taken]
        contended.append(
            {
                "slots": [str(slot_id) for slot_id, _ in group],
                "requests": [
                    booking(user_id, group[i % CONTENDED_SLOTS][0])
                    for i, (_, user_id) in enumerate(clients)
                ],
            }
        )
    uncontended = []
    for slot_id, start in slots[rounds * CONTENDED_SLOTS :]:
        # A patient already booked at that time would get 409 patient_overlap, not a booking.
        for i, candidate in enumerate(free_patients):
            if (candidate[0], start) not in busy:
                _, user_id = free_patients.pop(i)
                break
        else:
            break
        uncontended.append(booking(user_id, slot_id))
    return uncontended, contended
