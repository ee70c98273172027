"""Aggregate reports. Each is computed by the database in a fixed number of queries whatever
the data size: filter, count/sum with `filter=`, bucket per period in the caller's zone (with
Trunc* in SQL, or for appointments per quarter hour or distinct start first, see
`_per_period`). Bookings, revenue and top doctors read the rollups the database maintains
(`reports.rollups`) on PostgreSQL, and the appointments themselves elsewhere."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth, TruncWeek

from accounts.models import LoginEvent, Role, User
from appointments.models import Appointment, AppointmentStatus, PaymentStatus
from clinics.models import Clinic
from common.timezones import end_of_day, start_of_day
from doctors.models import Doctor

from .models import AppointmentRollup, DoctorDayRollup, DoctorMonthRollup
from .rollups import rollups_maintained

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
QUARTER_HOUR = 15 * 60


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: whole days `date_from`..`date_to` read in `zone`, bucketed by
    `period`, limited to `clinics` (None: the whole platform). `rollups=False` reads the
    appointments themselves (what the rollups are checked against)."""

    date_from: date
    date_to: date
    zone: ZoneInfo
    period: str
    clinics: QuerySet[Clinic] | None = None
    rollups: bool = True

    def window(self, field: str) -> Q:
        return Q(
            **{
                f"{field}__gte": start_of_day(self.date_from, self.zone),
                f"{field}__lt": end_of_day(self.date_to, self.zone),
            }
        )

    def bucket(self, field: str):
        return TRUNC[self.period](field, tzinfo=self.zone)

    def bounds(self) -> tuple[datetime, datetime]:
        return start_of_day(self.date_from, self.zone), end_of_day(self.date_to, self.zone)

    def reads_rollups(self) -> bool:
        """Whether the rollups answer exactly: they are maintained (PostgreSQL), and every
        local midnight of the window falls on a quarter hour, so each 15-minute bucket lies
        whole in one of the report's days (true for every zone since 2000; a zone with an
        odd offset would be read from the appointments)."""
        if not (self.rollups and rollups_maintained()):
            return False
        day = self.date_from
        while day <= self.date_to + timedelta(days=1):
            if start_of_day(day, self.zone).timestamp() % QUARTER_HOUR:
                return False
            day += timedelta(days=1)
        return True


def _appointments(scope: ReportScope) -> QuerySet[Appointment]:
    appointments = Appointment.objects.filter(scope.window("start"))
    if scope.clinics is not None:
        appointments = appointments.filter(clinic__in=scope.clinics)
    return appointments


def _status_counts(prefix: str = "") -> dict:
    return {
        "total": Count(f"{prefix}id"),
        **{
            status: Count(f"{prefix}id", filter=Q(**{f"{prefix}status": status}))
            for status in AppointmentStatus.values
        },
    }


def period_start(moment: datetime, scope: ReportScope) -> datetime:
    """The start of the period holding `moment`, read in the report's zone: what
    date_trunc(period, moment AT TIME ZONE zone) gives, made aware in that zone."""
    local = moment.astimezone(scope.zone).replace(tzinfo=None)
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if scope.period == "week":
        local -= timedelta(days=local.weekday())
    elif scope.period == "month":
        local = local.replace(day=1)
    return local.replace(tzinfo=scope.zone)


def _per_period(rows: QuerySet, scope: ReportScope, instant: str = "start", **aggregates):
    """`aggregates` per period of the rows' `instant`, in two steps: the database aggregates
    per distinct instant (an appointment's start, or a rollup's quarter hour), then those few
    rows are summed per period here. Converting each of 300,000 starts to the report's zone in
    SQL (date_trunc of AT TIME ZONE) took three quarters of the report's time."""
    per_instant = rows.values(instant).annotate(**aggregates).order_by()
    periods: dict[datetime, dict] = {}
    for row in per_instant:
        period = period_start(row.pop(instant), scope)
        bucket = periods.setdefault(period, {"period": period})
        for name, value in row.items():
            bucket[name] = bucket.get(name, 0) + value
    return [periods[period] for period in sorted(periods)]


def _bucket_rollups(scope: ReportScope) -> QuerySet[AppointmentRollup]:
    start, end = scope.bounds()
    rows = AppointmentRollup.objects.filter(bucket__gte=start, bucket__lt=end)
    if scope.clinics is None:
        return rows.filter(clinic__isnull=True)
    return rows.filter(clinic__in=scope.clinics)


def _rolled_up(aggregate, **where) -> Coalesce:
    """A rollup column summed over the rows matching `where` (0 when none does)."""
    if aggregate == "appointments":
        return Coalesce(Sum(aggregate, filter=Q(**where)), 0)
    return Coalesce(Sum(aggregate, filter=Q(**where)), ZERO, output_field=MONEY)


def bookings_report(scope: ReportScope) -> list[dict]:
    """Appointments (by their start) per period and status."""
    if scope.reads_rollups():
        return _per_period(
            _bucket_rollups(scope),
            scope,
            "bucket",
            total=Sum("appointments"),
            **{
                status: _rolled_up("appointments", status=status)
                for status in AppointmentStatus.values
            },
        )
    return _per_period(_appointments(scope), scope, **_status_counts())


