"""The report rollups (PostgreSQL triggers) against the live aggregates over the appointments,
after random sequences of the real services: booking, cancelling, paying, refunding,
rescheduling, completing, no-shows, plus raw bulk writes that bypass every service."""

import contextlib
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from appointments.models import Appointment, AppointmentStatus, PaymentStatus
from appointments.payments import change_payment_status
from appointments.services import (
    book_appointment,
    cancel_appointment,
    record_outcome,
    reschedule_appointment,
)
from clinics.models import Clinic
from common.errors import DomainError
from reports import selectors
from reports.models import AppointmentRollup, DoctorDayRollup, DoctorMonthRollup
from reports.selectors import ReportScope
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

BEFORE = datetime(2021, 3, 1, 9, tzinfo=UTC)
AFTER = datetime(2021, 4, 20, 9, tzinfo=UTC)
# Times of day (UTC) on and next to local midnights: Berlin (23:00 / 22:00 in summer time),
# Kolkata (18:30), Kathmandu (18:15), St John's (03:30 / 02:30), and on whole UTC days.
TIMES = [(0, 0), (2, 30), (3, 15), (3, 30), (12, 0), (18, 15), (18, 30), (21, 45), (22, 0)]
TIMES += [(22, 45), (23, 0), (23, 45)]
# Around Europe's change to summer time (28 March 2021), North America's (14 March) and a
# month end.
DAYS = [date(2021, 3, 13), date(2021, 3, 14), date(2021, 3, 27), date(2021, 3, 28)]
DAYS += [date(2021, 3, 31), date(2021, 4, 1)]
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu"]
WINDOWS = [
    (date(2021, 3, 1), date(2021, 4, 30)),  # everything
    (date(2021, 3, 14), date(2021, 3, 28)),  # ends cut through the data
    (date(2021, 3, 28), date(2021, 3, 28)),  # one day: no whole UTC day in most zones
]


def world(rng: random.Random) -> dict:
    clinics = [ClinicFactory(), ClinicFactory(timezone="Asia/Kolkata")]
    doctors = [
        DoctorFactory(consultation_fee=fee, average_rating=rating)
        for fee, rating in [
            (Decimal("80.00"), Decimal("4.50")),
            (Decimal("33.33"), None),
            (Decimal("0.00"), Decimal("4.50")),
        ]
    ]
    slots = []
    for doctor_index, doctor in enumerate(doctors):
        for day in DAYS:
            for hour, minute in TIMES:
                start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                slots.append(
                    SlotFactory(
                        doctor=doctor,
                        clinic=clinics[(doctor_index + hour) % 2],
                        start=start,
                        end=start + timedelta(minutes=15),
                    )
                )
    rng.shuffle(slots)
    return {
        "clinics": clinics,
        "slots": slots,
        "patients": [PatientFactory() for _ in range(12)],
        "admin": user_with_role("platform_admin"),
    }


