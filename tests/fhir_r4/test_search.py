"""FHIR search: what each parameter matches, paging with total and next links, strict refusal of
what it cannot read (400 OperationOutcome, never a 500), and pinned query counts."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from accounts.models import Role
from appointments.models import AppointmentStatus
from patients.permissions import grant_doctor_access_to_patient
from tests.factories import (
    AppointmentFactory,
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    PatientFactory,
    SlotFactory,
    SpecialtyFactory,
    clinic_admin_of,
    in_hours,
    user_with_role,
)
from tests.fhir_checks import assert_outcome

pytestmark = pytest.mark.django_db

R4 = "/fhir/r4"
HOUR = timedelta(hours=1)


def ids(response) -> list[str]:
    bundle = Bundle.model_validate(response.json())
    return [entry.resource.id for entry in bundle.entry or []]


def at(day: int, hour: int) -> datetime:
    base = (in_hours(24 * 10)).date()
    return datetime(base.year, base.month, base.day, hour, tzinfo=UTC) + timedelta(days=day)


@pytest.fixture
def patient_client(client_for):
    return client_for(user_with_role(Role.PATIENT))


def test_slot_start_prefixes_are_a_range(patient_client):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    slots = [SlotFactory(doctor=doctor, clinic=clinic, start=at(0, hour)) for hour in (8, 9, 10)]
    nine = at(0, 9).isoformat()
    day = at(0, 0).date()

    def found(query: str) -> list[str]:
        response = patient_client.get(f"{R4}/Slot?{query}")
        assert response.status_code == 200, response.content
        return ids(response)

    all_three = [str(s.pk) for s in slots]
    assert found(f"start=ge{day}&start=lt{day + timedelta(days=1)}") == all_three
    assert found(f"start={day}") == all_three
    assert found(f"start=lt{day}") == []
    assert found(f"start=gt{day}") == []
    assert found(f"start=le{day}") == all_three
    plus = nine.replace("+00:00", "%2B00:00")
    assert found(f"start=ge{plus}") == all_three[1:]
    assert found(f"start=gt{plus}") == all_three[2:]
    assert found(f"start=lt{plus}") == all_three[:1]
    assert found(f"start=le{plus}") == all_three[:2]
    assert found(f"start=eq{plus}") == all_three[1:2]
    # The same instant written in another zone (a fixed one: never the machine's, which is
    # UTC here and would repeat the UTC case), and with Z.
    kolkata = at(0, 9).astimezone(ZoneInfo("Asia/Kolkata")).isoformat()
    assert kolkata.endswith("+05:30")
    assert found(f"start=ge{kolkata.replace('+', '%2B')}") == all_three[1:]
    assert found(f"start=gt{kolkata.replace('+', '%2B')}") == all_three[2:]
    assert found(f"start=ge{nine.replace('+00:00', 'Z')}") == all_three[1:]


def test_slot_status_specialty_and_schedule(client_for):
    cardio = SpecialtyFactory(slug="cardiology")
    cardiologist = DoctorFactory(specialty=cardio)
    clinic, other_clinic = ClinicFactory(), ClinicFactory()
    here = SlotFactory(doctor=cardiologist, clinic=clinic, start=at(0, 9))
    there = SlotFactory(doctor=cardiologist, clinic=other_clinic, start=at(0, 10))
    other = SlotFactory(start=at(0, 11))
    booked = AppointmentFactory(
        slot__doctor=cardiologist, slot__clinic=clinic, slot__start=at(0, 12)
    ).slot
    blocked = SlotFactory(doctor=cardiologist, clinic=clinic, start=at(0, 13), status="blocked")
    schedule = cardiologist.associations.get(clinic=clinic)
    patient = client_for(user_with_role(Role.PATIENT))
    doctor = client_for(cardiologist.user)

    assert ids(patient.get(f"{R4}/Slot?specialty=cardiology")) == [str(here.pk), str(there.pk)]
    assert ids(patient.get(f"{R4}/Slot?specialty=urn:careslot:specialty|cardiology")) == [
        str(here.pk),
        str(there.pk),
    ]
    assert ids(patient.get(f"{R4}/Slot?specialty=http://snomed.info/sct|cardiology")) == []
    assert ids(patient.get(f"{R4}/Slot?specialty=nothing")) == []
    assert ids(patient.get(f"{R4}/Slot?schedule=Schedule/{schedule.pk}")) == [str(here.pk)]
    assert ids(patient.get(f"{R4}/Slot?schedule={schedule.pk}")) == [str(here.pk)]
    # Patients see free slots only; the doctor also their booked and blocked ones.
    assert ids(patient.get(f"{R4}/Slot?status=busy")) == []
    assert str(other.pk) in ids(patient.get(f"{R4}/Slot?status=free"))
    assert ids(doctor.get(f"{R4}/Slot?status=busy")) == [str(booked.pk)]
    assert ids(doctor.get(f"{R4}/Slot?status=busy-unavailable")) == [str(blocked.pk)]
    assert ids(doctor.get(f"{R4}/Slot?status=busy,busy-unavailable&schedule={schedule.pk}")) == [
        str(booked.pk),
        str(blocked.pk),
    ]
    assert ids(doctor.get(f"{R4}/Slot?status=busy-tentative")) == []
    slot = doctor.get(f"{R4}/Slot/{booked.pk}").json()
    assert slot["schedule"]["reference"] == f"Schedule/{schedule.pk}"
    assert slot["status"] == "busy"


def test_the_bundle_pages_with_total_and_next_links(patient_client):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    slots = [SlotFactory(doctor=doctor, clinic=clinic, start=at(0, 1 + i)) for i in range(5)]
    response = patient_client.get(f"{R4}/Slot?_count=2")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    assert bundle.total == 5
    seen = [entry.resource.id for entry in bundle.entry]
    links = {link.relation: link.url for link in bundle.link}
    assert "previous" not in links
    while "next" in links:
        bundle = Bundle.model_validate(patient_client.get(links["next"]).json())
        assert bundle.total == 5
        seen += [entry.resource.id for entry in bundle.entry]
        links = {link.relation: link.url for link in bundle.link}
    assert seen == [str(slot.pk) for slot in slots]
    assert "previous" in links
    only_total = Bundle.model_validate(patient_client.get(f"{R4}/Slot?_count=0").json())
    assert (only_total.total, only_total.entry) == (5, None)
    past_the_end = Bundle.model_validate(patient_client.get(f"{R4}/Slot?page=9").json())
    assert (past_the_end.total, past_the_end.entry) == (5, None)


def test_count_is_capped_at_100(patient_client):
    doctor, clinic = DoctorFactory(), ClinicFactory()
    SlotFactory.create_batch(
        101, doctor=doctor, clinic=clinic, start=factory.Sequence(lambda n: at(1, 0) + n * HOUR)
    )
    capped = patient_client.get(f"{R4}/Slot?_count=100000").json()
    assert (capped["total"], len(capped["entry"])) == (101, 100)
    assert len(patient_client.get(f"{R4}/Slot?_count=100").json()["entry"]) == 100


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ("start=2026-02-30", "start", "invalid"),
        ("start=ge2026-13-01", "start", "invalid"),
        ("start=ge20261301", "start", "invalid"),
        ("start=ge{tomorrow}T10:00", "start", "naive"),
        ("start=ge{tomorrow}T25:00Z", "start", "invalid"),
        ("start=ge{tomorrow}T10:00%2B24:00", "start", "invalid"),
        ("start=sa{tomorrow}", "start", "unsupported_prefix"),
        ("start=ne{tomorrow}", "start", "unsupported_prefix"),
        ("start=ge9999-12-31", "start", "date_out_of_range"),
        ("start=lt0001-01-01", "start", "date_out_of_range"),
        ("start=ge{tomorrow}T23:59:59-23:59", "start", None),  # fine: a real offset
        ("start=", "start", "blank"),
        ("start=tomorrow", "start", "invalid"),
        ("status=open", "status", "invalid"),
        ("status:not=free", "status:not", "unsupported_search_parameter"),
        ("doctor=1", "doctor", "unsupported_search_parameter"),
        ("_sort=start", "_sort", "unsupported_search_parameter"),
        ("schedule=Location/00000000-0000-4000-8000-000000000000", "schedule", "invalid"),
        ("_count=-1", "_count", "invalid"),
        ("_count=ten", "_count", "invalid"),
        ("_count=1e3", "_count", "invalid"),
        ("page=0", "page", "invalid"),
        ("page=" + "9" * 30, "page", "invalid"),
    ],
)
def test_bad_search_values_are_400_outcomes(patient_client, query, param, code):
    # Tomorrow is read when the test runs, not when the module is imported.
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    response = patient_client.get(f"{R4}/Slot?{query.format(tomorrow=tomorrow)}")
    if code is None:
        assert response.status_code == 200
        return
    outcome = assert_outcome(response, 400, code)
    assert outcome["issue"][0]["expression"] == [param]
    assert outcome["issue"][0]["code"] == "invalid"


def test_ids_that_are_not_uuids_match_nothing_and_read_as_404(patient_client):
    assert ids(patient_client.get(f"{R4}/Slot?schedule=Schedule/abc")) == []
    assert ids(patient_client.get(f"{R4}/Appointment?patient=Patient/abc")) == []
    assert_outcome(patient_client.get(f"{R4}/Slot/abc"), 404, "not_found")
    assert_outcome(patient_client.get(f"{R4}/Slot/{'a' * 65}"), 404)


def test_appointment_search_by_patient_practitioner_status_and_date(client_for):
    doctor = DoctorFactory()
    patient, other_patient = PatientFactory(), PatientFactory()
    mine = AppointmentFactory(patient=patient, slot__doctor=doctor, slot__start=at(1, 9))
    done = AppointmentFactory(
        patient=patient,
        slot__doctor=doctor,
        slot__start=in_hours(-48),
        status=AppointmentStatus.COMPLETED,
    )
    theirs = AppointmentFactory(patient=other_patient, slot__doctor=doctor, slot__start=at(2, 9))
    as_doctor = client_for(doctor.user)
    as_patient = client_for(patient.user)

    assert ids(as_patient.get(f"{R4}/Appointment")) == [str(done.pk), str(mine.pk)]
    assert ids(as_patient.get(f"{R4}/Appointment?patient=Patient/{other_patient.pk}")) == []
    assert ids(as_doctor.get(f"{R4}/Appointment?patient={other_patient.pk}")) == [str(theirs.pk)]
    assert ids(as_doctor.get(f"{R4}/Appointment?status=fulfilled")) == [str(done.pk)]
    assert ids(as_doctor.get(f"{R4}/Appointment?status=booked,noshow")) == [
        str(mine.pk),
        str(theirs.pk),
    ]
    assert ids(as_doctor.get(f"{R4}/Appointment?status=proposed")) == []
    assert ids(as_doctor.get(f"{R4}/Appointment?date=ge{at(2, 0).date()}")) == [str(theirs.pk)]
    assert ids(as_doctor.get(f"{R4}/Appointment?practitioner=Practitioner/{doctor.pk}")) == [
        str(done.pk),
        str(mine.pk),
        str(theirs.pk),
    ]
    assert_outcome(as_doctor.get(f"{R4}/Appointment?patient=Practitioner/{doctor.pk}"), 400)


def test_directory_resources_and_their_searches(client_for):
    clinic = ClinicFactory(name="Mitte Health", city="Berlin", phone="+49 30 1234")
    ClinicFactory(name="Hudson Care", city="New York", is_active=False)
    doctor = DoctorFactory(user__first_name="Dora", user__last_name="Doctor")
    association = AssociationFactory(doctor=doctor, clinic=clinic, title="Head of cardiology")
    client = client_for(user_with_role(Role.PATIENT))

    assert ids(client.get(f"{R4}/Organization?address-city=berl")) == [str(clinic.pk)]
    assert ids(client.get(f"{R4}/Location?name=hudson")) == []  # inactive: not listed
    location = client.get(f"{R4}/Location/{clinic.pk}").json()
    assert location["extension"][0]["valueCode"] == "Europe/Berlin"
    assert location["telecom"][0]["value"] == "+49 30 1234"
    assert ids(client.get(f"{R4}/Practitioner?name=dora")) == [str(doctor.pk)]
    role = client.get(f"{R4}/PractitionerRole/{association.pk}").json()
    assert role["practitioner"]["reference"] == f"Practitioner/{doctor.pk}"
    assert role["code"][0]["text"] == "Head of cardiology"
    assert ids(client.get(f"{R4}/PractitionerRole?location=Location/{clinic.pk}")) == [
        str(association.pk)
    ]
    assert ids(client.get(f"{R4}/Schedule?actor=Practitioner/{doctor.pk}")) == [str(association.pk)]
    assert ids(client.get(f"{R4}/Schedule?actor=Location/{clinic.pk}&active=true")) == [
        str(association.pk)
    ]
    assert_outcome(client.get(f"{R4}/Schedule?actor={clinic.pk}"), 400)
    assert_outcome(client.get(f"{R4}/Schedule?active=yes"), 400)


def test_patients_see_themselves_and_doctors_their_patients(client_for):
    doctor = DoctorFactory()
    treated, stranger = PatientFactory(user__first_name="Pia"), PatientFactory()
    grant_doctor_access_to_patient(doctor_user=doctor.user, patient=treated)
    assert ids(client_for(doctor.user).get(f"{R4}/Patient")) == [str(treated.pk)]
    assert ids(client_for(doctor.user).get(f"{R4}/Patient?name=pia")) == [str(treated.pk)]
    assert ids(client_for(stranger.user).get(f"{R4}/Patient")) == [str(stranger.pk)]
    assert_outcome(client_for(stranger.user).get(f"{R4}/Patient/{treated.pk}"), 404)
    admin = clinic_admin_of(ClinicFactory())
    assert ids(client_for(admin).get(f"{R4}/Patient")) == []
    patient = client_for(treated.user).get(f"{R4}/Patient/{treated.pk}").json()
    assert patient["birthDate"] == "1990-01-01"
    assert patient["name"][0]["given"] == ["Pia"]


def test_unknown_types_and_methods_are_outcomes(client_for, patient_client):
    assert_outcome(patient_client.get(f"{R4}/Observation"), 404)
    assert_outcome(patient_client.get(f"{R4}/Slot/"), 404)
    assert_outcome(patient_client.delete(f"{R4}/Appointment/{PatientFactory().pk}"), 405)
    assert_outcome(patient_client.post(f"{R4}/Slot", {}, format="json"), 405)
    assert client_for(None).get("/fhir/r4").status_code == 301  # APPEND_SLASH
    assert_outcome(client_for(None).get("/fhir/r4/"), 404)
    response = patient_client.get(f"{R4}/Slot?start=%00")
    assert_outcome(response, 400, "null_characters_not_allowed")
    response = patient_client.get(f"{R4}/Slot", HTTP_ACCEPT="application/xml")
    assert_outcome(response, 406)


def test_invalid_tokens_are_401_outcomes(client_for):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get(f"{R4}/Slot")
    assert_outcome(response, 401, "token_not_valid")
    assert client.get(f"{R4}/metadata").status_code == 200  # public: no token read


# Query counts ------------------------------------------------------------------------------

ROWS = 30


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(response.json().get("entry", [])), len(queries)


def _pinned(client, url: str, limit: int) -> int:
    sep = "&" if "?" in url else "?"
    client.get(f"{url}{sep}_count=1")  # warm per-process caches
    small, small_count = _queries(client, f"{url}{sep}_count=1")
    large, large_count = _queries(client, f"{url}{sep}_count={ROWS}")
    assert (small, large) == (1, ROWS)
    assert large_count == small_count <= limit, (small_count, large_count)
    return large_count


def test_slot_search_query_count_is_pinned(client_for):
    specialty = SpecialtyFactory(slug="dermatology")
    clinic = ClinicFactory()
    for i in range(ROWS):
        SlotFactory(
            doctor=DoctorFactory(specialty=specialty),
            clinic=clinic,
            start=at(0, 0) + timedelta(minutes=30 * i),
        )
    patient = client_for(user_with_role(Role.PATIENT))
    # auth, roles, count, page
    _pinned(patient, f"{R4}/Slot?specialty=dermatology&start=ge{at(0, 0).date()}", 4)
    doctor = DoctorFactory()
    # the doctor's own slots are OR-ed into the same two queries
    _pinned(client_for(doctor.user), f"{R4}/Slot?status=free", 4)


def test_appointment_search_query_count_is_pinned(client_for):
    patient, doctor, clinic = PatientFactory(), DoctorFactory(), ClinicFactory()
    for i in range(ROWS):
        AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__clinic=clinic,
            slot__start=at(0, 0) + timedelta(hours=i),
        )
    _pinned(client_for(patient.user), f"{R4}/Appointment?status=booked", 4)
    _pinned(client_for(doctor.user), f"{R4}/Appointment", 4)
    _pinned(client_for(clinic_admin_of(clinic)), f"{R4}/Appointment", 4)


@pytest.mark.parametrize(
    # Practitioner: + the languages and current clinics prefetched by the directory's selector
    ("kind", "limit"),
    [("Practitioner", 6), ("PractitionerRole", 4), ("Schedule", 4), ("Location", 4)],
)
def test_directory_searches_query_counts_are_pinned(client_for, kind, limit):
    clinic = ClinicFactory()
    for _ in range(ROWS):
        AssociationFactory(clinic=clinic)
        ClinicFactory()
    _pinned(client_for(user_with_role(Role.PATIENT)), f"{R4}/{kind}", limit)


def test_patient_search_query_count_is_pinned(client_for):
    doctor = DoctorFactory()
    for _ in range(ROWS):
        grant_doctor_access_to_patient(doctor_user=doctor.user, patient=PatientFactory())
    _pinned(client_for(doctor.user), f"{R4}/Patient", 4)