def _paid_sum(field: str, status: str) -> Coalesce:
    return Coalesce(Sum(field, filter=Q(payment_status=status)), ZERO, output_field=MONEY)


def revenue_report(scope: ReportScope) -> list[dict]:
    """Per period: consultation and transaction fees of paid appointments, the value waived
    for points and the value refunded."""
    if scope.reads_rollups():
        return _per_period(
            _bucket_rollups(scope),
            scope,
            "bucket",
            paid_appointments=_rolled_up("appointments", payment_status=PaymentStatus.PAID),
            consultation_fees=_rolled_up("consultation_fees", payment_status=PaymentStatus.PAID),
            transaction_fees=_rolled_up("transaction_fees", payment_status=PaymentStatus.PAID),
            paid_total=_rolled_up("total_amounts", payment_status=PaymentStatus.PAID),
            waived_total=_rolled_up("total_amounts", payment_status=PaymentStatus.WAIVED),
            refunded_total=_rolled_up("total_amounts", payment_status=PaymentStatus.REFUNDED),
        )
    return _per_period(
        _appointments(scope),
        scope,
        paid_appointments=Count("id", filter=Q(payment_status=PaymentStatus.PAID)),
        consultation_fees=_paid_sum("consultation_fee", PaymentStatus.PAID),
        transaction_fees=_paid_sum("transaction_fee", PaymentStatus.PAID),
        paid_total=_paid_sum("total_amount", PaymentStatus.PAID),
        waived_total=_paid_sum("total_amount", PaymentStatus.WAIVED),
        refunded_total=_paid_sum("total_amount", PaymentStatus.REFUNDED),
    )


def user_activity_report(scope: ReportScope) -> dict:
    """Registrations by role, logins and distinct active users per period (3 queries), and
    how many patients had 1, 2-5 or 6+ appointments in the whole range (1 query)."""
    registrations = (
        User.objects.filter(scope.window("date_joined"))
        .annotate(period=scope.bucket("date_joined"))
        .values("period")
        .annotate(
            registrations=Count("id", distinct=True),
            **{
                f"registrations_{role}": Count("id", filter=Q(roles__role=role), distinct=True)
                for role in Role.values
            },
        )
        .order_by("period")
    )
    logins = (
        LoginEvent.objects.filter(scope.window("created_at"))
        .annotate(period=scope.bucket("created_at"))
        .values("period")
        .annotate(logins=Count("id"), active_users=Count("user", distinct=True))
        .order_by("period")
    )
    rows: dict = {}
    for row in registrations:
        rows.setdefault(row["period"], {}).update(row)
    for row in logins:
        rows.setdefault(row["period"], {}).update(row)
    empty = {"registrations": 0, "logins": 0, "active_users": 0}
    empty |= {f"registrations_{role}": 0 for role in Role.values}
    periods = [empty | rows[period] for period in sorted(rows)]
    return {"results": periods, "appointments_per_patient": _appointments_per_patient(scope)}


def _appointments_per_patient(scope: ReportScope) -> dict:
    # One pass over the appointments in range, grouped by patient, then counted by bucket:
    # patients without appointments fall in no bucket, and no per-patient subquery runs
    # (that took 1.5 s over 50,000 patients and 300,000 appointments).
    per_patient = (
        _appointments(scope)
        .exclude(status=AppointmentStatus.CANCELLED)
        .values("patient")
        .annotate(appointment_count=Count("id"))
    )
    buckets = per_patient.aggregate(
        one=Count("patient", filter=Q(appointment_count=1)),
        two_to_five=Count("patient", filter=Q(appointment_count__gte=2, appointment_count__lte=5)),
        six_or_more=Count("patient", filter=Q(appointment_count__gte=6)),
    )
    return {"1": buckets["one"], "2-5": buckets["two_to_five"], "6+": buckets["six_or_more"]}


DOCTOR_ORDERINGS = {
    "completed": [F("completed").desc(), F("average_rating").desc(nulls_last=True)],
    "no_show_rate": [F("no_show_rate").desc(nulls_last=True), F("completed").desc()],
    "rating": [F("average_rating").desc(nulls_last=True), F("completed").desc()],
}


def _desc_nulls_last(value) -> tuple:
    return (value is None, 0 if value is None else -value)


