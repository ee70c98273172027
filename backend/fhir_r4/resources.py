"""CareSlot rows as FHIR R4 resources (plain dicts, rendered as application/fhir+json).

Ids are the rows' UUIDs. A doctor is a Practitioner; a doctor at a clinic (a
doctor_clinic_association) is both a PractitionerRole and the Schedule its slots hang on, under
the association's id; a clinic is both an Organization and a Location, under the clinic's id.
docs/fhir.md has the whole mapping."""

from datetime import date, datetime

from appointments.models import Appointment, AppointmentStatus
from clinics.models import Clinic, DoctorClinicAssociation
from doctors.models import Doctor, Specialty
from patients.models import Gender, Patient
from scheduling.models import Slot, SlotStatus

# Code systems of CareSlot's own vocabularies (URNs: they name, they do not resolve).
SPECIALTY_SYSTEM = "urn:careslot:specialty"
LICENSE_SYSTEM = "urn:careslot:license-number"
ERROR_SYSTEM = "urn:careslot:error-code"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"

SLOT_STATUS = {
    SlotStatus.AVAILABLE: "free",
    SlotStatus.BOOKED: "busy",
    SlotStatus.BLOCKED: "busy-unavailable",
}
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}
GENDER = {
    Gender.FEMALE: "female",
    Gender.MALE: "male",
    Gender.OTHER: "other",
    Gender.UNDISCLOSED: "unknown",
}


def instant(value: datetime) -> str:
    """An aware datetime as FHIR instant text (UTC, with `Z`)."""
    return value.isoformat().replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def reference(kind: str, pk, display: str | None = None) -> dict:
    ref = {"reference": f"{kind}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def specialty_concept(specialty: Specialty) -> dict:
    return {
        "coding": [{"system": SPECIALTY_SYSTEM, "code": specialty.slug, "display": specialty.name}],
        "text": specialty.name,
    }


def human_name(user, *, prefix: str | None = None) -> dict:
    name = {"use": "official", "text": user.full_name, "family": user.last_name}
    if user.first_name:
        name["given"] = [user.first_name]
    if prefix:
        name["prefix"] = [prefix]
        name["text"] = f"{prefix} {user.full_name}"
    return name


def _telecom(*, phone: str = "", email: str = "") -> list[dict]:
    telecom = []
    if phone:
        telecom.append({"system": "phone", "value": phone, "use": "work"})
    if email:
        telecom.append({"system": "email", "value": email, "use": "work"})
    return telecom


def _clinic_address(clinic: Clinic) -> dict:
    return {
        "use": "work",
        "type": "physical",
        "text": f"{clinic.address}, {clinic.city}, {clinic.country}",
        "line": [clinic.address],
        "city": clinic.city,
        "country": clinic.country,
    }


def _without_empty(resource: dict) -> dict:
    """FHIR forbids empty arrays and strings: leave such elements out."""
    return {key: value for key, value in resource.items() if value not in ("", [], None)}


def practitioner(doctor: Doctor, *, languages: list[str] | None = None) -> dict:
    return _without_empty(
        {
            "resourceType": "Practitioner",
            "id": str(doctor.pk),
            "identifier": [{"system": LICENSE_SYSTEM, "value": doctor.license_number}],
            "active": doctor.is_confirmed and doctor.user.is_active,
            "name": [human_name(doctor.user, prefix="Dr.")],
            "communication": [
                {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}
                for code in (languages or [])
            ],
        }
    )


def practitioner_role(association: DoctorClinicAssociation) -> dict:
    doctor, clinic = association.doctor, association.clinic
    period = {"start": day(association.started_on)}
    if association.ended_on:
        period["end"] = day(association.ended_on)
    return _without_empty(
        {
            "resourceType": "PractitionerRole",
            "id": str(association.pk),
            "active": association.is_active,
            "period": period,
            "practitioner": reference("Practitioner", doctor.pk, str(doctor)),
            "organization": reference("Organization", clinic.pk, clinic.name),
            "code": [{"text": association.title}] if association.title else [],
            "specialty": [specialty_concept(doctor.specialty)],
            "location": [reference("Location", clinic.pk, clinic.name)],
        }
    )


def organization(clinic: Clinic) -> dict:
    return _without_empty(
        {
            "resourceType": "Organization",
            "id": str(clinic.pk),
            "identifier": [{"system": "urn:careslot:clinic-slug", "value": clinic.slug}],
            "active": clinic.is_active,
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "prov",
                            "display": "Healthcare Provider",
                        }
                    ]
                }
            ],
            "name": clinic.name,
            "telecom": _telecom(phone=clinic.phone, email=clinic.email),
            "address": [_clinic_address(clinic)],
        }
    )


