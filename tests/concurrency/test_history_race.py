"""Amendments of one history entry at once: real threads, real PostgreSQL connections, the HTTP
stack. Entries are append-only, so nothing locks: every amendment lands as its own entry with
its own access-log row, and the original stays exactly as it was."""

import pytest

from appointments.services import book_appointment
from records.models import PatientHistoryEntry, RecordAccessLog
from tests.concurrency.race import post_as, run_together
from tests.factories import (
    DoctorFactory,
    HistoryEntryFactory,
    PatientFactory,
    SlotFactory,
    in_hours,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_six_amendments_of_one_entry_by_two_doctors_at_once_all_land_once():
    patient = PatientFactory()
    doctors = [DoctorFactory() for _ in range(2)]
    for index, doctor in enumerate(doctors):  # booking grants each doctor the history
        slot = SlotFactory(doctor=doctor, start=in_hours(72 + index))
        book_appointment(patient=patient, slot_id=slot.pk)
    original = HistoryEntryFactory(patient=patient, author=doctors[0], title="Asthma")
    before = PatientHistoryEntry.objects.filter(pk=original.pk).values().get()
    url = f"/api/v1/patients/{patient.pk}/history/{original.pk}/amend/"
    calls = [
        post_as(doctors[i % 2], url, {"entry_type": "note", "title": f"Correction {i}"})
        for i in range(6)
    ]

    results = run_together(calls)

    assert results == [201] * 6, results
    amendments = PatientHistoryEntry.objects.filter(amends=original)
    assert sorted(amendments.values_list("title", flat=True)) == [
        f"Correction {i}" for i in range(6)
    ]
    assert PatientHistoryEntry.objects.filter(pk=original.pk).values().get() == before
    logged = RecordAccessLog.objects.filter(patient=patient, action="amend")
    assert sorted(entry for row in logged for entry in row.entry_ids) == sorted(
        str(pk) for pk in amendments.values_list("pk", flat=True)
    )
    assert all(len(row.entry_ids) == 1 for row in logged)