# DOCTOR_ORDERINGS (then the doctor's id) as Python sort keys. PostgreSQL orders uuids by
# their bytes, as Python orders UUIDs by their integer.
DOCTOR_SORT_KEYS = {
    "completed": lambda r: (-r["completed"], *_desc_nulls_last(r["average_rating"]), r["doctor"]),
    "no_show_rate": lambda r: (*_desc_nulls_last(r["no_show_rate"]), -r["completed"], r["doctor"]),
    "rating": lambda r: (*_desc_nulls_last(r["average_rating"]), -r["completed"], r["doctor"]),
}


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _top_doctors_from_rollups(scope: ReportScope, order: str, limit: int) -> list[dict]:
    """Per doctor: the UTC months lying whole in the window from the month rollup, the other
    whole UTC days from the day rollup, the partial days at the window's ends from the
    appointments, in one query (UNION ALL); then summed, rated and ordered here the way
    DOCTOR_ORDERINGS orders them in SQL. A window of 65 days reads about 2 months and 5 days
    per doctor instead of every appointment."""
    start, end = scope.bounds()
    first_day, end_day = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    if _utc_midnight(first_day) < start:
        first_day += timedelta(days=1)
    if first_day < end_day:
        live = Q(start__gte=start, start__lt=_utc_midnight(first_day))
        live |= Q(start__gte=_utc_midnight(end_day), start__lt=end)
    else:  # no whole UTC day in the window
        live = Q(start__gte=start, start__lt=end)
        first_day = end_day
    first_month = first_day if first_day.day == 1 else _month_after(first_day)
    end_month = end_day.replace(day=1)
    if first_month >= end_month:  # no whole UTC month
        first_month = end_month = end_day
    parts = [
        DoctorMonthRollup.objects.filter(month__gte=first_month, month__lt=end_month),
        DoctorDayRollup.objects.filter(
            Q(day__gte=first_day, day__lt=first_month) | Q(day__gte=end_month, day__lt=end_day)
        ),
        Appointment.objects.filter(live),
    ]
    if scope.clinics is not None:
        parts = [part.filter(clinic__in=scope.clinics) for part in parts]
    rating = {
        "average_rating": F("doctor__average_rating"),
        "review_count": F("doctor__review_count"),
    }
    rolled_up = {
        "appointments_total": Sum("appointments"),
        "completed": Sum("completed"),
        "no_shows": Sum("no_shows"),
    }
    counted = {
        "appointments_total": Count("id"),
        "completed": Count("id", filter=Q(status=AppointmentStatus.COMPLETED)),
        "no_shows": Count("id", filter=Q(status=AppointmentStatus.NO_SHOW)),
    }
    months, days, appointments = (
        part.values("doctor").annotate(**counts).annotate(**rating).order_by()
        for part, counts in zip(parts, [rolled_up, rolled_up, counted], strict=True)
    )
    totals: dict = {}
    for row in months.union(days, appointments, all=True):
        total = totals.setdefault(row["doctor"], row)
        if total is not row:
            for name in ("appointments_total", "completed", "no_shows"):
                total[name] += row[name]
    for total in totals.values():
        finished = total["completed"] + total["no_shows"]
        total["no_show_rate"] = total["no_shows"] / finished if finished else None
    return sorted(totals.values(), key=DOCTOR_SORT_KEYS[order])[:limit]


def doctors_report(scope: ReportScope, *, order: str = "completed", limit: int = 10) -> list:
    """Top doctors in the range: completed appointments, no-show rate (no-shows among
    completed + no-shows) and their stored rating. Two queries: the appointments in range
    grouped by doctor (a walk of the report index, joined only to the doctors' ratings), then
    the names of the `limit` doctors kept. Starting from the doctors instead joined every
    appointment of every doctor to their user before grouping, whatever the range."""

    def count(status: str | None = None) -> Count:
        return Count("id", filter=Q(status=status)) if status else Count("id")

    if scope.reads_rollups():
        rows = _top_doctors_from_rollups(scope, order, limit)
    else:
        rows = list(
            _appointments(scope)
            .values("doctor")
            .annotate(
                appointments_total=count(),
                completed=count(AppointmentStatus.COMPLETED),
                no_shows=count(AppointmentStatus.NO_SHOW),
            )
            .annotate(
                average_rating=F("doctor__average_rating"),
                review_count=F("doctor__review_count"),
                no_show_rate=Case(
                    When(
                        Q(completed__gt=0) | Q(no_shows__gt=0),
                        then=Cast("no_shows", FloatField())
                        / Cast(F("completed") + F("no_shows"), FloatField()),
                    ),
                    default=None,
                    output_field=FloatField(),
                ),
            )
            .order_by(*DOCTOR_ORDERINGS[order], "doctor")[:limit]
        )
    doctors = Doctor.objects.select_related("user", "specialty").in_bulk(
        [row["doctor"] for row in rows]
    )
    return [
        {
            **row,
            "name": doctors[row["doctor"]].user.full_name,
            "specialty": doctors[row["doctor"]].specialty.name,
        }
        for row in rows
    ]


def doctor_own_report(doctor: Doctor, scope: ReportScope) -> dict:
    """A doctor's own bookings per period and revenue totals (2 queries)."""
    appointments = Appointment.objects.filter(scope.window("start"), doctor=doctor)
    per_period = _per_period(appointments, scope, **_status_counts())
    totals = appointments.aggregate(
        **_status_counts(),
        consultation_fees=_paid_sum("consultation_fee", PaymentStatus.PAID),
        waived_total=_paid_sum("total_amount", PaymentStatus.WAIVED),
    )
    finished = totals["completed"] + totals["no_show"]
    totals["no_show_rate"] = totals["no_show"] / finished if finished else None
    totals["average_rating"] = doctor.average_rating
    totals["review_count"] = doctor.review_count
    return {"results": per_period, "totals": totals}
