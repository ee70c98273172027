"""Every date, datetime and time a request body carries, drawn from the whole calendar and every
zone: the write succeeds and what it stored still lists, or a 400 names exactly the fields at
fault and nothing changed; never a 5xx."""

import itertools
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import given, note
from hypothesis import strategies as st

from common.date_windows import (
    ASSOCIATION_DAYS,
    BIRTH_DATES,
    PROXY_GRANT_ENDS,
    SLOT_DAYS,
    SLOT_TIMES,
    WAITLIST_DAYS,
    slot_horizon,
)
from patients.models import Guardianship
from scheduling.serializers import MAX_TEMPLATE_DAYS
from tests.factories import (
    PASSWORD,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
)

from .harness import assert_handled, error_attrs, in_window, write_counts
from .strategies import Sent, body_dates, datetimes, maybe, times

pytestmark = pytest.mark.django_db

SLOTS = "/api/v1/slots/"
ASSOCIATIONS = "/api/v1/doctor-clinic-associations/"
_emails = itertools.count()


def _shifted(start: Sent, minutes: int) -> Sent:
    moment = start.value + timedelta(minutes=minutes)
    return Sent(moment.isoformat(), moment)


def _with_end(start: Sent) -> st.SearchStrategy[tuple[Sent, Sent]]:
    """An end drawn on its own, or (for a sane start) a few minutes to hours after it."""
    sane = isinstance(start.value, datetime) and 1900 < start.value.year < 2300
    derived = st.integers(-30, 600).map(lambda minutes: _shifted(start, minutes))
    return st.tuples(st.just(start), st.one_of(datetimes(), derived) if sane else datetimes())


slot_times = datetimes().flatmap(_with_end)


def _body(**fields) -> dict:
    return {name: sent.wire for name, sent in fields.items() if sent is not None}


def slot_time_errors(start: Sent | None, end: Sent | None, current=None) -> set[str]:
    """Fields a slot write must refuse; `current` (start, end) fills in what a PATCH leaves out."""
    bad = {
        name for name, sent in (("start", start), ("end", end)) if not in_window(sent, SLOT_TIMES)
    }
    if bad:
        return bad
    new_start = start.value if start else current[0]
    new_end = end.value if end else current[1]
    if new_end <= new_start:
        return {"end"}
    return {"start"} if new_start <= timezone.now() else set()


def _lists_still_render(client) -> None:
    for url in (SLOTS, f"{SLOTS}available/", "/api/v1/doctors/"):
        assert client.get(url).status_code == 200, url


@pytest.fixture
def far_east_clinic(world):
    """A clinic at UTC+14, where the doctor works: local times there run ahead of UTC most."""
    clinic = ClinicFactory(timezone="Pacific/Kiritimati")
    AssociationFactory(doctor=world.doctor, clinic=clinic)
    return clinic


def test_slot_create_over_the_whole_calendar(world, client_for, far_east_clinic):
    client = client_for(world.doctor.user)

    @given(times=slot_times)
    def check(times):
        start, end = times
        before = write_counts()
        response = client.post(
            SLOTS, {"clinic": str(far_east_clinic.pk), **_body(start=start, end=end)}
        )
        assert_handled(response, before, errors=slot_time_errors(start, end), ok=(201, 409))
        if response.status_code == 201:
            _lists_still_render(client)

    check()


def test_slot_edit_over_the_whole_calendar(world, client_for):
    client = client_for(world.doctor.user)
    slot = world.slot
    edits = st.tuples(maybe(datetimes()), maybe(datetimes())) | slot_times

    @given(times=edits)
    def check(times):
        start, end = times
        slot.refresh_from_db()
        current, before = (slot.start, slot.end), write_counts()
        response = client.patch(f"{SLOTS}{slot.pk}/", _body(start=start, end=end))
        errors = slot_time_errors(start, end, current)
        assert_handled(response, before, errors=errors, ok=(200, 409))
        slot.refresh_from_db()
        if response.status_code != 200:
            assert (slot.start, slot.end) == current
        else:
            _lists_still_render(client)

    check()


def _template_days() -> st.SearchStrategy[tuple[Sent, Sent]]:
    """Two dates from anywhere, or a plausible range: from near today, a few weeks long."""
    near = st.integers(-3, slot_horizon().days + 3)

    def plausible(offset: int, length: int) -> tuple[Sent, Sent]:
        first = timezone.localdate() + timedelta(days=offset)
        last = first + timedelta(days=length)
        return Sent(first.isoformat(), first), Sent(last.isoformat(), last)

    return st.tuples(body_dates(), body_dates()) | st.builds(
        plausible, near, st.integers(-2, MAX_TEMPLATE_DAYS + 2)
    )


