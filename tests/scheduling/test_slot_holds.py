"""Slot holds: a patient keeps a free slot while checking out; others see it as taken until
the hold ends (booked, released) or lapses, with no worker involved."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone
from prometheus_client import REGISTRY

from appointments.models import Appointment
from scheduling.models import HoldSource, SlotHold
from scheduling.services import hold_slot
from tests.errors import assert_error
from tests.factories import DoctorFactory, PatientFactory, SlotFactory, in_hours, user_with_role

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/slots/available/"
DIRECTORY = "/api/v1/doctors/"
BOOK = "/api/v1/appointments/"


def hold_url(slot) -> str:
    return f"/api/v1/slots/{slot.pk}/hold/"


@pytest.fixture
def slot():
    return SlotFactory(start=in_hours(48))


@pytest.fixture
def holder(client_for):
    patient = PatientFactory()
    return patient, client_for(patient.user)


@pytest.fixture
def other(client_for):
    patient = PatientFactory()
    return patient, client_for(patient.user)


def search_ids(client) -> set[str]:
    return {row["id"] for row in client.get(SEARCH).json()["results"]}


def next_available(client, doctor) -> dict | None:
    rows = client.get(DIRECTORY).json()["results"]
    return next(row["next_available"] for row in rows if row["id"] == str(doctor.pk))


def test_a_hold_hides_the_slot_from_others_and_blocks_their_booking(slot, holder, other):
    _, holder_client = holder
    _, other_client = other
    response = holder_client.post(hold_url(slot))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slot"]["id"] == str(slot.pk)
    assert body["source"] == "patient"
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expires - timezone.now() <= timedelta(minutes=10)

    assert str(slot.pk) not in search_ids(other_client)
    assert next_available(other_client, slot.doctor) is None
    assert str(slot.pk) in search_ids(holder_client)  # the holder still sees their slot
    assert_error(other_client.post(BOOK, {"slot": str(slot.pk)}), 409, "slot_held")
    assert_error(other_client.post(hold_url(slot)), 409, "slot_held")


def test_the_holder_books_normally_and_the_hold_converts(slot, holder, other):
    _, client = holder
    assert client.post(hold_url(slot)).status_code == 201
    response = client.post(BOOK, {"slot": str(slot.pk)})
    assert response.status_code == 201, response.content
    hold = SlotHold.objects.get(slot=slot)
    assert hold.outcome == "booked"
    assert hold.ends_at <= timezone.now()
    assert client.get("/api/v1/slots/holds/").json() == []
    # Releasing a converted hold: there is none live any more.
    assert_error(client.delete(hold_url(slot)), 404, "hold_not_found")


def test_holding_again_returns_the_same_hold_unextended(slot, holder):
    _, client = holder
    first = client.post(hold_url(slot)).json()
    again = client.post(hold_url(slot))
    assert again.status_code == 200
    assert again.json() == first


def test_release_makes_the_slot_bookable_at_once(slot, holder, other):
    _, client = holder
    _, other_client = other
    client.post(hold_url(slot))
    assert client.delete(hold_url(slot)).status_code == 204
    assert SlotHold.objects.get(slot=slot).outcome == "released"
    assert str(slot.pk) in search_ids(other_client)
    assert other_client.post(hold_url(slot)).status_code == 201  # a new hold may start now
    assert_error(client.delete(hold_url(slot)), 404, "hold_not_found")


def test_expiry_needs_no_worker(slot, holder, other):
    _, client = holder
    _, other_client = other
    client.post(hold_url(slot))
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1), tick=False):
        assert str(slot.pk) in search_ids(other_client)
        assert next_available(other_client, slot.doctor)["slot_id"] == str(slot.pk)
        response = other_client.post(BOOK, {"slot": str(slot.pk)})
        assert response.status_code == 201, response.content
    assert SlotHold.objects.get(slot=slot).outcome == ""  # it lapsed; nothing rewrote it


def test_hold_minutes_come_from_the_setting(settings, slot, holder):
    settings.SLOT_HOLD_MINUTES = 3
    _, client = holder
    client.post(hold_url(slot))
    hold = SlotHold.objects.get(slot=slot)
    assert hold.expires_at - hold.held_at == timedelta(minutes=3)


def test_active_holds_per_patient_are_limited(settings, holder):
    settings.MAX_ACTIVE_HOLDS_PER_PATIENT = 2
    _, client = holder
    slots = [SlotFactory(start=in_hours(48 + i)) for i in range(3)]
    assert client.post(hold_url(slots[0])).status_code == 201
    assert client.post(hold_url(slots[1])).status_code == 201
    refused = holds_counted("live_limit")
    response = client.post(hold_url(slots[2]))
    assert_error(response, 409, "too_many_holds")
    assert response.json()["errors"][0]["detail"] == (
        "You already hold 2 slots, the most allowed at once; book or release one."
    )
    assert holds_counted("live_limit") == refused + 1
    client.delete(hold_url(slots[0]))
    assert client.post(hold_url(slots[2])).status_code == 201
    listed = client.get("/api/v1/slots/holds/").json()
    assert [row["slot"]["id"] for row in listed] == [str(slots[1].pk), str(slots[2].pk)]


@pytest.mark.parametrize(
    "make_slot",
    [
        lambda: SlotFactory(start=in_hours(48), status="booked"),
        lambda: SlotFactory(start=in_hours(48), status="blocked"),
        lambda: SlotFactory(start=in_hours(-1)),
        lambda: SlotFactory(start=in_hours(48), doctor=DoctorFactory(is_confirmed=False)),
    ],
    ids=["booked", "blocked", "past", "unconfirmed-doctor"],
)
def test_only_bookable_slots_can_be_held(make_slot, holder):
    _, client = holder
    assert_error(client.post(hold_url(make_slot())), 409, "slot_unavailable")


def test_bad_slot_ids(holder):
    _, client = holder
    assert client.post("/api/v1/slots/not-a-uuid/hold/").status_code == 404
    missing = "/api/v1/slots/00000000-0000-4000-8000-000000000000/hold/"
    assert_error(client.post(missing), 404, "not_found")
    assert_error(client.delete(missing), 404, "hold_not_found")


def test_a_doctor_with_a_patient_profile_cannot_hold_their_own_slot(client_for):
    doctor = DoctorFactory()
    PatientFactory(user=doctor.user)
    slot = SlotFactory(doctor=doctor, start=in_hours(48))
    assert_error(client_for(doctor.user).post(hold_url(slot)), 409, "slot_unavailable")


def test_someone_elses_hold_cannot_be_released(slot, holder, other):
    _, client = holder
    _, other_client = other
    client.post(hold_url(slot))
    assert_error(other_client.delete(hold_url(slot)), 404, "hold_not_found")
    assert SlotHold.objects.get(slot=slot).outcome == ""


def test_the_database_refuses_two_live_holds_of_one_slot(slot):
    now = timezone.now()
    first, second = PatientFactory(), PatientFactory()
    until = now + timedelta(minutes=10)
    SlotHold.objects.create(slot=slot, patient=first, held_at=now, expires_at=until, ends_at=until)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotHold.objects.create(
            slot=slot,
            patient=second,
            held_at=now + timedelta(minutes=5),
            expires_at=until + timedelta(minutes=5),
            ends_at=until + timedelta(minutes=5),
        )
    # After the first ends, a second may start.
    SlotHold.objects.create(
        slot=slot, patient=second, held_at=until, expires_at=until, ends_at=until
    )


def test_slot_search_query_count_is_pinned(client_for, django_assert_max_num_queries):
    user = user_with_role("patient")
    for hours in range(48, 58):
        SlotFactory(start=in_hours(hours))
    client = client_for(user)
    with django_assert_max_num_queries(4):
        response = client.get(SEARCH)
    assert response.json()["count"] == 10
    assert not Appointment.objects.exists()


def test_the_bench_hold_scenario_holds_distinct_slots(client_for):
    from devtools.bench_scenarios import Tokens, _hold_requests

    for hours in range(60, 64):
        SlotFactory(start=in_hours(hours))
        PatientFactory()
    requests = _hold_requests(Tokens(), count=3)
    assert len({r["path"] for r in requests}) == 3
    client = client_for(None)
    for r in requests:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {r['token']}")
        assert client.post(r["path"]).status_code == 201


def holds_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("careslot_slot_holds_total", {"outcome": outcome}) or 0.0


def test_a_lapsed_hold_cannot_be_renewed_at_once_so_the_slot_goes_public(slot, holder, other):
    """Holding again the moment a hold lapses kept a slot from everyone for ever: the same
    patient now waits SLOT_HOLD_COOLDOWN_MINUTES, while anyone else may hold or book it."""
    _, client = holder
    _, other_client = other
    assert client.post(hold_url(slot)).status_code == 201
    lapsed = timezone.now() + timedelta(minutes=10, seconds=1)
    with time_machine.travel(lapsed, tick=False):
        refused = holds_counted("cooldown")
        response = client.post(hold_url(slot))
        assert_error(response, 409, "hold_cooldown")
        assert "in 30 minutes" in response.json()["errors"][0]["detail"]
        assert holds_counted("cooldown") == refused + 1
        assert str(slot.pk) in search_ids(other_client)
    with time_machine.travel(lapsed + timedelta(minutes=29), tick=False):
        assert_error(client.post(hold_url(slot)), 409, "hold_cooldown")
        assert other_client.post(hold_url(slot)).status_code == 201
    assert SlotHold.objects.filter(slot=slot).count() == 2


def test_a_released_hold_cools_off_too_but_booking_is_never_refused(slot, holder):
    _, client = holder
    client.post(hold_url(slot))
    client.delete(hold_url(slot))
    assert_error(client.post(hold_url(slot)), 409, "hold_cooldown")
    response = client.post(BOOK, {"slot": str(slot.pk)})
    assert response.status_code == 201, response.content


def test_after_the_cooldown_the_patient_may_hold_the_slot_again(settings, slot, holder):
    settings.SLOT_HOLD_COOLDOWN_MINUTES = 5
    _, client = holder
    client.post(hold_url(slot))
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=2), tick=False):
        assert client.post(hold_url(slot)).status_code == 201


def test_holds_per_patient_per_day_are_capped(settings, holder, django_capture_on_commit_callbacks):
    """Three accounts holding nine slots in turn, all day: the daily cap ends it."""
    settings.MAX_HOLDS_PER_PATIENT_PER_DAY = 4
    _, client = holder
    slots = [SlotFactory(start=in_hours(48 + i)) for i in range(6)]
    created = holds_counted("created")
    with django_capture_on_commit_callbacks(execute=True):
        for slot in slots[:4]:
            assert client.post(hold_url(slot)).status_code == 201
            assert client.delete(hold_url(slot)).status_code == 204
    assert holds_counted("created") == created + 4
    refused = holds_counted("daily_limit")
    response = client.post(hold_url(slots[4]))
    assert_error(response, 409, "too_many_holds_today")
    assert response.json()["errors"][0]["detail"] == (
        "You placed 4 holds in the last 24 hours, the most allowed; book a slot directly instead."
    )
    assert holds_counted("daily_limit") == refused + 1
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1), tick=False):
        assert client.post(hold_url(slots[5])).status_code == 201


def test_the_cooldown_names_the_minutes_left(settings, slot, holder):
    settings.SLOT_HOLD_COOLDOWN_MINUTES = 120
    _, client = holder
    client.post(hold_url(slot))
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1), tick=False):
        response = client.post(hold_url(slot))
    assert_error(response, 409, "hold_cooldown")
    assert "in 120 minutes" in response.json()["errors"][0]["detail"]


def test_a_hold_that_became_a_booking_does_not_cool_off(slot, holder):
    """The patient held, booked and cancelled: the slot is free and theirs to hold again."""
    _, client = holder
    assert client.post(hold_url(slot)).status_code == 201
    booked = client.post(BOOK, {"slot": str(slot.pk)})
    assert booked.status_code == 201, booked.content
    cancelled = client.post(f"{BOOK}{booked.json()['id']}/cancel/", {"reason": "plans"})
    assert cancelled.status_code == 200, cancelled.content
    assert client.post(hold_url(slot)).status_code == 201


def test_the_daily_cap_counts_only_the_patients_own_holds_placed_today(settings, holder, other):
    """Another patient's holds, a waitlist offer's hold, and a hold placed more than 24 hours
    ago (though it ended within them) are not the patient's holds of the day."""
    settings.MAX_HOLDS_PER_PATIENT_PER_DAY = 1
    patient, client = holder
    _, other_client = other
    slots = [SlotFactory(start=in_hours(72 + i)) for i in range(4)]
    assert other_client.post(hold_url(slots[0])).status_code == 201
    with transaction.atomic():
        hold_slot(patient=patient, slot_id=slots[1].pk, source=HoldSource.WAITLIST)
    lapsing = client.post(hold_url(slots[2]))
    assert lapsing.status_code == 201  # the first of the day: the other two are not counted
    placed_at = timezone.now()
    with time_machine.travel(placed_at + timedelta(days=1, minutes=5), tick=False):
        # Placed 24 h 5 min ago, ended (lapsed) 23 h 55 min ago.
        assert client.post(hold_url(slots[3])).status_code == 201
