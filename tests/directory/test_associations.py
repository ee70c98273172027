from datetime import timedelta

import pytest
from django.utils import timezone

from clinics.models import DoctorClinicAssociation
from tests.errors import assert_error
from tests.factories import (
    AssociationFactory,
    ClinicFactory,
    DoctorFactory,
    clinic_admin_of,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/doctor-clinic-associations/"


@pytest.fixture
def setup(client_for):
    clinic = ClinicFactory()
    return clinic, client_for(clinic_admin_of(clinic))


def test_clinic_admin_adds_and_ends_an_association(setup):
    clinic, client = setup
    doctor = DoctorFactory()
    response = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk), "title": "GP"})
    assert response.status_code == 201, response.content
    association_id = response.json()["id"]

    ended_on = timezone.localdate() + timedelta(days=30)
    response = client.post(f"{URL}{association_id}/end/", {"ended_on": ended_on.isoformat()})
    assert response.status_code == 200, response.content
    association = DoctorClinicAssociation.objects.get(pk=association_id)
    assert (association.is_active, association.ended_on) == (False, ended_on)
    assert association.ended_by is not None

    assert_error(client.post(f"{URL}{association_id}/end/"), 409, "association_ended")
    again = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)})
    assert again.status_code == 201
    assert DoctorClinicAssociation.objects.filter(doctor=doctor, clinic=clinic).count() == 2


def test_duplicate_active_association_is_a_field_error(setup):
    clinic, client = setup
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    response = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)})
    assert_error(response, 400, "association_exists", attr="doctor")


def test_association_with_inactive_clinic_is_refused(client_for):
    clinic = ClinicFactory(is_active=False)
    admin = client_for(user_with_role("platform_admin"))
    response = admin.post(URL, {"doctor": str(DoctorFactory().pk), "clinic": str(clinic.pk)})
    assert_error(response, 400, "clinic_inactive", attr="clinic")


@pytest.mark.parametrize(
    ("payload", "attr", "code"),
    [
        ({"clinic": "x"}, "doctor", "required"),
        ({"doctor": "not-uuid"}, "doctor", "invalid"),
        ({"started_on": "yesterday"}, "started_on", "invalid"),
    ],
)
def test_bad_association_input(setup, payload, attr, code):
    clinic, client = setup
    body = {"doctor": str(DoctorFactory().pk), "clinic": str(clinic.pk), **payload}
    if attr == "doctor" and code == "required":
        del body["doctor"]
    assert_error(client.post(URL, body), 400, code, attr=attr)


def test_end_before_start_is_refused(setup):
    clinic, client = setup
    association = AssociationFactory(clinic=clinic, started_on="2025-01-01")
    response = client.post(f"{URL}{association.pk}/end/", {"ended_on": "2024-01-01"})
    assert_error(response, 400, "invalid", attr="ended_on")


def test_doctor_sees_own_ended_associations_patients_only_active(client_for):
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor)
    AssociationFactory(doctor=doctor, is_active=False, ended_on="2024-02-01")
    assert client_for(doctor.user).get(URL).json()["count"] == 2
    assert client_for(user_with_role("patient")).get(URL).json()["count"] == 1


def test_a_clinic_cannot_attach_a_doctor_without_the_doctors_acceptance(
    setup, client_for, run_tasks, outbox
):
    """A clinic admin attached any doctor, then published their slots and moved patients onto
    them: now an association is an invitation, and nothing follows from it until the doctor
    accepts (issue 28, finding 2)."""
    clinic, client = setup
    doctor = DoctorFactory(user__last_name="Invited")
    created = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)})
    assert created.status_code == 201, created.content
    invitation = created.json()
    assert (invitation["status"], invitation["is_active"], invitation["accepted_at"]) == (
        "pending",
        False,
        None,
    )
    assert run_tasks() == 1
    [mail] = outbox
    assert mail.to == [doctor.user.email]
    assert f"/clinics/invitations/{invitation['id']}" in mail.body

    anyone = client_for(user_with_role("patient"))
    directory = anyone.get(f"/api/v1/doctors/{doctor.pk}/").json()
    assert directory.get("clinics", []) == []
    slot = client_for(doctor.user).post(
        "/api/v1/slots/",
        {
            "clinic": str(clinic.pk),
            "start": (timezone.now() + timedelta(days=3)).isoformat(),
            "end": (timezone.now() + timedelta(days=3, minutes=30)).isoformat(),
        },
    )
    assert slot.status_code in (400, 403), slot.content

    url = f"{URL}{invitation['id']}/accept/"
    assert_error(client.post(url), 403, "permission_denied")  # the clinic cannot accept
    assert_error(client_for(DoctorFactory().user).post(url), 404, "not_found")
    accepted = client_for(doctor.user).post(url)
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["is_active"]) == ("active", True)
    assert_error(client_for(doctor.user).post(url), 409, "association_not_pending")
    assert [
        c["clinic_id"] for c in anyone.get(f"/api/v1/doctors/{doctor.pk}/").json()["clinics"]
    ] == [str(clinic.pk)]


def test_a_doctor_declines_and_a_clinic_withdraws_an_invitation(setup, client_for):
    clinic, client = setup
    doctor = DoctorFactory()
    first = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)}).json()
    declined = client_for(doctor.user).post(f"{URL}{first['id']}/decline/")
    assert declined.status_code == 200, declined.content
    assert (declined.json()["status"], declined.json()["accepted_at"]) == ("ended", None)
    second = client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)}).json()
    assert_error(
        client.post(URL, {"doctor": str(doctor.pk), "clinic": str(clinic.pk)}),
        400,
        "association_exists",
        attr="doctor",
    )
    withdrawn = client.post(f"{URL}{second['id']}/end/")
    assert withdrawn.status_code == 200, withdrawn.content
    assert_error(
        client_for(doctor.user).post(f"{URL}{second['id']}/accept/"),
        409,
        "association_not_pending",
    )
