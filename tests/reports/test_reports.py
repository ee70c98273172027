"""Report figures against an independent computation over the same factory-made rows."""

import csv
import io
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import LoginEvent
from appointments.models import Appointment
from scheduling.models import Slot
from tests.errors import assert_error
from tests.factories import (
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    clinic_admin_of,
    user_with_role,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2021, 3, 1, 12, tzinfo=UTC)
STATUSES = ["booked", "completed", "no_show", "cancelled"]
PAYMENTS = ["pending", "paid", "refunded", "waived"]
FEES = [Decimal("0.00"), Decimal("33.33"), Decimal("80.00"), Decimal("149.99")]


def make_appointments(count: int, clinics, doctors, patients, offset_hours: int = 0) -> list:
    """`count` appointments spread over February 2021, all statuses, payments and fees."""
    slots, appointments = [], []
    for index in range(count):
        doctor = doctors[index % len(doctors)]
        clinic = clinics[index % len(clinics)]
        # One round of simultaneous slots (one per doctor) every 5 hours: no doctor's slots
        # overlap, and the round's patients differ (patients >= doctors), so no patient's do.
        start = datetime(2021, 2, 1, tzinfo=UTC) + timedelta(
            hours=offset_hours + 5 * (index // len(doctors))
        )
        slots.append(
            Slot(
                doctor=doctor,
                clinic=clinic,
                start=start,
                end=start + timedelta(minutes=30),
                status="booked",
            )
        )
    Slot.objects.bulk_create(slots)
    for index, slot in enumerate(slots):
        status = STATUSES[index % 4]
        fee = FEES[index % 4]
        transaction = (
            (fee * Decimal("0.03") + Decimal("0.50")).quantize(Decimal("0.01"))
            if fee
            else Decimal("0.00")
        )
        appointments.append(
            Appointment(
                patient=patients[index % len(patients)],
                doctor=slot.doctor,
                clinic=slot.clinic,
                slot=None if status == "cancelled" else slot,
                start=slot.start,
                end=slot.end,
                status=status,
                cancelled_at=slot.start if status == "cancelled" else None,
                cancellation_cause="requested" if status == "cancelled" else "",
                consultation_fee=fee,
                transaction_fee=transaction,
                total_amount=fee + transaction,
                currency="EUR",
                payment_status=PAYMENTS[(index // 4) % 4],
            )
        )
    return Appointment.objects.bulk_create(appointments)


@pytest.fixture
def platform():
    berlin = ClinicFactory(timezone="Europe/Berlin")
    new_york = ClinicFactory(timezone="America/New_York", city="New York", country="US")
    doctors = [DoctorFactory(average_rating=Decimal(f"{3 + i * 0.4:.2f}")) for i in range(5)]
    patients = [PatientFactory() for _ in range(7)]
    appointments = make_appointments(120, [berlin, new_york], doctors, patients)
    return {
        "clinics": [berlin, new_york],
        "doctors": doctors,
        "appointments": appointments,
        "patients": patients,
    }


def day_in(zone: str, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def get(client, path: str):
    with time_machine.travel(NOW, tick=False):
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


RANGE = "date_from=2021-02-01&date_to=2021-02-28"


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_bookings_per_day_match_an_independent_count(client_for, platform, zone):
    body = get(
        client_for(user_with_role("platform_admin")), f"/api/v1/reports/bookings/?{RANGE}&tz={zone}"
    )
    expected: dict[str, Counter] = defaultdict(Counter)
    tz = ZoneInfo(zone)
    first, last = datetime(2021, 2, 1, tzinfo=tz), datetime(2021, 3, 1, tzinfo=tz)
    for appointment in platform["appointments"]:
        if first <= appointment.start < last:
            expected[day_in(zone, appointment.start)][appointment.status] += 1
    actual = {row["period"]: {s: row[s] for s in STATUSES} for row in body["results"]}
    assert actual == {day: {s: counts[s] for s in STATUSES} for day, counts in expected.items()}
    assert all(row["total"] == sum(row[s] for s in STATUSES) for row in body["results"])
    assert body["tz"] == zone


def test_revenue_per_month_matches_an_independent_sum(client_for, platform):
    body = get(
        client_for(user_with_role("platform_admin")),
        f"/api/v1/reports/revenue/?{RANGE}&period=month",
    )
    paid = [a for a in platform["appointments"] if a.payment_status == "paid"]
    [row] = body["results"]
    assert row["period"] == "2021-02-01"
    assert Decimal(row["consultation_fees"]) == sum(a.consultation_fee for a in paid)
    assert Decimal(row["transaction_fees"]) == sum(a.transaction_fee for a in paid)
    assert Decimal(row["paid_total"]) == sum(a.total_amount for a in paid)
    for status in ("waived", "refunded"):
        expected = sum(
            a.total_amount for a in platform["appointments"] if a.payment_status == status
        )
        assert Decimal(row[f"{status}_total"]) == expected
    assert row["paid_appointments"] == len(paid)


def test_clinic_admin_sees_only_their_clinic(client_for, platform):
    berlin, new_york = platform["clinics"]
    client = client_for(clinic_admin_of(berlin))
    body = get(client, f"/api/v1/reports/bookings/?{RANGE}&period=month")
    expected = sum(1 for a in platform["appointments"] if a.clinic_id == berlin.pk)
    assert body["results"][0]["total"] == expected
    with time_machine.travel(NOW, tick=False):
        assert_error(
            client.get(f"/api/v1/reports/bookings/?clinic={new_york.pk}"), 404, "not_found"
        )
    admin = client_for(user_with_role("platform_admin"))
    only_ny = get(admin, f"/api/v1/reports/bookings/?{RANGE}&period=month&clinic={new_york.pk}")
    assert only_ny["results"][0]["total"] == len(platform["appointments"]) - expected


def test_top_doctors_match_an_independent_ranking(client_for, platform):
    body = get(
        client_for(user_with_role("platform_admin")), f"/api/v1/reports/doctors/?{RANGE}&limit=3"
    )
    completed = Counter(a.doctor_id for a in platform["appointments"] if a.status == "completed")
    no_shows = Counter(a.doctor_id for a in platform["appointments"] if a.status == "no_show")
    ranking = sorted(
        platform["doctors"], key=lambda d: (-completed[d.pk], -(d.average_rating or 0), str(d.pk))
    )[:3]
    assert [row["doctor"] for row in body["results"]] == [str(d.pk) for d in ranking]
    for row in body["results"]:
        doctor_id = next(d.pk for d in ranking if str(d.pk) == row["doctor"])
        finished = completed[doctor_id] + no_shows[doctor_id]
        assert row["completed"] == completed[doctor_id]
        assert row["no_show_rate"] == pytest.approx(no_shows[doctor_id] / finished)


def test_user_activity(client_for, platform):
    admin = user_with_role("platform_admin")
    with time_machine.travel(datetime(2021, 2, 10, 9, tzinfo=UTC), tick=False):
        newcomers = [PatientFactory() for _ in range(3)]
        LoginEvent.objects.create(user=newcomers[0].user)
        LoginEvent.objects.create(user=newcomers[0].user)
        LoginEvent.objects.create(user=newcomers[1].user)
    body = get(client_for(admin), f"/api/v1/reports/user-activity/?{RANGE}")
    [row] = [r for r in body["results"] if r["period"] == "2021-02-10"]
    assert (row["registrations"], row["registrations_patient"]) == (3, 3)
    assert (row["logins"], row["active_users"]) == (3, 2)
    per_patient = Counter(a.patient_id for a in platform["appointments"] if a.status != "cancelled")
    assert body["appointments_per_patient"] == {
        "1": sum(1 for n in per_patient.values() if n == 1),
        "2-5": sum(1 for n in per_patient.values() if 2 <= n <= 5),
        "6+": sum(1 for n in per_patient.values() if n >= 6),
    }


def test_doctor_sees_own_figures(client_for, platform):
    doctor = platform["doctors"][0]
    body = get(client_for(doctor.user), f"/api/v1/reports/me/?{RANGE}&period=month")
    mine = [a for a in platform["appointments"] if a.doctor_id == doctor.pk]
    assert body["totals"]["total"] == len(mine)
    assert body["totals"]["completed"] == sum(1 for a in mine if a.status == "completed")
    assert Decimal(body["totals"]["consultation_fees"]) == sum(
        a.consultation_fee for a in mine if a.payment_status == "paid"
    )
    assert body["totals"]["average_rating"] == str(doctor.average_rating)


def test_csv_has_a_header_row_and_the_rows(client_for, platform):
    client = client_for(user_with_role("platform_admin"))
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/reports/bookings/?{RANGE}&period=week&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["period", "total", "booked", "completed", "no_show", "cancelled"]
    assert sum(int(row[1]) for row in rows[1:]) == len(platform["appointments"])
    with time_machine.travel(NOW, tick=False):
        bad = client.get("/api/v1/reports/bookings/?format=csv&tz=Nowhere")
    assert_error(bad, 400, "invalid_timezone", attr="tz")


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("period=year", "period", "invalid_choice"),
        ("date_from=2021-02-10&date_to=2021-02-01", "date_to", "invalid_range"),
        ("date_from=2019-01-01&date_to=2021-01-01", "date_to", "range_too_long"),
        ("date_from=yesterday", "date_from", "invalid"),
        ("clinic=nope", "clinic", "invalid"),
    ],
)
def test_bad_report_queries(client_for, query, attr, code):
    client = client_for(user_with_role("platform_admin"))
    assert_error(client.get(f"/api/v1/reports/bookings/?{query}"), 400, code, attr=attr)


REPORTS = [
    ("bookings", "platform_admin"),
    ("revenue", "platform_admin"),
    ("user-activity", "platform_admin"),
    ("doctors", "platform_admin"),
    ("me", "doctor"),
]


@pytest.mark.parametrize(("report", "role"), REPORTS)
def test_report_query_count_does_not_grow_with_the_data(
    client_for, report, role, django_assert_num_queries
):
    clinics = [ClinicFactory(), ClinicFactory(timezone="Asia/Tokyo")]
    doctors = [DoctorFactory() for _ in range(4)]
    patients = [PatientFactory() for _ in range(10)]
    user = doctors[0].user if role == "doctor" else user_with_role(role)
    client = client_for(user)
    path = f"/api/v1/reports/{report}/?{RANGE}&tz=Europe/Berlin"
    counts = []
    for offset, size in ((0, 10), (1, 990)):
        make_appointments(size, clinics, doctors, patients, offset_hours=offset)
        with time_machine.travel(NOW, tick=False), django_assert_num_queries(QUERIES[report]):
            assert client.get(path).status_code == 200
        counts.append(Appointment.objects.count())
    assert counts == [10, 1000]


# Auth (user + roles) and the report's own aggregate queries.
QUERIES = {"bookings": 3, "revenue": 3, "user-activity": 5, "doctors": 4, "me": 5}
