"""The records suite: a world with medical history, and a watch on the access log that fails
any test leaving a log row it did not assert."""

from dataclasses import dataclass, field, fields

import pytest

from appointments.services import book_appointment, cancel_appointment
from doctors.models import Doctor
from patients.models import Patient
from patients.permissions import patients_treated_by
from records.models import PatientHistoryEntry, RecordAccessLog
from tests.factories import DoctorFactory, HistoryEntryFactory, SlotFactory, in_hours
from tests.world import ROLES, World

V1 = "/api/v1"
# The shared actors plus a doctor whose only appointment with world.patient was cancelled.
RECORD_ROLES = [*ROLES, "cancelled_doctor"]


def history_url(patient: Patient, entry=None, *, amend: bool = False) -> str:
    url = f"{V1}/patients/{patient.pk}/history/"
    if entry is not None:
        url += f"{entry.pk}/"
    return url + ("amend/" if amend else "")


def access_log_url(patient: Patient) -> str:
    return f"{V1}/patients/{patient.pk}/access-log/"


MY_HISTORY_URL = f"{V1}/history/mine/"


def doctor_with_cancelled_appointment(patient: Patient) -> Doctor:
    """A doctor the patient booked (through the booking service, which grants access) and who
    then cancelled that one appointment (which revokes it)."""
    doctor = DoctorFactory(user__first_name="Cora", user__last_name="Cancelled")
    slot = SlotFactory(doctor=doctor, start=in_hours(24 * 10))
    appointment = book_appointment(patient=patient, slot_id=slot.pk).appointment
    assert patients_treated_by(doctor.user).filter(pk=patient.pk).exists()
    cancel_appointment(appointment=appointment, cancelled_by=doctor.user)
    assert not patients_treated_by(doctor.user).filter(pk=patient.pk).exists()
    return doctor


@dataclass
class RecordsWorld(World):
    cancelled_doctor: Doctor
    # world.patient's history, oldest first: a diagnosis by world.doctor, a prescription by
    # world.doctor linked to world.started_appointment, and a note by another doctor.
    entries: list[PatientHistoryEntry] = field(default_factory=list)
    other_patient_entry: PatientHistoryEntry | None = None

    @property
    def entry(self) -> PatientHistoryEntry:
        return self.entries[0]

    @property
    def newest_first(self) -> list[PatientHistoryEntry]:
        return sorted(self.entries, key=lambda e: e.created_at, reverse=True)


@pytest.fixture
def records_world(world) -> RecordsWorld:
    base = {f.name: getattr(world, f.name) for f in fields(World)}
    entries = [
        HistoryEntryFactory(
            patient=world.patient,
            author=world.doctor,
            entry_type="diagnosis",
            title="Asthma",
            icd10_code="J45.909",
        ),
        HistoryEntryFactory(
            patient=world.patient,
            author=world.doctor,
            appointment=world.started_appointment,
            prescription=True,
        ),
        HistoryEntryFactory(patient=world.patient, title="Seen in the emergency room"),
    ]
    return RecordsWorld(
        **base,
        cancelled_doctor=doctor_with_cancelled_appointment(world.patient),
        entries=entries,
        other_patient_entry=HistoryEntryFactory(patient=world.other_patient),
    )


class AccessLogWatch:
    """Hands out the access-log rows written since it last looked."""

    def __init__(self) -> None:
        self.seen: set = set(RecordAccessLog.objects.values_list("pk", flat=True))

    def new_rows(self) -> list[RecordAccessLog]:
        rows = list(RecordAccessLog.objects.exclude(pk__in=self.seen).order_by("created_at"))
        self.seen |= {row.pk for row in rows}
        return rows

    def assert_one(self, *, user, patient, action: str, entries) -> RecordAccessLog:
        """Exactly one new row: `user` did `action` on exactly `entries` of `patient`."""
        rows = self.new_rows()
        assert len(rows) == 1, [(r.action, r.entry_ids) for r in rows]
        row = rows[0]
        expected = (user.pk, patient.pk, action, [str(getattr(e, "pk", e)) for e in entries])
        assert (row.user_id, row.patient_id, row.action, row.entry_ids) == expected
        return row

    def assert_none(self) -> None:
        rows = self.new_rows()
        assert rows == [], [(r.action, r.entry_ids) for r in rows]


@pytest.fixture(autouse=True)
def access_log(db):
    """Every test of this folder accounts for every access-log row it causes."""
    watch = AccessLogWatch()
    yield watch
    leftover = watch.new_rows()
    assert leftover == [], f"access-log rows no test asserted: {leftover}"
