"""Reads on a real streaming replica (docs/scaling.md): reports, CSV exports and browsing run
on a connection in recovery; a client that just wrote reads the primary; and a replica that
lags (replay paused) never lets a slot be booked twice nor tells the booking path it is free.
Run with `make replica-test` (tests/scaling/conftest.py)."""

import time
from datetime import timedelta

import pytest
from django.db import connections, router, transaction
from django.utils import timezone

from accounts.models import Role
from appointments.models import Appointment
from common import db_routing
from common.db_routing import replica_reads
from scheduling.models import Slot
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

BOOK = "/api/v1/appointments/"
SEARCH = "/api/v1/slots/available/"


def report_range() -> str:
    today = timezone.now().date()
    return f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=10)}"


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [slot["id"] for slot in response.json()["results"]]


def on_replica_only(replica, since: int, table: str) -> None:
    """Every statement of the request that read `table` ran on a connection in recovery."""
    reads = replica.ran(since, touching=table)
    assert reads, f"no statement read {table}"
    assert all(s.alias == "replica" and s.in_recovery for s in reads), reads


def on_primary_only(replica, since: int) -> None:
    assert replica.ran(since), "the request ran no statement"
    assert all(s.alias == "default" and not s.in_recovery for s in replica.ran(since))


def test_reports_csv_exports_and_browsing_read_the_replica(streaming_replica, client_for):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    AppointmentFactory(
        slot=SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(48), status="booked")
    )
    free = SlotFactory(doctor=doctor, clinic=clinic, start=in_hours(50))
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    patient = client_for(PatientFactory().user)
    streaming_replica.caught_up()

    for path, table in [
        (f"/api/v1/reports/bookings/?{report_range()}", "appointment"),
        (f"/api/v1/reports/revenue/?{report_range()}&format=csv", "appointment"),
        (f"/api/v1/reports/doctors/?{report_range()}", "appointment"),
        (f"/api/v1/reports/user-activity/?{report_range()}&format=csv", "accounts_loginevent"),
    ]:
        since = len(streaming_replica.statements)
        response = admin.get(path)
        assert response.status_code == 200, (path, response.content)
        on_replica_only(streaming_replica, since, table)
    booked = admin.get(f"/api/v1/reports/bookings/?{report_range()}").json()["results"]
    assert sum(row["booked"] for row in booked) == 1  # the replica's answer is complete

    since = len(streaming_replica.statements)
    assert listed(patient.get(SEARCH)) == [str(free.pk)]
    on_replica_only(streaming_replica, since, "scheduling_slot")
    since = len(streaming_replica.statements)
    assert patient.get("/api/v1/doctors/").json()["count"] == 1
    assert patient.get(f"/api/v1/doctors/{doctor.pk}/").status_code == 200
    on_replica_only(streaming_replica, since, "doctors_doctor")


def test_authentication_and_permissions_read_the_primary(streaming_replica, client_for):
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    streaming_replica.caught_up()
    since = len(streaming_replica.statements)
    assert admin.get(f"/api/v1/reports/bookings/?{report_range()}").status_code == 200
    auth = streaming_replica.ran(since, touching="accounts_user")
    assert auth
    assert all(s.alias == "default" for s in auth)  # a revoked token is refused at once


def test_a_patient_reads_their_own_booking_right_after_it(streaming_replica, client_for):
    slot = SlotFactory(start=in_hours(48))
    other = SlotFactory(doctor=slot.doctor, clinic=slot.clinic, start=in_hours(49))
    booker = client_for(PatientFactory().user)
    with streaming_replica.replay_paused():
        assert booker.post(BOOK, {"slot": str(slot.pk)}).status_code == 201
        # The replica has not replayed the booking; the booker's next reads use the primary
        # (the write marked them in the cache every API instance shares).
        since = len(streaming_replica.statements)
        assert listed(booker.get(SEARCH)) == [str(other.pk)]
        on_primary_only(streaming_replica, since)


