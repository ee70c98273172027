"""Reads of the doctor directory, scoped to the caller: doctors with their current clinics and
each doctor's next bookable slot (the directory reads across doctors, clinics and slots)."""

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

from accounts.permissions import is_platform_admin
from clinics.selectors import active_associations_prefetch
from doctors.models import Doctor
from integrations.principal import is_integration_client
from scheduling.selectors import bookable_slots


def associations_with_next_slot(offer: Q | None = None) -> Prefetch:
    """The doctors' current clinics (as `active_associations`), each annotated with
    `next_slot`: the first bookable slot there as `{"slot_id", "start", "clinic_id"}`, or None.

    It rides on the clinics prefetch the directory already makes, so it costs no query of its
    own and runs only for the doctors of the page: as a subquery of the page query, PostgreSQL
    also ran it for every row skipped by OFFSET (1,000 times on the last page). Doctor and
    clinic are fixed per association, so each lookup is an index seek on slot_bookable_idx in
    start order that stops at the first row. `offer`: a condition on the slot (a visit type,
    modality or new-patient filter, scheduling.selectors.offers_a_fitting_type)."""
    first_slot = (
        bookable_slots()
        .filter(offer or Q(), doctor=OuterRef("doctor_id"), clinic=OuterRef("clinic_id"))
        .order_by("start")  # a doctor's slots never overlap: start alone is a total order
        .values(json=JSONObject(slot_id=F("id"), start=F("start"), clinic_id=F("clinic_id")))[:1]
    )
    clinics = active_associations_prefetch()
    return Prefetch(
        clinics.prefetch_through,
        queryset=clinics.queryset.annotate(next_slot=Subquery(first_slot)),
        to_attr=clinics.to_attr,
    )


def next_available(doctor: Doctor) -> dict | None:
    """The earliest `next_slot` over the doctor's prefetched clinics (see above)."""
    slots = [a.next_slot for a in doctor.active_associations if a.next_slot is not None]
    if not slots:
        return None
    first = min(slots, key=lambda slot: parse_datetime(slot["start"]))
    return {**first, "start": parse_datetime(first["start"])}


def with_next_slot(doctors: QuerySet[Doctor], offer: Q | None = None) -> QuerySet[Doctor]:
    """The directory's prefetches; with `offer`, `next_available` is the first slot that meets
    it (the directory's visit type, modality and new-patient filters)."""
    return doctors.prefetch_related(None).prefetch_related(
        "languages", associations_with_next_slot(offer)
    )


def doctors_visible_to(user) -> QuerySet[Doctor]:
    """The directory, plus a doctor's own profile; platform admins see every doctor. Each
    doctor's clinics carry their next bookable slot (see `associations_with_next_slot`)."""
    doctors = with_next_slot(Doctor.objects.select_related("user", "specialty"))
    if not user.is_authenticated:
        return doctors.none()
    if is_platform_admin(user):
        return doctors
    if is_integration_client(user):  # no profile of its own: the directory
        return doctors.filter(is_confirmed=True, user__is_active=True)
    return doctors.filter(Q(is_confirmed=True, user__is_active=True) | Q(user=user))