def play(rng: random.Random, w: dict, steps: int) -> None:
    """Random service calls before the appointments, then outcomes and payments after."""
    slots, patients, admin = w["slots"], w["patients"], w["admin"]

    def booked() -> list[Appointment]:
        # Ordered by what the seed decided (ids are random): the same run for the same seed.
        appointments = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
        return list(appointments.order_by("start", "doctor__license_number"))

    def attempt(call, **kwargs) -> None:
        # A refused call (overlap, limits, a taken slot) changes nothing.
        with contextlib.suppress(DomainError):
            call(**kwargs)

    with time_machine.travel(BEFORE, tick=False):
        for _ in range(steps):
            action = rng.choice(["book", "book", "book", "cancel", "pay", "refund", "move"])
            mine = booked()
            if action == "book" or not mine:
                attempt(
                    book_appointment, patient=rng.choice(patients), slot_id=rng.choice(slots).pk
                )
            elif action == "cancel":
                attempt(cancel_appointment, appointment=rng.choice(mine), cancelled_by=admin)
            elif action == "pay":
                attempt(
                    change_payment_status,
                    appointment=rng.choice(mine),
                    to_status=rng.choice([PaymentStatus.PAID, PaymentStatus.WAIVED]),
                    source="staff",
                    actor=admin,
                )
            elif action == "refund":
                paid = [a for a in mine if a.payment_status == PaymentStatus.PAID]
                if paid:
                    attempt(
                        change_payment_status,
                        appointment=rng.choice(paid),
                        to_status=PaymentStatus.REFUNDED,
                        source="staff",
                        actor=admin,
                    )
            else:
                appointment = rng.choice(mine)
                attempt(
                    reschedule_appointment,
                    appointment=appointment,
                    slot_id=rng.choice(slots).pk,
                    actor=appointment.patient.user,
                )
    with time_machine.travel(AFTER, tick=False):
        outcomes = [AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, None]
        for index, appointment in enumerate(booked()):
            outcome = outcomes[index % 3] if index < 3 else rng.choice(outcomes)
            if outcome:
                record_outcome(appointment=appointment, status=outcome)
            if outcome == AppointmentStatus.COMPLETED and (index == 0 or rng.random() < 0.5):
                attempt(
                    change_payment_status,
                    appointment=appointment,
                    to_status=PaymentStatus.WAIVED if index == 0 else PaymentStatus.PAID,
                    source="staff",
                    actor=admin,
                )


def reports(scope: ReportScope) -> dict:
    return {
        "bookings": selectors.bookings_report(scope),
        "revenue": selectors.revenue_report(scope),
        **{
            f"doctors by {order}": selectors.doctors_report(scope, order=order, limit=limit)
            for order in selectors.DOCTOR_ORDERINGS
            for limit in (2, 10)
        },
    }


def assert_rollups_match_live(clinics: list[Clinic]) -> int:
    """Every report, zone, period, window and clinic scope: rollups == live. Returns how many
    report rows were compared (the test must compare something)."""
    cases = [(None, period, window) for period in ("day", "week", "month") for window in WINDOWS]
    cases += [(Clinic.objects.filter(pk=clinic.pk), "week", WINDOWS[0]) for clinic in clinics]
    cases += [(Clinic.objects.filter(pk=clinics[0].pk), "day", WINDOWS[1])]
    compared = 0
    for zone in ZONES:
        for clinics_in_scope, period, (first, last) in cases:
            scope = ReportScope(first, last, ZoneInfo(zone), period, clinics_in_scope)
            assert scope.reads_rollups()
            live = ReportScope(first, last, ZoneInfo(zone), period, clinics_in_scope, rollups=False)
            expected = reports(live)
            assert reports(scope) == expected, (zone, period, first, last)
            compared += sum(len(rows) for rows in expected.values())
    return compared


def rollup_rows() -> tuple[list, ...]:
    def rows(model) -> list:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        return sorted(model.objects.values_list(*fields), key=str)

    return rows(AppointmentRollup), rows(DoctorDayRollup), rows(DoctorMonthRollup)


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_reports_equal_live_reports_after_random_service_calls(seed):
    rng = random.Random(seed)
    w = world(rng)
    play(rng, w, steps=60)
    statuses = set(Appointment.objects.values_list("status", "payment_status"))
    assert {s for s, _ in statuses} == set(AppointmentStatus.values)  # every path was taken
    assert {p for _, p in statuses} == set(PaymentStatus.values)
    assert Appointment.objects.filter(sequence__gt=0).exists()  # a reschedule happened

    assert assert_rollups_match_live(w["clinics"]) > 500

    # The triggers kept exactly what a rebuild from scratch computes.
    maintained = rollup_rows()
    assert all(maintained)
    call_command("rebuild_report_rollups", stdout=StringIO())
    assert rollup_rows() == maintained