def test_without_the_sticky_window_the_booker_would_read_the_lagging_replica(
    streaming_replica, client_for, settings
):
    settings.REPLICA_STICKY_SECONDS = 0  # what the window prevents, shown once
    slot = SlotFactory(start=in_hours(48))
    booker = client_for(PatientFactory().user)
    with streaming_replica.replay_paused():
        assert booker.post(BOOK, {"slot": str(slot.pk)}).status_code == 201
        assert listed(booker.get(SEARCH)) == [str(slot.pk)]  # stale: still "free"


def test_a_lagging_replica_never_books_a_slot_twice(streaming_replica, client_for):
    slot = SlotFactory(start=in_hours(48))
    first = client_for(PatientFactory().user)
    others = [client_for(PatientFactory().user) for _ in range(2)]
    with streaming_replica.replay_paused():
        assert first.post(BOOK, {"slot": str(slot.pk)}).status_code == 201
        for other in others:
            # Browsing may be stale: the lagging replica still lists the slot as free ...
            assert listed(other.get(SEARCH)) == [str(slot.pk)]
            # ... but booking and holding read the slot on the primary, under its lock.
            since = len(streaming_replica.statements)
            response = other.post(BOOK, {"slot": str(slot.pk)})
            assert response.status_code == 409, response.content
            assert response.json()["errors"][0]["code"] == "slot_unavailable"
            on_primary_only(streaming_replica, since)
            since = len(streaming_replica.statements)
            assert other.post(f"/api/v1/slots/{slot.pk}/hold/").status_code == 409
            on_primary_only(streaming_replica, since)
    streaming_replica.caught_up()
    assert listed(others[0].get(SEARCH)) == []  # replayed: no longer listed anywhere
    assert Appointment.objects.filter(slot=slot).exclude(status="cancelled").count() == 1
    assert Slot.objects.get(pk=slot.pk).status == "booked"


def test_transactions_writes_and_migrations_stay_on_the_primary(streaming_replica):
    slot = SlotFactory(start=in_hours(48))
    streaming_replica.caught_up()
    with replica_reads():
        since = len(streaming_replica.statements)
        assert Slot.objects.filter(pk=slot.pk).exists()
        assert streaming_replica.ran(since)[-1].in_recovery
        with transaction.atomic():
            since = len(streaming_replica.statements)
            Slot.objects.select_for_update().get(pk=slot.pk)
            assert Slot.objects.filter(pk=slot.pk).exists()
            on_primary_only(streaming_replica, since)
        Slot.objects.filter(pk=slot.pk).update(status="blocked")
        since = len(streaming_replica.statements)
        assert Slot.objects.get(pk=slot.pk).status == "blocked"  # read after a write
        on_primary_only(streaming_replica, since)
    assert router.db_for_write(Slot) == "default"
    assert not router.allow_migrate("replica", "scheduling")
    assert router.allow_migrate("default", "scheduling")


def test_a_dead_replica_is_read_around_on_the_primary(streaming_replica, client_for, monkeypatch):
    AppointmentFactory(slot=SlotFactory(start=in_hours(48), status="booked"))
    admin = client_for(user_with_role(Role.PLATFORM_ADMIN))
    replica = connections["replica"]
    alive = replica.settings_dict
    replica.close()
    replica.settings_dict = {**alive, "PORT": 1}  # nothing listens there
    monkeypatch.setattr(db_routing, "_replica_down_until", 0.0)
    try:
        response = admin.get(f"/api/v1/reports/bookings/?{report_range()}")
        assert response.status_code == 200, response.content
        assert sum(row["booked"] for row in response.json()["results"]) == 1  # from the primary
        assert db_routing._replica_down_until > time.monotonic()  # the replica rests a while
        assert db_routing.replica_alias() == "default"
    finally:
        replica.close()
        replica.settings_dict = alive