minutes = st.integers(5, 480) | st.integers() | st.sampled_from([0, 4, 481, -1, "30", None])


def _minutes_ok(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def template_errors(body: dict) -> set[str]:
    """What a template must refuse; an empty set leaves room only for `too_many_slots`."""
    bad = {name for name in ("date_from", "date_to") if not in_window(body[name], SLOT_DAYS)}
    bad |= {name for name in ("start_time", "end_time") if body[name].value is None}
    bad |= set() if _minutes_ok(body["slot_minutes"], 5, 480) else {"slot_minutes"}
    if "break_minutes" in body and not _minutes_ok(body["break_minutes"], 0, 240):
        bad.add("break_minutes")
    if bad:
        return bad
    first, last = body["date_from"].value, body["date_to"].value
    if body["end_time"].value <= body["start_time"].value:
        return {"end_time"}
    too_long = last - first > timedelta(days=MAX_TEMPLATE_DAYS)
    past = last < timezone.localdate() - timedelta(days=1)
    return {"date_to"} if last < first or too_long or past else set()


def _template_body(body: dict, clinic) -> dict:
    wire = {name: getattr(value, "wire", value) for name, value in body.items()}
    return {**wire, "clinic": str(clinic.pk), "weekdays": body["weekdays"]}


templates = st.builds(
    lambda days, rest: {"date_from": days[0], "date_to": days[1], **rest},
    _template_days(),
    st.fixed_dictionaries(
        {
            "weekdays": st.lists(st.integers(0, 6), min_size=1, max_size=7),
            "start_time": times(),
            "end_time": times(),
            "slot_minutes": minutes,
        },
        optional={"break_minutes": minutes},
    ),
)


@pytest.fixture
def far_west_clinic(world):
    """A clinic at UTC-12, where the doctor works: local times there run behind UTC most."""
    clinic = ClinicFactory(timezone="Etc/GMT+12")
    AssociationFactory(doctor=world.doctor, clinic=clinic)
    return clinic


def test_slot_template_over_the_whole_calendar(world, client_for, far_west_clinic):
    client = client_for(world.doctor.user)

    @given(body=templates)
    def check(body):
        note(_template_body(body, far_west_clinic))
        before = write_counts()
        response = client.post(f"{SLOTS}bulk/", _template_body(body, far_west_clinic))
        errors = template_errors(body)
        if not errors and response.status_code == 400:  # the one rule left to the service
            assert error_attrs(response) == {"date_to"}
            assert "too_many_slots" in response.content.decode()
            errors = {"date_to"}
        assert_handled(response, before, errors=errors, ok=(201,))
        if response.status_code == 201:
            _lists_still_render(client)

    check()


def _birth_errors(sent: Sent) -> set[str]:
    return set() if in_window(sent, BIRTH_DATES) else {"date_of_birth"}


def test_registration_date_of_birth_over_the_whole_calendar(db, client_for):
    client = client_for(None)

    @given(date_of_birth=body_dates())
    def check(date_of_birth):
        cache.clear()  # the registration throttle would answer 429 after a few examples
        body = {
            "email": f"born-{next(_emails)}@example.com",
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": date_of_birth.wire,
        }
        before = write_counts()
        response = client.post("/api/v1/auth/register/patient/", body)
        assert_handled(response, before, errors=_birth_errors(date_of_birth), ok=(201,))

    check()


@pytest.mark.parametrize("path", ["/api/v1/patients/me/", "/api/v1/patients/{patient}/"])
def test_patient_date_of_birth_over_the_whole_calendar(world, client_for, path):
    client = client_for(world.patient.user)
    patient = world.patient
    url = path.format(patient=patient.pk)

    @given(date_of_birth=body_dates())
    def check(date_of_birth):
        patient.refresh_from_db()
        stored, before = patient.date_of_birth, write_counts()
        response = client.patch(url, {"date_of_birth": date_of_birth.wire})
        assert_handled(response, before, errors=_birth_errors(date_of_birth))
        patient.refresh_from_db()
        expected = stored if response.status_code != 200 else date_of_birth.value
        assert patient.date_of_birth == expected

    check()


def test_dependent_date_of_birth_over_the_whole_calendar(world, client_for):
    client = client_for(world.patient.user)
    dependent = client.post(
        "/api/v1/dependents/",
        {
            "first_name": "Mia",
            "last_name": "P",
            "date_of_birth": "2015-01-01",
            "relationship": "child",
        },
    ).json()["id"]

    @given(date_of_birth=body_dates())
    def check(date_of_birth):
        before = write_counts()
        added = client.post(
            "/api/v1/dependents/",
            {
                "first_name": "Leo",
                "last_name": "P",
                "date_of_birth": date_of_birth.wire,
                "relationship": "child",
            },
        )
        assert_handled(added, before, errors=_birth_errors(date_of_birth), ok=(201,))
        if added.status_code == 201:
            Guardianship.objects.filter(dependent_id=added.json()["id"]).delete()
        before = write_counts()
        corrected = client.patch(
            f"/api/v1/dependents/{dependent}/", {"date_of_birth": date_of_birth.wire}
        )
        assert_handled(corrected, before, errors=_birth_errors(date_of_birth))

    check()


def test_proxy_grant_end_over_the_whole_calendar(world, client_for):
    client = client_for(world.patient.user)

    @given(expires_at=datetimes())
    def check(expires_at):
        grantee = PatientFactory()
        before = write_counts()
        response = client.post(
            "/api/v1/proxy-grants/",
            {
                "grantee_email": grantee.user.email,
                "scope": "booking",
                "expires_at": expires_at.wire,
            },
        )
        errors = set() if in_window(expires_at, PROXY_GRANT_ENDS) else {"expires_at"}
        assert_handled(response, before, errors=errors, ok=(201,))

    check()


def test_association_start_over_the_whole_calendar(world, client_for):
    client = client_for(world.clinic_admin)

    @given(started_on=maybe(body_dates()))
    def check(started_on):
        doctor = DoctorFactory()
        before = write_counts()
        body = {"doctor": str(doctor.pk), "clinic": str(world.clinic.pk)}
        response = client.post(ASSOCIATIONS, {**body, **_body(started_on=started_on)})
        errors = set() if in_window(started_on, ASSOCIATION_DAYS) else {"started_on"}
        assert_handled(response, before, errors=errors, ok=(201,))

    check()


def test_association_end_over_the_whole_calendar(world, client_for):
    client = client_for(world.clinic_admin)

    @given(ended_on=maybe(body_dates()))
    def check(ended_on):
        association = AssociationFactory(clinic=world.clinic, started_on=date(2024, 1, 1))
        before = write_counts()
        response = client.post(f"{ASSOCIATIONS}{association.pk}/end/", _body(ended_on=ended_on))
        in_range = in_window(ended_on, ASSOCIATION_DAYS)
        after_start = ended_on is None or (in_range and ended_on.value >= association.started_on)
        errors = set() if in_range and after_start else {"ended_on"}
        assert_handled(response, before, errors=errors)
        association.refresh_from_db()
        assert association.is_active == (response.status_code != 200)

    check()


def _null_or(sent: Sent | None, valid) -> bool:
    """For fields that take null: absent or null is fine, else `valid(sent)`."""
    return sent is None or sent.wire is None or valid(sent)


def waitlist_errors(body: dict) -> set[str]:
    bad = {
        name
        for name in ("date_from", "date_to")
        if not _null_or(body.get(name), lambda sent: in_window(sent, WAITLIST_DAYS))
    }
    bad |= {
        name
        for name in ("time_from", "time_to")
        if not _null_or(body.get(name), lambda sent: sent.value is not None)
    }
    if bad:
        return bad

    def given(name):
        sent = body.get(name)
        return sent.value if sent is not None and sent.wire is not None else None

    if given("date_from") and given("date_to") and given("date_to") < given("date_from"):
        return {"date_to"}
    if given("time_from") and given("time_to") and given("time_to") <= given("time_from"):
        return {"time_to"}
    return set()


waitlist_bodies = st.fixed_dictionaries(
    {},
    optional={
        "date_from": body_dates(),
        "date_to": body_dates(),
        "time_from": times(),
        "time_to": times(),
    },
)


def test_waitlist_join_over_the_whole_calendar(world, client_for):
    @given(body=waitlist_bodies)
    def check(body):
        patient = PatientFactory()
        before = write_counts()
        request = {"doctor": str(world.doctor.pk), **_body(**body)}
        response = client_for(patient.user).post("/api/v1/waitlist/", request)
        assert_handled(response, before, errors=waitlist_errors(body), ok=(201,))

    check()