def test_writes_bypassing_the_services_are_rolled_up_too():
    """Bulk updates, raw SQL and deletes never pass through a service: the triggers see them."""
    clinics = [ClinicFactory(), ClinicFactory()]
    slots = [
        SlotFactory(clinic=clinics[i % 2], start=datetime(2021, 3, 27, 22, 45, tzinfo=UTC))
        for i in range(6)
    ]
    appointments = [AppointmentFactory(slot=slot, clinic=slot.clinic) for slot in slots]
    Appointment.objects.filter(pk=appointments[0].pk).update(
        status=AppointmentStatus.COMPLETED, payment_status=PaymentStatus.PAID
    )
    Appointment.objects.filter(pk__in=[a.pk for a in appointments[1:3]]).update(
        start=datetime(2021, 3, 28, 1, 0, tzinfo=UTC),
        end=datetime(2021, 3, 28, 1, 30, tzinfo=UTC),
        consultation_fee=Decimal("12.34"),
        transaction_fee=Decimal("0.87"),
        total_amount=Decimal("13.21"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments_appointment SET clinic_id = %s, status = 'no_show' WHERE id = %s",
            [clinics[0].pk, appointments[3].pk],
        )
    Appointment.objects.filter(pk=appointments[4].pk).update(notes="changes no figure")
    Appointment.objects.filter(pk=appointments[5].pk).delete()

    assert assert_rollups_match_live(clinics) > 0
    maintained = rollup_rows()
    call_command("rebuild_report_rollups", stdout=StringIO())
    assert rollup_rows() == maintained
    # A bucket whose appointments all went keeps no row (a live report has no period for it).
    Appointment.objects.all().delete()
    assert rollup_rows() == ([], [], [])


def test_rebuild_repairs_drifted_rollups():
    AppointmentFactory(slot=SlotFactory(start=datetime(2021, 3, 27, 12, tzinfo=UTC)))
    expected = rollup_rows()
    AppointmentRollup.objects.update(appointments=99)
    DoctorDayRollup.objects.all().delete()
    DoctorMonthRollup.objects.update(completed=5)
    out = StringIO()
    call_command("rebuild_report_rollups", stdout=out)
    assert rollup_rows() == expected
    assert "reports_appointmentrollup: 2 rows" in out.getvalue()  # clinic + platform


def test_a_zone_off_the_quarter_hour_is_read_from_the_appointments():
    # Amsterdam was 19 min 32 s ahead of UTC in 1935: its midnights split rollup buckets.
    amsterdam = ReportScope(
        date(1935, 1, 1), date(1935, 1, 31), ZoneInfo("Europe/Amsterdam"), "day"
    )
    assert not amsterdam.reads_rollups()
    berlin = ReportScope(date(2021, 1, 1), date(2021, 12, 31), ZoneInfo("Europe/Berlin"), "day")
    assert berlin.reads_rollups()


@pytest.mark.parametrize(("report", "queries"), [("bookings", 1), ("revenue", 1), ("doctors", 2)])
def test_rollup_reports_query_count(report, queries, django_assert_num_queries):
    for hour in range(5):
        AppointmentFactory(slot=SlotFactory(start=datetime(2021, 3, 27, 20 + hour % 4, tzinfo=UTC)))
    scope = ReportScope(date(2021, 3, 1), date(2021, 3, 31), ZoneInfo("Europe/Berlin"), "week")
    run = {
        "bookings": selectors.bookings_report,
        "revenue": selectors.revenue_report,
        "doctors": selectors.doctors_report,
    }[report]
    with django_assert_num_queries(queries):
        assert run(scope)


@pytest.mark.parametrize(
    "seed",
    [
        [
            *("seed_scale", "--doctors", "4", "--clinics", "2", "--patients", "30"),
            *("--slots", "400", "--appointments", "150", "--no-vacuum"),
        ],
        ["seed_demo"],
    ],
    ids=["seed_scale (COPY, then again with --reset: TRUNCATE)", "seed_demo"],
)
def test_seeds_fill_the_rollups(seed):
    call_command(*seed, stdout=StringIO())
    if seed[0] == "seed_scale":
        call_command(*seed, "--reset", stdout=StringIO())
    assert Appointment.objects.exists()
    maintained = rollup_rows()
    call_command("rebuild_report_rollups", stdout=StringIO())
    assert rollup_rows() == maintained
    assert sum(row[4] for row in maintained[0] if row[0] is None) == Appointment.objects.count()
