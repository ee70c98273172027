"""Directory endpoints x roles → status (docs/rules.md). A missing rule fails a row."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from tests.factories import AssociationFactory, ClinicFactory, SpecialtyFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]


def invitation(w):
    """Another clinic's pending invitation of the world's doctor (only they may answer it)."""
    return AssociationFactory(
        doctor=w.doctor, clinic=ClinicFactory(), is_active=False, accepted_at=None
    )


V1 = "/api/v1"


def unused_specialty(w):
    return SpecialtyFactory(slug="unused", name="Unused").pk


def inactive_clinic(w):
    return ClinicFactory(is_active=False).pk


ENDPOINTS = [
    Endpoint("specialties-list", "GET", lambda w: f"{V1}/specialties/", expect(200, anonymous=200)),
    Endpoint(
        "specialties-detail",
        "GET",
        lambda w: f"{V1}/specialties/{w.doctor.specialty_id}/",
        expect(200, anonymous=200),
    ),
    Endpoint(
        "specialties-create",
        "POST",
        lambda w: f"{V1}/specialties/",
        expect(403, platform_admin=201),
        body=lambda w: {"name": "Neurology", "slug": "neurology"},
    ),
    Endpoint(
        "specialties-update",
        "PATCH",
        lambda w: f"{V1}/specialties/{w.doctor.specialty_id}/",
        expect(403, platform_admin=200),
        body=lambda w: {"name": "Renamed"},
    ),
    Endpoint(
        "specialties-delete",
        "DELETE",
        lambda w: f"{V1}/specialties/{unused_specialty(w)}/",
        expect(403, platform_admin=204),
    ),
    Endpoint("clinics-list", "GET", lambda w: f"{V1}/clinics/", expect(200)),
    Endpoint("clinics-detail", "GET", lambda w: f"{V1}/clinics/{w.clinic.pk}/", expect(200)),
    Endpoint(
        "clinics-detail-inactive",
        "GET",
        lambda w: f"{V1}/clinics/{inactive_clinic(w)}/",
        expect(404, platform_admin=200),
    ),
    Endpoint(
        "clinics-create",
        "POST",
        lambda w: f"{V1}/clinics/",
        expect(403, platform_admin=201),
        body=lambda w: {
            "name": "Nord Praxis",
            "address": "Weg 2",
            "city": "Hamburg",
            "country": "DE",
            "timezone": "Europe/Berlin",
        },
    ),
    Endpoint(
        "clinics-update",
        "PATCH",
        lambda w: f"{V1}/clinics/{w.clinic.pk}/",
        expect(403, clinic_admin=200, platform_admin=200),
        body=lambda w: {"phone": "+49 30 555"},
    ),
    Endpoint(
        "clinics-deactivate",
        "DELETE",
        lambda w: f"{V1}/clinics/{w.clinic.pk}/",
        expect(403, platform_admin=204),
    ),
    Endpoint(
        "clinics-activate",
        "POST",
        lambda w: f"{V1}/clinics/{inactive_clinic(w)}/activate/",
        expect(403, platform_admin=200),
    ),
    Endpoint(
        "clinic-admins-list",
        "GET",
        lambda w: f"{V1}/clinics/{w.clinic.pk}/admins/",
        expect(403, clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "clinic-admins-add",
        "POST",
        lambda w: f"{V1}/clinics/{w.clinic.pk}/admins/",
        expect(403, platform_admin=201),
        body=lambda w: {"user": str(UserFactory().pk)},
    ),
    Endpoint(
        "clinic-admins-remove",
        "DELETE",
        lambda w: f"{V1}/clinics/{w.clinic.pk}/admins/{w.clinic_admin.pk}/",
        expect(403, platform_admin=204),
    ),
    Endpoint("doctors-list", "GET", lambda w: f"{V1}/doctors/", expect(200)),
    Endpoint("doctors-detail", "GET", lambda w: f"{V1}/doctors/{w.doctor.pk}/", expect(200)),
    Endpoint(
        "doctors-detail-unconfirmed",
        "GET",
        lambda w: f"{V1}/doctors/{w.unconfirmed_doctor.pk}/",
        expect(404, unconfirmed_doctor=200, platform_admin=200),
    ),
    Endpoint(
        "doctors-update",
        "PATCH",
        lambda w: f"{V1}/doctors/{w.doctor.pk}/",
        expect(403, doctor=200, platform_admin=200),
        body=lambda w: {"bio": "Updated"},
    ),
    Endpoint(
        "doctors-update-unconfirmed",
        "PATCH",
        lambda w: f"{V1}/doctors/{w.unconfirmed_doctor.pk}/",
        expect(404, unconfirmed_doctor=200, platform_admin=200),
        body=lambda w: {"bio": "Updated"},
    ),
    Endpoint(
        "doctors-me",
        "GET",
        lambda w: f"{V1}/doctors/me/",
        expect(404, doctor=200, other_doctor=200, unconfirmed_doctor=200),
    ),
    Endpoint(
        "doctors-me-update",
        "PATCH",
        lambda w: f"{V1}/doctors/me/",
        expect(404, doctor=200, other_doctor=200, unconfirmed_doctor=200),
        body=lambda w: {"bio": "Mine"},
    ),
    Endpoint(
        "doctors-confirm",
        "POST",
        lambda w: f"{V1}/doctors/{w.unconfirmed_doctor.pk}/confirm/",
        expect(403, platform_admin=200),
    ),
    Endpoint("patients-list", "GET", lambda w: f"{V1}/patients/", expect(200)),
    Endpoint(
        "patients-detail",
        "GET",
        lambda w: f"{V1}/patients/{w.patient.pk}/",
        expect(404, patient=200, doctor=200, platform_admin=200),
    ),
    Endpoint(
        "patients-update",
        "PATCH",
        lambda w: f"{V1}/patients/{w.patient.pk}/",
        expect(404, patient=200, doctor=403, platform_admin=403),
        body=lambda w: {"address": "New street 5"},
    ),
    Endpoint(
        "patients-me",
        "GET",
        lambda w: f"{V1}/patients/me/",
        expect(404, patient=200, other_patient=200),
    ),
    Endpoint(
        "patients-me-update",
        "PATCH",
        lambda w: f"{V1}/patients/me/",
        expect(404, patient=200, other_patient=200),
        body=lambda w: {"address": "Elsewhere 1"},
    ),
    Endpoint(
        "associations-list", "GET", lambda w: f"{V1}/doctor-clinic-associations/", expect(200)
    ),
    Endpoint(
        "associations-detail",
        "GET",
        lambda w: f"{V1}/doctor-clinic-associations/{w.association.pk}/",
        expect(200),
    ),
    Endpoint(
        "associations-create",
        "POST",
        lambda w: f"{V1}/doctor-clinic-associations/",
        expect(403, clinic_admin=201, platform_admin=201),
        body=lambda w: {"doctor": str(w.other_doctor.pk), "clinic": str(w.clinic.pk)},
    ),
    Endpoint(
        "associations-accept",
        "POST",
        lambda w: f"{V1}/doctor-clinic-associations/{invitation(w).pk}/accept/",
        expect(404, doctor=200, platform_admin=403),
    ),
    Endpoint(
        "associations-decline",
        "POST",
        lambda w: f"{V1}/doctor-clinic-associations/{invitation(w).pk}/decline/",
        expect(404, doctor=200, platform_admin=403),
    ),
    Endpoint(
        "associations-end",
        "POST",
        lambda w: f"{V1}/doctor-clinic-associations/{w.association.pk}/end/",
        expect(403, clinic_admin=200, platform_admin=200),
    ),
    Endpoint(
        "user-roles-list",
        "GET",
        lambda w: f"{V1}/users/{w.patient.user_id}/roles/",
        expect(403, platform_admin=200),
    ),
    Endpoint(
        "user-roles-grant",
        "POST",
        lambda w: f"{V1}/users/{w.clinic_admin.pk}/roles/",
        expect(403, platform_admin=201),
        body=lambda w: {"role": "platform_admin"},
    ),
    Endpoint(
        "user-roles-revoke",
        "DELETE",
        lambda w: f"{V1}/users/{w.clinic_admin.pk}/roles/clinic_admin/",
        expect(403, platform_admin=204),
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_directory_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)