def location(clinic: Clinic) -> dict:
    return _without_empty(
        {
            "resourceType": "Location",
            "id": str(clinic.pk),
            "extension": [{"url": TIMEZONE_EXTENSION, "valueCode": clinic.timezone}],
            "status": "active" if clinic.is_active else "inactive",
            "name": clinic.name,
            "mode": "instance",
            "telecom": _telecom(phone=clinic.phone, email=clinic.email),
            "address": _clinic_address(clinic),
            "managingOrganization": reference("Organization", clinic.pk, clinic.name),
        }
    )


VISIT_TYPE_SYSTEM = "https://careslot.example/fhir/CodeSystem/visit-type"


def schedule(association: DoctorClinicAssociation) -> dict:
    doctor, clinic = association.doctor, association.clinic
    return {
        "resourceType": "Schedule",
        "id": str(association.pk),
        "active": association.is_active,
        "serviceType": [{"text": f"{doctor.specialty.name} consultation"}],
        "specialty": [specialty_concept(doctor.specialty)],
        # The Location first: SMART Scheduling Links clients read the first actor as the place.
        "actor": [
            reference("Location", clinic.pk, clinic.name),
            reference("Practitioner", doctor.pk, str(doctor)),
            reference("PractitionerRole", association.pk),
        ],
    }


def slot(slot: Slot, *, schedule_id) -> dict:
    """`schedule_id`: the doctor's association with the slot's clinic (see selectors)."""
    return {
        "resourceType": "Slot",
        "id": str(slot.pk),
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "specialty": [specialty_concept(slot.doctor.specialty)],
        "status": SLOT_STATUS[slot.status],
        "start": instant(slot.start),
        "end": instant(slot.end),
    }


def patient(patient: Patient) -> dict:
    user = patient.user
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "active": user.is_active,
        "name": [human_name(user)],
        "telecom": _telecom(phone=user.phone, email=user.email),
        "gender": GENDER.get(patient.gender, "unknown"),
        "birthDate": day(patient.date_of_birth),
        "address": [{"text": patient.address}] if patient.address else [],
        "contact": [],
    }
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact = {
            "relationship": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                            "code": "C",
                            "display": "Emergency Contact",
                        }
                    ]
                }
            ]
        }
        if patient.emergency_contact_name:
            contact["name"] = {"text": patient.emergency_contact_name}
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    return _without_empty(resource)


def visit_type_concept(visit_type) -> dict:
    """The visit type booked: its reason code in CareSlot's own code system (docs/scheduling.md,
    "Visit types"), its name as the text."""
    return {
        "coding": [
            {
                "system": VISIT_TYPE_SYSTEM,
                "code": visit_type.reason_code,
                "display": visit_type.name,
            }
        ],
        "text": visit_type.name,
    }


def appointment(appointment: Appointment) -> dict:
    doctor, clinic, person = appointment.doctor, appointment.clinic, appointment.patient
    resource = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "status": APPOINTMENT_STATUS[appointment.status],
        "specialty": [specialty_concept(doctor.specialty)],
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        "minutesDuration": max(1, int((appointment.end - appointment.start).total_seconds() // 60)),
        "slot": [reference("Slot", appointment.slot_id)] if appointment.slot_id else [],
        "created": instant(appointment.created_at),
        "comment": appointment.notes,
        "participant": [
            {
                "actor": reference("Patient", person.pk, person.user.full_name),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": reference("Practitioner", doctor.pk, str(doctor)),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": reference("Location", clinic.pk, clinic.name),
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if appointment.visit_type_id is not None:
        resource["appointmentType"] = visit_type_concept(appointment.visit_type)
    if appointment.status == AppointmentStatus.CANCELLED:
        resource["cancelationReason"] = {"text": appointment.cancellation_reason or "Cancelled"}
    return _without_empty(resource)
